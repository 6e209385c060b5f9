"""Root URL configuration: the service's own routes, every app's API, the admin.

Each app in settings.PROJECT_APPS has its api/urls.py served under /api/v1/; its paths start with
the app's own prefix (users/, auth/, billing/, ...) and, like Django's and DRF's, end with a
slash. Any other path under /api/ answers a JSON 404. /healthz, /ready and /metrics are answered
by core.middleware.monitoring before routing, so that they work for probes that do not send an
allowed Host or use HTTPS.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from core.api.views import not_found

admin.site.site_header = f"{settings.SERVICE_NAME} administration"
admin.site.site_title = f"{settings.SERVICE_NAME} admin"

urlpatterns = [
    path("api/v1/", include("core.api.urls")),
    *(path("api/v1/", include(f"{app}.api.urls")) for app in settings.PROJECT_APPS),
    # Last under /api/: unknown paths get the JSON error even where DEBUG would answer HTML.
    re_path(r"^api/", not_found),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"
