"""Liveness and readiness probes (see contracts/health.yaml).

/healthz says the process can answer and touches no dependency, so a database outage never gets
healthy pods restarted. /ready says whether the pod should receive traffic: 503 when a dependency
it cannot serve without fails, 200 "degraded" when only the read replica does.
"""

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from core.metrics import HEALTH_CHECK_LATENCY, HEALTH_CHECK_STATUS

from .checks import RecentResults, readiness_status, registered_checks, run_checks

RECENT = RecentResults()


@never_cache
def liveness(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readiness(request: HttpRequest) -> JsonResponse:
    results = RECENT.get(
        settings.READINESS_CACHE_SECONDS,
        lambda: run_checks(registered_checks(), timeout=settings.HEALTH_CHECK_TIMEOUT),
    )
    for result in results:
        HEALTH_CHECK_STATUS.labels(check=result.name).set(1 if result.ok else 0)
        HEALTH_CHECK_LATENCY.labels(check=result.name).set(result.latency_ms / 1000)
    status, code = readiness_status(results)
    body = {"status": status, "checks": {result.name: result.as_dict() for result in results}}
    return JsonResponse(body, status=code)
