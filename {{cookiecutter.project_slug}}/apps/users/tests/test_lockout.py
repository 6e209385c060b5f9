"""Failed sign-ins lock out one account from one client address (django-axes), on the token
endpoint and the admin's login alike, for the configured time."""

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import LazySettings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from apps.users.models import User

from .factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_cache")]

TOKEN = "/api/v1/auth/token/"
LIMIT = 3
ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.7"


@pytest.fixture(autouse=True)
def _small_limit(settings: LazySettings) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=10)
    settings.TRUSTED_PROXIES = ["127.0.0.1"]


@pytest.fixture
def user() -> User:
    return UserFactory.create()


def sign_in(email: str, password: str, peer: str = ATTACKER, **headers: Any) -> Any:
    return APIClient().post(
        TOKEN, {"email": email, "password": password}, format="json", REMOTE_ADDR=peer, **headers
    )


def fail(user: User, times: int = LIMIT, peer: str = ATTACKER, **headers: Any) -> list[int]:
    return [sign_in(user.email, "wrong", peer, **headers).status_code for _ in range(times)]


def assert_locked_out(response: Any) -> None:
    assert response.status_code == 429, response.content
    assert response.json()["error"] == {
        "status": 429,
        "code": "locked_out",
        "detail": "Too many failed sign-ins: try again later.",
    }
    assert response["Retry-After"] == "600"


def test_failures_up_to_the_limit_lock_the_account_even_for_the_right_password(
    user: User,
) -> None:
    assert fail(user) == [401] * (LIMIT - 1) + [429]
    assert_locked_out(sign_in(user.email, PASSWORD))


def test_the_lock_counts_the_account_whatever_its_case(user: User) -> None:
    for _ in range(LIMIT):
        sign_in(user.email.upper(), "wrong")
    assert_locked_out(sign_in(user.email, PASSWORD))


def test_another_address_or_another_account_is_unaffected(user: User) -> None:
    other = UserFactory.create()
    fail(user)

    assert sign_in(user.email, PASSWORD, peer=VICTIM).status_code == 200
    assert sign_in(other.email, PASSWORD).status_code == 200


def test_the_lock_ends_after_the_lockout_time(user: User) -> None:
    fail(user)
    # As if the configured time had passed since the last failure.
    last_failure = AccessAttempt.objects.get().attempt_time
    AccessAttempt.objects.update(attempt_time=last_failure - timedelta(minutes=11))

    assert sign_in(user.email, PASSWORD).status_code == 200


def test_forged_forwarding_headers_neither_unlock_nor_lock_out_anyone_else(user: User) -> None:
    fail(user)
    # The attacker pretends to be someone else: still the attacker's lock.
    assert_locked_out(sign_in(user.email, PASSWORD, HTTP_X_FORWARDED_FOR=VICTIM))
    # Its failures "from" the victim's address counted against the attacker alone.
    assert sign_in(user.email, PASSWORD, peer=VICTIM).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_client_is_the_one_locked_out(user: User) -> None:
    assert fail(user, peer="127.0.0.1", HTTP_X_FORWARDED_FOR=ATTACKER) == [401] * (LIMIT - 1) + [
        429
    ]
    assert_locked_out(sign_in(user.email, PASSWORD))
    assert (
        sign_in(user.email, PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR=VICTIM).status_code == 200
    )


def test_the_reset_command_lifts_a_lock(user: User) -> None:
    fail(user)
    call_command("axes_reset_username", user.email)
    assert sign_in(user.email, PASSWORD).status_code == 200


def test_the_admin_login_locks_out_with_a_plain_page() -> None:
    staff = UserFactory.create(is_staff=True)
    client = Client(REMOTE_ADDR=ATTACKER)
    login = reverse("admin:login")
    for _ in range(LIMIT):
        response = client.post(login, {"username": staff.email, "password": "wrong"})

    refused = client.post(login, {"username": staff.email, "password": PASSWORD})
    assert response.status_code == refused.status_code == 429
    assert refused["Content-Type"].startswith("text/plain")
    assert refused["Retry-After"] == "600"
    assert b"Too many failed sign-ins" in refused.content
    # The API's count for that account and address is the same one.
    assert_locked_out(sign_in(staff.email, PASSWORD))
