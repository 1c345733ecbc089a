"""Where a webhook may be sent: public http(s) addresses only (no server-side request forgery).

The host is resolved once, every address it resolves to is checked, and the request then connects to the
checked address itself (the URL's name kept in the Host header and for TLS), so a DNS answer that changes
between the check and the connection (rebinding) cannot point the request inside the network.
Operators may allow private networks (`WEBHOOK_ALLOWED_PRIVATE_NETWORKS`): the tests deliver to 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils.translation import gettext as _

DEFAULT_PORTS = {"http": 80, "https": 443}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The address is not one a webhook may go to; trying again will not change that."""


class TargetUnresolved(Exception):
    """The name did not resolve now; DNS may answer later, so the delivery retries."""


@dataclass(frozen=True)
class Target:
    """A checked address: the URL to connect to (by IP), and the name the server expects."""

    connect_url: str
    host_header: str
    server_name: str | None
    address: IPAddress


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(network, strict=False)
            for network in getattr(settings, "WEBHOOK_ALLOWED_PRIVATE_NETWORKS", [])]


def address_allowed(address: IPAddress) -> bool:
    """Public unicast addresses only, unless the operator allowed the network the address is in."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in _allowed_networks()):
        return True
    return address.is_global and not address.is_multicast


def check_url_shape(url: str) -> tuple[str, str, int]:
    """The scheme, host and port of a URL a merchant may enter; refuses other schemes and IP literals
    that are not public. Names are resolved when sending, as their addresses may change."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise TargetRefused(_("Only http and https addresses can receive webhooks."))
    if not parts.hostname:
        raise TargetRefused(_("The address has no host."))
    if parts.username or parts.password:
        raise TargetRefused(_("Put no user name or password in the address; the signature proves the sender."))
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise TargetRefused(_("The address's port is not a number.")) from None
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not address_allowed(literal):
        raise TargetRefused(_("Webhooks are not sent to private, loopback or link-local addresses."))
    if literal is None and (host == "localhost" or host.endswith(".localhost")) and not _allowed_networks():
        raise TargetRefused(_("Webhooks are not sent to private, loopback or link-local addresses."))
    return parts.scheme, host, port


def resolve(url: str) -> Target:
    """Check `url` and every address its host resolves to; the Target connects to the first of them."""
    scheme, host, port = check_url_shape(url)
    try:
        addresses = [ipaddress.ip_address(host)]
        server_name = None
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise TargetUnresolved(_("The host %(host)s could not be resolved.") % {"host": host}) from error
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
        server_name = host
    if not addresses:
        raise TargetUnresolved(_("The host %(host)s could not be resolved.") % {"host": host})
    # One private answer among public ones is enough to refuse: the connection could be steered to it.
    for address in addresses:
        if not address_allowed(address):
            raise TargetRefused(_("%(host)s resolves to a private, loopback or link-local address (%(address)s).")
                                % {"host": host, "address": address})
    address = addresses[0]
    parts = urlsplit(url)
    shown = f"[{address}]" if address.version == 6 else str(address)
    connect_url = urlunsplit((scheme, f"{shown}:{port}", parts.path or "/", parts.query, ""))
    host_header = host if port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if ":" in host and not host_header.startswith("["):
        host_header = f"[{host}]" if port == DEFAULT_PORTS[scheme] else f"[{host}]:{port}"
    return Target(connect_url=connect_url, host_header=host_header,
                  server_name=server_name if scheme == "https" else None, address=address)
