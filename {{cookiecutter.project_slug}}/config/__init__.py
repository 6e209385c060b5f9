"""The composition root: settings, URL configuration and the WSGI and ASGI entry points.

It is the only package that imports apps/, shared/ and core/ together; nothing imports it.
"""
{%- if cookiecutter.use_celery %}

from .celery import app as celery_app

__all__ = ["celery_app"]
{%- endif %}
