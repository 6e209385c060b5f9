"""Routes under /api/v1/ that belong to the service itself rather than to one of its apps."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .docs import docs_view
{% if cookiecutter.use_celery -%}
from .heartbeat import HeartbeatView
{% endif -%}
from .views import ApiRootView, ServiceInfoView

app_name = "api"

urlpatterns = [
    path("", ApiRootView.as_view(), name="root"),
    path("info/", ServiceInfoView.as_view(), name="info"),
{%- if cookiecutter.use_celery %}
    path("heartbeat/", HeartbeatView.as_view(), name="heartbeat"),
{%- endif %}
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs_view(), name="docs"),
]
