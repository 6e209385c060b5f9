"""Eight users, a staff member with JWT access tokens, as JSON {"users": [...], "staff": ...}."""

import json

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402  (after django.setup())
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

User = get_user_model()
tokens = []
for number in range(8):
    user, _ = User.objects.get_or_create(email=f"load{number}@example.com")
    tokens.append(str(AccessToken.for_user(user)))
staff, _ = User.objects.get_or_create(email="staff@example.com", defaults={"is_staff": True})
print(json.dumps({"users": tokens, "staff": str(AccessToken.for_user(staff))}))
