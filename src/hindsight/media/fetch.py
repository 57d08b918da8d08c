"""Fetching media from URLs that integrators (or anyone who can write task attributes) give us.

A URL in a task's attributes is attacker-controlled input, and the server that fetches it sits
inside the deployment's network, so every fetch is checked (server-side request forgery):

* only `http` and `https`, no credentials in the URL, no non-canonical numeric hosts
  (`http://2130706433/`, `http://0x7f000001/`, `http://0177.0.0.1/` all mean 127.0.0.1 to
  some parsers and not to others);
* the host is resolved once and every address it resolves to must be public: private,
  loopback, link-local (169.254.0.0/16, the cloud metadata address), shared (100.64.0.0/10),
  unique-local, multicast, reserved, unspecified (0.0.0.0, ::) and documentation ranges are
  refused, also when written as IPv4-mapped, 6to4, Teredo or NAT64 IPv6 addresses;
* the connection goes to the address that was checked (TLS still verifies the host name),
  so a second DNS answer cannot swap in an internal address (no DNS-rebinding window);
* redirects are followed a few times at most, each hop checked the same way, never from https
  down to http, and caller headers are dropped when a redirect changes origin;
* connect, read and total time limits and a maximum size; the body is streamed.

A self-hosted media server on a private network is allowed by the deployment, not by the URL:
`allow_private` lifts the private/loopback/unique-local rule, and `allow` lists host names or
CIDR ranges that are accepted whatever they resolve to (a CIDR can even admit a link-local
range). Unspecified, multicast and link-local addresses stay refused unless a CIDR lists them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpcore

from hindsight.domain.errors import HindsightError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024
_USER_AGENT = "Hindsight-Media/1.0"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Forbidden even with allow_private: never a media server, and the metadata service lives here.
_ALWAYS_REFUSED = "unspecified, multicast, link-local or broadcast"


class FetchError(HindsightError):
    """A media URL could not be fetched. `permanent` says whether trying again could help."""

    status = 502
    code = 20502
    permanent = False


class FetchRefused(FetchError):
    """The URL may not be fetched: its scheme, form or address is not allowed."""

    status = 400
    code = 20001
    permanent = True


class FetchTooLarge(FetchError):
    status = 413
    code = 20413
    permanent = True


class FetchTimeout(FetchError):
    status = 504
    code = 20504


class FetchFailed(FetchError):
    """The server could not be reached, or answered with an error status."""

    def __init__(self, message: str, *, permanent: bool = False, status: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.http_status = status


@dataclass(frozen=True)
class FetchOptions:
    allow_private: bool = False
    # Host names (exact, case-insensitive) and CIDR ranges accepted whatever they resolve to.
    allow: tuple[str, ...] = ()
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 30.0
    total_timeout_seconds: float = 600.0
    max_bytes: int = 1024 * 1024 * 1024
    max_redirects: int = 3

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


# --- the address rules (pure) -----------------------------------------------------------------


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


def refusal(address: IPAddress, options: FetchOptions, *, host_allowed: bool = False) -> str | None:
    """Why `address` may not be fetched from, or None if it may."""
    if any(address in network for network in options.allowed_networks):
        return None
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = refusal(inner, options, host_allowed=host_allowed)
        return None if reason is None else f"{address} embeds {inner}: {reason}"
    if (
        address.is_unspecified
        or address.is_multicast
        or address.is_link_local
        or address == ipaddress.IPv4Address("255.255.255.255")
    ):
        return f"{address} is an {_ALWAYS_REFUSED} address"
    if host_allowed or options.allow_private:
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
    """Check the form of a URL (not its address); raises FetchRefused."""
    if not isinstance(url, str) or len(url) > 4096 or any(c.isspace() for c in url):
        raise FetchRefused("the media URL is not a valid absolute URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused(f"the media URL is malformed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https media URLs are fetched, not {scheme or 'none'}:")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise FetchRefused("media URLs may not carry credentials")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise FetchRefused("the media URL has no host")
    literal: IPAddress | None = None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        if _NUMERIC_HOST.fullmatch(host):
            raise FetchRefused(f"{host!r} is not a canonical IP address") from None
        if not re.fullmatch(r"[a-z0-9._-]+", host):
            raise FetchRefused(f"{host!r} is not a valid host name") from None
    else:
        if isinstance(literal, ipaddress.IPv4Address) and not _CANONICAL_IPV4.fullmatch(host):
            raise FetchRefused(f"{host!r} is not a canonical IP address")
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


# --- fetching ---------------------------------------------------------------------------------


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass
class FetchedMedia:
    """An open response: `chunks()` streams the body within the size and time limits."""

    url: str
    status: int
    content_type: str | None
    content_length: int | None
    _stream: AsyncIterator[bytes] = field(repr=False)
    # The response's headers, lower-cased names (Content-Range of a 206, framing policy, ...).
    headers: dict[str, str] = field(default_factory=dict)
    _max_bytes: int = field(repr=False, default=0)
    _deadline: float = field(repr=False, default=0.0)

    async def chunks(self) -> AsyncIterator[bytes]:
        received = 0
        iterator = self._stream.__aiter__()
        while True:
            try:
                async with asyncio.timeout(_remaining(self._deadline)):
                    chunk = await iterator.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise FetchTimeout(f"fetching {self.url} took longer than allowed") from None
            except httpcore.ReadTimeout:
                raise FetchTimeout(f"{self.url} stopped sending data") from None
            except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
                raise FetchFailed(f"reading {self.url} failed: {exc}") from None
            received += len(chunk)
            if received > self._max_bytes:
                raise FetchTooLarge(f"{self.url} is larger than {self._max_bytes} bytes")
            yield chunk


def _remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


class SafeFetcher:
    """Opens media URLs under the rules of the module docstring."""

    def __init__(
        self,
        options: FetchOptions,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._options = options
        self._resolve = resolver or system_resolver
        self._ssl_context = ssl_context

    @property
    def _ssl(self) -> ssl.SSLContext:
        # Made on first use: loading the system's CA certificates takes about 0.1 s, which
        # every server start would otherwise pay.
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    async def check(self, url: str) -> tuple[Target, str]:
        """The parsed URL and the one address to connect to; raises FetchRefused."""
        target = parse_target(url)
        options = self._options
        host_allowed = target.host in options.allowed_hosts
        if target.literal is not None:
            addresses = [str(target.literal)]
        else:
            try:
                addresses = await self._resolve(target.host, target.port)
            except (OSError, UnicodeError) as exc:
                raise FetchFailed(f"{target.host} could not be resolved ({exc})") from None
            if not addresses:
                raise FetchFailed(f"{target.host} has no address")
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            reason = refusal(address, options, host_allowed=host_allowed)
            if reason is not None:
                # One bad answer refuses the host: the attacker may control the DNS answers.
                raise FetchRefused(f"{target.host} may not be fetched from: {reason}")
        return target, addresses[0]

    @contextlib.asynccontextmanager
    async def open(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[FetchedMedia]:
        """GET `url`, following checked redirects; the body streams from `FetchedMedia.chunks`."""
        options = self._options
        deadline = time.monotonic() + options.total_timeout_seconds
        extra = dict(headers or {})
        current = url
        first_origin: tuple[str, str, int] | None = None
        for _hop in range(options.max_redirects + 1):
            try:
                async with asyncio.timeout(_remaining(deadline)):
                    target, address = await self.check(current)
            except TimeoutError:
                raise FetchTimeout(f"resolving {current} took longer than allowed") from None
            if first_origin is None:
                first_origin = target.origin
            elif target.origin != first_origin:
                extra = {}  # credentials meant for one origin never go to another
            async with self._exchange(target, address, extra, deadline) as (status, head, body):
                if status in _REDIRECTS:
                    location = head.get("location")
                    if not location:
                        raise FetchFailed(f"{current} redirected without a Location")
                    following = urljoin(current, location)
                    if target.scheme == "https" and following.lower().startswith("http:"):
                        raise FetchRefused("a redirect from https to http is not followed")
                    current = following
                    continue
                # A byte range asked for may come back as 206 (or the whole file, as 200).
                ranged = any(k.lower() == "range" for k in extra)
                if status != 200 and not (status == 206 and ranged):
                    raise FetchFailed(
                        f"{current} answered HTTP {status}",
                        permanent=status in (400, 401, 403, 404, 405, 410, 414, 451),
                        status=status,
                    )
                length = _content_length(head)
                if length is not None and length > options.max_bytes:
                    raise FetchTooLarge(f"{current} is {length} bytes, over {options.max_bytes}")
                yield FetchedMedia(
                    url=current,
                    status=status,
                    content_type=head.get("content-type"),
                    content_length=length,
                    _stream=body,
                    headers=head,
                    _max_bytes=options.max_bytes,
                    _deadline=deadline,
                )
                return
        raise FetchRefused(f"more than {options.max_redirects} redirects")

    @contextlib.asynccontextmanager
    async def _exchange(
        self, target: Target, address: str, headers: Mapping[str, str], deadline: float
    ) -> AsyncIterator[tuple[int, dict[str, str], AsyncIterator[bytes]]]:
        options = self._options
        request_headers = [
            ("Host", target.host_header),
            ("User-Agent", _USER_AGENT),
            ("Accept", "*/*"),
            ("Accept-Encoding", "identity"),
            *((k, v) for k, v in headers.items() if k.lower() not in ("host", "accept-encoding")),
        ]
        extensions: dict[str, object] = {
            "timeout": {
                "connect": options.connect_timeout_seconds,
                "read": options.read_timeout_seconds,
                "write": options.read_timeout_seconds,
                "pool": options.connect_timeout_seconds,
            }
        }
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
        url = httpcore.URL(
            scheme=target.scheme.encode(),
            host=address.encode(),
            port=target.port,
            target=target.target.encode(),
        )
        async with contextlib.AsyncExitStack() as stack:
            pool = await stack.enter_async_context(
                httpcore.AsyncConnectionPool(ssl_context=self._ssl, max_connections=1, retries=0)
            )
            try:
                async with asyncio.timeout(_remaining(deadline)):
                    response = await stack.enter_async_context(
                        pool.stream("GET", url, headers=request_headers, extensions=extensions)
                    )
            except (TimeoutError, httpcore.TimeoutException):
                raise FetchTimeout(f"{target.url} did not answer in time") from None
            except (httpcore.NetworkError, httpcore.ProtocolError, ssl.SSLError) as exc:
                raise FetchFailed(f"{target.url} could not be fetched: {exc}") from None
            head = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
            yield response.status, head, response.aiter_stream()


def _content_length(head: Mapping[str, str]) -> int | None:
    value = head.get("content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)
