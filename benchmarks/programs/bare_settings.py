"""Benchmark only: the bake's production settings with the middleware `startproject` writes.

The overhead figure is what the template costs over Django: the bake's MIDDLEWARE against
Django's own list (security, sessions, common, CSRF, authentication, messages, clickjacking),
everything else as in production. A middleware of that list missing from the bake's stops the
benchmark instead of measuring a stack that is not Django's.
"""

from config.settings.prod import *  # noqa: F403
from config.settings.prod import MIDDLEWARE
from startproject import STARTPROJECT_MIDDLEWARE

missing = [name for name in STARTPROJECT_MIDDLEWARE if name not in MIDDLEWARE]
if missing:
    raise SystemExit(f"{missing} not in the bake's MIDDLEWARE")
MIDDLEWARE = list(STARTPROJECT_MIDDLEWARE)
