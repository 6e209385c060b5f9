"""Serve the endpoints that monitoring calls ahead of host validation and the HTTPS redirect.

Kubelets probe a pod by its IP over plain HTTP, and Prometheus scrapes it the same way. That Host
is not in ALLOWED_HOSTS and the request is not HTTPS, so the usual middleware would answer 400 or
301, and a probe that gets either takes the pod out of service.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core import metrics
from core.errors import error_response
from core.health import views as health

ENDPOINTS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": health.liveness,
    "/ready": health.readiness,
    "/metrics": metrics.export,
}


class MonitoringEndpointsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = ENDPOINTS.get(request.path_info)
        if view is None:
            return self.get_response(request)
        if request.method not in {"GET", "HEAD"}:
            response = error_response(405, "method_not_allowed", "Use GET or HEAD.")
            response["Allow"] = "GET, HEAD"
            return response
        return view(request)
