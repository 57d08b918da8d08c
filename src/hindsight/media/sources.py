"""Where the broker and the analysis read media from: recordings and transcripts Hindsight holds,
and external resources through the SSRF-safe fetcher. Built by the composition root."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from hindsight.chat.service import ChatService
from hindsight.domain.errors import HindsightError
from hindsight.domain.framing import allows_framing
from hindsight.media.broker import MediaStream, PageProbe
from hindsight.media.failures import in_words
from hindsight.media.fetch import FetchRefused, SafeFetcher
from hindsight.media.recordings import RecordingService

# Headers of an external response that travel on to the browser.
_PASSED = ("content-length", "content-range", "accept-ranges", "etag", "last-modified")
_FRAMING_CACHE_SECONDS = 600.0
_FAILURE_CACHE_SECONDS = 20.0


def _content_type(upstream: str | None) -> str:
    """Audio keeps its type; anything else is sent as bytes, never as a page of this site."""
    kind = (upstream or "").split(";", 1)[0].strip().lower()
    return kind if kind.startswith("audio/") else "application/octet-stream"


@dataclass
class HindsightSources:
    recordings: RecordingService
    chat: ChatService
    fetcher: SafeFetcher
    _framing: dict[tuple[str, str], tuple[PageProbe, float]] = field(default_factory=dict)

    async def recording(
        self, account_sid: str, recording_sid: str, range_header: str | None
    ) -> MediaStream:
        parts = await self.recordings.open_media(account_sid, recording_sid, range_header)
        return MediaStream(parts.status, parts.headers, parts.body)

    async def fetch(
        self, url: str, range_header: str | None, headers: dict[str, str] | None = None
    ) -> MediaStream:
        """An external resource, streamed; the connection closes when the body is done."""
        stack = contextlib.AsyncExitStack()
        request_headers = dict(headers or {})
        if range_header:
            request_headers["Range"] = range_header
        try:
            media = await stack.enter_async_context(self.fetcher.open(url, request_headers))
        except BaseException:
            await stack.aclose()
            raise
        out = {"Content-Type": _content_type(media.content_type)}
        for name in _PASSED:
            if name in media.headers:
                out[name.title()] = media.headers[name]
        # Whatever it is, it is not a page of this site: no script, no plug-in, no form.
        out["Content-Security-Policy"] = "sandbox; default-src 'none'"

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in media.chunks():
                    yield chunk
            finally:
                await stack.aclose()

        return MediaStream(media.status, out, body())

    async def transcript(self, account_sid: str, sid: str) -> dict[str, Any] | None:
        found = await self.chat.transcript(account_sid, sid)
        return None if found is None else found.as_dict()

    async def probe_page(self, url: str, own_origin: str) -> PageProbe:
        """Whether the page can be reached, and whether it lets `own_origin` show it in a frame
        (its X-Frame-Options and CSP frame-ancestors). A failure is remembered briefly only,
        so a host that comes back is soon offered again."""
        key = (url, own_origin)
        cached = self._framing.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        try:
            async with self.fetcher.open(url) as page:
                probe = PageProbe(frameable=allows_framing(page.headers, own_origin))
            keep = _FRAMING_CACHE_SECONDS
        except FetchRefused:
            # Not an address this server fetches from (an intranet tool, say): the person's
            # browser may well reach it, so it is offered as it is.
            probe, keep = PageProbe(frameable=None), _FRAMING_CACHE_SECONDS
        except HindsightError as failure:
            probe = PageProbe(frameable=None, problem=in_words(failure).message)
            keep = _FAILURE_CACHE_SECONDS
        if len(self._framing) > 10_000:
            self._framing.clear()
        self._framing[key] = (probe, time.monotonic() + keep)
        return probe


@dataclass
class HeldRecordingAudio:
    """The analysis's source for recordings Hindsight holds (media key `recording:RE…`)."""

    recordings: RecordingService

    @contextlib.asynccontextmanager
    async def open(
        self, account_sid: str, media_key: str, locator: str
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        parts = await self.recordings.open_media(account_sid, locator)
        body = parts.body

        async def chunks() -> AsyncIterator[bytes]:
            if body is not None:
                async for chunk in body:
                    yield chunk

        yield chunks()
