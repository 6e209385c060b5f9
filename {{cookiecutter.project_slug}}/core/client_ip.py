"""The client's IP address: the one answer throttling, lockout and the logs all use.

Anyone can send an X-Forwarded-For header, so it counts only when the peer that sent the request
is a proxy the deployment trusts (TRUSTED_PROXIES, read from the FORWARDED_ALLOW_IPS that
gunicorn trusts too). Each proxy appends the address it got the request from, so the header is
read from its right end: past the trusted proxies, the first address is the client's. Whatever
a client writes into the header itself lies to the left of that and is never read.
"""

from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=8)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(proxy, strict=False) for proxy in proxies)


def parse_address(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: IPv4Address | IPv6Address) -> bool:
    return any(address in network for network in trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    """The address of the client, as far back as trusted proxies vouch for it."""
    peer = str(request.META.get("REMOTE_ADDR", ""))
    client = parse_address(peer)
    if client is None:
        return peer
    forwarded_for = request.headers.get("x-forwarded-for")
    if not forwarded_for:
        return str(client)
    for hop in reversed(str(forwarded_for).split(",")):
        if not is_trusted_proxy(client):
            break
        forwarded = parse_address(hop)
        if forwarded is None:  # not written by a proxy: stop at the last one that was
            break
        client = forwarded
    return str(client)
