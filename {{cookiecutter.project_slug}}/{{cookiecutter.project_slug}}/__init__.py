"""The project package: URL configuration and WSGI/ASGI entry points."""
{%- if cookiecutter.use_celery %}

from .celery import app as celery_app

__all__ = ["__version__", "celery_app"]
{%- endif %}

__version__ = "{{ cookiecutter.version }}"
