"""Settings split by environment: base holds everything common, the others adjust it.

Choose one with DJANGO_SETTINGS_MODULE: core.settings.dev, core.settings.prod or core.settings.test.
"""
