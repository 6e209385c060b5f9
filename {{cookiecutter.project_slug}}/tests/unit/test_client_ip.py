"""The client's address: forwarding headers count only when a trusted proxy sent them."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import RequestFactory, override_settings

from core.client_ip import client_ip

PROXY = "10.1.2.3"


@pytest.fixture(autouse=True)
def _trust_one_network() -> Iterator[None]:
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "::1"]):
        yield


def address(peer: str, forwarded: str | None = None) -> str:
    headers: dict[str, Any] = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=peer, **headers))


def test_a_direct_client_is_its_peer_address_whatever_it_forwards() -> None:
    assert address("203.0.113.7") == "203.0.113.7"
    assert address("203.0.113.7", "198.51.100.1") == "203.0.113.7"


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_appended() -> None:
    assert address(PROXY, "203.0.113.7") == "203.0.113.7"


def test_what_a_client_wrote_into_the_header_itself_is_never_read() -> None:
    assert address(PROXY, "198.51.100.1, 203.0.113.7") == "203.0.113.7"
    assert address(PROXY, "not-an-address, 203.0.113.7") == "203.0.113.7"


def test_a_chain_of_trusted_proxies_is_walked_back() -> None:
    assert address("::1", "198.51.100.1, 203.0.113.7, 10.9.9.9") == "203.0.113.7"


def test_a_trusted_proxy_without_a_valid_header_is_the_client() -> None:
    assert address(PROXY) == PROXY
    assert address(PROXY, "garbage") == PROXY
