"""The API under /api/v1/: JSON everywhere, errors in one shape, docs for staff only."""

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_service_info(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/info/")

    assert response.status_code == 200
    assert response.json() == {"name": settings.SERVICE_NAME, "version": settings.SERVICE_VERSION}


def test_unknown_paths_answer_json_404(client: Client) -> None:
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "detail": "Nothing is here."}
    }


def test_api_errors_share_the_error_shape(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/info/", data="{not json", content_type="application/json")

    assert response.status_code == 405
    error = response.json()["error"]
    assert error["status"] == 405
    assert error["code"] == "method_not_allowed"


def test_security_headers_are_set(client: Client) -> None:
    response = client.get("/api/v1/info/")

    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_schema_and_docs_are_closed_to_anonymous_users(api_client: APIClient, path: str) -> None:
    response = api_client.get(path)

    assert response.status_code == 401


def test_schema_and_docs_are_closed_to_non_staff(api_client: APIClient) -> None:
    api_client.force_authenticate(UserFactory.create())

    assert api_client.get("/api/v1/schema/").status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_schema_and_docs_are_open_to_staff(
    api_client: APIClient, staff_user: User, path: str
) -> None:
    api_client.force_authenticate(staff_user)

    response = api_client.get(path)

    assert response.status_code == 200
