"""Addresses the checker must not fetch.

A cited URL is untrusted input: "http://169.254.169.254/latest/meta-data/" in a document (or a
redirect to it) must not make the checker read a cloud metadata service. Link-local and
metadata addresses are refused unless `allow_link_local`; private ranges are skipped only with
`exclude_private`. Loopback stays allowed (local previews, and the test servers).

Host names are resolved once per host (loop.getaddrinfo) and every address is checked, for a
clear verdict before any request. Against DNS rebinding between that lookup and the
connection's own, `connect_rule` is applied again by the network layer to every address it
connects to (see docs/CHECKER.md).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Callable

from linkcheck.check.config import CheckConfig

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, Oracle...
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)
METADATA_NAMES = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data"}
)
PRIVATE = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("fc00::/7"),
)


@functools.lru_cache(maxsize=4096)  # asked for every URL, and parsing a name fails slowly
def literal_address(host: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:169.254.169.254 is 169.254.169.254
    return address


def address_rule(address: IPAddress, config: CheckConfig) -> str | None:
    """ "forbidden-address", "excluded" or None (fetch it)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not config.allow_link_local and (
        address in METADATA_ADDRESSES or any(address in net for net in LINK_LOCAL)
    ):
        return "forbidden-address"
    if config.exclude_private and any(address in net for net in PRIVATE):
        return "excluded"
    return None


def host_rule(host: str, config: CheckConfig) -> tuple[str, str] | None:
    """(reason, detail) for a host that is refused by its name or literal address alone."""
    name = host.lower().rstrip(".")
    if not config.allow_link_local and name in METADATA_NAMES:
        return "forbidden-address", f"{host} is a cloud metadata service"
    address = literal_address(name)
    if address is None:
        return None
    reason = address_rule(address, config)
    if reason == "forbidden-address":
        return reason, f"{address} is a link-local or cloud metadata address"
    if reason == "excluded":
        return reason, f"{address} is a private address (exclude_private)"
    return None


def connect_rule(config: CheckConfig) -> Callable[[str], str | None]:
    """The rule the network layer applies to each address it is about to connect to: link-local
    and metadata addresses are refused (unless `allow_link_local`). `exclude_private` stays a
    choice about cited URLs, made by the engine: the same client may reach an archive or a
    proxy on a private network."""

    def rule(text: str) -> str | None:
        address = literal_address(text)
        if address is None or address_rule(address, config) != "forbidden-address":
            return None
        return "forbidden-address"

    return rule


async def resolved_rule(
    host: str, port: int, config: CheckConfig, timeout: float
) -> tuple[str, str] | None:
    """(reason, detail) when `host` resolves to a refused address. A failed lookup is not
    judged here: the request reports it (a proxy may resolve what we cannot)."""
    if literal_address(host) is not None:
        return None
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError, ValueError):
        return None
    for info in infos:
        address = literal_address(str(info[4][0]))
        if address is None:
            continue
        reason = address_rule(address, config)
        if reason == "forbidden-address":
            return reason, f"{host} resolves to {address}, a link-local or metadata address"
        if reason == "excluded":
            return reason, f"{host} resolves to {address}, a private address (exclude_private)"
    return None
