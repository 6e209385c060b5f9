"""/metrics: Prometheus text, app and health metrics, and the bearer token."""

import pytest
from django.conf import settings
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests"


def test_metrics_include_app_info_and_request_counters(client: Client) -> None:
    client.get("/healthz")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    version_label = f'version="{settings.SERVICE_VERSION}"'
    assert "app_info{" + version_label + "} 1.0" in text
    assert "django_http_requests_before_middlewares_total" in text
    assert "django_db_new_connections_total" in text


def test_readiness_results_are_exported(client: Client) -> None:
    client.get("/ready")

    text = client.get("/metrics").content.decode()

    assert 'health_check_status{check="database:default"} 1.0' in text
    assert 'health_check_status{check="cache"} 1.0' in text
    assert 'health_check_latency_seconds{check="cache"}' in text


@override_settings(METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer é"],
)
def test_metrics_refuse_a_missing_or_wrong_token(client: Client, authorization: str) -> None:
    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "app_info" not in response.content.decode()


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_accept_the_configured_token(client: Client) -> None:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert "app_info" in response.content.decode()
