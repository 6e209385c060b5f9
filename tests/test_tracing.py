"""A bake's traces and error reports reach real receivers, and a broken receiver costs nothing.

The default bake's gunicorn (2 workers) and Celery worker run as in test_behaviour.py, started by
docker/entrypoint.sh under production settings on the session's MariaDB and Redis, with
OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver of this module's own (http.server;
the protobuf decoded with opentelemetry-proto) and SENTRY_DSN at a Sentry-like one (it accepts
the envelope endpoint). It proves:

* a staff request that enqueues a task, sent with a caller's W3C traceparent, continues that
  trace: its HTTP span, SQL spans (mysqlclient) and Redis spans arrive, and the task's span on
  the worker descends from the request's span, in the same trace;
* both gunicorn workers export spans, each under its own service.instance.id, and a worker
  stopped gracefully (SIGTERM) sends the spans it still held;
* the JSON log lines written inside a span carry that span's trace_id and span_id;
* a receiver that hangs, then one that is gone, slows no request: latencies are measured and
  printed against the receiver answering;
* an unhandled error reaches the Sentry-like receiver tagged with its request_id and trace_id,
  and none of the request's credentials, nor any secret of the service's environment, is in it.

The erroring view exists only here: a settings module of this test's own (on PYTHONPATH) adds
it to the service's URLs.
"""

from __future__ import annotations

import gzip
import json
import secrets
import statistics
import textwrap
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from support.bakes import Bake
from support.processes import wait_for
from support.servers import free_port
from test_behaviour import (
    ADMIN_URL,
    Service,
    booted_workers,
    entrypoint,
    records_with,
    running_service,
    sign_in_staff,
)

pytestmark = pytest.mark.slow


@dataclass
class ReceivedSpan:
    """One span as the receiver decoded it, with the resource of the process that sent it."""

    trace_id: str
    span_id: str
    parent_id: str
    name: str
    kind: int
    attributes: dict[str, Any]
    resource: dict[str, Any]


def attribute_values(attributes: Any) -> dict[str, Any]:
    """OTLP KeyValues as a dict of plain values."""
    values = {}
    for item in attributes:
        kind = item.value.WhichOneof("value")
        values[item.key] = getattr(item.value, kind) if kind else None
    return values


class Receiver:
    """An HTTP server of the test's own on a free loopback port; `handle` answers each POST.

    `hang()` makes every request wait (up to HANG_SECONDS) before it is answered; `stop()` closes
    the port, so a sender finds nothing listening.
    """

    HANG_SECONDS = 20.0

    def __init__(self) -> None:
        self.port = free_port()
        self.bodies: list[tuple[str, bytes]] = []
        self.released = threading.Event()
        self.released.set()
        self.server: ThreadingHTTPServer | None = None

    def handle(self, path: str, body: bytes) -> None:
        self.bodies.append((path, body))

    def start(self) -> Self:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                receiver.released.wait(Receiver.HANG_SECONDS)
                receiver.handle(self.path, body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        # Rebinds the same port after stop(): ThreadingHTTPServer allows address reuse.
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def hang(self) -> None:
        self.released.clear()

    def stop(self) -> None:
        self.released.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class OtlpReceiver(Receiver):
    """An OTLP/HTTP traces endpoint (POST /v1/traces, protobuf)."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[ReceivedSpan] = []

    def handle(self, path: str, body: bytes) -> None:
        assert path == "/v1/traces", path
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            resource = attribute_values(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        ReceivedSpan(
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex(),
                            name=span.name,
                            kind=span.kind,
                            attributes=attribute_values(span.attributes),
                            resource=resource,
                        )
                    )

    def of_trace(self, trace_id: str) -> list[ReceivedSpan]:
        return [span for span in list(self.spans) if span.trace_id == trace_id]


def envelope_items(body: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """The items of a Sentry envelope: its header line, then each item's header and payload."""
    items = []
    _, _, rest = body.partition(b"\n")
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        length = header.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length + 1 :]
        items.append((header, payload))
    return items


