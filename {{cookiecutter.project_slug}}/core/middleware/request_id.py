"""Echo the request id, so a client can quote it when reporting a problem."""

from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse
from django.utils.log import log_response

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdHeaderMiddleware:
    """Copy the request_id that django-structlog bound for this request into the response.

    django-structlog keeps an incoming X-Request-ID (or generates one) and logs it with every
    line of the request; this middleware must come after its RequestMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        response = self.get_response(request)
        if response.status_code >= 400:
            # Django logs an error response after the whole middleware chain has returned, when
            # django-structlog has already unbound the request_id; log it here instead.
            log_response(
                "%s: %s", response.reason_phrase, request.path, response=response, request=request
            )
        if request_id:
            response[REQUEST_ID_HEADER] = request_id
        return response
