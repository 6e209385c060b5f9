"""gunicorn settings; gunicorn reads this file from the working directory on every start.

Everything a deployment tunes comes from the environment (or .env): GUNICORN_HOST, PORT,
WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_GRACEFUL_TIMEOUT,
GUNICORN_MAX_REQUESTS, GUNICORN_MAX_REQUESTS_JITTER, GUNICORN_ACCESS_LOG, LOG_FORMAT, LOG_LEVEL
and PROMETHEUS_MULTIPROC_DIR. Traces follow the OTEL_* variables (core/tracing.py).
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import environ

PROJECT_DIR = Path(__file__).resolve().parent
# The same .env that Django's settings read; real environment variables win.
environ.Env.read_env(PROJECT_DIR / ".env")
env = environ.Env()

# Prometheus multiprocess mode: each worker writes samples here and /metrics merges them.
# prometheus_client picks its storage when first imported, so this must come before any import
# of it, here and in the workers.
metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="prometheus-")
)

# gunicorn's console script does not put the project on sys.path before reading this file.
sys.path.insert(0, str(PROJECT_DIR))
from core.logging import build_logging_config  # noqa: E402

wsgi_app = "config.wsgi:application"
# Every interface by default, as a container needs; `make serve` sets loopback.
bind_host = env.str("GUNICORN_HOST", default="0.0.0.0")  # noqa: S104  # a container's port is published
bind = f"{bind_host}:{env.int('PORT', default=8000)}"
workers = env.int("WEB_CONCURRENCY", default=2)
threads = env.int("GUNICORN_THREADS", default=1)
timeout = env.int("GUNICORN_TIMEOUT", default=30)
# On SIGTERM (the process stopping) or SIGHUP (a reload), workers finish the requests they hold
# for up to this long before they are killed; whatever stops the process must wait longer than
# this before its SIGKILL.
graceful_timeout = env.int("GUNICORN_GRACEFUL_TIMEOUT", default=30)
keepalive = 5
# Recycle workers now and then, so a slow leak never takes a pod down. Not too often: a new
# worker imports Django again (a second or so of CPU), and each dead worker leaves its metrics
# files behind for /metrics to merge; at 2000, a loaded worker restarted every few seconds.
max_requests = env.int("GUNICORN_MAX_REQUESTS", default=20000)
max_requests_jitter = env.int("GUNICORN_MAX_REQUESTS_JITTER", default=2000)
# Trust X-Forwarded-* only from a proxy in the same pod or on the host.
forwarded_allow_ips = env.str("FORWARDED_ALLOW_IPS", default="127.0.0.1,::1")
# The control socket lives under $HOME, which a read-only container filesystem cannot hold.
control_socket_disable = True

log_level = env.str("LOG_LEVEL", default="INFO")
logconfig_dict = build_logging_config(env.str("LOG_FORMAT", default="json"), log_level)
# Django's request_finished line is the access log; GUNICORN_ACCESS_LOG=true adds gunicorn's.
access_log_level = "INFO" if env.bool("GUNICORN_ACCESS_LOG", default=False) else "WARNING"
logconfig_dict["loggers"].update(
    {
        "gunicorn.error": {"handlers": ["stdout"], "level": log_level, "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": access_log_level, "propagate": False},
    }
)


def on_starting(server: Any) -> None:
    """Start from an empty metrics directory: old files would count a previous run."""
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Stop counting a dead worker's live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def post_fork(server: Any, worker: Any) -> None:
    """Start tracing in the new worker: the exporter's thread must not cross the fork.

    Django is set up first, so the worker's log lines are structlog's JSON from the start, and
    the instrumentations patch Django's middleware before the WSGI app loads it.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    import django

    django.setup()
    from core.tracing import start_tracing

    start_tracing()


def worker_exit(server: Any, worker: Any) -> None:
    """Send the spans a worker still holds before it goes (SIGTERM, max_requests recycling)."""
    from core.tracing import stop_tracing

    stop_tracing()