class SentryReceiver(Receiver):
    """Sentry's envelope endpoint (POST /api/<project>/envelope/): keeps each envelope."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[bytes] = []

    def handle(self, path: str, body: bytes) -> None:
        assert path.startswith("/api/1/envelope/"), path
        self.envelopes.append(body)

    def events(self) -> list[dict[str, Any]]:
        return [
            json.loads(payload)
            for body in list(self.envelopes)
            for header, payload in envelope_items(body)
            if header.get("type") == "event"
        ]


# The erroring view, mounted only in this test's settings.
FAULT_SETTINGS = textwrap.dedent(
    """
    from config.settings.prod import *  # noqa: F403

    ROOT_URLCONF = "tracing_test_urls"
    """
)
FAULT_URLS = textwrap.dedent(
    """
    from django.urls import path

    from config.urls import urlpatterns as service_urlpatterns


    def fail(request):
        # A local variable no report may show: the header's value reversed.
        password = request.headers.get("X-Test-Local", "")[::-1]
        raise RuntimeError("an unhandled error of the tracing test" if password else "no header")


    urlpatterns = [path("tracing-test/fail/", fail), *service_urlpatterns]
    """
)


@dataclass
class Traced:
    service: Service
    otlp: OtlpReceiver
    sentry: SentryReceiver


@pytest.fixture(scope="module")
def traced(default_bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traced]:
    run_dir = tmp_path_factory.mktemp("tracing")
    (run_dir / "tracing_test_settings.py").write_text(FAULT_SETTINGS, encoding="utf-8")
    (run_dir / "tracing_test_urls.py").write_text(FAULT_URLS, encoding="utf-8")
    otlp = OtlpReceiver().start()
    sentry = SentryReceiver().start()
    env = {
        "ADMIN_URL": ADMIN_URL,
        "PYTHONPATH": str(run_dir),
        "DJANGO_SETTINGS_MODULE": "tracing_test_settings",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{otlp.port}",
        "OTEL_SERVICE_NAME": "tracing-test",
        # Export every 100 ms, so the test waits little for its spans.
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "SENTRY_DSN": f"http://public@127.0.0.1:{sentry.port}/1",
    }
    try:
        with running_service(default_bake, run_dir, env=env) as service:
            yield Traced(service, otlp, sentry)
    finally:
        otlp.stop()
        sentry.stop()


def traceparent() -> tuple[str, str, str]:
    """A caller's trace id, span id and the W3C traceparent header naming them, sampled."""
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return trace_id, span_id, f"00-{trace_id}-{span_id}-01"


def ancestors(span: ReceivedSpan, spans: list[ReceivedSpan]) -> list[str]:
    """The ids of a span's parents, nearest first, as far as the received spans go."""
    by_id = {candidate.span_id: candidate for candidate in spans}
    chain, parent = [], span.parent_id
    while parent:
        chain.append(parent)
        parent = by_id[parent].parent_id if parent in by_id else ""
    return chain


def wait_until(predicate: Callable[[], Any], what: str, timeout: float = 30) -> None:
    wait_for(lambda: bool(predicate()), timeout=timeout, what=what)


