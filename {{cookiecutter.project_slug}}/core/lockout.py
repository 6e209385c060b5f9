"""What django-axes asks of the project: whose account an attempt named, and how to refuse it.

The API answers a locked-out client in the shared JSON error shape, the admin with a plain page;
both say in Retry-After how long the lockout lasts.
"""

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.errors import error_response

LOCKED_OUT = "Too many failed sign-ins: try again later."


def attempted_account(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The e-mail address the attempt named (the token endpoint sends "email", the admin form
    "username"), lowercased: MySQL compares e-mail addresses case-insensitively, so "A@x.org"
    and "a@x.org" are one account and must share one count."""
    credentials = credentials or {}
    account = credentials.get("email") or credentials.get("username")
    return account.strip().lower() if isinstance(account, str) else None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """429 with Retry-After: JSON for the API, a plain page for the admin."""
    match = request.resolver_match
    if match is not None and match.app_name == "admin":
        response = HttpResponse(
            f"{LOCKED_OUT}\n", status=429, content_type="text/plain; charset=utf-8"
        )
    else:
        response = error_response(429, "locked_out", LOCKED_OUT)
    response["Retry-After"] = str(math.ceil(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
