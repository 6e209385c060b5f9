"""JWT endpoints, throttled: they are where passwords and tokens get guessed."""

from collections.abc import Sequence

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle
from rest_framework_simplejwt import views

# What verify and revoke answer on success: an empty JSON object.
EMPTY_OBJECT = {"type": "object", "additionalProperties": False, "maxProperties": 0}


class ThrottledAuthView:
    """Limits each client to the "auth" rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]."""

    throttle_classes: Sequence[type[BaseThrottle]] = [ScopedRateThrottle]
    throttle_scope = "auth"


class ObtainTokenView(ThrottledAuthView, views.TokenObtainPairView):
    """E-mail and password in, an access and a refresh token out."""


class RefreshTokenView(ThrottledAuthView, views.TokenRefreshView):
    """A refresh token in, a new pair out; the old refresh token is blacklisted."""


@extend_schema_view(post=extend_schema(responses={200: EMPTY_OBJECT}))
class VerifyTokenView(ThrottledAuthView, views.TokenVerifyView):
    """200 when the token is valid, 401 otherwise."""


@extend_schema_view(post=extend_schema(responses={200: EMPTY_OBJECT}))
class RevokeTokenView(ThrottledAuthView, views.TokenBlacklistView):
    """Sign out: the refresh token can no longer be used."""
