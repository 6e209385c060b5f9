"""The custom user model: e-mail is the login, the admin and manager follow."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.test import Client, RequestFactory

from apps.users.models import User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_project_uses_the_custom_model() -> None:
    assert get_user_model() is User
    assert User.USERNAME_FIELD == "email"


def test_create_user_normalizes_the_email_and_hashes_the_password() -> None:
    user = User.objects.create_user("Ada@EXAMPLE.com", "s3cret-pass-phrase")

    assert user.email == "Ada@example.com"
    assert user.check_password("s3cret-pass-phrase")
    assert not user.is_staff
    assert str(user) == "Ada@example.com"


def test_create_user_needs_an_email() -> None:
    with pytest.raises(ValueError, match="e-mail"):
        User.objects.create_user("", "pw")


def test_create_superuser_sets_the_flags_and_refuses_contradictions() -> None:
    admin = User.objects.create_superuser("root@example.com", "pw-for-root-1")

    assert admin.is_staff
    assert admin.is_superuser
    with pytest.raises(ValueError, match="is_staff"):
        User.objects.create_superuser("x@example.com", "pw", is_staff=False)


def test_users_sign_in_with_their_email() -> None:
    user = UserFactory.create()

    # The request names the client to django-axes, which counts failed sign-ins per address.
    request = RequestFactory().post("/")
    assert authenticate(request, email=user.email, password=PASSWORD) == user
    assert authenticate(request, email=user.email, password="wrong") is None


def test_the_admin_lists_and_edits_users(client: Client) -> None:
    admin = User.objects.create_superuser("admin@example.com", PASSWORD)
    other = UserFactory.create()
    client.force_login(admin)

    listing = client.get("/admin/users/user/?q=example.com")
    change = client.get(f"/admin/users/user/{other.pk}/change/")

    assert listing.status_code == 200
    assert other.email in listing.content.decode()
    assert change.status_code == 200
