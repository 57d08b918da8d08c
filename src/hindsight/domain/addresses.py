"""Which URLs and addresses the server may connect to on someone else's behalf (SSRF rules).

A URL given to us by a client (a media link in task attributes, a workspace's EventCallbackUrl)
makes the server open a connection from inside the deployment's network, so both the form of
the URL and the addresses its host resolves to are checked by the same rules:

* only `http` and `https`, no credentials in the URL, no non-canonical numeric hosts
  (`http://2130706433/`, `http://0x7f000001/`, `http://0177.0.0.1/` all mean 127.0.0.1 to
  some parsers and not to others);
* every address must be public: private, loopback, link-local (169.254.0.0/16, the cloud
  metadata address), shared (100.64.0.0/10), unique-local, multicast, reserved, unspecified
  (0.0.0.0, ::) and documentation ranges are refused, also when written as IPv4-mapped, 6to4,
  Teredo or NAT64 IPv6 addresses.

A receiver on a private network is allowed by the deployment, never by the URL:
`allow_private` lifts the private/loopback/unique-local rule, and `allow` lists host names or
CIDR ranges that are accepted whatever they resolve to (a CIDR can even admit a link-local
range). Unspecified, multicast and link-local addresses stay refused unless a CIDR lists them.

Pure rules: resolving names and connecting are the callers' business (media/fetch.py).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from hindsight.domain.errors import HindsightError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Forbidden even with allow_private: never a legitimate receiver, and the metadata service
# lives here.
_ALWAYS_REFUSED = "unspecified, multicast, link-local or broadcast"
MAX_URL_LENGTH = 4096
_LOOPBACK = ipaddress.IPv4Address("127.0.0.1")


class UrlRefused(HindsightError, status=400, code=20001):
    """The URL may not be connected to: its scheme, form or address is not allowed."""


@dataclass(frozen=True)
class AddressRules:
    """What a deployment lets the server connect to besides public addresses."""

    allow_private: bool = False
    # Host names (exact, case-insensitive) and CIDR ranges accepted whatever they resolve to.
    allow: tuple[str, ...] = ()

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset(a.lower().rstrip(".") for a in self.allow if not _is_network(a))

    @property
    def allowed_networks(self) -> tuple[IPNetwork, ...]:
        return tuple(ipaddress.ip_network(a, strict=False) for a in self.allow if _is_network(a))


def _is_network(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True


def parse_allow_list(text: str) -> tuple[str, ...]:
    """A comma-separated setting of host names and CIDR ranges; raises ValueError if malformed."""
    out = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        if not _is_network(entry) and not re.fullmatch(r"[A-Za-z0-9.-]+", entry):
            raise ValueError(f"{entry!r} is neither a host name nor an IP address or CIDR range")
        out.append(entry)
    return tuple(out)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, rules: AddressRules, *, host_allowed: bool = False) -> str | None:
    """Why `address` may not be connected to, or None if it may."""
    if any(address in network for network in rules.allowed_networks):
        return None
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = refusal(inner, rules, host_allowed=host_allowed)
        return None if reason is None else f"{address} embeds {inner}: {reason}"
    if (
        address.is_unspecified
        or address.is_multicast
        or address.is_link_local
        or address == ipaddress.IPv4Address("255.255.255.255")
    ):
        return f"{address} is an {_ALWAYS_REFUSED} address"
    if host_allowed or rules.allow_private:
        return None
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_private or address.is_reserved or not address.is_global:
        return f"{address} is not a public address"
    return None


_CANONICAL_IPV4 = re.compile(
    r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
)
_NUMERIC_HOST = re.compile(r"(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+))*\.?", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # as written (lower case), without brackets
    port: int
    target: str  # path and query
    literal: IPAddress | None

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    @property
    def host_header(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return shown if self.port == default else f"{shown}:{self.port}"


def parse_target(url: str) -> Target:
    """Check the form of a URL (not its address); raises UrlRefused."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise UrlRefused("the URL is not a valid absolute URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"the URL is malformed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlRefused(f"only http and https URLs are called, not {scheme or 'none'}:")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UrlRefused("URLs may not carry credentials")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise UrlRefused("the URL has no host")
    literal: IPAddress | None = None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        if _NUMERIC_HOST.fullmatch(host):
            raise UrlRefused(f"{host!r} is not a canonical IP address") from None
        if not re.fullmatch(r"[a-z0-9._-]+", host):
            raise UrlRefused(f"{host!r} is not a valid host name") from None
    else:
        if isinstance(literal, ipaddress.IPv4Address) and not _CANONICAL_IPV4.fullmatch(host):
            raise UrlRefused(f"{host!r} is not a canonical IP address")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        target=target,
        literal=literal,
    )


def _is_localhost_name(host: str) -> bool:
    # RFC 6761: `localhost` and every name under it are loopback, whatever DNS says.
    return host == "localhost" or host.endswith(".localhost")


def check_before_resolving(url: str, rules: AddressRules) -> Target:
    """Everything that can be known about a URL without asking DNS: its form, a literal
    address and the loopback names. Raises UrlRefused; the addresses a name resolves to are
    checked again when connecting (DNS answers change)."""
    target = parse_target(url)
    host_allowed = target.host in rules.allowed_hosts
    if target.literal is not None:
        reason = refusal(target.literal, rules, host_allowed=host_allowed)
        if reason is not None:
            raise UrlRefused(f"{target.host} may not be called: {reason}")
    elif _is_localhost_name(target.host):
        reason = refusal(_LOOPBACK, rules, host_allowed=host_allowed)
        if reason is not None:
            raise UrlRefused(f"{target.host} may not be called: it names {reason}")
    return target
