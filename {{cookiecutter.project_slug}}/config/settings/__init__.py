"""Settings: one module per integration, gathered by base, and one module per environment.

DJANGO_SETTINGS_MODULE picks the environment: config.settings.dev, config.settings.prod or
config.settings.test. Each imports base and adjusts what it must.
"""
