"""django-prometheus' request metrics, less the ones that only repeat another's labels.

Under gunicorn every sample a request writes is a write to a memory-mapped file, and its
middleware writes sixteen per request. The rules and dashboard in deploy/observability read
the per-view counts and latency; the totals by method, by transport and by status alone are
sums of the per-view ones, and the body-size histograms and charset counts answer questions
nobody asks here. These are not registered at all, so /metrics does not list them; every other
django-prometheus metric is kept as it is.
"""

from typing import Any

from django_prometheus import middleware

NOT_RECORDED = frozenset(
    {
        "django_http_requests_latency_including_middlewares_seconds",
        "django_http_requests_total_by_method",
        "django_http_requests_total_by_transport",
        "django_http_requests_body_total_bytes",
        "django_http_responses_total_by_status",
        "django_http_responses_body_total_bytes",
        "django_http_responses_total_by_charset",
    }
)


class Unrecorded:
    """Takes the calls django-prometheus makes on a metric and records nothing."""

    def labels(self, *args: object, **kwargs: object) -> "Unrecorded":
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass


class RequestMetrics(middleware.Metrics):  # type: ignore[misc]  # django-prometheus is untyped
    def register_metric(
        self, metric_cls: type, name: str, documentation: str, labelnames: Any = (), **kwargs: Any
    ) -> Any:
        if name in NOT_RECORDED:
            return Unrecorded()
        return super().register_metric(metric_cls, name, documentation, labelnames, **kwargs)


class PrometheusBeforeMiddleware(middleware.PrometheusBeforeMiddleware):  # type: ignore[misc]
    metrics_cls = RequestMetrics


class PrometheusAfterMiddleware(middleware.PrometheusAfterMiddleware):  # type: ignore[misc]
    metrics_cls = RequestMetrics
