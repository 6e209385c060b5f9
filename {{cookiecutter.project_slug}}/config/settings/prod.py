"""Production: HTTPS only, JSON logs, and a refusal to start on unsafe configuration."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env
from config.validation import validate_allowed_hosts, validate_database_url, validate_secret

from .api import JWT_SIGNING_KEY
from .base import *  # noqa: F403
from .django import ALLOWED_HOSTS, DEBUG, SECRET_KEY
from .monitoring import METRICS_TOKEN

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be false in production: unset it or set DEBUG=false.")
validate_secret("SECRET_KEY", SECRET_KEY, min_length=50)
validate_allowed_hosts(ALLOWED_HOSTS)
validate_database_url(env.str("DATABASE_URL"), env.str("DATABASE_PASSWORD", default=""))
# Without a token /metrics would be public; tokens signed with the JWT key open the whole API.
validate_secret("METRICS_TOKEN", METRICS_TOKEN, min_length=32)
validate_secret(
    "JWT_SIGNING_KEY", JWT_SIGNING_KEY, min_length=50, must_differ_from={"SECRET_KEY": SECRET_KEY}
)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
