"""A fresh bake behaves in production as it promises, against real MariaDB and Redis.

* its own test suite passes with the coverage gate;
* gunicorn, started exactly as the bake documents it (`gunicorn`, reading gunicorn.conf.py) with
  two workers under production settings, answers the probes and guards /metrics, counts every
  request whichever worker served it, and logs nothing but JSON;
* a Celery worker started as `celery -A <slug> worker` runs a task that was enqueued elsewhere.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import Bake, ManagedProcess, background, free_port

pytestmark = pytest.mark.slow

COVERAGE_GATE = 85


def test_baked_test_suite_passes_with_coverage_gate(default_bake: Bake) -> None:
    """`pytest` in the bake (its own config enforces the gate) against the real servers."""
    result = default_bake.run("pytest", "-p", "no:cacheprovider", timeout=1200)
    total = re.search(r"^TOTAL\s.*?(\d+(?:\.\d+)?)%\s*$", result.stdout, re.MULTILINE)
    assert total, f"no coverage TOTAL line in the bake's pytest output:\n{result.stdout}"
    assert float(total.group(1)) >= COVERAGE_GATE, total.group(0)


# --------------------------------------------------------------------------------------------
# gunicorn with two workers
# --------------------------------------------------------------------------------------------


@dataclass
class WebServer:
    """A running gunicorn of the default bake."""

    bake: Bake
    process: ManagedProcess
    base_url: str
    metrics_dir: Path
    metrics_token: str

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET on the server; redirects are returned, not followed."""
        kwargs.setdefault("timeout", 10)
        return requests.get(self.base_url + path, allow_redirects=False, **kwargs)

    def scrape(self) -> str:
        """/metrics as Prometheus would scrape it, with the bearer token."""
        response = self.get("/metrics", headers={"Authorization": f"Bearer {self.metrics_token}"})
        assert response.status_code == 200, response.text
        return response.text


