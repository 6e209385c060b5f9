"""The bake's alerts, SLOs and dashboard (deploy/observability/), proven with real tools.

Quick tier, no server: for each variant the rules pass `promtool check rules` and their unit
tests pass `promtool test rules`, and breaking a rule makes those tests fail; every alert has a
summary, a runbook section in the README and unit tests that see it fire and stay silent; a bake
without Celery has no Celery rule, test or panel, one without Kubernetes no Operator manifest;
the ServiceMonitor, PodMonitor and PrometheusRule validate against the Prometheus Operator's
CRDs (../shared/k8s-crds/), unknown fields refused, and the PrometheusRule holds exactly the
rule files.

Slow tier: a real Prometheus (Debian's 2.42), started on a free port with a configuration of
this test's own, scrapes the default bake's gunicorn (2 workers) and Celery worker, started by
docker/entrypoint.sh as in test_behaviour.py, on the session's MariaDB and a Redis of this
module's own. It loads the shipped rules, `for:` shortened in its own copy only. Once traffic has
flowed every rule evaluates without error and every dashboard query parses and returns series;
with that Redis stopped the readiness alert's expression turns true and the alert fires, and
both end once Redis is back.

promtool and prometheus come from Debian's `prometheus` package (.ci/run installs it); without
them the tests fail saying so, never skip.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml
from pytest_redis.executor import RedisExecutor
from support import servers
from support.bakes import TEMPLATE_DIR, Bake, render_template
from support.processes import LoggedProcess, tail
from support.servers import free_port
from test_behaviour import ENQUEUE_HEARTBEAT, Service, running_service
from test_kubernetes import kustomize

PROMETHEUS_HINT = (
    "install Debian's prometheus package (`apt-get install prometheus`), as .ci/run does"
)
# The Prometheus Operator's CRDs (monitoring.coreos.com_*.yaml): from the environment, else the
# copy in shared/ beside the repository.
CRDS_ENV = "PULSEWATCH_PROMETHEUS_OPERATOR_CRDS"
CRDS = Path(
    os.environ.get(CRDS_ENV)
    or TEMPLATE_DIR.parent / "shared" / "k8s-crds" / "prometheus-operator-v0.93"
)
OBSERVABILITY = Path("deploy") / "observability"

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "no-celery": {"use_celery": False},
    "kubernetes": {"use_kubernetes": True},
    "kubernetes-no-celery": {"use_kubernetes": True, "use_celery": False},
}


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found: {PROMETHEUS_HINT}", pytrace=False)
    return found


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def app_name(project: Path) -> str:
    """The job name the rules select: the slug with hyphens, as Kubernetes names it."""
    return project.name.replace("_", "-").strip("-")


@pytest.fixture(scope="module")
def bakes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        name: render_template(tmp_path_factory.mktemp(name), answers)
        for name, answers in VARIANTS.items()
    }


@pytest.fixture(params=list(VARIANTS))
def project(request: pytest.FixtureRequest, bakes: dict[str, Path]) -> Path:
    return bakes[request.param]


def rule_files(project: Path) -> list[Path]:
    return sorted((project / OBSERVABILITY / "rules").glob("*.yml"))


def unit_test_files(project: Path) -> list[Path]:
    return sorted((project / OBSERVABILITY / "tests").glob("*.yml"))


def alerts_of(project: Path) -> dict[str, dict[str, Any]]:
    """Every alerting rule of the bake, by name."""
    alerts = {}
    for path in rule_files(project):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    assert rule["alert"] not in alerts, f"{rule['alert']} defined twice"
                    alerts[rule["alert"]] = rule
    return alerts


# --------------------------------------------------------------------------------------------
# promtool
# --------------------------------------------------------------------------------------------


def promtool_results(
    project: Path, only: str | None = None
) -> tuple[subprocess.CompletedProcess[str], ...]:
    """`promtool check rules` and `promtool test rules`, on every file or on `only`'s tests."""
    promtool = tool("promtool")
    tests = unit_test_files(project)
    if only:
        tests = [path for path in tests if path.name == f"{Path(only).stem}.test.yml"]
        assert tests, f"no unit tests for {only}"
    check = run([promtool, "check", "rules", *map(str, rule_files(project))], project)
    unit = run([promtool, "test", "rules", *map(str, tests)], project)
    return check, unit


