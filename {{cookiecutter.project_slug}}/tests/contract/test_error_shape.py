"""Every kind of error answers in the one shape of core.errors, whichever layer refuses."""

import json
from typing import Any

import pytest
from django.test import Client, RequestFactory, override_settings
from openapi_core import OpenAPI
from openapi_schema_validator import OAS30Validator
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from apps.users.tests.factories import PASSWORD, UserFactory
from core.errors import ERROR_SCHEMA, server_error

from .conftest import CONTRACTS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_cache")]

TOKEN = "/api/v1/auth/token/"
VALIDATOR = OAS30Validator(ERROR_SCHEMA)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the shared error shape with this status and code; returns the error."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    VALIDATOR.validate(body)
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code, body
    error: dict[str, Any] = body["error"]
    return error


def test_an_anonymous_request_gets_a_401(api_client: APIClient) -> None:
    error = assert_error(api_client.get("/api/v1/users/me/"), 401, "not_authenticated")

    assert error["detail"] == "Authentication credentials were not provided."


def test_a_bad_bearer_token_gets_a_401_with_the_reason_only(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    error = assert_error(api_client.get("/api/v1/info/"), 401, "token_not_valid")

    assert error["detail"] == "Given token not valid for any token type"


def test_a_wrong_password_gets_a_401(api_client: APIClient) -> None:
    user = UserFactory.create()
    response = api_client.post(TOKEN, {"email": user.email, "password": "nope"}, format="json")

    assert_error(response, 401, "no_active_account")


def test_a_refused_field_is_named_in_fields(api_client: APIClient) -> None:
    response = api_client.post(TOKEN, {"email": "", "password": PASSWORD}, format="json")

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"email": ["This field may not be blank."]}


def test_malformed_json_gets_a_400(api_client: APIClient) -> None:
    response = api_client.post(TOKEN, '{"email": ', content_type="application/json")

    assert_error(response, 400, "parse_error")


def test_a_body_that_is_not_json_gets_a_415(api_client: APIClient) -> None:
    response = api_client.post(TOKEN, "email=a", content_type="application/x-www-form-urlencoded")

    assert_error(response, 415, "unsupported_media_type")


def test_a_wrong_method_gets_a_405(api_client: APIClient) -> None:
    response = api_client.delete("/api/v1/info/")

    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_too_many_sign_ins_get_a_429_with_retry_after(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "1/min"})
    api_client.post(TOKEN, {"email": "a@example.com", "password": "x"}, format="json")

    response = api_client.post(TOKEN, {"email": "a@example.com", "password": "x"}, format="json")

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_a_refusal_of_the_schema_is_json_too(api_client: APIClient) -> None:
    """The schema view renders YAML; its refusals are still the JSON error."""
    api_client.force_authenticate(UserFactory.create())

    assert_error(api_client.get("/api/v1/schema/"), 403, "permission_denied")


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_an_unknown_api_path_gets_a_json_404(client: Client, debug: bool) -> None:
    with override_settings(DEBUG=debug):
        response = client.get("/api/v1/no-such-thing/")

    assert_error(response, 404, "not_found")


def test_an_unknown_path_elsewhere_gets_a_json_404(client: Client) -> None:
    assert_error(client.get("/no-such-page/"), 404, "not_found")


def test_a_server_error_gets_a_500() -> None:
    assert_error(server_error(RequestFactory().get("/")), 500, "server_error")


def test_a_csrf_failure_gets_a_403() -> None:
    client = Client(enforce_csrf_checks=True)

    assert_error(client.post("/admin/login/", {"username": "x"}), 403, "csrf_failed")


@override_settings(METRICS_TOKEN="contract-token")
def test_a_scrape_without_the_token_gets_a_401(client: Client) -> None:
    assert_error(client.get("/metrics"), 401, "not_authenticated")


@pytest.mark.parametrize("path", ["/healthz", "/ready", "/metrics"])
def test_monitoring_endpoints_refuse_other_methods_with_a_405(client: Client, path: str) -> None:
    assert_error(client.post(path), 405, "method_not_allowed")


def test_the_contract_describes_the_shape_the_code_answers_with() -> None:
    spec = OpenAPI.from_file_path(str(CONTRACTS / "errors.yaml")).spec

    assert (spec / "components" / "schemas" / "Error").read_value() == ERROR_SCHEMA
