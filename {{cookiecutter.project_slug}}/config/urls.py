"""Root URL configuration.

/healthz, /ready and /metrics are answered by core.middleware.monitoring before routing, so that
they work for probes that do not send an allowed Host or use HTTPS.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from apps.contexts import CONTEXTS

urlpatterns = [
    path("api/v1/", include("core.api.urls")),
    *(path(f"api/v1/{context}/", include(f"apps.{context}.api.urls")) for context in CONTEXTS),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler400 = "core.api.errors.bad_request"
handler403 = "core.api.errors.permission_denied"
handler404 = "core.api.errors.not_found"
handler500 = "core.api.errors.server_error"
