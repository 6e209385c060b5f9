"""The project package: URL configuration, WSGI/ASGI entry points and the Celery app."""

from .celery import app as celery_app

__version__ = "{{ cookiecutter.version }}"
__all__ = ["__version__", "celery_app"]
