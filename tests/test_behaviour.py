"""A fresh bake behaves in production as it promises, against real MariaDB and Redis.

* its own test suite passes with the coverage gate;
* the smoke test that needs no container engine: the web process and a Celery worker, both
  started exactly as the image starts them (`sh docker/entrypoint.sh web|worker`: wait for the
  database, then gunicorn with gunicorn.conf.py and two workers, or `celery --app config worker`)
  under production settings. The web process answers the probes and guards /metrics, counts every
  request whichever gunicorn worker served it, and logs nothing but JSON with a request_id on
  every request's lines; a task that a request enqueues logs that request's request_id on the
  worker, and a task enqueued from another process runs too.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import textwrap
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import Morsel, SimpleCookie
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from support.bakes import Bake
from support.processes import LoggedProcess
from support.servers import free_port

pytestmark = pytest.mark.slow

COVERAGE_GATE = 85


def test_baked_test_suite_passes_with_coverage_gate(default_bake: Bake) -> None:
    """`pytest` in the bake (its own config enforces the gate) against the real servers.

    It shows no warning (each one it would show is fixed, or filtered with its reason in the
    bake's pyproject.toml) and leaves no message or task result in its broker database.
    """
    result = default_bake.run("pytest", "-p", "no:cacheprovider", timeout=1200)
    total = re.search(r"^TOTAL\s.*?(\d+(?:\.\d+)?)%\s*$", result.stdout, re.MULTILINE)
    assert total, f"no coverage TOTAL line in the bake's pytest output:\n{result.stdout}"
    assert float(total.group(1)) >= COVERAGE_GATE, total.group(0)
    assert not re.search(r"warnings summary|\d+ warnings?\b", result.stdout), result.stdout
    with redis.Redis.from_url(default_bake.services.test_celery_broker_url) as broker:
        assert broker.keys() == []


# --------------------------------------------------------------------------------------------
# The web process and a Celery worker, started by docker/entrypoint.sh
# --------------------------------------------------------------------------------------------

ENTRYPOINT = "docker/entrypoint.sh"
# How long the entrypoint may wait for the database; the waits below allow for it.
DATABASE_WAIT_TIMEOUT = 30


def carry_cookies(response: requests.Response, jar: dict[str, str]) -> None:
    """Keep the cookies a response sets in `jar`, Secure ones included.

    Production settings mark the session and CSRF cookies Secure, and requests' own cookie jar
    rightly never sends those over plain HTTP, so the smoke test carries them itself.
    """
    for header in response.raw.headers.getlist("Set-Cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            if morsel.value and morsel["max-age"] != "0":
                jar[name] = morsel.value
            else:
                jar.pop(name, None)


@dataclass
class Service:
    """The default bake's web process (gunicorn, 2 workers) and Celery worker, both running."""

    bake: Bake
    env: dict[str, str | None]
    web: LoggedProcess
    worker: LoggedProcess
    base_url: str
    metrics_dir: Path

    @property
    def metrics_token(self) -> str:
        return self.env["METRICS_TOKEN"] or ""

    def request(
        self,
        method: str,
        path: str,
        cookies: dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """One request; redirects are returned, not followed. `cookies` is sent and updated."""
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        timeout = kwargs.pop("timeout", 10)
        response = requests.request(
            method,
            self.base_url + path,
            headers=sent,
            allow_redirects=False,
            timeout=timeout,
            **kwargs,
        )
        if cookies is not None:
            carry_cookies(response, cookies)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def scrape(self) -> str:
        """/metrics as Prometheus would scrape it, with the bearer token."""
        response = self.get("/metrics", headers={"Authorization": f"Bearer {self.metrics_token}"})
        assert response.status_code == 200, response.text
        return response.text


def entrypoint(process: str) -> list[str]:
    """The image's ENTRYPOINT with its first argument: what a container runs."""
    return ["sh", ENTRYPOINT, process]


def production_env(
    bake: Bake, port: int, env: Mapping[str, str | None] | None
) -> dict[str, str | None]:
    """Production settings over plain HTTP on loopback (so no HTTPS redirect), JSON logs."""
    service_env = bake.prod_env(
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        LOG_FORMAT="json",
        DATABASE_WAIT_TIMEOUT=str(DATABASE_WAIT_TIMEOUT),
    )
    service_env.update(env or {})
    return service_env


def prepare_release(bake: Bake, web_env: Mapping[str, str | None]) -> None:
    """What a release does before the processes start: migrations and the static files."""
    bake.run(*entrypoint("migrate"), env=web_env)
    bake.manage("collectstatic", "--noinput", env=web_env)


def wait_until_serving(running: Service) -> None:
    """/healthz answers, both gunicorn workers have booted and the Celery worker is ready."""
    running.web.wait_until(
        lambda: running.get("/healthz", timeout=2).status_code == 200,
        timeout=DATABASE_WAIT_TIMEOUT + 60,
        what="answering /healthz",
    )
    running.web.wait_until(
        lambda: len(booted_workers(running.web.log())) >= 2, timeout=30, what="running 2 workers"
    )
    running.worker.wait_until(
        lambda: celery_ready(running.worker.log()),
        timeout=DATABASE_WAIT_TIMEOUT + 60,
        what="ready",
    )


@contextlib.contextmanager
def running_service(
    bake: Bake,
    run_dir: Path,
    env: Mapping[str, str | None] | None = None,
    worker_args: Sequence[str] = (),
) -> Iterator[Service]:
    """Web process and worker as production runs them, on a migrated database.

    The bake's venv is first on PATH, as the image's Python is. The web process writes its
    metrics to a multiprocess directory of its own (the deployment creates it; gunicorn.conf.py
    empties it at start), as does every process that imports the project, `migrate` included.
    The worker gets `worker_args` after `entrypoint.sh worker` and no PROMETHEUS_MULTIPROC_DIR: in
    compose and Kubernetes it runs in a container of its own, without one.
    """
    port = free_port()
    service_env = production_env(bake, port, env)
    metrics_dir = run_dir / "prometheus"
    metrics_dir.mkdir()
    web_env = {**service_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    prepare_release(bake, web_env)
    with (
        bake.start("web", entrypoint("web"), run_dir, env=web_env) as web,
        bake.start(
            "worker", [*entrypoint("worker"), *worker_args], run_dir, env=service_env
        ) as worker,
    ):
        running = Service(bake, service_env, web, worker, f"http://127.0.0.1:{port}", metrics_dir)
        wait_until_serving(running)
        yield running


# The smoke test moves the admin off its default path, as ADMIN_URL lets a deployment do.
ADMIN_URL = f"staff-{secrets.token_hex(4)}/"


@pytest.fixture(scope="class")
def service(default_bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The default bake's web process and worker, shared by a test class."""
    run_dir = tmp_path_factory.mktemp("smoke")
    with running_service(default_bake, run_dir, env={"ADMIN_URL": ADMIN_URL}) as running:
        yield running


@dataclass
class StaffLogin:
    """A staff user signed in through the admin's login form, as a person would."""

    cookies: dict[str, str]
    form: requests.Response
    login: requests.Response


@pytest.fixture(scope="class")
def staff_login(service: Service) -> StaffLogin:
    return sign_in_staff(service)


def sign_in_staff(service: Service, staff: Mapping[str, str] | None = None) -> StaffLogin:
    """Create a staff user (STAFF unless given) and sign in through the admin's form.

    The service must serve the admin at ADMIN_URL.
    """
    staff = staff or STAFF
    password = secrets.token_urlsafe(24)
    # createsuperuser --noinput takes the login field and REQUIRED_FIELDS from these, whether
    # the user model signs in by username (Django's) or by e-mail address.
    answers = {f"DJANGO_SUPERUSER_{field.upper()}": value for field, value in staff.items()}
    answers["DJANGO_SUPERUSER_PASSWORD"] = password
    service.bake.manage("createsuperuser", "--noinput", env={**service.env, **answers})
    login_field = service.bake.manage("shell", "-c", USERNAME_FIELD, env=service.env)
    username = staff[login_field.stdout.split()[-1]]
    admin = f"/{ADMIN_URL}"
    cookies: dict[str, str] = {}
    form = service.get(f"{admin}login/", cookies=cookies)
    assert form.status_code == 200, form.text
    assert "csrftoken" in cookies, form.headers
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token, form.text
    login = service.request(
        "POST",
        f"{admin}login/",
        cookies=cookies,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token.group(1),
            "next": admin,
        },
    )
    assert login.status_code == 302, (login.status_code, login.text[:2000])
    assert login.headers["Location"] == admin, login.headers
    assert {"sessionid", "csrftoken"} <= set(cookies), cookies.keys()
    return StaffLogin(cookies, form, login)


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


def celery_ready(log: str) -> bool:
    """Whether the worker logged Celery's "celery@<host> ready." line (as JSON)."""
    records, _ = json_log_records(log)
    return any(re.fullmatch(r"\S+@\S+ ready\.", str(r.get("event"))) for r in records)


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


def per_process_counts(service: Service, sample: str) -> dict[str, float]:
    """One counter's value in each process, read from the multiprocess directory."""
    result = service.bake.run("python", "-c", PER_PROCESS_COUNTS, str(service.metrics_dir), sample)
    counts: dict[str, float] = json.loads(result.stdout)
    return counts


ENQUEUE_HEARTBEAT = textwrap.dedent(
    """
    from core.tasks import heartbeat
    result = heartbeat.delay()
    print("task", result.id, "returned", result.get(timeout=60))
    """
)


# Loggers that write in the web process only while it handles a request: Django's (django.request,
# django.security.*, ...) and django-structlog's (access lines, task_enqueued).
REQUEST_LOGGERS = ("django.", "django_structlog.")

# A caller's W3C trace context; an untraced service ignores it.
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

# The staff user of the smoke test, by field of the user model.
STAFF = {"username": "smoke", "email": "smoke@example.com"}
USERNAME_FIELD = (
    "from django.contrib.auth import get_user_model; print(get_user_model().USERNAME_FIELD)"
)


def records_with(log: str, **fields: Any) -> list[dict[str, Any]]:
    """The log's JSON records that have every one of `fields`."""
    records, _ = json_log_records(log)
    return [r for r in records if all(r.get(key) == value for key, value in fields.items())]


class TestSmokeWithoutContainerEngine:
    """Probes, metrics, logs and tasks of one web process and one worker shared by the class.

    `make test` runs pytest-xdist with --dist loadscope, which keeps a class on one xdist worker,
    so the processes start once per run.
    """

    def test_healthz_is_ok(self, service: Service) -> None:
        response = service.get("/healthz")
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok"}

    def test_ready_checks_database_cache_and_broker(self, service: Service) -> None:
        response = service.get("/ready")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "ok", body
        names = set(body["checks"])
        assert any(name.startswith("database") for name in names), names
        assert {"cache", "broker"} <= names, names
        for name, check in body["checks"].items():
            assert check["status"] == "ok", (name, check)
            assert check["latency_ms"] >= 0, (name, check)

    def test_probes_answer_any_host_header(self, service: Service) -> None:
        """Kubelets probe by pod IP: probes skip the ALLOWED_HOSTS check, other paths keep it."""
        bad_host = {"Host": "10.1.2.3:8000"}
        for path in ("/healthz", "/ready"):
            response = service.get(path, headers=bad_host)
            assert response.status_code == 200, (path, response.status_code, response.text)
        routed = service.get("/api/v1/info/", headers=bad_host)
        assert routed.status_code == 400, "the host check should still guard every other path"

    def test_metrics_needs_the_bearer_token(self, service: Service) -> None:
        assert service.get("/metrics").status_code in {401, 403}
        wrong = service.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code in {401, 403}
        assert service.metrics_token not in wrong.text
        right = service.get(
            "/metrics", headers={"Authorization": f"Bearer {service.metrics_token}"}
        )
        assert right.status_code == 200, right.text
        assert "app_info{" in right.text

    def test_requests_to_both_workers_are_counted_once_each(self, service: Service) -> None:
        """Concurrent requests land on both workers; the merged /metrics counts each exactly once.

        /healthz is answered ahead of routing, so only django-prometheus' before-middlewares counter
        sees it; a routed view (/api/v1/info/) is also counted by view. Each scrape of /metrics is a
        request too, which is why the before-middlewares delta is one more than the requests sent.
        """
        all_requests = "django_http_requests_before_middlewares_total"
        by_view = "django_http_requests_total_by_view_transport_method_total"
        before_text = service.scrape()
        before_total = metric_value(before_text, all_requests)
        before_view = metric_value(before_text, by_view, view="api:info", method="GET")
        before_pids = per_process_counts(service, all_requests)

        batch, healthz_sent, info_sent = 20, 0, 0
        with ThreadPoolExecutor(max_workers=4) as pool:
            for _ in range(10):  # until both workers served some; concurrency makes that quick
                codes = list(pool.map(lambda _: service.get("/healthz").status_code, range(batch)))
                codes += list(
                    pool.map(lambda _: service.get("/api/v1/info/").status_code, range(batch))
                )
                assert set(codes) == {200}, codes
                healthz_sent += batch
                info_sent += batch
                now = per_process_counts(service, all_requests)
                served = [pid for pid, count in now.items() if count > before_pids.get(pid, 0)]
                if len(served) >= 2:
                    break
        assert len(served) >= 2, f"one worker served everything: {now} (before: {before_pids})"

        after_text = service.scrape()
        total_delta = metric_value(after_text, all_requests) - before_total
        view_delta = metric_value(after_text, by_view, view="api:info", method="GET") - before_view
        assert total_delta == healthz_sent + info_sent + 1, (total_delta, healthz_sent, info_sent)
        assert view_delta == info_sent, (view_delta, info_sent)

    def test_worker_runs_a_task_enqueued_by_another_process(self, service: Service) -> None:
        """A task enqueued from a `manage.py shell` runs on the worker, which logs it as JSON."""
        result = service.bake.manage("shell", "-c", ENQUEUE_HEARTBEAT, env=service.env)
        found = re.search(r"task (\S+) returned", result.stdout)
        assert found, result.stdout
        task_id = found.group(1)

        def task_events() -> set[str]:
            records = records_with(service.worker.log(), task_id=task_id)
            return {str(record.get("event")) for record in records}

        service.worker.wait_until(
            lambda: {"heartbeat_recorded", "task_succeeded"} <= task_events(),
            timeout=30,
            what="logging the task's JSON lines",
        )

    def test_task_enqueued_by_a_request_logs_its_request_id_on_the_worker(
        self, service: Service, staff_login: StaffLogin
    ) -> None:
        """Staff POST /api/v1/heartbeat/ with an X-Request-ID; the worker's task logs that id.

        The API call is a session-authenticated POST with the CSRF token, as a page of the site
        would send.
        """
        cookies = staff_login.cookies
        request_id = f"smoke-{uuid.uuid4()}"
        response = service.request(
            "POST",
            "/api/v1/heartbeat/",
            cookies=cookies,
            headers={"X-CSRFToken": cookies["csrftoken"], "X-Request-ID": request_id},
        )
        assert response.status_code == 202, (response.status_code, response.text)
        task_id = response.json()["task_id"]
        assert response.headers.get("X-Request-ID") == request_id

        def access_lines() -> list[dict[str, Any]]:
            return records_with(
                service.web.log(),
                event="request_finished",
                request_id=request_id,
                method="POST",
                path="/api/v1/heartbeat/",
            )

        service.web.wait_until(
            lambda: bool(access_lines()), timeout=10, what=f"logging the POST as {request_id}"
        )
        assert [line.get("status") for line in access_lines()] == [202], access_lines()
        enqueued = records_with(service.web.log(), event="task_enqueued", request_id=request_id)
        assert [line.get("child_task_id") for line in enqueued] == [task_id], enqueued

        def heartbeat_lines() -> list[dict[str, Any]]:
            return records_with(
                service.worker.log(), event="heartbeat_recorded", request_id=request_id
            )

        service.worker.wait_until(
            lambda: bool(heartbeat_lines()),
            timeout=30,
            what=f"logging heartbeat_recorded with request_id {request_id}",
        )
        assert [line.get("task_id") for line in heartbeat_lines()] == [task_id], heartbeat_lines()

    def test_session_and_csrf_cookies_are_secure_and_httponly(
        self, staff_login: StaffLogin
    ) -> None:
        """Production sends both cookies over HTTPS only and keeps them from page scripts."""
        sent: dict[str, Morsel[str]] = {}
        for response in (staff_login.form, staff_login.login):
            for header in response.raw.headers.getlist("Set-Cookie"):
                parsed: SimpleCookie = SimpleCookie()
                parsed.load(header)
                sent.update(parsed)
        assert {"csrftoken", "sessionid"} <= set(sent), sent.keys()
        for name in ("csrftoken", "sessionid"):
            assert sent[name]["secure"], f"{name} is not Secure: {sent[name].OutputString()}"
            assert sent[name]["httponly"], f"{name} is not HttpOnly: {sent[name].OutputString()}"

    @pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
    def test_api_docs_are_for_staff_only(
        self, service: Service, staff_login: StaffLogin, path: str
    ) -> None:
        """Production settings: 401 without a staff session, the schema or its page with one.

        The refusal is the JSON error shape, although the views render YAML and HTML.
        """
        anonymous = service.get(path)
        assert anonymous.status_code == 401, anonymous.text[:500]
        assert anonymous.json()["error"]["code"] == "not_authenticated", anonymous.text[:500]
        assert "openapi" not in anonymous.text.lower()
        staff = service.get(path, cookies=dict(staff_login.cookies))
        assert staff.status_code == 200, staff.text[:500]
        assert "openapi" in staff.text.lower() or "swagger" in staff.text.lower(), staff.text[:500]

    def test_admin_answers_only_at_its_configured_path(self, service: Service) -> None:
        moved = service.get(f"/{ADMIN_URL}login/")
        assert moved.status_code == 200, moved.text
        default = service.get("/admin/login/")
        assert default.status_code == 404, default.text
        assert default.json()["error"]["code"] == "not_found"

    def test_credentials_in_a_request_reach_no_log_line(self, service: Service) -> None:
        """Authorization, Cookie and a password field in one refused login: none of them logged."""
        secrets_sent = [secrets.token_urlsafe(24) for _ in range(3)]
        request_id = f"smoke-credentials-{uuid.uuid4()}"
        response = service.request(
            "POST",
            "/api/v1/auth/token/",
            headers={
                "Authorization": f"Bearer {secrets_sent[0]}",
                "Cookie": f"sessionid={secrets_sent[1]}",
                "X-Request-ID": request_id,
            },
            json={"email": "nobody@example.com", "password": secrets_sent[2]},
        )
        assert response.status_code == 401, response.text
        service.web.wait_until(
            lambda: bool(records_with(service.web.log(), request_id=request_id)),
            timeout=10,
            what="logging the refused login",
        )
        log = service.web.log()
        assert [secret for secret in secrets_sent if secret in log] == []

    # The two log tests are defined last, so they also read what the other tests of the class
    # made the processes log: admin login, a task, refused requests.

    def test_every_log_line_is_json(self, service: Service) -> None:
        """Both processes print nothing but JSON objects, from their first line on.

        Not covered: on SIGTERM a Celery worker prints "worker: Warm shutdown (MainProcess)" to
        stdout whatever its options; that happens after this test, at teardown.
        """
        response = service.get("/api/v1/info/", headers={"X-Request-ID": "smoke-json-lines"})
        assert response.status_code == 200, response.text
        service.web.wait_until(
            lambda: bool(records_with(service.web.log(), request_id="smoke-json-lines")),
            timeout=10,
            what="logging the request",
        )
        for process in (service.web, service.worker):
            _, not_json = json_log_records(process.log())
            assert not not_json, (
                f"{process.name} printed lines that are not JSON objects:\n"
                + "\n".join(not_json[:20])
            )

    def test_without_an_otlp_endpoint_nothing_traces(self, service: Service) -> None:
        """No OTEL_* variable is set: no process starts tracing, no line carries a trace id."""
        response = service.get("/api/v1/info/", headers={"traceparent": TRACEPARENT})
        assert response.status_code == 200, response.text
        for process in (service.web, service.worker):
            records, _ = json_log_records(process.log())
            assert records, process.name
            started = [r for r in records if r.get("event") == "tracing_started"]
            assert started == [], (process.name, started)
            traced = [r for r in records if "trace_id" in r or "span_id" in r]
            assert traced == [], (process.name, traced[:3])

    def test_every_request_log_line_carries_its_request_id(self, service: Service) -> None:
        """The client's X-Request-ID becomes the request_id, echoed and on the access line; every
        line that Django or django-structlog log in the web process carries a request_id.

        Those loggers only write while a request is handled (access lines, refused hosts, task
        enqueued, Django's warning about an error response); process start and stop lines come
        from gunicorn and the entrypoint and have no request to name. A refused request is part
        of the test: Django logs a warning about it besides the access line.
        """
        request_id = "pulsewatch-template-test-0001"
        response = service.get("/api/v1/info/", headers={"X-Request-ID": request_id})
        assert response.status_code == 200, response.text
        assert response.headers.get("X-Request-ID") == request_id
        refused = service.get("/metrics", headers={"X-Request-ID": f"{request_id}-refused"})
        assert refused.status_code in {401, 403}, refused.text
        assert refused.headers.get("X-Request-ID") == f"{request_id}-refused"
        for sent in (request_id, f"{request_id}-refused"):

            def access_line_logged(sent: str = sent) -> bool:
                return bool(
                    records_with(service.web.log(), event="request_finished", request_id=sent)
                )

            service.web.wait_until(
                access_line_logged, timeout=10, what=f"logging the access line of {sent}"
            )

        records, _ = json_log_records(service.web.log())
        access = [record for record in records if record.get("event") == "request_finished"]
        assert [r for r in access if r.get("request_id") == request_id], (
            "the client's X-Request-ID was not used as the request_id"
        )
        request_lines = [r for r in records if str(r.get("logger")).startswith(REQUEST_LOGGERS)]
        missing = [record for record in request_lines if not record.get("request_id")]
        assert not missing, "web lines logged for a request without its request_id:\n" + "\n".join(
            json.dumps(record) for record in missing[:10]
        )
