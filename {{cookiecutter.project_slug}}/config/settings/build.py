"""Settings for build steps, such as `collectstatic` in the image.

Such steps touch no database, cache or signed data, but Django and simplejwt still want a
SECRET_KEY: this one is random, lives only as long as the build step's process and is never
written anywhere, so no image layer holds a secret.
"""

from django.core.management.utils import get_random_secret_key

from .base import *  # noqa: F403

SECRET_KEY = get_random_secret_key()
