"""Routes of the accounts API, under /api/v1/: the JWT endpoints and the signed-in user."""

from django.urls import include, path

from .views import MeView

urlpatterns = [
    path("auth/", include("apps.users.api.auth_urls")),
    path("users/", include(([path("me/", MeView.as_view(), name="me")], "users"))),
]
