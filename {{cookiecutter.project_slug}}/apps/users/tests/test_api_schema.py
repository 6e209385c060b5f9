"""The auth flow as the served OpenAPI schema documents it, checked against real responses."""

from typing import Any

import pytest
from django.test import Client
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from apps.users.models import User
from core.errors import ERROR_SCHEMA

from .factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_cache")]

TOKEN_PATHS = ["token/", "token/refresh/", "token/verify/", "token/revoke/"]


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    """The schema /api/v1/schema/ serves to staff."""
    client.force_login(User.objects.create_superuser("schema@example.com", PASSWORD))
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    client.logout()
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def validate(schema: dict[str, Any], response: Any) -> None:
    request = DjangoOpenAPIRequest(response.wsgi_request)
    OpenAPI.from_dict(schema).validate_response(request, DjangoOpenAPIResponse(response))


def test_the_schema_documents_bearer_auth_and_the_auth_paths(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]

    assert {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"} in schemes.values()
    for path in TOKEN_PATHS:
        assert "post" in schema["paths"][f"/api/v1/auth/{path}"]
    assert "get" in schema["paths"]["/api/v1/users/me/"]


def test_the_auth_flow_matches_the_schema(client: Client, schema: dict[str, Any]) -> None:
    user = UserFactory.create()
    obtain = client.post(
        "/api/v1/auth/token/",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    validate(schema, obtain)
    tokens = obtain.json()

    me = client.get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    verify = client.post(
        "/api/v1/auth/token/verify/", {"token": tokens["access"]}, content_type="application/json"
    )
    refresh = client.post(
        "/api/v1/auth/token/refresh/",
        {"refresh": tokens["refresh"]},
        content_type="application/json",
    )

    for response in [me, verify, refresh]:
        assert response.status_code == 200
        validate(schema, response)


def test_every_error_is_documented_with_the_error_shape(schema: dict[str, Any]) -> None:
    error = {"$ref": "#/components/schemas/Error"}
    paths = schema["paths"]

    assert schema["components"]["schemas"]["Error"] == ERROR_SCHEMA
    for path in TOKEN_PATHS:
        responses = paths[f"/api/v1/auth/{path}"]["post"]["responses"]
        assert {"400", "401", "415", "429"} <= set(responses), (path, responses.keys())
    assert "401" in paths["/api/v1/info/"]["get"]["responses"], "a bad bearer token gets a 401"
    for item in paths.values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == error


def test_request_bodies_refuse_blank_strings_as_validation_does(schema: dict[str, Any]) -> None:
    request = schema["components"]["schemas"]["TokenObtainPairRequest"]["properties"]

    assert request["email"]["minLength"] == 1
    assert request["password"]["minLength"] == 1


def test_refusals_match_the_schema(
    api_client: APIClient, schema: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    user = UserFactory.create()
    blank = api_client.post("/api/v1/auth/token/", {"email": "", "password": "x"}, format="json")
    wrong = api_client.post(
        "/api/v1/auth/token/", {"email": user.email, "password": "nope"}, format="json"
    )
    bad_refresh = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": "not-a-token"}, format="json"
    )
    throttled = api_client.post("/api/v1/auth/token/verify/", {"token": "x"}, format="json")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    bad_bearer = api_client.get("/api/v1/info/")

    statuses = [r.status_code for r in (blank, wrong, bad_refresh, throttled, bad_bearer)]
    assert statuses == [400, 401, 401, 429, 401]
    for response in [blank, wrong, bad_refresh, throttled, bad_bearer]:
        validate(schema, response)
