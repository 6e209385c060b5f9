"""Celery: broker and results on Redis, JSON only, tasks acknowledged after they finish.

The Celery app (config/celery.py) reads the CELERY_* settings below. Every Django process loads
these settings, so importing the app here makes it the one tasks are sent with, in web
processes and manage.py commands as in workers.
"""

from config.celery import app as celery_app  # noqa: F401
from config.env import env
from config.validation import validate_redis_url

from .cache import REDIS_URL
from .django import TIME_ZONE
from .monitoring import READINESS_CHECKS, TRACING_INSTRUMENTORS

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
    # many seconds; it must exceed the task time limit and the grace period a stopping worker
    # gets before its SIGKILL, or a task still running would run twice.
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
# The request_id of the request that enqueues a task travels with it to the worker's log lines.
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# Each worker serves its task metrics here (core/celery_metrics.py); 0 picks a free port.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=9808)

# /ready checks the broker too.
READINESS_CHECKS = {**READINESS_CHECKS, "broker": "core.health.broker.check_broker"}

# A task enqueued inside a traced request runs as a child span of it, on the worker.
TRACING_INSTRUMENTORS = [
    *TRACING_INSTRUMENTORS,
    "opentelemetry.instrumentation.celery.CeleryInstrumentor",
]
