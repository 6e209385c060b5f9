"""One read-your-writes scope per request (see core/database/read_your_writes.py)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.database.read_your_writes import read_your_writes


class ReadYourWritesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with read_your_writes():
            return self.get_response(request)
