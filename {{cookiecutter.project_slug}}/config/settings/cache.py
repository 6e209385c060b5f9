"""Redis: the cache, and sessions in it. Short socket timeouts keep a dead Redis from hanging requests."""

from config.env import env
from config.validation import validate_redis_url

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
