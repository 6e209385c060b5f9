"""Password guessing against the default bake under gunicorn on real MariaDB and Redis.

The web process runs as the image runs it (`docker/entrypoint.sh web`, production settings),
with a short lockout and throttle set through the environment. Clients connect from distinct
loopback addresses: 127.0.0.2 is the one proxy the service trusts (FORWARDED_ALLOW_IPS), and
the others are clients that reach gunicorn directly and send whatever X-Forwarded-For they
like. What is proven:

* forged forwarding headers get no fresh throttle bucket, while the address a trusted proxy
  appends does count as the client;
* LOGIN_FAILURE_LIMIT failures lock one account out from one address, the right password is
  then refused with a JSON 429 and Retry-After, the lock ends after LOGIN_LOCKOUT_SECONDS, and
  other addresses and accounts are unaffected, forged headers or not;
* the admin's login locks out the same way, with a plain page.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import pytest
from support.bakes import Bake
from support.servers import free_port
from test_behaviour import entrypoint, prepare_release, production_env

pytestmark = pytest.mark.slow

LIMIT = 3
LOCKOUT_SECONDS = 4
THROTTLE = 8
PROXY = "127.0.0.2"
TOKEN = "/api/v1/auth/token/"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Web:
    """The baked gunicorn, reached from any loopback address."""

    port: int
    password: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        source: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(source, 0)
        )
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def sign_in(
        self, email: str, password: str, *, source: str, forwarded: str | None = None
    ) -> Answer:
        headers = {"Content-Type": "application/json"}
        if forwarded is not None:
            headers["X-Forwarded-For"] = forwarded
        body = json.dumps({"email": email, "password": password}).encode()
        return self.request("POST", TOKEN, source=source, body=body, headers=headers)

    def via_proxy(self, client: str, email: str, password: str, forged: str = "") -> Answer:
        """A sign-in relayed by the trusted proxy, which appends the client's address to
        whatever X-Forwarded-For the client sent (`forged`)."""
        forwarded = f"{forged}, {client}" if forged else client
        return self.sign_in(email, password, source=PROXY, forwarded=forwarded)


def create_user(bake: Bake, env: Mapping[str, str | None], email: str, password: str) -> None:
    answers = {"DJANGO_SUPERUSER_EMAIL": email, "DJANGO_SUPERUSER_PASSWORD": password}
    bake.manage("createsuperuser", "--noinput", env={**env, **answers})


ACCOUNTS = ("alice@example.com", "bob@example.com", "staff@example.com")


@pytest.fixture(scope="module")
def web(default_bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    run_dir = tmp_path_factory.mktemp("brute-force")
    port = free_port()
    env = production_env(
        default_bake,
        port,
        {
            "GUNICORN_HOST": "127.0.0.1",
            "LOGIN_FAILURE_LIMIT": str(LIMIT),
            "LOGIN_LOCKOUT_SECONDS": str(LOCKOUT_SECONDS),
            "AUTH_THROTTLE_RATE": f"{THROTTLE}/min",
            "FORWARDED_ALLOW_IPS": PROXY,
        },
    )
    metrics_dir = run_dir / "prometheus"
    metrics_dir.mkdir()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    prepare_release(default_bake, env)
    password = secrets.token_urlsafe(18)
    for email in ACCOUNTS:
        create_user(default_bake, env, email, password)
    with default_bake.start("web", entrypoint("web"), run_dir, env=env) as process:
        running = Web(port, password)
        process.wait_until(
            lambda: running.request("GET", "/healthz", source="127.0.0.1").status == 200,
            timeout=90,
            what="answering /healthz",
        )
        yield running


def assert_locked_out(answer: Answer) -> None:
    assert answer.status == 429, answer.body
    assert answer.json()["error"]["code"] == "locked_out", answer.body
    assert answer.headers["Retry-After"] == str(LOCKOUT_SECONDS)


def test_forged_forwarding_headers_get_no_fresh_throttle_bucket(web: Web) -> None:
    direct = [
        web.sign_in(
            f"nobody{n}@example.com", "x", source="127.0.0.3", forwarded=f"198.51.100.{n}"
        ).status
        for n in range(THROTTLE + 1)
    ]
    relayed = [
        web.via_proxy("203.0.113.5", f"nobody{n}@example.com", "x", forged=f"198.51.100.{n}").status
        for n in range(THROTTLE + 1)
    ]
    # The address the trusted proxy appended is the client: another one has its own bucket.
    other_client = web.via_proxy("203.0.113.6", "nobody@example.com", "x").status

    assert direct == [401] * THROTTLE + [429]
    assert relayed == [401] * THROTTLE + [429]
    assert other_client == 401


def test_failures_lock_one_account_from_one_address_until_the_lockout_ends(web: Web) -> None:
    alice, bob = ACCOUNTS[:2]
    attacker, victim = "203.0.113.20", "203.0.113.21"
    failures = [web.via_proxy(attacker, alice, "wrong").status for _ in range(LIMIT)]
    locked_at = time.monotonic()

    assert failures == [401] * (LIMIT - 1) + [429]
    assert_locked_out(web.via_proxy(attacker, alice, web.password))
    # Claiming to be the victim changes nothing: the proxy appended the attacker's address.
    assert_locked_out(web.via_proxy(attacker, alice, web.password, forged=victim))
    assert web.via_proxy(victim, alice, web.password).status == 200
    assert web.via_proxy(attacker, bob, web.password).status == 200

    time.sleep(max(0.0, locked_at + LOCKOUT_SECONDS + 0.5 - time.monotonic()))
    assert web.via_proxy(attacker, alice, web.password).status == 200


def test_a_direct_client_forging_the_header_locks_out_only_itself(web: Web) -> None:
    bob, attacker = ACCOUNTS[1], "127.0.0.4"
    victim = "203.0.113.30"
    for _ in range(LIMIT):
        web.sign_in(bob, "wrong", source=attacker, forwarded=victim)

    assert_locked_out(web.sign_in(bob, web.password, source=attacker, forwarded="203.0.113.31"))
    assert web.via_proxy(victim, bob, web.password).status == 200


def test_the_admin_login_locks_out_with_a_plain_page(web: Web) -> None:
    staff, client = ACCOUNTS[2], "203.0.113.40"
    form = web.request("GET", "/admin/login/", source=PROXY, headers={"X-Forwarded-For": client})
    assert form.status == 200, form.body[:500]
    cookie: SimpleCookie = SimpleCookie()
    for header in form.headers.get_all("Set-Cookie") or []:
        cookie.load(header)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    assert token, form.body[:500]
    assert "csrftoken" in cookie, form.headers

    def log_in(password: str) -> Answer:
        body = urlencode(
            {"username": staff, "password": password, "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        return web.request(
            "POST",
            "/admin/login/",
            source=PROXY,
            body=body,
            headers={
                "X-Forwarded-For": client,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie['csrftoken'].value}",
            },
        )

    statuses = [log_in("wrong").status for _ in range(LIMIT)]
    refused = log_in(web.password)

    assert statuses == [200] * (LIMIT - 1) + [429]
    assert refused.status == 429
    assert refused.headers["Content-Type"].startswith("text/plain")
    assert refused.headers["Retry-After"] == str(LOCKOUT_SECONDS)
    assert b"Too many failed sign-ins" in refused.body
