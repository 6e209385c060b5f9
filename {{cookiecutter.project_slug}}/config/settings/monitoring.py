"""What monitoring calls: readiness checks, the /metrics token, traces and error reports."""

from config.env import env
from config.validation import validate_otlp_protocol, validate_traces_exporter

# Every readiness check must answer within this many seconds. Besides one per database, /ready
# runs each check named in READINESS_CHECKS: name -> dotted path of a function that raises on
# failure.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
# A worker answers /ready from its last round of checks while that is younger than this.
READINESS_CACHE_SECONDS = env.float("READINESS_CACHE_SECONDS", default=1.0)
READINESS_CHECKS = {"cache": "core.health.checks.check_cache"}

# /metrics asks for "Authorization: Bearer <METRICS_TOKEN>" when a token is set.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Traces (core/tracing.py) follow the standard OTEL_* variables; these libraries' calls become
# spans once OTEL_EXPORTER_OTLP_ENDPOINT names a collector.
TRACING_INSTRUMENTORS = [
    "opentelemetry.instrumentation.django.DjangoInstrumentor",
    "opentelemetry.instrumentation.mysqlclient.MySQLClientInstrumentor",
    "opentelemetry.instrumentation.redis.RedisInstrumentor",
]
validate_traces_exporter(env.str("OTEL_TRACES_EXPORTER", default="otlp"))
validate_otlp_protocol(env.str("OTEL_EXPORTER_OTLP_PROTOCOL", default="http/protobuf"))

# Unhandled errors go to Sentry when a DSN is set (core/error_reporting.py); unset, sentry-sdk
# is not even imported.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
