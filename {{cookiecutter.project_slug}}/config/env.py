"""The environment the settings read (12-factor): real variables, else the project's `.env`.

django-environ reads `.env` into the process's environment without overriding a variable that
is already set, so a deployment's real variables always win.

Any variable NAME can instead be read from the file that NAME_FILE names, the way container
platforms mount secrets (/run/secrets/...): its content, surrounding whitespace and the
final newline removed. Setting both (NAME not empty) is refused, and so is a file that cannot be read or is
empty; the error names the variable, never the file's content.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

ENV_FILE = Path(__file__).resolve().parents[1] / ".env"


class SecretFileMapping(environ.FileAwareMapping):  # type: ignore[misc]  # untyped library
    """os.environ, with NAME read from the file in NAME_FILE when that is set."""

    def __getitem__(self, key: str) -> str:
        path = self.env.get(f"{key}_FILE")
        if not path:
            value: str = self.env[key]
            return value
        if self.env.get(key):  # empty counts as unset, so a blank NAME can hide .env's value
            raise ImproperlyConfigured(f"Set {key} or {key}_FILE, not both.")
        if key not in self.files_cache:
            self.files_cache[key] = read_secret_file(key, path)
        cached: str = self.files_cache[key]
        return cached


def read_secret_file(variable: str, path: str) -> str:
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise ImproperlyConfigured(
            f"{variable}_FILE names a file that cannot be read ({reason})."
        ) from None
    if not value:
        raise ImproperlyConfigured(f"{variable}_FILE names an empty file.")
    return value


class Env(environ.Env):  # type: ignore[misc]  # untyped library
    ENVIRON = SecretFileMapping()


env = Env()
env.read_env(ENV_FILE)
