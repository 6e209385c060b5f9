"""Sign-in: failed attempts are counted per account and client address, then locked out (django-axes).

The JWT token endpoint and the admin's login both authenticate through AUTHENTICATION_BACKENDS,
so axes' backend sees both. A locked client is refused even with the right password until the
lockout ends; `manage.py axes_reset_username EMAIL` lifts it early (see the README).
"""

from datetime import timedelta

from config.env import env

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60))
# One account from one address: an attacker elsewhere cannot lock a user out of their own.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "core.lockout.attempted_account"
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"
# LOGIN_FAILURE_LIMIT failures, each within LOGIN_LOCKOUT_SECONDS of the one before, lock; a
# success in between does not reset the count (the token endpoint never calls login(), which
# is what axes listens to). Attempts during a lockout do not prolong it: it ends
# LOGIN_LOCKOUT_SECONDS after the last counted failure, as Retry-After says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failures only: the access log already records every sign-in, and this table would grow forever.
AXES_DISABLE_ACCESS_LOG = True
# No start-up banner: every management command would log it, into output that is data
# (`manage.py db_setup_sql | mysql`).
AXES_VERBOSE = False
