"""/metrics: Prometheus text, app and health metrics, and the bearer token."""

import re

import pytest
from django.conf import settings
from django.test import Client, override_settings

from core.middleware.metrics import NOT_RECORDED

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


def sample(text: str, name: str, labels: str) -> float:
    """The value of one sample in Prometheus text; 0 when it is not there."""
    line = re.escape(name + "{" + labels + "}")
    match = re.search(rf"^{line} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_requests_are_counted_and_timed_by_view_method_and_status(client: Client) -> None:
    client.get("/api/v1/info/")

    text = client.get("/metrics").content.decode()

    # What the rules and the dashboard in deploy/observability read.
    by_status = "django_http_responses_total_by_status_view_method_total"
    assert sample(text, by_status, 'method="GET",status="200",view="api:info"') >= 1
    by_view = "django_http_requests_total_by_view_transport_method_total"
    assert sample(text, by_view, 'method="GET",transport="http",view="api:info"') >= 1
    latency = "django_http_requests_latency_seconds_by_view_method_bucket"
    assert sample(text, latency, 'le="+Inf",method="GET",view="api:info"') >= 1
    # What only repeats those labels, or nobody reads, is not written per request.
    for name in NOT_RECORDED:
        assert not re.search(rf"^# HELP {name}(_total)? ", text, re.MULTILINE), name


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
