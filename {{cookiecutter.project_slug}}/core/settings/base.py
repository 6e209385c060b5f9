"""Settings shared by every environment, read from the environment (12-factor).

A `.env` file in the project root is read when present; real environment variables win over it.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from apps.contexts import CONTEXTS
from core.logging import build_logging_config
from core.utils.validators import validate_redis_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SERVICE_NAME = {{ cookiecutter.project_name | py_string }}

env = environ.Env()
env.read_env(BASE_DIR / ".env")

# Required everywhere but in tests; prod also refuses weak values (see prod.py).
SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Browsers on these origins (scheme://host[:port]) may call the API from their own pages
# (django-cors-headers). None by default: pages of the same site, and servers that call the
# API, need none.
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "django_structlog",
    "core",
    "apps.users",
    *(f"apps.{context}" for context in CONTEXTS),
]

# django-prometheus' pair wraps everything else so its timings cover the whole stack.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "core.middleware.logging.RequestIdHeaderMiddleware",
    "core.middleware.monitoring.MonitoringEndpointsMiddleware",
    # Ahead of everything that may answer (HTTPS redirect, WhiteNoise, CommonMiddleware), so
    # those answers carry the CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "{{ cookiecutter.project_slug }}.urls"
WSGI_APPLICATION = "{{ cookiecutter.project_slug }}.wsgi.application"
ADMIN_URL = env.str("ADMIN_URL", default="admin/")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: MySQL 8 (or MariaDB) through mysqlclient, wrapped by django-prometheus for metrics.
DATABASE_ENGINE = "django_prometheus.db.backends.mysql"
DATABASE_OPTIONS = {
    "charset": "utf8mb4",
    "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
    "isolation_level": "read committed",
    "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=3),
}
# The server aborts a statement that runs longer (core/database.py); 0 turns the limit off.
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=5.0)


def database_from_url(variable: str) -> dict[str, Any]:
    """One DATABASES entry: persistent connections, checked before reuse, utf8mb4 test tables."""
    try:
        config: dict[str, Any] = env.db_url(variable, engine=DATABASE_ENGINE)
    except ValueError:  # e.g. a port that is not a number; the URL itself holds a password
        raise ImproperlyConfigured(f"{variable} is not a valid database URL.") from None
    config.update(
        {
            "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {**DATABASE_OPTIONS, **config.get("OPTIONS", {})},
            "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
        }
    )
    return config


DATABASES = {"default": database_from_url("DATABASE_URL")}
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = database_from_url("DATABASE_REPLICA_URL")
    # Tests see one database: the replica alias reads the primary's test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache and sessions. Short socket timeouts keep a dead Redis from hanging requests.
REDIS_URL = env.str("REDIS_URL")
validate_redis_url("REDIS_URL", REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"

AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="{{ cookiecutter.timezone }}")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Security headers beyond SecurityMiddleware's.
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
CSRF_FAILURE_VIEW = "core.api.errors.csrf_failure"

# Django REST framework: JSON in, JSON out, one error shape everywhere.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_RATES": {"auth": env.str("AUTH_THROTTLE_RATE", default="20/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SERVICE_NAME} API",
    "DESCRIPTION": {{ cookiecutter.description | py_string }},
    "VERSION": "{{ cookiecutter.version }}",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page are for staff; dev settings open them up.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# JWT for the API: short-lived access tokens, rotated refresh tokens that are blacklisted once
# used. The signing key is separate from SECRET_KEY, so either can be rotated alone.
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="")
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# Readiness: every check must answer within this many seconds. Besides one per database,
# /ready runs each check named here: name -> dotted path of a function that raises on failure.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
# A worker answers /ready from its last round of checks while that is younger than this.
READINESS_CACHE_SECONDS = env.float("READINESS_CACHE_SECONDS", default=1.0)
READINESS_CHECKS = {"cache": "core.health.checks.check_cache"}
{%- if cookiecutter.use_celery %}

# Celery: broker and results on Redis, JSON only, tasks acknowledged after they finish.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
validate_redis_url("CELERY_BROKER_URL", CELERY_BROKER_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task whose whole worker vanished (SIGKILL, OOM, lost node) is delivered again after this
    # many seconds; it must exceed the task time limit, or a long task would run twice.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=10 * 60),
    # Every worker looks for such tasks every 10 s (kombu's default looks every 100 s).
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "core.tasks.heartbeat", "schedule": 60.0},
}
DJANGO_STRUCTLOG_CELERY_ENABLED = True
READINESS_CHECKS["broker"] = "core.health.broker.check_broker"
# Each worker serves its task metrics here (core/celery_metrics.py); 0 picks a free port.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=9808)
{%- endif %}

# /metrics asks for "Authorization: Bearer <METRICS_TOKEN>" when a token is set.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Logging: structlog renders every record, Django's and libraries' included.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = build_logging_config(LOG_FORMAT, LOG_LEVEL)
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = True
# request_finished is the access line; request_started would double every request.
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = 10  # logging.DEBUG
