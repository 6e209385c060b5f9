"""DRF throttling keyed on the client's address as core.client_ip finds it.

DRF's own get_ident trusts X-Forwarded-For from anyone unless NUM_PROXIES is set, so a client
that varies the header would get a fresh bucket per request.
"""

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from core.client_ip import client_ip


class ClientScopedRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle, with anonymous clients told apart by their trusted address."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request)
