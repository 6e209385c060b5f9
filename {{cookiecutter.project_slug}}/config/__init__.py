"""The composition root: settings, URL configuration, the WSGI and ASGI entry points.

It is the only package that imports apps/, shared/ and core/ together; nothing imports it.
"""
