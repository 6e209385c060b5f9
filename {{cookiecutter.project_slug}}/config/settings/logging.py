"""Logging: structlog renders every record, Django's and the libraries' included (core/logging.py)."""

import logging

from config.env import env
from core.logging import build_logging_config

LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = build_logging_config(LOG_FORMAT, LOG_LEVEL)
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
# core/access_log.py binds the client's address as lockout reads it (core/client_ip.py);
# django-structlog's own would be parsed on every request only to be overwritten.
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
# request_finished is the access line; request_started would double every request.
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
