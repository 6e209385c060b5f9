"""JWT: sign in, use, refresh, verify and revoke tokens; every refusal is a JSON 401."""

import logging
from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from apps.users.models import User

from .factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_cache")]

TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def user() -> User:
    return UserFactory.create()


def sign_in(client: APIClient, user: User) -> dict[str, str]:
    response = client.post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    tokens: dict[str, str] = response.json()
    return tokens


def assert_refused(response: Any, status: int = 401) -> None:
    assert response.status_code == status
    error = response.json()["error"]
    assert error["status"] == status
    assert error["code"]


def test_a_token_opens_the_protected_endpoint(api_client: APIClient, user: User) -> None:
    tokens = sign_in(api_client, user)

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = api_client.get("/api/v1/users/me/")

    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_without_a_token_the_api_is_closed(api_client: APIClient) -> None:
    assert_refused(api_client.get("/api/v1/users/me/"))


def test_a_wrong_password_is_refused(api_client: APIClient, user: User) -> None:
    response = api_client.post(TOKEN, {"email": user.email, "password": "nope"}, format="json")

    assert_refused(response)
    assert response.json()["error"]["code"] == "no_active_account"


def test_an_expired_token_is_refused(api_client: APIClient, user: User) -> None:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert_refused(api_client.get("/api/v1/users/me/"))


def test_a_tampered_token_is_refused(api_client: APIClient, user: User) -> None:
    header, payload, signature = sign_in(api_client, user)["access"].split(".")
    tampered = f"{header}.{payload}.{signature[::-1]}"

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tampered}")

    assert_refused(api_client.get("/api/v1/users/me/"))


def test_refresh_rotates_and_blacklists_the_old_refresh_token(
    api_client: APIClient, user: User
) -> None:
    first = sign_in(api_client, user)["refresh"]

    rotated = api_client.post(f"{TOKEN}refresh/", {"refresh": first}, format="json")
    reused = api_client.post(f"{TOKEN}refresh/", {"refresh": first}, format="json")

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert_refused(reused)


def test_a_revoked_refresh_token_is_refused(api_client: APIClient, user: User) -> None:
    refresh = sign_in(api_client, user)["refresh"]

    revoked = api_client.post(f"{TOKEN}revoke/", {"refresh": refresh}, format="json")

    assert revoked.status_code == 200
    assert_refused(api_client.post(f"{TOKEN}refresh/", {"refresh": refresh}, format="json"))


def test_verify_tells_valid_from_invalid(api_client: APIClient, user: User) -> None:
    access = sign_in(api_client, user)["access"]

    good = api_client.post(f"{TOKEN}verify/", {"token": access}, format="json")
    bad = api_client.post(f"{TOKEN}verify/", {"token": access + "x"}, format="json")

    assert good.status_code == 200
    assert_refused(bad)


def test_sign_in_is_throttled(
    api_client: APIClient, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DRF reads the rates once, at import; the cache (Redis) holds each client's history.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    statuses = [
        api_client.post(TOKEN, {"email": user.email, "password": "nope"}, format="json").status_code
        for _ in range(4)
    ]

    assert statuses == [401, 401, 401, 429]


def test_a_forged_forwarding_header_gets_no_fresh_throttle_bucket(
    api_client: APIClient, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    statuses = [
        api_client.post(
            TOKEN,
            {"email": f"nobody{number}@example.com", "password": "nope"},
            format="json",
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}",
        ).status_code
        for number in range(4)
    ]

    assert statuses == [401, 401, 401, 429]


def test_passwords_and_tokens_never_reach_the_logs(
    api_client: APIClient, user: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api_client.post(TOKEN, {"email": user.email, "password": "wrong-pass-123"}, format="json")
    tokens = sign_in(api_client, user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}x")
    api_client.get("/api/v1/users/me/")
    api_client.post(f"{TOKEN}refresh/", {"refresh": tokens["refresh"] + "x"}, format="json")

    logged = caplog.text + "".join(repr(record.msg) for record in caplog.records)
    assert "request_finished" in logged
    for value in ["wrong-pass-123", PASSWORD, tokens["access"], tokens["refresh"]]:
        assert value not in logged
