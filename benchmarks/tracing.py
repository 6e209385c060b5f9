"""What traces cost a request: CPU per request with tracing off, on and sampled, on and unsampled.

The default bake on throwaway MariaDB and Redis, production settings, multiprocess metrics as
under gunicorn. For each view, benchmarks/programs/cpu_per_request.py runs in a fresh
process per setting:

* off: no OTEL_EXPORTER_OTLP_ENDPOINT, so nothing is set up (the default);
* on, every request sampled: spans of the request, its SQL and Redis calls, exported over
  OTLP/HTTP to a receiver in this process that accepts and discards them;
* on, one request in ten sampled (OTEL_TRACES_SAMPLER=parentbased_traceidratio,
  OTEL_TRACES_SAMPLER_ARG=0.1), the rate a busy service would run at;
* on, nothing sampled (OTEL_TRACES_SAMPLER=always_off): the instrumentation's own cost.

Figures, not a test: the cost is CPU per request (process time, the exporter's thread
included), the median of 5 rounds of 300 requests.

    python benchmarks/tracing.py [--quick] [--output DIR]
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import harness
from service import OVERHEAD_VIEWS, prepare, program
from support.servers import free_port

SETTINGS: dict[str, dict[str, str | None]] = {
    "off": {},
    "on, sampled": {"OTEL_TRACES_SAMPLER": "always_on"},
    "on, 10% sampled": {
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
    },
    "on, unsampled": {"OTEL_TRACES_SAMPLER": "always_off"},
}


class Discard(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that takes every export and keeps nothing."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> int:
    args = harness.argument_parser(__doc__.splitlines()[0]).parse_args()
    report = harness.Report("tracing", "make bench-tracing")
    with ExitStack() as stack:
        work = stack.enter_context(harness.workspace("tracing", keep=False))
        mysql, redis = stack.enter_context(harness.servers_in(work / "servers"))
        bake = harness.bake(
            work / "bake", harness.provision(mysql, redis, "pulsewatch"), args.template
        )
        env = bake.prod_env(ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="false")
        token = prepare(bake, env)["token"]
        receiver = ThreadingHTTPServer(("127.0.0.1", free_port()), Discard)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        stack.callback(receiver.shutdown)
        endpoint = f"http://127.0.0.1:{receiver.server_address[1]}"
        metrics_dir = Path(work) / "prometheus"
        metrics_dir.mkdir(exist_ok=True)
        for view, path in OVERHEAD_VIEWS.items():
            cpu: dict[str, float] = {}
            for name, extra in SETTINGS.items():
                run_env = {**env, **extra, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
                if name != "off":
                    run_env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
                result = bake.run(
                    "python", "-c", program("cpu_per_request"), path, token, env=run_env
                )
                lines = result.stdout.strip().splitlines()
                assert lines[-2] == f"tracing {name.split(',')[0]}", lines
                cpu[name] = float(lines[-1])
                print(f"  {view}, tracing {name}: {cpu[name]:.3f} ms CPU", flush=True)
            for name in ("on, sampled", "on, 10% sampled", "on, unsampled"):
                report.add(
                    f"CPU per request, tracing {name}, {view}",
                    round(cpu[name], 3),
                    "ms",
                    off_ms=cpu["off"],
                    added_ms=round(cpu[name] - cpu["off"], 3),
                    summary=f"{cpu[name]:.3f} ms against {cpu['off']:.3f} ms off "
                    f"(+{cpu[name] - cpu['off']:.3f} ms)",
                )
            report.add(f"CPU per request, tracing off, {view}", round(cpu["off"], 3), "ms")
    return harness.finish(report, args)


if __name__ == "__main__":
    raise SystemExit(main())
