"""django-csp's middleware, with the policy from settings built once instead of per response.

django-csp builds the Content-Security-Policy header from CONTENT_SECURITY_POLICY on every
response, though it only changes with a view's csp_update/csp_replace/csp_exempt decorator or a
nonce. A response with neither gets the header built once (again when the settings change, as
tests change them); any other goes through django-csp as it is.
"""

from functools import cache
from typing import Any

from csp import middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponseBase

# What a view's decorators leave on its response; any of them means a policy of its own.
PER_VIEW = tuple(
    f"_csp_{part}{suffix}" for part in ("config", "update", "replace") for suffix in ("", "_ro")
)


@cache
def settings_policy(report_only: bool) -> tuple[str, tuple[str, ...]]:
    """The header built from settings alone, and the path prefixes it leaves out."""
    name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
    excluded = tuple((getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
    return build_policy(report_only=report_only), excluded


def forget_policy(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        settings_policy.cache_clear()


setting_changed.connect(forget_policy, dispatch_uid="core.middleware.csp")


class CSPMiddleware(middleware.CSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        own_policy = any(getattr(response, attribute, None) is not None for attribute in PER_VIEW)
        if own_policy or getattr(request, "_csp_nonce", None) is not None or settings.DEBUG:
            result: HttpResponseBase = super().process_response(request, response)
            return result
        for header, exempt, report_only in (
            (HEADER, "_csp_exempt", False),
            (HEADER_REPORT_ONLY, "_csp_exempt_ro", True),
        ):
            policy, excluded = settings_policy(report_only)
            if (
                policy
                and header not in response
                and not getattr(response, exempt, False)
                and not request.path_info.startswith(excluded)
            ):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written is an error.
        nonce_too_late = middleware.CheckableLazyObject(self._csp_nonce_post_response)
        setattr(request, "csp_nonce", nonce_too_late)  # noqa: B010 - not an attribute of HttpRequest
        return response
