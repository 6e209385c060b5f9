"""Service-level API views: the API's root, the service's name and version, and unknown paths."""

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import error_response

API_PREFIX = "/api/v1/"


def url_names(patterns: list[URLPattern | URLResolver], namespace: str = "") -> list[str]:
    """Namespaced names of the routes without path parameters, in the order they are tried."""
    names = []
    for pattern in patterns:
        if not isinstance(pattern.pattern, RoutePattern) or pattern.pattern.converters:
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += url_names(pattern.url_patterns, inner)
        elif pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


class ApiRootView(APIView):
    """Every entry point of the API by URL name, so a client can start from /api/v1/."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: {
                "type": "object",
                "additionalProperties": {"type": "string", "format": "uri"},
                "example": {"api:info": "https://example.com/api/v1/info/"},
            }
        }
    )
    def get(self, request: Request) -> Response:
        entry_points = {}
        for name in url_names(get_resolver().url_patterns):
            path = reverse(name)
            if path.startswith(API_PREFIX) and path != request.path:
                entry_points[name] = request.build_absolute_uri(path)
        return Response(entry_points)


class ServiceInfoView(APIView):
    """Name and version of the running service, for clients and deploy checks."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "ServiceInfo",
            {"name": serializers.CharField(), "version": serializers.CharField()},
        )
    )
    def get(self, request: Request) -> Response:
        return Response({"name": settings.SERVICE_NAME, "version": settings.SERVICE_VERSION})


@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    """Any other path under /api/: a JSON 404 in every environment, naming the slashed path
    when that one exists (the API redirects nothing: a redirect turns a POST into a GET)."""
    detail = "Nothing is here."
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            detail = f"Nothing is here; did you mean {request.path}/ (with the slash)?"
    return error_response(404, "not_found", detail)