@pytest.fixture(scope="module")
def web(default_bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """gunicorn as production runs it: migrated database, collected static files, 2 workers.

    Plain HTTP on loopback, so SECURE_SSL_REDIRECT is off; everything else is prod settings.
    """
    run_dir = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    # The deployment creates it (gunicorn.conf.py empties it at start); every process that
    # imports the project, `manage.py migrate` included, writes its samples there.
    metrics_dir = run_dir / "prometheus"
    metrics_dir.mkdir()
    env = default_bake.prod_env(
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        LOG_FORMAT="json",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    default_bake.manage("migrate", "--noinput", env=env)
    default_bake.manage("collectstatic", "--noinput", env=env)
    with background(default_bake, "gunicorn", ["gunicorn"], run_dir, env=env) as process:
        server = WebServer(
            default_bake,
            process,
            f"http://127.0.0.1:{port}",
            metrics_dir,
            env["METRICS_TOKEN"] or "",
        )
        process.wait_until(
            lambda: server.get("/healthz", timeout=2).status_code == 200,
            timeout=60,
            what="answering /healthz",
        )
        process.wait_until(
            lambda: len(booted_workers(process.log())) >= 2, timeout=30, what="running 2 workers"
        )
        yield server


def json_log_records(log: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The log's JSON object lines, parsed, and every other non-blank line."""
    records, others = [], []
    for line in log.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict):
            records.append(record)
        else:
            others.append(line)
    return records, others


def booted_workers(log: str) -> set[str]:
    """Worker pids from gunicorn's "Booting worker with pid: N" lines."""
    return set(re.findall(r"Booting worker with pid:? (\d+)", log))


def metric_value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels` (0 when none exist yet)."""
    total = 0.0
    pattern = re.compile(rf"^{re.escape(name)}(\{{(?P<labels>[^}}]*)\}})?\s+(?P<value>\S+)$")
    for line in text.splitlines():
        match = pattern.match(line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group("labels") or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(match.group("value"))
    return total


PER_PROCESS_COUNTS = textwrap.dedent(
    """
    import json, pathlib, sys
    from prometheus_client.mmap_dict import MmapedDict

    name = sys.argv[2]
    counts = {}
    for path in pathlib.Path(sys.argv[1]).glob("counter_*.db"):
        pid = path.stem.split("_")[-1]
        for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(path)):
            if json.loads(key)[1] == name:
                counts[pid] = counts.get(pid, 0) + value
    print(json.dumps(counts))
    """
)


def per_process_counts(web: WebServer, sample: str) -> dict[str, float]:
    """One counter's value in each gunicorn worker, read from the multiprocess directory."""
    result = web.bake.run("python", "-c", PER_PROCESS_COUNTS, str(web.metrics_dir), sample)
    return json.loads(result.stdout)


class TestGunicornWithTwoWorkers:
    """Probes, metrics and logs of one gunicorn shared by the whole class.

    `make test` runs pytest-xdist with --dist loadscope, which keeps a class on one worker, so the
    server starts once per run.
    """

    def test_healthz_is_ok(self, web: WebServer) -> None:
        response = web.get("/healthz")
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok"}

    def test_ready_checks_database_cache_and_broker(self, web: WebServer) -> None:
        response = web.get("/ready")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "ok", body
        names = set(body["checks"])
        assert any(name.startswith("database") for name in names), names
        assert {"cache", "broker"} <= names, names
        for name, check in body["checks"].items():
            assert check["status"] == "ok", (name, check)
            assert check["latency_ms"] >= 0, (name, check)

    def test_probes_answer_any_host_header(self, web: WebServer) -> None:
        """Kubelets probe by pod IP: probes skip the ALLOWED_HOSTS check, other paths keep it."""
        bad_host = {"Host": "10.1.2.3:8000"}
        for path in ("/healthz", "/ready"):
            response = web.get(path, headers=bad_host)
            assert response.status_code == 200, (path, response.status_code, response.text)
        routed = web.get("/api/v1/info/", headers=bad_host)
        assert routed.status_code == 400, "the host check should still guard every other path"

    def test_metrics_needs_the_bearer_token(self, web: WebServer) -> None:
        assert web.get("/metrics").status_code in {401, 403}
        wrong = web.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code in {401, 403}
        assert web.metrics_token not in wrong.text
        right = web.get("/metrics", headers={"Authorization": f"Bearer {web.metrics_token}"})
        assert right.status_code == 200, right.text
        assert "app_info{" in right.text

    def test_requests_to_both_workers_are_counted_once_each(self, web: WebServer) -> None:
        """Concurrent requests land on both workers; the merged /metrics counts each exactly once.

        /healthz is answered ahead of routing, so only django-prometheus' before-middlewares counter
        sees it; a routed view (/api/v1/info/) is also counted by view. Each scrape of /metrics is a
        request too, which is why the before-middlewares delta is one more than the requests sent.
        """
        all_requests = "django_http_requests_before_middlewares_total"
        by_view = "django_http_requests_total_by_view_transport_method_total"
        before_text = web.scrape()
        before_total = metric_value(before_text, all_requests)
        before_view = metric_value(before_text, by_view, view="api:info", method="GET")
        before_pids = per_process_counts(web, all_requests)

        batch, healthz_sent, info_sent = 20, 0, 0
        with ThreadPoolExecutor(max_workers=4) as pool:
            for _ in range(10):  # until both workers served some; concurrency makes that quick
                codes = list(pool.map(lambda _: web.get("/healthz").status_code, range(batch)))
                codes += list(
                    pool.map(lambda _: web.get("/api/v1/info/").status_code, range(batch))
                )
                assert set(codes) == {200}, codes
                healthz_sent += batch
                info_sent += batch
                now = per_process_counts(web, all_requests)
                served = [pid for pid, count in now.items() if count > before_pids.get(pid, 0)]
                if len(served) >= 2:
                    break
        assert len(served) >= 2, f"one worker served everything: {now} (before: {before_pids})"

        after_text = web.scrape()
        total_delta = metric_value(after_text, all_requests) - before_total
        view_delta = metric_value(after_text, by_view, view="api:info", method="GET") - before_view
        assert total_delta == healthz_sent + info_sent + 1, (total_delta, healthz_sent, info_sent)
        assert view_delta == info_sent, (view_delta, info_sent)

    def test_every_log_line_is_json_and_access_lines_carry_request_id(self, web: WebServer) -> None:
        request_id = "pulsewatch-template-test-0001"
        response = web.get("/api/v1/info/", headers={"X-Request-ID": request_id})
        assert response.status_code == 200, response.text
        web.process.wait_until(lambda: request_id in web.process.log(), timeout=10, what="logging")

        records, not_json = json_log_records(web.process.log())
        assert not not_json, "gunicorn printed lines that are not JSON objects:\n" + "\n".join(
            not_json[:20]
        )
        access = [record for record in records if record.get("event") == "request_finished"]
        assert access, "no request_finished (access) lines were logged"
        missing = [record for record in access if not record.get("request_id")]
        assert not missing, f"access lines without request_id: {missing[:5]}"
        assert any(record.get("request_id") == request_id for record in access), (
            "the client's X-Request-ID was not used as the request_id"
        )
        assert response.headers.get("X-Request-ID") == request_id


# --------------------------------------------------------------------------------------------
# Celery
# --------------------------------------------------------------------------------------------

ENQUEUE_HEARTBEAT = textwrap.dedent(
    """
    from core.tasks import heartbeat
    result = heartbeat.delay()
    print("task", result.id, "returned", result.get(timeout=60))
    """
)


def test_celery_worker_runs_an_enqueued_task(
    default_bake: Bake, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A worker started as `celery -A <slug> worker` runs a task enqueued from another process."""
    run_dir = tmp_path_factory.mktemp("celery")
    env = default_bake.prod_env(LOG_FORMAT="json")
    command = ["celery", "-A", default_bake.slug, "worker", "-l", "info"]
    with background(default_bake, "celery-worker", command, run_dir, env=env) as worker:
        worker.wait_until(lambda: " ready." in worker.log(), timeout=60, what="ready")
        result = default_bake.manage("shell", "-c", ENQUEUE_HEARTBEAT, env=env)
        found = re.search(r"task (\S+) returned", result.stdout)
        assert found, result.stdout
        task_id = found.group(1)

        def task_events() -> set[str]:
            records, _ = json_log_records(worker.log())
            return {str(r.get("event")) for r in records if r.get("task_id") == task_id}

        worker.wait_until(
            lambda: {"heartbeat_recorded", "task_succeeded"} <= task_events(),
            timeout=30,
            what="logging the task's JSON lines",
        )
