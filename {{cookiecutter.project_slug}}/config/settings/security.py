"""Who the client is, and browser security beyond SecurityMiddleware's defaults: CORS, CSP,
Permissions-Policy and friends.

HTTPS-only settings (redirect, HSTS, secure cookies) are production's; see prod.py.
"""

from config.env import env
from config.validation import validate_networks

# The proxies whose X-Forwarded-For is believed (core/client_ip.py): addresses or networks, the
# same variable gunicorn reads, so the two never disagree. Throttling, sign-in lockout and the
# logs take the client's address from it.
TRUSTED_PROXIES: list[str] = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"])
validate_networks("FORWARDED_ALLOW_IPS", TRUSTED_PROXIES)

# Browsers on these origins (scheme://host[:port]) may call the API from their own pages
# (django-cors-headers). None by default: pages of the same site, and servers that call the
# API, need none.
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": [],
    "geolocation": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A refused CSRF check answers in the JSON error shape, like every other failure.
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
