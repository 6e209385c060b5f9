"""The core app: shared infrastructure that every bounded context relies on."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core infrastructure"

    def ready(self) -> None:
        from {{ cookiecutter.project_slug }} import __version__

        from . import signals
        from .logging import configure_structlog
        from .metrics import APP_INFO

        configure_structlog()
        signals.connect()
        APP_INFO.labels(version=__version__).set(1)
