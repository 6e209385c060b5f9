"""Benchmark only: the bake's production settings without its observability middleware.

What the overhead figure takes away: request id, access log, metrics and security headers.
Sessions, CSRF, authentication and messages stay, because the views need them. The middleware
is picked by module, so a renamed or added one is taken away too, and a prefix that matches
nothing stops the benchmark instead of measuring a stack that lost nothing.
"""

from config.settings.prod import *  # noqa: F403
from config.settings.prod import MIDDLEWARE

OBSERVABILITY = (
    "django_prometheus.",
    "django_structlog.",
    "core.middleware.request_id.",
    "django.middleware.security.",
    "csp.",
    "django_permissions_policy.",
    "django.middleware.clickjacking.",
)
unmatched = [
    prefix for prefix in OBSERVABILITY if not any(m.startswith(prefix) for m in MIDDLEWARE)
]
if unmatched:
    raise SystemExit(f"no middleware of {unmatched} in the bake's MIDDLEWARE")
MIDDLEWARE = [name for name in MIDDLEWARE if not name.startswith(OBSERVABILITY)]
