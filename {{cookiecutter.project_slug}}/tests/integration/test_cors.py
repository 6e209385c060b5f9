"""CORS: the API answers cross-origin browsers only for origins the environment names."""

from collections.abc import Mapping

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.example.com"


def preflight(client: Client, origin: str) -> Mapping[str, str]:
    """The response headers of a browser's preflight request (names are case-insensitive)."""
    response = client.options(
        "/api/v1/info/",
        headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
    )
    return response.headers


def test_no_origin_is_allowed_by_default(client: Client) -> None:
    assert "Access-Control-Allow-Origin" not in preflight(client, ORIGIN)


@override_settings(CORS_ALLOWED_ORIGINS=[ORIGIN])
def test_a_configured_origin_is_allowed_and_no_other(client: Client) -> None:
    assert preflight(client, ORIGIN)["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in preflight(client, "https://evil.example.com")
