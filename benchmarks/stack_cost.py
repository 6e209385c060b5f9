"""Where the template's per-request CPU goes, component by component, over `startproject`'s stack.

The default bake on throwaway MariaDB and Redis, production settings, multiprocess metrics as
under gunicorn, tracing off. For /api/v1/info/ and /api/v1/users/me/ (JWT, database):

* ablation: Django's `startproject` middleware, then the template's middleware added back one
  component at a time in the bake's order, then the bake's whole MIDDLEWARE, all in one process
  with the rounds interleaved (benchmarks/programs/stack_cpu.py: 20 rounds of 75 requests), so
  the machine's other load falls on every stack alike; each step's figure is the CPU it adds;
* profile (unless --no-profile): py-spy samples the whole stack serving the view, and every
  sample is put down to the innermost component on its stack (the access line, metrics, each
  middleware, the view), as a share of the samples and as ms of the whole stack's CPU.

    python benchmarks/stack_cost.py [--quick] [--no-profile] [--template DIR] [--output DIR]
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import harness
from service import OVERHEAD_VIEWS, PROGRAMS, prepare, program
from support.bakes import Bake

# The template's middleware on top of startproject's, in the bake's order: a component is a
# group of prefixes, any of which may name it (a bake of an older checkout names some otherwise).
COMPONENTS: dict[str, list[str]] = {
    "django-prometheus": ["django_prometheus.middleware.", "core.middleware.metrics."],
    "django-structlog access line": ["django_structlog."],
    "request id header": ["core.middleware.request_id."],
    "monitoring endpoints": ["core.middleware.monitoring."],
    "read-your-writes": ["core.middleware.read_your_writes."],
    "CORS": ["corsheaders."],
    "WhiteNoise": ["whitenoise."],
    "CSP": ["csp.", "core.middleware.csp."],
    "Permissions-Policy": ["django_permissions_policy."],
    "axes": ["axes."],
}

# A profile sample belongs to the innermost frame on its stack that one of these names (the
# function, then the file, as py-spy writes a frame); samples with none are the test client's
# and the handler's own.
PROFILE_COMPONENTS: list[tuple[str, str]] = [
    ("the view (DRF, JWT, database)", r"^BaseHandler\._get_response "),
    ("django-prometheus middleware", r"^Prometheus(Before|After)Middleware\."),
    ("access line (django-structlog, logging)", r"^RequestMiddleware\.|django_structlog/"),
    ("request id header", r"^RequestIdHeaderMiddleware\."),
    ("monitoring endpoints", r"^MonitoringEndpointsMiddleware\."),
    ("read-your-writes", r"^ReadYourWritesMiddleware\.|read_your_writes\.py"),
    ("CORS", r"^CorsMiddleware\."),
    ("WhiteNoise", r"^WhiteNoiseMiddleware\."),
    ("CSP", r"^CSPMiddleware\.|csp/"),
    ("Permissions-Policy", r"^PermissionsPolicyMiddleware\."),
    ("axes", r"^AxesMiddleware\.|axes/"),
    (
        "startproject's middleware",
        r"^(SecurityMiddleware|SessionMiddleware|CommonMiddleware|CsrfViewMiddleware|"
        r"AuthenticationMiddleware|MessageMiddleware|XFrameOptionsMiddleware)\.",
    ),
]
PY_SPY = Path(sys.executable).with_name("py-spy")


def ablation(
    bake: Bake, env: dict[str, str | None], path: str, token: str, rounds: int
) -> dict[str, Any]:
    stacks: dict[str, list[list[str]] | None] = {"startproject": []}
    groups: list[list[str]] = []
    for name, prefixes in COMPONENTS.items():
        groups = [*groups, prefixes]
        stacks[f"+ {name}"] = groups
    stacks["the bake's MIDDLEWARE"] = None
    # Shorter rounds than the overhead figure's, and more of them: twelve stacks take turns, and
    # on a loaded machine a round of 300 requests may fall on a busy spell for one stack only.
    args = [path, token, json.dumps(stacks), str(rounds), "75"]
    result = bake.run("python", "-c", program("stack_cpu"), *args, env=env)
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def profile(
    bake: Bake, env: dict[str, str | None], path: str, token: str, work: Path
) -> Counter[str]:
    """Samples of the whole stack serving `path`, by component."""
    raw = work / "profile.txt"
    command = [str(PY_SPY if PY_SPY.exists() else shutil.which("py-spy"))]
    command += ["record", "--rate", "500", "--format", "raw", "--output", str(raw), "--"]
    command += [str(bake.venv / "bin" / "python"), "-c", program("requests_loop")]
    command += [path, token, "3000"]
    # Its log lines go to a file: a pipe read by a busy process would block the writes, and
    # py-spy would count the waiting as the access line's.
    with (work / "profile.log").open("w") as log:
        subprocess.run(
            command, cwd=bake.path, env=bake.env(env), check=True, stdout=log, stderr=log
        )
    patterns = [(name, re.compile(pattern)) for name, pattern in PROFILE_COMPONENTS]
    shares: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any(frame.startswith("profiled_loop ") for frame in frames):
            continue
        component = "test client and handler"
        for frame in reversed(frames):
            match = next((name for name, pattern in patterns if pattern.search(frame)), None)
            if match:
                component = match
                break
        shares[component] += int(count)
    return shares


def main() -> int:
    parser = harness.argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--no-profile", action="store_true", help="the ablation only")
    args = parser.parse_args()
    report = harness.Report("stack_cost", "make bench-stack")
    with ExitStack() as stack:
        work = stack.enter_context(harness.workspace("stack-cost"))
        mysql, redis = stack.enter_context(harness.servers_in(work / "servers"))
        bake = harness.bake(
            work / "bake", harness.provision(mysql, redis, "pulsewatch"), args.template
        )
        env = bake.prod_env(
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="false",
            JWT_ACCESS_TOKEN_MINUTES="600",  # noqa: S106 - a lifetime in minutes, no secret
        )
        token = prepare(bake, env)["token"]
        metrics_dir = work / "prometheus"
        metrics_dir.mkdir()
        env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "PYTHONPATH": str(PROGRAMS)}
        for view, path in OVERHEAD_VIEWS.items():
            figures = ablation(bake, env, path, token, args.runs or (8 if args.quick else 20))
            cpu = figures["median_ms"]
            names = list(cpu)
            base = cpu["startproject"]
            for previous, name in zip([None, *names], names, strict=False):
                added = 0.0 if previous is None else cpu[name] - cpu[previous]
                report.add(
                    f"{view}: {name}",
                    round(cpu[name], 3),
                    "ms CPU",
                    step_ms=round(added, 3),
                    over_startproject_ms=round(cpu[name] - base, 3),
                    rounds_ms=figures["samples_ms"][name],
                    summary=f"{added:+.3f} ms this step, {cpu[name] - base:+.3f} ms over startproject",
                )
            last = names[-2]
            if figures["middleware"][last] != figures["middleware"]["the bake's MIDDLEWARE"]:
                report.note(f"{view}: the components above miss some of the bake's middleware")
            if args.no_profile:
                continue
            shares = profile(bake, env, path, token, work)
            total, whole = sum(shares.values()), cpu["the bake's MIDDLEWARE"]
            for component, count in shares.most_common():
                share = count / total
                report.add(
                    f"{view}, profile of the whole stack: {component}",
                    round(100 * share, 1),
                    "% of samples",
                    ms=round(share * whole, 3),
                    summary=f"about {share * whole:.3f} ms of {whole:.3f} ms",
                )
    return harness.finish(report, args)


if __name__ == "__main__":
    raise SystemExit(main())
