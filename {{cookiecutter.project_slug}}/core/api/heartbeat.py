"""POST /api/v1/heartbeat/: staff enqueue the heartbeat task."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.tasks import heartbeat


class HeartbeatView(APIView):
    """Enqueue the heartbeat task: staff can prove the worker path end to end after a deploy."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        request=None,
        responses={202: inline_serializer("TaskAccepted", {"task_id": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        result = heartbeat.delay()
        return Response({"task_id": result.id}, status=202)
