"""The Swagger UI page, with the one inline style of its template allowed by that style's hash.

The site-wide Content-Security-Policy allows no inline style. drf-spectacular's template carries
one <style> block, so this page (and no other) also allows exactly that block, by its SHA-256,
which is computed from the template itself and so follows it through upgrades.
"""

import base64
import hashlib
import re
from collections.abc import Callable

from csp.decorators import csp_update
from django.http import HttpResponseBase
from django.template import Engine
from drf_spectacular.views import SpectacularSwaggerSplitView


def inline_style_hashes(template_name: str) -> list[str]:
    """CSP source expressions ('sha256-...') for each <style> block of a template."""
    source = Engine.get_default().get_template(template_name).source
    styles = re.findall(r"<style>(.*?)</style>", source, re.DOTALL)
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
        for style in styles
    ]


def docs_view() -> Callable[..., HttpResponseBase]:
    """The docs page of the schema at api:schema, with its own style-src."""
    page = SpectacularSwaggerSplitView
    styles = inline_style_hashes(page.template_name)
    return csp_update({"style-src": ["'self'", *styles]})(page.as_view(url_name="api:schema"))