def test_promtool_checks_the_rules_and_passes_their_unit_tests(project: Path) -> None:
    check, unit = promtool_results(project)
    assert check.returncode == 0, check.stdout + check.stderr
    assert unit.returncode == 0, unit.stdout + unit.stderr
    assert unit.stdout.count("SUCCESS") == len(unit_test_files(project)), unit.stdout


def broken_copy(project: Path, destination: Path, path: str, old: str, new: str) -> Path:
    shutil.copytree(project, destination)
    target = destination / path
    text = target.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return destination


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        # A laxer objective: the burn-rate alerts no longer fire where the tests expect them.
        ("rules/slo.yml", "vector(0.999)", "vector(0.99)"),
        # A readiness alert that waits longer than its tests allow.
        ("rules/service.yml", "for: 3m", "for: 10m"),
        # A threshold that lets a growing queue pass.
        ("rules/celery.yml", "> 100", "> 1000"),
        # An alert whose summary changed without its tests.
        ("rules/service.yml", "Prometheus can scrape no", "Prometheus scrapes no"),
    ],
)
def test_the_unit_tests_fail_on_a_broken_rule(
    bakes: dict[str, Path], tmp_path: Path, path: str, old: str, new: str
) -> None:
    broken = broken_copy(
        bakes["defaults"], tmp_path / "broken", str(OBSERVABILITY / path), old, new
    )
    check, unit = promtool_results(broken, only=path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert unit.returncode != 0, unit.stdout
    assert "FAILED" in unit.stderr


def test_promtool_check_rejects_an_expression_that_does_not_parse(
    bakes: dict[str, Path], tmp_path: Path
) -> None:
    rules = str(OBSERVABILITY / "rules" / "service.yml")
    broken = broken_copy(bakes["defaults"], tmp_path / "broken", rules, "== 0", "== = 0")
    check, _ = promtool_results(broken)
    assert check.returncode != 0
    assert "service.yml" in check.stdout + check.stderr


def alert_tests(project: Path) -> dict[str, list[list[Any]]]:
    """alertname -> the exp_alerts of each of its alert_rule_test cases."""
    cases: dict[str, list[list[Any]]] = {}
    for path in unit_test_files(project):
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for case in test.get("alert_rule_test", []):
                cases.setdefault(case["alertname"], []).append(case.get("exp_alerts") or [])
    return cases


def github_anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


def test_every_alert_has_a_summary_a_runbook_and_tests_both_ways(project: Path) -> None:
    alerts = alerts_of(project)
    readme = (project / "README.md").read_text(encoding="utf-8")
    anchors = {
        github_anchor(line.lstrip("#")) for line in readme.splitlines() if line.startswith("#")
    }
    cases = alert_tests(project)
    assert alerts
    for name, rule in alerts.items():
        annotations = rule.get("annotations", {})
        assert annotations.get("summary"), f"{name} has no summary"
        assert rule["labels"]["severity"] in {"page", "ticket"}, name
        assert annotations.get("runbook_url") == f"README.md#{name.lower()}", name
        assert name.lower() in anchors, f"the README has no runbook section for {name}"
        assert any(expected for expected in cases.get(name, [])), f"no test sees {name} fire"
        assert any(not expected for expected in cases.get(name, [])), f"no test keeps {name} silent"
    assert set(cases) <= set(alerts), "tests of alerts that do not exist"


def test_rules_select_the_web_and_worker_jobs(project: Path) -> None:
    """Each selector names this service's job, so another Django service's metrics stay out."""
    app = app_name(project)
    jobs = set()
    for path in rule_files(project):
        text = path.read_text(encoding="utf-8")
        jobs |= set(re.findall(r'job="([^"]+)"', text))
        for selector in re.findall(r"\b(?:django|health|celery|up)\w*\{[^}]*\}", text):
            assert "job=" in selector, f"{path.name}: {selector} does not name its job"
    celery = (project / "core" / "celery_metrics.py").exists()
    assert jobs == ({app, f"{app}-worker"} if celery else {app})


# --------------------------------------------------------------------------------------------
# What each variant has
# --------------------------------------------------------------------------------------------


def dashboard_of(project: Path) -> dict[str, Any]:
    path = project / OBSERVABILITY / "grafana" / "dashboard.json"
    dashboard: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return dashboard


def dashboard_queries(project: Path) -> dict[str, list[str]]:
    """Panel title -> its queries."""
    return {
        panel["title"]: [target["expr"] for target in panel["targets"]]
        for panel in dashboard_of(project)["panels"]
        if panel["type"] != "row"
    }


def test_without_celery_there_is_no_celery_rule_test_or_panel(bakes: dict[str, Path]) -> None:
    for name in ("no-celery", "kubernetes-no-celery"):
        project = bakes[name]
        observability = project / OBSERVABILITY
        assert not (observability / "rules" / "celery.yml").exists()
        assert not (observability / "tests" / "celery.test.yml").exists()
        assert not list(project.rglob("*podmonitor*"))
        queries = " ".join(" ".join(exprs) for exprs in dashboard_queries(project).values())
        assert "celery" not in queries
        assert "-worker" not in queries
        assert not [alert for alert in alerts_of(project) if alert.startswith("Celery")]
    with_celery = bakes["defaults"]
    assert (with_celery / OBSERVABILITY / "rules" / "celery.yml").exists()
    assert "Celery" in {p["title"] for p in dashboard_of(with_celery)["panels"]}


def test_without_kubernetes_there_is_no_operator_manifest(bakes: dict[str, Path]) -> None:
    for name in ("defaults", "no-celery"):
        project = bakes[name]
        assert (project / OBSERVABILITY / "rules" / "slo.yml").exists()
        assert not (project / "deploy" / "k8s").exists()
        assert "prometheus-rule" not in (project / "Makefile").read_text(encoding="utf-8")


def test_dashboard_is_provisionable_and_its_panels_do_not_overlap(project: Path) -> None:
    dashboard = dashboard_of(project)
    assert dashboard["uid"] == app_name(project)
    [variable] = dashboard["templating"]["list"]
    assert (variable["name"], variable["type"], variable["query"]) == (
        "datasource",
        "datasource",
        "prometheus",
    )
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, (panel["title"], cells[(x, y)])
                cells[(x, y)] = panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"], panel["title"]
            assert all(target["expr"] for target in panel["targets"]), panel["title"]
    provider = yaml.safe_load((project / OBSERVABILITY / "grafana" / "provider.yml").read_text())
    assert provider["providers"][0]["type"] == "file"


# --------------------------------------------------------------------------------------------
# Kubernetes: the Prometheus Operator's manifests
# --------------------------------------------------------------------------------------------


def strict(schema: Any) -> Any:
    """The schema with unknown fields refused wherever Kubernetes would prune them."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [strict(item) for item in schema]
    return schema


@pytest.fixture(scope="module")
def crd_validators() -> dict[str, jsonschema.Draft7Validator]:
    """kind -> a validator for monitoring.coreos.com/v1 objects of that kind."""
    paths = sorted(CRDS.glob("monitoring.coreos.com_*.yaml"))
    if not paths:
        pytest.fail(
            f"no Prometheus Operator CRDs in {CRDS}: point {CRDS_ENV} at a directory of "
            "monitoring.coreos.com_*.yaml (prometheus-operator's example/prometheus-operator-crd/)",
            pytrace=False,
        )
    validators: dict[str, jsonschema.Draft7Validator] = {}
    for path in paths:
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
        schema = strict(version["schema"]["openAPIV3Schema"])
        validators[crd["spec"]["names"]["kind"]] = jsonschema.Draft7Validator(schema)
    return validators


def crd_problems(doc: dict[str, Any], validators: dict[str, Any]) -> list[str]:
    if doc.get("apiVersion") != "monitoring.coreos.com/v1" or doc.get("kind") not in validators:
        return [f"not a Prometheus Operator kind: {doc.get('apiVersion')} {doc.get('kind')}"]
    problems = [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validators[doc["kind"]].iter_errors(doc)
    ]
    name = doc.get("metadata", {}).get("name", "")
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name):
        problems.append(f"metadata.name {name!r} is not a DNS-1123 name")
    return problems


def test_operator_manifests_validate_against_the_crds(
    bakes: dict[str, Path], crd_validators: dict[str, Any], tmp_path: Path
) -> None:
    for name, celery in (("kubernetes", True), ("kubernetes-no-celery", False)):
        project = bakes[name]
        app = app_name(project)
        rendered = kustomize(project / "deploy" / "k8s" / "monitoring", tmp_path / f"{name}.yaml")
        kinds = sorted(doc["kind"] for doc in rendered.docs)
        expected = (
            ["PodMonitor", "PrometheusRule", "ServiceMonitor"]
            if celery
            else [
                "PrometheusRule",
                "ServiceMonitor",
            ]
        )
        assert kinds == expected, name
        for doc in rendered.docs:
            assert crd_problems(doc, crd_validators) == [], (name, doc["kind"])
            assert doc["metadata"]["namespace"] == app
        monitor = rendered.get("ServiceMonitor", f"{app}-web")
        [endpoint] = monitor["spec"]["endpoints"]
        assert endpoint["authorization"]["credentials"] == {
            "name": f"{app}-secrets",
            "key": "METRICS_TOKEN",
        }
        assert {"targetLabel": "job", "replacement": app} in endpoint["relabelings"]
        if celery:
            [pod_endpoint] = rendered.get("PodMonitor", f"{app}-worker")["spec"][
                "podMetricsEndpoints"
            ]
            assert {"targetLabel": "job", "replacement": f"{app}-worker"} in pod_endpoint[
                "relabelings"
            ]


def test_crd_validation_rejects_broken_manifests(
    bakes: dict[str, Path], crd_validators: dict[str, Any], tmp_path: Path
) -> None:
    project = bakes["kubernetes"]
    rendered = kustomize(project / "deploy" / "k8s" / "monitoring", tmp_path / "rendered.yaml")
    rule = rendered.of_kind("PrometheusRule")[0]
    unknown_field = copy.deepcopy(rule)
    unknown_field["spec"]["groups"][0]["rules"][0]["exprr"] = "up"
    wrong_type = copy.deepcopy(rendered.of_kind("ServiceMonitor")[0])
    wrong_type["spec"]["endpoints"] = {"port": "http"}
    unknown_kind = copy.deepcopy(rule) | {"kind": "PrometheusRules"}
    for broken in (unknown_field, wrong_type, unknown_kind):
        assert crd_problems(broken, crd_validators) != [], broken["kind"]


def make(project: Path, target: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run(["make", "--no-print-directory", target, *args], project)


# `make rules` with promtool replaced by `true`: only the PrometheusRule's check does anything.
COPY_CHECK_ONLY = "PROMTOOL=true"


def test_prometheus_rule_holds_exactly_the_rule_files(
    bakes: dict[str, Path], tmp_path: Path
) -> None:
    """As baked, `make rules` (promtool, then the copy's check) passes and the PrometheusRule's
    groups are the rule files' groups; after an edit it fails until `make prometheus-rule`."""
    tool("promtool")
    for name, promtool in (("kubernetes", []), ("kubernetes-no-celery", [COPY_CHECK_ONLY])):
        project = bakes[name]
        result = make(project, "rules", *promtool)
        assert result.returncode == 0, result.stdout + result.stderr
        manifest = yaml.safe_load(
            (project / "deploy" / "k8s" / "monitoring" / "prometheus-rule.yaml").read_text()
        )
        groups = [
            group
            for path in rule_files(project)
            for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        ]
        assert manifest["spec"]["groups"] == groups

    rules = str(OBSERVABILITY / "rules" / "service.yml")
    comment = "# health_check_status is what the last /ready found"
    edited = broken_copy(bakes["kubernetes"], tmp_path / "edited", rules, comment, "# Edited")
    stale = make(edited, "rules", COPY_CHECK_ONLY)
    assert stale.returncode != 0
    assert "run make prometheus-rule" in stale.stderr
    rewrite = make(edited, "prometheus-rule")
    assert rewrite.returncode == 0, rewrite.stderr
    manifest = (edited / "deploy" / "k8s" / "monitoring" / "prometheus-rule.yaml").read_text()
    assert "        # Edited" in manifest
    assert comment not in manifest
    again = make(edited, "rules", COPY_CHECK_ONLY)
    assert again.returncode == 0, again.stdout + again.stderr


def test_make_rules_fails_naming_the_package_without_promtool(bakes: dict[str, Path]) -> None:
    result = run(
        ["make", "--no-print-directory", "rules", "PROMTOOL=promtool-not-installed"],
        bakes["defaults"],
    )
    assert result.returncode != 0
    assert "promtool not found: install the prometheus package" in result.stderr


# --------------------------------------------------------------------------------------------
# A real Prometheus scraping the default bake
# --------------------------------------------------------------------------------------------

# What the test's copy of the rules waits instead of each `for:`, so alerts fire in seconds.
SHORT_FOR = "2s"
# Grafana's $__rate_interval, for queries sent to Prometheus directly: long enough to keep the
# tasks enqueued once at the start in every window.
RATE_INTERVAL = "1m"
SCRAPE_INTERVAL = "1s"


def shortened_rules(project: Path, directory: Path) -> list[Path]:
    """The shipped rule files with every `for:` set to SHORT_FOR, and nothing else changed."""
    directory.mkdir()
    copies = []
    for path in rule_files(project):
        original = path.read_text(encoding="utf-8")
        shortened, count = re.subn(r"^(\s+for: )\S+$", rf"\g<1>{SHORT_FOR}", original, flags=re.M)
        changed = [
            (old, new)
            for old, new in zip(original.splitlines(), shortened.splitlines(), strict=True)
            if old != new
        ]
        assert len(changed) == count
        assert all("for:" in old for old, _ in changed)
        copy_path = directory / path.name
        copy_path.write_text(shortened, encoding="utf-8")
        copies.append(copy_path)
    assert any("ReadinessCheckFailing" in p.read_text() for p in copies)
    return copies


@dataclass
class Prometheus:
    url: str
    process: LoggedProcess

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant query's result; a query Prometheus refuses fails the test."""
        response = requests.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        if body.get("status") != "success":
            pytest.fail(f"Prometheus refused {expr!r}: {body.get('error')}", pytrace=False)
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def firing(self, alertname: str) -> list[dict[str, str]]:
        found = self.query(f'ALERTS{{alertname="{alertname}", alertstate="firing"}}')
        return [series["metric"] for series in found]


def wait_for(
    predicate: Callable[[], Any], timeout: float, what: str, log: Callable[[], str]
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"not {what} within {timeout}s\n{tail(log())}", pytrace=False)


@dataclass
class Observed:
    """The default bake's web process and worker, their Redis, and Prometheus scraping them."""

    service: Service
    redis: RedisExecutor
    prometheus: Prometheus
    app: str


@pytest.fixture(scope="module")
def observed(
    request: pytest.FixtureRequest, default_bake: Bake, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Observed]:
    from pytest_redis.config import get_config

    prometheus_bin = tool("prometheus")
    run_dir = tmp_path_factory.mktemp("observability")
    redis_exec = str(get_config(request).exec)
    servers.require_executables({"redis_exec": redis_exec}, servers.SERVER_INSTALL_HINT)
    with servers.redis(run_dir / "redis", executable=redis_exec) as redis:
        worker_port = free_port()
        env = {
            "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/1",
            "WORKER_METRICS_PORT": str(worker_port),
        }
        with running_service(default_bake, run_dir, env=env) as service:
            app = app_name(default_bake.path)
            rules = shortened_rules(default_bake.path, run_dir / "rules")
            token = {"authorization": {"credentials": service.metrics_token}}
            web = service.base_url.removeprefix("http://")
            config = {
                "global": {
                    "scrape_interval": SCRAPE_INTERVAL,
                    "scrape_timeout": SCRAPE_INTERVAL,
                    "evaluation_interval": SCRAPE_INTERVAL,
                },
                "rule_files": [str(path) for path in rules],
                "scrape_configs": [
                    {"job_name": app, "static_configs": [{"targets": [web]}], **token},
                    {
                        "job_name": f"{app}-worker",
                        "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}],
                        **token,
                    },
                ],
            }
            config_path = run_dir / "prometheus.yml"
            config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
            port = free_port()
            command = [
                prometheus_bin,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={run_dir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ]
            with LoggedProcess("prometheus", command, run_dir, env=dict(os.environ)) as process:
                prometheus = Prometheus(f"http://127.0.0.1:{port}", process)
                process.wait_until(
                    lambda: requests.get(f"{prometheus.url}/-/ready", timeout=2).ok,
                    timeout=60,
                    what="ready",
                )
                yield Observed(service, redis, prometheus, app)


def send_traffic(service: Service) -> None:
    """Requests to a view and to /ready (which refreshes the readiness metrics)."""
    for _ in range(5):
        assert service.get("/api/v1/info/").status_code == 200
    service.get("/ready")


def panel_query(expr: str) -> str:
    return expr.replace("$__rate_interval", RATE_INTERVAL)


def has_finite_value(result: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(series["value"][1])) for series in result)


@pytest.mark.slow
class TestOnARealPrometheus:
    """One Prometheus, one web process and one worker for the class (pytest-xdist loadscope)."""

    def test_every_target_is_scraped_and_every_rule_evaluates(self, observed: Observed) -> None:
        prometheus, app = observed.prometheus, observed.app
        send_traffic(observed.service)

        def targets_up() -> bool:
            up = {s["metric"]["job"]: s["value"][1] for s in prometheus.query("up")}
            return up == {app: "1", f"{app}-worker": "1"}

        wait_for(targets_up, 30, "scraping both targets", observed.service.worker.log)

        def rules_evaluated() -> list[dict[str, Any]]:
            response = requests.get(f"{prometheus.url}/api/v1/rules", timeout=10).json()
            rules = [rule for group in response["data"]["groups"] for rule in group["rules"]]
            return (
                rules
                if all(rule.get("lastEvaluation", "").startswith("20") for rule in rules)
                else []
            )

        rules = wait_for(rules_evaluated, 30, "evaluating every rule", prometheus.process.log)
        broken = [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"]
        assert broken == []
        shipped = sum(
            len(group["rules"])
            for path in rule_files(observed.service.bake.path)
            for group in yaml.safe_load(path.read_text())["groups"]
        )
        assert len(rules) == shipped

    def test_every_dashboard_query_returns_series_once_traffic_flowed(
        self, observed: Observed
    ) -> None:
        service, prometheus = observed.service, observed.prometheus
        # Three tasks for the worker's panels; they stay within the queries' 1-minute windows.
        for _ in range(3):
            service.bake.manage("shell", "-c", ENQUEUE_HEARTBEAT, env=service.env)
        queries = [
            (title, panel_query(expr))
            for title, exprs in dashboard_queries(service.bake.path).items()
            for expr in exprs
        ]
        missing: list[tuple[str, str]] = queries
        deadline = time.monotonic() + 60
        while missing and time.monotonic() < deadline:
            send_traffic(service)
            missing = [(t, q) for t, q in missing if not has_finite_value(prometheus.query(q))]
            time.sleep(1)
        assert missing == [], "queries without a finite value after 60 s of traffic"
        assert len(queries) >= 20

    def test_readiness_alert_fires_while_redis_is_down_and_ends_after(
        self, observed: Observed
    ) -> None:
        service, prometheus, redis = observed.service, observed.prometheus, observed.redis
        [rule] = [
            rule
            for path in rule_files(service.bake.path)
            for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"]
            if rule.get("alert") == "ReadinessCheckFailing"
        ]
        expression = rule["expr"]

        def failing_checks() -> set[str]:
            service.get("/ready", timeout=5)  # as a readiness probe would, every half second
            return {series["metric"]["check"] for series in prometheus.query(expression)}

        assert failing_checks() == set()
        assert prometheus.firing("ReadinessCheckFailing") == []
        redis.stop()
        try:
            down = wait_for(
                lambda: failing_checks() >= {"cache", "broker"} and failing_checks(),
                30,
                "seeing the cache and broker checks fail",
                prometheus.process.log,
            )
            assert down == {"cache", "broker"}
            firing = wait_for(
                lambda: failing_checks() and prometheus.firing("ReadinessCheckFailing"),
                30,
                "firing ReadinessCheckFailing",
                prometheus.process.log,
            )
            assert {alert["check"] for alert in firing} == {"cache", "broker"}
            assert {alert["severity"] for alert in firing} == {"page"}
        finally:
            redis.start()
        wait_for(
            lambda: failing_checks() == set(),
            30,
            "seeing every check pass again",
            service.web.log,
        )
        wait_for(
            lambda: failing_checks() == set() and prometheus.firing("ReadinessCheckFailing") == [],
            30,
            "resolving ReadinessCheckFailing",
            prometheus.process.log,
        )
