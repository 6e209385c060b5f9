"""One JSON error shape for every failure.

    {"error": {"status": 400, "code": "invalid", "detail": "...", "fields": {"email": ["..."]}}}

`detail` is always one sentence for a person; `fields` appears on validation errors only and
maps each refused field (dotted for nested ones) to its messages. DRF's exceptions, Django's
400/403/404/500 handlers, CSRF failures and the monitoring endpoints all answer with it, whatever
the view's renderers, so clients never parse an HTML page or guess at nesting.
"""

from collections.abc import Mapping
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

INVALID_DETAIL = "The request is not valid; see fields."

# The shape as a JSON Schema: the served OpenAPI schema's Error component (core.api.schema)
# and the contracts in contracts/ use it; tests/contract holds every kind of error to it.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["status", "code", "detail"],
            "properties": {
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "code": {
                    "type": "string",
                    "pattern": "^[a-z][a-z0-9_]*$",
                    "description": "Stable and machine-readable: not_authenticated, invalid, ...",
                },
                "detail": {"type": "string", "minLength": 1, "description": "For a person."},
                "fields": {
                    "type": "object",
                    "description": "Validation errors only: messages by field (dotted path).",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}


def error_response(
    status: int, code: str, detail: str, fields: Mapping[str, list[str]] | None = None
) -> JsonResponse:
    error: dict[str, Any] = {"status": status, "code": code, "detail": detail}
    if fields:
        error["fields"] = dict(fields)
    return JsonResponse({"error": error}, status=status)


def field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """A validation error's nested detail as {"field.sub.0": ["message", ...]}."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    key = prefix or api_settings.NON_FIELD_ERRORS_KEY
    if isinstance(detail, list) and all(isinstance(item, str) for item in detail):
        return {key: [str(item) for item in detail]}
    if isinstance(detail, list):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(field_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {key: [str(detail)]}


def describe(exc: exceptions.APIException) -> tuple[str, str]:
    """The code and the one-sentence detail of an exception that is not a validation error.

    Most carry a string; simplejwt's token errors carry {"detail", "code", "messages"}, of which
    the first two are what a client needs.
    """
    detail = exc.detail
    if isinstance(detail, Mapping) and "detail" in detail:
        return str(detail.get("code") or exc.default_code), str(detail["detail"])
    if isinstance(detail, list) and detail:
        detail = detail[0]
    code = getattr(detail, "code", None) or exc.default_code
    return str(code), str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """DRF's handler (status, headers, rollback), answered in the shared error shape."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    # DRF's handler answers nothing else: the two Django exceptions above and its own.
    api_exception = cast(exceptions.APIException, exc)
    if isinstance(api_exception, exceptions.ValidationError):
        error = error_response(
            response.status_code, "invalid", INVALID_DETAIL, field_errors(api_exception.detail)
        )
    else:
        error = error_response(response.status_code, *describe(api_exception))
    # A JsonResponse, not a DRF Response, so the view's renderers (the schema's YAML, the
    # browsable API's HTML) cannot render an error in another format.
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in response:
            error[header] = response[header]
    return error


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
