"""The bounded contexts this service runs; `manage.py startcontext <name>` adds a line here.

Each name is a package under apps/: settings install it as a Django app and the root URLconf
serves its api/urls.py under /api/v1/<name>/.
"""

CONTEXTS: list[str] = []
