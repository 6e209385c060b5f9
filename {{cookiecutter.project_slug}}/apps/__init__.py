"""The project's Django apps: users (accounts) and one app per bounded context.

Every package here with an apps.py is installed (config/settings/django.py) and has its
api/urls.py served under /api/v1/ (config/urls.py).
"""
