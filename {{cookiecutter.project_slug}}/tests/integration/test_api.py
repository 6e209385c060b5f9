"""The API under /api/v1/: JSON everywhere, errors in one shape, docs for staff only."""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from rest_framework.test import APIClient

from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_service_info(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/info/")

    assert response.status_code == 200
    assert response.json() == {"name": settings.SERVICE_NAME, "version": settings.SERVICE_VERSION}


def test_the_api_root_lists_its_entry_points(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/")

    assert response.status_code == 200
    entry_points = response.json()
    assert entry_points["api:info"] == "http://testserver/api/v1/info/"
    assert entry_points["users:me"] == "http://testserver/api/v1/users/me/"
    assert entry_points["auth:token-obtain"] == "http://testserver/api/v1/auth/token/"
    assert all(url.startswith("http://testserver/api/v1/") for url in entry_points.values())
    for url in entry_points.values():
        path = url.removeprefix("http://testserver")
        assert api_client.get(path).status_code != 404, path


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_unknown_paths_answer_json_404(client: Client, debug: bool) -> None:
    with override_settings(DEBUG=debug):
        response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "detail": "Nothing is here."}
    }


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_path_without_its_slash_is_a_404_that_names_the_right_one(
    client: Client, method: str
) -> None:
    """Every route ends with a slash; the API redirects nothing (a POST would become a GET)."""
    response = getattr(client, method)("/api/v1/users/me")

    assert response.status_code == 404
    assert "/api/v1/users/me/ " in response.json()["error"]["detail"]


def test_api_errors_share_the_error_shape(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/info/", data="{not json", content_type="application/json")

    assert response.status_code == 405
    error = response.json()["error"]
    assert error["status"] == 405
    assert error["code"] == "method_not_allowed"


def test_the_served_schema_is_valid_and_complete(tmp_path: Path) -> None:
    """drf-spectacular's own validation, with every warning (an unresolved view) an error."""
    schema = tmp_path / "openapi.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))

    assert "/api/v1/users/me/:" in schema.read_text()


def test_security_headers_are_set(client: Client) -> None:
    response = client.get("/api/v1/info/")

    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_content_security_policy_follows_its_settings(client: Client) -> None:
    strict = {"DIRECTIVES": {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=strict):
        changed = client.get("/api/v1/info/")["Content-Security-Policy"]

    assert csp_directives(changed) == {"default-src": "'none'", "frame-ancestors": "'none'"}
    assert "default-src 'self'" in client.get("/api/v1/info/")["Content-Security-Policy"]


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


def csp_directives(header: str) -> dict[str, str]:
    return dict(
        directive.strip().split(" ", 1) for directive in header.split(";") if directive.strip()
    )


def test_the_docs_page_allows_only_its_own_inline_style(client: Client, staff_user: User) -> None:
    client.force_login(staff_user)
    docs = client.get("/api/v1/docs/")
    strict = csp_directives(client.get("/api/v1/info/")["Content-Security-Policy"])
    page = csp_directives(docs["Content-Security-Policy"])

    assert docs.status_code == 200
    styles = re.findall(r"<style>(.*?)</style>", docs.content.decode(), re.DOTALL)
    hashes = [
        base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() for style in styles
    ]
    assert hashes, "the docs page has no inline style to allow"
    assert page.pop("style-src") == " ".join(["'self'", *(f"'sha256-{h}'" for h in hashes)])
    assert page == strict
    assert "style-src" not in strict
    assert "unsafe-inline" not in docs["Content-Security-Policy"]


def test_the_admin_carries_the_service_name(client: Client) -> None:
    page = client.get(f"/{settings.ADMIN_URL}login/").content.decode()

    assert f"<title>Log in | {settings.SERVICE_NAME} admin</title>" in page
    assert f">{settings.SERVICE_NAME} administration</a>" in page
