"""The auth flow as the served OpenAPI schema documents it, checked against real responses."""

from typing import Any

import pytest
from django.test import Client
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

from apps.users.models import User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


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
    for path in ["token/", "token/refresh/", "token/verify/", "token/revoke/"]:
        assert "post" in schema["paths"][f"/api/v1/auth/{path}"]
    assert "get" in schema["paths"]["/api/v1/users/me"]


def test_the_auth_flow_matches_the_schema(client: Client, schema: dict[str, Any]) -> None:
    user = UserFactory.create()
    obtain = client.post(
        "/api/v1/auth/token/",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    validate(schema, obtain)
    tokens = obtain.json()

    me = client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
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
