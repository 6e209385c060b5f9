"""Application metrics and the /metrics endpoint (see contracts/metrics.yaml).

django-prometheus supplies request, database and cache metrics; this module adds the version,
the readiness checks and the read replica's lag and fallbacks. Under gunicorn every worker writes
its samples to PROMETHEUS_MULTIPROC_DIR and the export merges them, so a scrape sees the whole
pod, whichever worker answers it.
"""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import Counter, Gauge

from core.errors import error_response

APP_INFO = Gauge(
    "app_info",
    "The running service's version, as a label; the value is always 1.",
    ["version"],
    multiprocess_mode="max",
)
HEALTH_CHECK_STATUS = Gauge(
    "health_check_status",
    "1 when the readiness check last passed, 0 when it failed.",
    ["check"],
    multiprocess_mode="mostrecent",
)
HEALTH_CHECK_LATENCY = Gauge(
    "health_check_latency_seconds",
    "How long the readiness check last took: a round trip to the dependency it checks.",
    ["check"],
    multiprocess_mode="mostrecent",
)
REPLICA_LAG = Gauge(
    "database_replica_lag_seconds",
    "How far the read replica was behind the primary when last measured; +Inf while "
    "replication is stopped.",
    ["alias"],
    multiprocess_mode="mostrecent",
)
REPLICA_FALLBACK_READS = Counter(
    "database_replica_fallback_reads",
    "Reads sent to the primary because the replica was unreachable or lagging.",
    ["reason"],
)


def export(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; asks for the bearer METRICS_TOKEN when one is configured."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").encode()
    if token and not hmac.compare_digest(given, f"Bearer {token}".encode()):
        response = error_response(401, "not_authenticated", "A valid bearer token is required.")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    metrics: HttpResponse = ExportToDjangoView(request)
    return metrics
