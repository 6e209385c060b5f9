"""Settings every environment shares: one module per integration, gathered here.

Each module reads its own environment variables and refuses malformed ones.
"""

from .api import *  # noqa: F403
from .auth import *  # noqa: F403
from .cache import *  # noqa: F403
from .database import *  # noqa: F403
from .django import *  # noqa: F403
from .logging import *  # noqa: F403
from .monitoring import *  # noqa: F403
from .security import *  # noqa: F403
{%- if cookiecutter.use_celery %}

# Last, as it adds the broker to monitoring's READINESS_CHECKS.
from .celery import *  # noqa: F403  # isort: skip
{%- endif %}
