"""Development: debug pages, readable console logs, open API docs."""

from config.env import env
from core.logging import build_logging_config

from .api import REST_FRAMEWORK, SPECTACULAR_SETTINGS
from .base import *  # noqa: F403
from .logging import LOG_LEVEL

DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}

LOG_FORMAT = env.str("LOG_FORMAT", default="console")
LOGGING = build_logging_config(LOG_FORMAT, LOG_LEVEL)
