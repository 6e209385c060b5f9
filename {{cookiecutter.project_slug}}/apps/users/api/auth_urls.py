from django.urls import path

from .auth import ObtainTokenView, RefreshTokenView, RevokeTokenView, VerifyTokenView

app_name = "auth"

urlpatterns = [
    path("token/", ObtainTokenView.as_view(), name="token-obtain"),
    path("token/refresh/", RefreshTokenView.as_view(), name="token-refresh"),
    path("token/verify/", VerifyTokenView.as_view(), name="token-verify"),
    path("token/revoke/", RevokeTokenView.as_view(), name="token-revoke"),
]
