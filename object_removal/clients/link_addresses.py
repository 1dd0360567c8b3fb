"""Where a link from a provider's reply may lead: public addresses only, checked after
resolving its host name.

A host string says little: `127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1` and `10.1`
are all loopback or private addresses in the notations the system resolver accepts,
and any DNS name may resolve to one. So the name is resolved once, every address it
resolves to is checked (IPv4, IPv6, and the IPv4 addresses IPv6 ones carry), and the
connection then goes to the address that was checked, never resolving the name again
(a second answer could point elsewhere: DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""(host, port) -> the addresses it resolves to, as text."""

# The well-known NAT64 prefix: 64:ff9b::a.b.c.d reaches a.b.c.d through a gateway.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system resolves `host` to (numeric notations too)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def why_refused(address: str) -> str | None:
    """What makes an address one a result link must not reach, or None for a public one."""
    try:
        ip: IpAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an address"
    inner = _carried_ipv4(ip)
    if inner is not None:
        return why_refused(str(inner))
    for kind, flag in (("loopback", ip.is_loopback), ("unspecified", ip.is_unspecified),
                       ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                       ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if flag:
            return kind
    return None if ip.is_global else "not public"


def _carried_ipv4(ip: IpAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def same_address(first: str, second: str) -> bool:
    try:
        return ipaddress.ip_address(first.split("%", 1)[0]) == ipaddress.ip_address(
            second.split("%", 1)[0])
    except ValueError:
        return False