def test_a_request_and_its_task_are_one_trace_with_sql_and_redis_spans(traced: Traced) -> None:
    service, otlp = traced.service, traced.otlp
    login = sign_in_staff(service, {"username": "tracing", "email": "tracing@example.com"})
    trace_id, caller_span, header = traceparent()
    request_id = f"tracing-{uuid.uuid4()}"
    response = service.request(
        "POST",
        "/api/v1/heartbeat/",
        cookies=login.cookies,
        headers={
            "X-CSRFToken": login.cookies["csrftoken"],
            "X-Request-ID": request_id,
            "traceparent": header,
        },
    )
    assert response.status_code == 202, (response.status_code, response.text)
    task_id = response.json()["task_id"]

    def task_span() -> list[ReceivedSpan]:
        return [s for s in otlp.of_trace(trace_id) if s.name == "run/core.tasks.heartbeat"]

    wait_until(task_span, "the task's span in the request's trace")
    spans = otlp.of_trace(trace_id)
    server = [s for s in spans if s.kind == Span.SPAN_KIND_SERVER]
    assert len(server) == 1, [(s.name, s.kind) for s in spans]
    request_span = server[0]
    assert request_span.parent_id == caller_span, "the caller's traceparent is not the parent"
    method = {request_span.attributes.get(k) for k in ("http.method", "http.request.method")}
    assert "POST" in method, request_span.attributes

    # SQL (the signed-in user) and Redis (the session, the broker), each inside the request.
    def systems() -> set[str]:
        found = set()
        for span in otlp.of_trace(trace_id):
            system = span.attributes.get("db.system.name") or span.attributes.get("db.system")
            if system and request_span.span_id in ancestors(span, otlp.of_trace(trace_id)):
                found.add(str(system))
        return found

    wait_until(lambda: {"mysql", "redis"} <= systems(), "SQL and Redis spans in the request")
    sql = [s for s in spans if "mysql" in str(s.attributes.get("db.system", ""))]
    for span in sql:
        statement = str(
            span.attributes.get("db.statement", span.attributes.get("db.query.text", ""))
        )
        assert "tracing@example.com" not in statement, statement

    task = task_span()[0]
    assert request_span.span_id in ancestors(task, otlp.of_trace(trace_id)), (
        "the task's span does not descend from the request's"
    )
    assert task.resource["service.instance.id"] != request_span.resource["service.instance.id"]

    # Log lines written inside those spans carry their ids.
    def access_line() -> list[dict[str, Any]]:
        return records_with(service.web.log(), request_id=request_id, event="request_finished")

    wait_until(access_line, "the request's access line")
    line = access_line()[0]
    assert line.get("trace_id") == trace_id, line
    assert line.get("span_id") == request_span.span_id, line

    def task_line() -> list[dict[str, Any]]:
        records = records_with(service.worker.log(), task_id=task_id)
        return [r for r in records if str(r.get("event")).startswith("heartbeat_")]

    wait_until(task_line, "the task's log line")
    assert task_line()[0].get("trace_id") == trace_id, task_line()
    assert task_line()[0].get("span_id") == task.span_id, task_line()


def test_both_gunicorn_workers_export_under_their_own_instance_id(traced: Traced) -> None:
    service, otlp = traced.service, traced.otlp
    worker_pids = {int(pid) for pid in booted_workers(service.web.log())}
    trace_ids = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(10):
            batch = [traceparent() for _ in range(20)]
            trace_ids += [trace_id for trace_id, _, _ in batch]
            codes = list(
                pool.map(
                    lambda caller: (
                        service.get("/api/v1/info/", headers={"traceparent": caller[2]}).status_code
                    ),
                    batch,
                )
            )
            assert set(codes) == {200}, codes
            time.sleep(0.5)
            exporters = {
                (span.resource["service.instance.id"], span.resource["process.pid"])
                for span in list(otlp.spans)
                if span.trace_id in trace_ids and span.kind == Span.SPAN_KIND_SERVER
            }
            if len({pid for _, pid in exporters}) >= 2:
                break
    pids = {pid for _, pid in exporters}
    assert pids <= worker_pids, (pids, worker_pids)
    assert len(pids) == 2, f"spans came from {pids} only, gunicorn runs {worker_pids}"
    assert len({instance for instance, _ in exporters}) == 2, exporters
    assert {span.resource["service.name"] for span in otlp.spans} == {"tracing-test"}


def latencies(service: Service, count: int = 60) -> list[float]:
    """Seconds each of `count` sequential traced requests took."""
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        response = service.get("/api/v1/info/", headers={"traceparent": traceparent()[2]})
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return seconds


def summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"


