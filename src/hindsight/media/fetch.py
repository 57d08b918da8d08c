"""Fetching media from URLs that integrators (or anyone who can write task attributes) give us,
and POSTing event callbacks to the URLs workspaces name.

Such a URL is attacker-controlled input, and the server that connects to it sits inside the
deployment's network, so every request is checked (server-side request forgery) by the address
rules of domain/addresses.py, and:

* the host is resolved once and every address it resolves to must pass the rules;
* the connection goes to the address that was checked (TLS still verifies the host name),
  so a second DNS answer cannot swap in an internal address (no DNS-rebinding window);
* redirects are followed a few times at most, each hop checked the same way, never from https
  down to http, and caller headers are dropped when a redirect changes origin (callbacks
  follow none);
* connect, read and total time limits and a maximum size; the body is streamed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpcore

from hindsight.domain import addresses
from hindsight.domain.addresses import (
    AddressRules,
    Target,
    UrlRefused,
    parse_allow_list,
    refusal,
)
from hindsight.domain.errors import HindsightError

__all__ = ["FetchOptions", "SafeFetcher", "Target", "parse_allow_list", "parse_target"]

Resolver = Callable[[str, int], Awaitable[list[str]]]

_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024
_USER_AGENT = "Hindsight-Media/1.0"


class FetchError(HindsightError, status=502):
    """A media URL could not be fetched. `permanent` says whether trying again could help."""

    permanent = False


class FetchRefused(FetchError, UrlRefused, status=400, code=20001):
    """The URL may not be fetched: its scheme, form or address is not allowed."""

    permanent = True


class FetchTooLarge(FetchError, status=413):
    """The media at the URL is larger than allowed; trying again cannot help."""

    permanent = True


class FetchTimeout(FetchError, status=504):
    """The media's source did not answer in time (HTTP 504)."""


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
    def rules(self) -> AddressRules:
        return AddressRules(allow_private=self.allow_private, allow=self.allow)


def parse_target(url: str) -> Target:
    """Check the form of a URL (not its address); raises FetchRefused."""
    try:
        return addresses.parse_target(url)
    except UrlRefused as refused:
        raise FetchRefused(refused.message) from None


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
        rules = self._options.rules
        host_allowed = target.host in rules.allowed_hosts
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
            reason = refusal(address, rules, host_allowed=host_allowed)
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

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST `body` to `url` once, to the checked address, following no redirect; returns
        the status. Raises FetchRefused for a refused URL, FetchError when unreachable."""
        deadline = time.monotonic() + self._options.total_timeout_seconds
        try:
            async with asyncio.timeout(_remaining(deadline)):
                target, address = await self.check(url)
                exchange = self._exchange(target, address, headers, deadline, "POST", body)
                async with exchange as (status, _head, response_body):
                    async for _chunk in response_body:
                        pass  # read (and drop) the answer so the connection ends cleanly
        except TimeoutError:
            raise FetchTimeout(f"{url} did not answer in time") from None
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.TimeoutException) as exc:
            raise FetchFailed(f"{url} could not be reached: {exc}") from None
        return status

    @contextlib.asynccontextmanager
    async def _exchange(
        self,
        target: Target,
        address: str,
        headers: Mapping[str, str],
        deadline: float,
        method: str = "GET",
        body: bytes | None = None,
    ) -> AsyncIterator[tuple[int, dict[str, str], AsyncIterator[bytes]]]:
        options = self._options
        given = {k.lower() for k in headers}
        agent = [] if "user-agent" in given else [("User-Agent", _USER_AGENT)]
        request_headers = [
            ("Host", target.host_header),
            *agent,
            ("Accept", "*/*"),
            ("Accept-Encoding", "identity"),
            *((k, v) for k, v in headers.items() if k.lower() not in ("host", "accept-encoding")),
        ]
        if body is not None:
            request_headers.append(("Content-Length", str(len(body))))
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
                        pool.stream(
                            method,
                            url,
                            headers=request_headers,
                            content=body,
                            extensions=extensions,
                        )
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
