"""Django's own settings: hosts, apps, middleware, URLs, templates, accounts, time, static files."""

from pathlib import Path

from config.env import env

BASE_DIR = Path(__file__).resolve().parents[2]
SERVICE_NAME = {{ cookiecutter.project_name | py_string }}
SERVICE_VERSION = "{{ cookiecutter.version }}"

# Required everywhere but in tests; prod also refuses weak values (see prod.py).
SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Every package in apps/ with an apps.py is installed, and config/urls.py serves its API, so
# adding or deleting an app's directory is the whole registration.
PROJECT_APPS = sorted(f"apps.{path.parent.name}" for path in (BASE_DIR / "apps").glob("*/apps.py"))

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
    "axes",
    "core",
    *PROJECT_APPS,
]

# django-prometheus' pair (core/middleware/metrics.py: its per-view metrics) wraps everything else
# so its timings cover the whole stack.
MIDDLEWARE = [
    "core.middleware.metrics.PrometheusBeforeMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "core.middleware.request_id.RequestIdHeaderMiddleware",
    "core.middleware.monitoring.MonitoringEndpointsMiddleware",
    # Around everything that may touch the database: a request's reads after its first write
    # go to the primary.
    "core.middleware.read_your_writes.ReadYourWritesMiddleware",
    # Ahead of everything that may answer (HTTPS redirect, WhiteNoise, CommonMiddleware), so
    # those answers carry the CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.csp.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.metrics.PrometheusAfterMiddleware",
    # Last, as axes asks: it turns a locked-out sign-in into core.lockout's answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
