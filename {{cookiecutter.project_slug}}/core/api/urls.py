"""Routes under /api/v1/: the service's own views and its OpenAPI schema and docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

{% if cookiecutter.use_celery -%}
from .tasks import HeartbeatView
{% endif -%}
from .views import ServiceInfoView

app_name = "api"

urlpatterns = [
    path("info/", ServiceInfoView.as_view(), name="info"),
{%- if cookiecutter.use_celery %}
    path("heartbeat/", HeartbeatView.as_view(), name="heartbeat"),
{%- endif %}
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