def test_a_hanging_or_dead_receiver_slows_no_request(traced: Traced) -> None:
    """Spans are exported off the request path: the figures are printed for the report."""
    service, otlp = traced.service, traced.otlp
    answering = latencies(service)
    try:
        otlp.hang()
        time.sleep(0.5)  # the exporters are now waiting on the receiver
        hanging = latencies(service)
        otlp.stop()
        dead = latencies(service)
    finally:
        otlp.stop()
        otlp.start()  # on the same port, for the tests that run after this one
    print(f"\nreceiver answering: {summary(answering)}")
    print(f"receiver hanging:   {summary(hanging)}")
    print(f"receiver gone:      {summary(dead)}")
    baseline = statistics.median(answering)
    for name, seconds in (("hanging", hanging), ("gone", dead)):
        # A request that waited on the exporter would take its timeout (10 s by default).
        assert max(seconds) < 1.0, (name, summary(seconds))
        assert statistics.median(seconds) < baseline * 3 + 0.02, (name, summary(seconds), baseline)
    assert service.get("/healthz").status_code == 200


def test_an_unhandled_error_reaches_sentry_tagged_and_without_secrets(traced: Traced) -> None:
    service, sentry = traced.service, traced.sentry
    credentials = {
        "authorization": secrets.token_urlsafe(24),
        "sessionid": secrets.token_urlsafe(24),
        "token": secrets.token_urlsafe(24),
    }
    local = secrets.token_urlsafe(24)
    trace_id, _, header = traceparent()
    request_id = f"sentry-{uuid.uuid4()}"
    response = service.get(
        f"/tracing-test/fail/?token={credentials['token']}&page=2",
        headers={
            "Authorization": f"Bearer {credentials['authorization']}",
            "Cookie": f"sessionid={credentials['sessionid']}",
            "X-Request-ID": request_id,
            "X-Test-Local": local,
            "traceparent": header,
        },
    )
    assert response.status_code == 500, response.text

    def event() -> list[dict[str, Any]]:
        return [
            e
            for e in sentry.events()
            if e.get("tags", {}).get("request_id") == request_id and "exception" in e
        ]

    wait_until(event, "the error's event at the Sentry-like receiver")
    reported = event()[0]
    exception = reported["exception"]["values"][-1]
    assert exception["type"] == "RuntimeError", exception
    assert reported["tags"]["trace_id"] == trace_id, reported["tags"]
    raw = b"".join(sentry.envelopes).decode("utf-8", "replace")
    service_secrets = {
        name: value
        for name, value in service.env.items()
        if value and any(word in name for word in ("SECRET", "TOKEN", "PASSWORD", "KEY"))
    }
    secret_values = {**credentials, **service_secrets, "the view's local variable": local[::-1]}
    for name, value in secret_values.items():
        assert value not in raw, f"the event holds {name}"
    assert "page=2" in json.dumps(reported.get("request", {})), reported.get("request")
    # The logs of the same request hold none of the credentials either.
    logged = json.dumps(records_with(service.web.log(), request_id=request_id))
    assert "request_failed" in logged, logged
    for name, value in credentials.items():
        assert value not in logged, f"the request's log lines hold {name}"


def test_a_worker_stopping_gracefully_sends_the_spans_it_still_holds(
    traced: Traced, tmp_path: Path
) -> None:
    """Another gunicorn (1 worker) that would export only every 10 minutes, then SIGTERM.

    The spans of its requests reach the receiver only because worker_exit flushes them.
    """
    service, otlp = traced.service, traced.otlp
    port = free_port()
    env = {
        **service.env,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
    }
    base_url = f"http://127.0.0.1:{port}"
    with service.bake.start("web-flush", entrypoint("web"), tmp_path, env=env) as web:
        web.wait_until(
            lambda: requests.get(f"{base_url}/healthz", timeout=2).status_code == 200,
            timeout=90,
            what="answering /healthz",
        )
        callers = [traceparent() for _ in range(3)]
        for _, _, header in callers:
            response = requests.get(
                f"{base_url}/api/v1/info/", headers={"traceparent": header}, timeout=10
            )
            assert response.status_code == 200, response.text
        sent = {trace_id for trace_id, _, _ in callers}
        time.sleep(1)
        early = [span for span in list(otlp.spans) if span.trace_id in sent]
        assert early == [], "spans left before the worker stopped: nothing here tests the flush"
        web.stop()  # SIGTERM, as a deployment or max_requests recycling stops a worker
    wait_until(
        lambda: sent <= {span.trace_id for span in list(otlp.spans)},
        "the spans the worker sent as it exited",
    )
