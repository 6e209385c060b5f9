"""Service-level API views."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


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
