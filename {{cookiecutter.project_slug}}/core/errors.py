"""One JSON error shape for every failure: {"error": {"status", "code", "detail"}}.

DRF's exceptions, Django's 400/403/404/500 handlers and CSRF failures all answer with it, so
clients never have to parse an HTML error page.
"""

from typing import Any

from django.http import HttpRequest, JsonResponse
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def error_response(status: int, code: str, detail: Any) -> JsonResponse:
    return JsonResponse(
        {"error": {"status": status, "code": code, "detail": detail}}, status=status
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with its payload wrapped in the shared error shape."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    # A specific code ("no_active_account") when the exception carries one, else its default.
    codes = exc.get_codes() if isinstance(exc, APIException) else None
    code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
    response.data = {
        "error": {"status": response.status_code, "code": code, "detail": response.data}
    }
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(400, "bad_request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(403, "permission_denied", "You do not have permission to do this.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(404, "not_found", "Nothing is here.")


def server_error(request: HttpRequest) -> JsonResponse:
    return error_response(500, "server_error", "Something went wrong on our side.")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return error_response(403, "csrf_failed", "CSRF verification failed.")
