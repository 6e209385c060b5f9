"""Settings split by environment: base holds everything common, the others adjust it.

Choose one with DJANGO_SETTINGS_MODULE: config.settings.dev, config.settings.prod or config.settings.test.
"""
