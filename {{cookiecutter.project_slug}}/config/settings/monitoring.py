"""What monitoring calls: the readiness probe's checks and the bearer token of /metrics."""

from config.env import env

# Every readiness check must answer within this many seconds. Besides one per database, /ready
# runs each check named in READINESS_CHECKS: name -> dotted path of a function that raises on
# failure.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
# A worker answers /ready from its last round of checks while that is younger than this.
READINESS_CACHE_SECONDS = env.float("READINESS_CACHE_SECONDS", default=1.0)
READINESS_CHECKS = {"cache": "core.health.checks.check_cache"}

# /metrics asks for "Authorization: Bearer <METRICS_TOKEN>" when a token is set.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
