"""JWT endpoints, throttled: they are where passwords and tokens get guessed.

Failed sign-ins also count towards a lockout per account and client address (django-axes,
config/settings/auth.py).
"""

from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework_simplejwt import views

from core.api.throttling import ClientScopedRateThrottle

# What verify and revoke answer on success: an empty JSON object.
EMPTY_OBJECT = {"type": "object", "additionalProperties": False, "maxProperties": 0}


class ThrottledAuthView:
    """Limits each client to the "auth" rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]."""

    throttle_classes: Sequence[type[BaseThrottle]] = [ClientScopedRateThrottle]
    throttle_scope = "auth"


class ObtainTokenView(ThrottledAuthView, views.TokenObtainPairView):
    """E-mail and password in, an access and a refresh token out."""

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        # axes marks the request it authenticated, which is DRF's; its middleware, which turns
        # the mark into the lockout answer, sees Django's.
        for mark in ("axes_locked_out", "axes_credentials"):
            if mark in vars(request):
                setattr(request._request, mark, getattr(request, mark))
        return super().finalize_response(request, response, *args, **kwargs)


class RefreshTokenView(ThrottledAuthView, views.TokenRefreshView):
    """A refresh token in, a new pair out; the old refresh token is blacklisted."""


@extend_schema_view(post=extend_schema(responses={200: EMPTY_OBJECT}))
class VerifyTokenView(ThrottledAuthView, views.TokenVerifyView):
    """200 when the token is valid, 401 otherwise."""


@extend_schema_view(post=extend_schema(responses={200: EMPTY_OBJECT}))
class RevokeTokenView(ThrottledAuthView, views.TokenBlacklistView):
    """Sign out: the refresh token can no longer be used."""
