"""The environment the settings read (12-factor): real variables, else the project's `.env`.

django-environ reads `.env` into the process's environment without overriding a variable that
is already set, so a deployment's real variables always win.
"""

from pathlib import Path

import environ

ENV_FILE = Path(__file__).resolve().parents[1] / ".env"

env = environ.Env()
env.read_env(ENV_FILE)
