"""Root URL configuration: the service's own routes, every app's API, the admin.

Each app in settings.PROJECT_APPS has its api/urls.py served under /api/v1/; its paths start with
the app's own prefix (users/, auth/, billing/, ...). /healthz, /ready and /metrics are answered
by core.middleware.monitoring before routing, so that they work for probes that do not send an
allowed Host or use HTTPS.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("core.api.urls")),
    *(path("api/v1/", include(f"{app}.api.urls")) for app in settings.PROJECT_APPS),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"
