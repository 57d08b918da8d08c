"""The media broker: every media item of every type is opened through it.

Twilio authenticates only recordings with a `url_provider`; transcripts, embedded pages and
links must be public. Here a person never receives a media item's location. They ask for a
link (`mint`): the broker checks their Play permission and scope, records it, and returns a
short-lived signed link to itself, bound to them and their sign-in session. When the link is
followed (`open`), the broker checks the link, the permission and the scope again, records the
access, and only then redirects (pages: Embedded, Referenced, Raw), streams (recordings, with
byte ranges; the source URL stays on the server) or answers with the transcript.

A `VoiceRecording` with a `url_provider` is resolved as Flex's player does: a GET to the
provider with `Authorization: Basic base64("token:" + <token>)`, answered by
`{"media_url": "…"}`; the token is one Hindsight issued for that person and item, which the
provider can check at Hindsight's token-validation endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from hindsight.audit.trail import ALLOWED, DENIED, FAILED, AuditTrail
from hindsight.domain import signed_tokens as tokens
from hindsight.domain.access import Viewer
from hindsight.domain.clock import Clock
from hindsight.domain.errors import HindsightError, InvalidParameter, NotFound
from hindsight.domain.own_site import own_site_path
from hindsight.domain.permissions import Permission, permissions_of
from hindsight.domain.sids import Prefix, is_sid
from hindsight.domain.speech_activity import window_measures
from hindsight.insights.queries import InsightsService
from hindsight.media.failures import in_words

LINK_PATH = "/media/"
_PAGES = ("Raw", "Embedded", "Referenced")
_PROVIDER_CACHE_SECONDS = 60.0
_MAX_PROVIDER_ANSWER = 64 * 1024


# Analysis states whose answer carries a result (or its failure); the others are "ask again".
_SETTLED = frozenset({"done", "failed"})


class MediaUnavailable(HindsightError, status=502):
    """The media's source could not be reached or gave nothing playable (HTTP 502)."""


@dataclass
class MediaStream:
    """Bytes to send: a status (200 or 206), headers (type, length, range) and the body."""

    status: int
    headers: dict[str, str]
    body: AsyncIterator[bytes] | None


@dataclass(frozen=True)
class Opened:
    """What following a link gives: a redirect, a stream, or a JSON document."""

    kind: str  # "redirect", "stream" or "document"
    location: str | None = None
    stream: MediaStream | None = None
    document: dict[str, Any] | None = None


@dataclass(frozen=True)
class MintedLink:
    url: str
    expires_ms: int
    segment_id: str
    index: int
    type: str
    display: str
    # Where a page link leads (host only), so plug-ins can choose how to open it; None for
    # recordings and transcripts, whose location never leaves the server.
    host: str | None = None
    # Whether the page lets itself be shown in a frame (Embedded), when that was checked.
    frameable: bool | None = None
    # Why a page cannot be opened now (its host could not be reached, ...), in words.
    unavailable: str | None = None


@dataclass(frozen=True)
class PageProbe:
    """What asking a page (Embedded, Referenced, Raw) found before a person is sent there."""

    frameable: bool | None  # None: unknown (the page is then tried)
    problem: str | None = None  # in words, when the page could not be reached


class MediaSources(Protocol):
    """Where the broker reads media from; the composition root wires the implementations."""

    async def recording(
        self, account_sid: str, recording_sid: str, range_header: str | None
    ) -> MediaStream:
        """A recording Hindsight holds (NotFound when it does not hold it)."""

    async def fetch(
        self, url: str, range_header: str | None, headers: dict[str, str] | None = None
    ) -> MediaStream:
        """An external resource through the outbound fetcher (SSRF rules, limits)."""

    async def transcript(self, account_sid: str, sid: str) -> dict[str, Any] | None:
        """A chat transcript Hindsight holds (None: not held here)."""

    async def probe_page(self, url: str, own_origin: str) -> PageProbe:
        """Whether the page answers, and whether `own_origin` may frame it."""


class Analyses(Protocol):
    """Recording analyses (media/analysis.py): what the broker shows and asks for."""

    async def get(self, account_sid: str, media_key: str) -> Any | None: ...

    async def request(
        self, account_sid: str, media_key: str, source: str, channels: Any = None
    ) -> Any: ...


@dataclass
class _ProviderAnswer:
    media_url: str
    until: float


@dataclass
class MediaBroker:
    insights: InsightsService
    audit: AuditTrail
    clock: Clock
    link_key: bytes
    provider_key: bytes
    link_ttl_ms: int
    sources: MediaSources | None = None
    analyses: Analyses | None = None
    # Whether a person (a user SID) may still use what was issued to them: deactivation by
    # an admin or by SCIM provisioning ends their links and url_provider tokens at once.
    person_active: Callable[[str], Awaitable[bool]] | None = None
    _provider_cache: dict[str, _ProviderAnswer] = field(default_factory=dict)

    # --- minting ------------------------------------------------------------------------------

    async def _require_play(self, viewer: Viewer, action: str, object_id: str) -> None:
        await self.audit.require(
            viewer, Permission.PLAY, action, object_type="media", object_id=object_id
        )

    async def _item(
        self, viewer: Viewer, action: str, segment_id: str, index: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        object_id = f"{segment_id}/{index}"
        try:
            return await self.insights.media_item(viewer, segment_id, index)
        except NotFound:
            await self.audit.record(
                viewer,
                action,
                object_type="media",
                object_id=object_id,
                outcome=DENIED,
                reason="not found in the viewer's account and scope",
            )
            raise

    async def mint(
        self, viewer: Viewer, segment_id: str, index: int, own_origin: str | None = None
    ) -> MintedLink:
        """A short-lived link to one media item of a segment, for this person only.

        `own_origin` (this site, as the browser sees it) lets an Embedded page's framing
        policy be checked, so the UI offers a link where a frame would be refused."""
        object_id = f"{segment_id}/{index}"
        await self._require_play(viewer, "media.link", object_id)
        record, item = await self._item(viewer, "media.link", segment_id, index)
        if item["type"] == "VoiceRecording" and not item.get("playable", True):
            raise InvalidParameter(
                "Only the first recording of a segment plays in compatible mode "
                "(HINDSIGHT_MEDIA_MODE=extended plays them all)"
            )
        expires = self.clock.now_ms() + self.link_ttl_ms
        token = tokens.issue(
            self.link_key,
            tokens.TokenClaims(
                purpose=tokens.MEDIA_LINK,
                account_sid=viewer.account_sid,
                subject=viewer.actor_sid,
                session=viewer.session_id,
                resource=object_id,
                expires_ms=expires,
                extra={},
            ),
        )
        probe = await self._probe(item, own_origin)
        detail: dict[str, Any] = {
            "conversation_id": record["conversation_id"],
            "type": item["type"],
            "expires_ms": expires,
        }
        if probe.problem:
            detail["unavailable"] = probe.problem
        await self.audit.record(
            viewer, "media.link", object_type="media", object_id=object_id, detail=detail
        )
        return MintedLink(
            frameable=probe.frameable,
            unavailable=probe.problem,
            url=LINK_PATH + token,
            expires_ms=expires,
            segment_id=segment_id,
            index=index,
            type=item["type"],
            display=item.get("display", ""),
            host=_host(item) if item["type"] in _PAGES else None,
        )

    async def _probe(self, item: dict[str, Any], own_origin: str | None) -> PageProbe:
        """A page is asked for before the person is sent to it, so an unreachable host is
        said in words on the screen rather than as the browser's own error page."""
        if item["type"] not in _PAGES or not own_origin or self.sources is None:
            return PageProbe(frameable=None)
        if own_site_path(item["url"]) is not None:
            return PageProbe(frameable=True)  # one of this server's pages: never fetched
        probe = await self.sources.probe_page(item["url"], own_origin)
        if item["type"] != "Embedded":
            return PageProbe(frameable=None, problem=probe.problem)
        return probe

    # --- following a link ---------------------------------------------------------------------

    async def _claims(self, viewer: Viewer, token: str) -> tokens.TokenClaims:
        try:
            claims = tokens.verify(self.link_key, token, tokens.MEDIA_LINK, self.clock.now_ms())
            if (
                claims.account_sid != viewer.account_sid
                or claims.subject != viewer.actor_sid
                or claims.session != viewer.session_id
            ):
                raise tokens.InvalidToken("This link was issued to someone else")
            if not await self._subject_active(claims.subject):
                raise tokens.InvalidToken("This link's person is disabled")
        except tokens.InvalidToken as refused:
            await self.audit.record(
                viewer, "media.open", object_type="media", outcome=DENIED, reason=refused.message
            )
            raise
        return claims

    async def open(self, viewer: Viewer, token: str, range_header: str | None) -> Opened:
        claims = await self._claims(viewer, token)
        segment_id, _, index_text = claims.resource.partition("/")
        index = int(index_text) if index_text.isdigit() else -1
        kind = "media.open"
        await self._require_play(viewer, kind, claims.resource)
        record, item = await self._item(viewer, kind, segment_id, index)
        action = {
            "VoiceRecording": "media.play",
            "ChatTranscript": "transcript.open",
        }.get(item["type"], "media.open")
        detail = {"conversation_id": record["conversation_id"], "type": item["type"]}
        if range_header:
            detail["range"] = range_header[:100]
        try:
            opened = await self._open_item(viewer, item, claims, range_header)
        except HindsightError as failure:
            await self.audit.record(
                viewer,
                action,
                object_type="media",
                object_id=claims.resource,
                outcome=FAILED,
                reason=failure.message,
                detail=detail,
            )
            raise in_words(failure) from None
        await self.audit.record(
            viewer,
            action,
            object_type="media",
            object_id=claims.resource,
            outcome=ALLOWED,
            detail=detail,
        )
        return opened

    async def _open_item(
        self,
        viewer: Viewer,
        item: dict[str, Any],
        claims: tokens.TokenClaims,
        range_header: str | None,
    ) -> Opened:
        kind = item["type"]
        if kind in _PAGES:
            # A page of this server is sent to by its path, on the origin the person uses.
            return Opened("redirect", location=own_site_path(item["url"]) or item["url"])
        sources = self._sources()
        if kind == "ChatTranscript":
            transcript = await sources.transcript(viewer.account_sid, item["sid"])
            if transcript is None:
                raise NotFound(f"Hindsight holds no transcript for {item['sid']}")
            return Opened("document", document=transcript)
        if item.get("recording_sid"):
            held = await sources.recording(viewer.account_sid, item["recording_sid"], range_header)
            return Opened("stream", stream=held)
        if own_site_path(item.get("url")) is not None:
            # Names one of this server's recordings, which it no longer holds: nothing to fetch.
            raise NotFound("Hindsight no longer holds this recording")
        if item.get("url"):
            return Opened("stream", stream=await sources.fetch(item["url"], range_header))
        media_url = await self._ask_provider(viewer, item["url_provider"], claims)
        return Opened("stream", stream=await sources.fetch(media_url, range_header))

    def _sources(self) -> MediaSources:
        if self.sources is None:
            raise MediaUnavailable("This server cannot read media sources")
        return self.sources

    # --- waveform and talk analytics ---------------------------------------------------------

    async def analysis(self, viewer: Viewer, segment_id: str, index: int) -> dict[str, Any]:
        """The analysis of a recording item (peaks, talk intervals, measures), and the talk
        measures of the segment's own stretch of it. Asks for one when there is none yet."""
        object_id = f"{segment_id}/{index}"
        await self._require_play(viewer, "media.analysis", object_id)
        record, item = await self._item(viewer, "media.analysis", segment_id, index)
        if item["type"] != "VoiceRecording" or self.analyses is None:
            raise NotFound(f"media {object_id} has no recording analysis")
        if item.get("recording_sid"):
            key, source = f"recording:{item['recording_sid']}", item["recording_sid"]
        elif item.get("url"):
            key, source = _url_key(item["url"]), item["url"]
        else:
            # A url_provider's media_url is short-lived: there is nothing stable to analyse.
            raise NotFound("recordings behind a url_provider are not analysed")
        found = await self.analyses.get(viewer.account_sid, key)
        if found is None:
            found = await self.analyses.request(
                viewer.account_sid, key, source, item.get("channels")
            )
        document = found.as_json()
        document["segment_measures"] = _segment_measures(document, record, item)
        if document["status"] in _SETTLED:
            # The screen asks again while the analysis is pending; only the answer that
            # carries it (or says it failed) is an access to record, once.
            await self.audit.record(
                viewer,
                "media.analysis",
                object_type="media",
                object_id=object_id,
                detail={
                    "conversation_id": record["conversation_id"],
                    "status": document["status"],
                },
            )
        return document

    # --- url_provider -------------------------------------------------------------------------

    def provider_token(self, viewer: Viewer, claims: tokens.TokenClaims) -> str:
        """The token sent to a url_provider: who asks, for what, valid as long as the link."""
        return tokens.issue(
            self.provider_key,
            tokens.TokenClaims(
                purpose=tokens.PROVIDER_TOKEN,
                account_sid=viewer.account_sid,
                subject=viewer.actor_sid,
                session=None,
                resource=claims.resource,
                expires_ms=claims.expires_ms,
                extra={"name": viewer.name, "roles": list(viewer.roles)},
            ),
        )

    async def _ask_provider(
        self, viewer: Viewer, provider_url: str, claims: tokens.TokenClaims
    ) -> str:
        cache_key = f"{claims.subject}:{claims.resource}:{provider_url}"
        cached = self._provider_cache.get(cache_key)
        if cached is not None and cached.until > time.monotonic():
            return cached.media_url
        token = self.provider_token(viewer, claims)
        basic = base64.b64encode(f"token:{token}".encode()).decode()
        answer = await self._sources().fetch(
            provider_url, None, {"Authorization": f"Basic {basic}", "Accept": "application/json"}
        )
        media_url = await _media_url(answer)
        if len(self._provider_cache) > 10_000:
            self._provider_cache.clear()
        self._provider_cache[cache_key] = _ProviderAnswer(
            media_url, time.monotonic() + _PROVIDER_CACHE_SECONDS
        )
        return media_url

    async def _subject_active(self, subject: str) -> bool:
        if self.person_active is None or not is_sid(subject, Prefix.USER):
            return True  # an integration's credential: revoked with the credential
        return await self.person_active(subject)

    async def validate_provider_token(self, token: str) -> dict[str, Any]:
        """What a url_provider learns by checking a token (shaped like Twilio's IAM answer)."""
        try:
            claims = tokens.verify(
                self.provider_key, token, tokens.PROVIDER_TOKEN, self.clock.now_ms()
            )
            if not await self._subject_active(claims.subject):
                raise tokens.InvalidToken("The person this token was issued to is disabled")
        except tokens.InvalidToken as refused:
            return {"valid": False, "code": 20403, "message": refused.message}
        roles = [str(r) for r in claims.extra.get("roles", [])]
        return {
            "valid": True,
            "code": 0,
            "message": None,
            "expiration": _iso(claims.expires_ms),
            "account_sid": claims.account_sid,
            "identity": claims.subject,
            "realm_user_id": claims.extra.get("name"),
            "roles": roles,
            "can_play": Permission.PLAY in permissions_of(roles) or "service" in roles,
            "media": claims.resource,
        }


async def _media_url(answer: MediaStream) -> str:
    if answer.status != 200 or answer.body is None:
        raise MediaUnavailable(f"The recording's url_provider answered HTTP {answer.status}")
    chunks, size = [], 0
    async for chunk in answer.body:
        size += len(chunk)
        if size > _MAX_PROVIDER_ANSWER:
            raise MediaUnavailable("The recording's url_provider answer is too large")
        chunks.append(chunk)
    try:
        document = orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError:
        raise MediaUnavailable("The recording's url_provider did not answer JSON") from None
    media_url = document.get("media_url") if isinstance(document, dict) else None
    if not isinstance(media_url, str) or not media_url.startswith(("https://", "http://")):
        raise MediaUnavailable("The recording's url_provider answer has no http(s) media_url")
    return media_url


def _url_key(url: str) -> str:
    return "url:" + hashlib.sha256(url.encode("utf-8")).hexdigest()


def _segment_measures(
    analysis: dict[str, Any], record: dict[str, Any], item: dict[str, Any]
) -> dict[str, int | None] | None:
    """Talk measures of the segment's stretch of the recording (needs the recording's start)."""
    start = item.get("start_time")
    if analysis.get("status") != "done" or not analysis.get("intervals") or start is None:
        return None
    begin = max(record["start_ms"] - start, 0)
    end = (record["end_ms"] or start + (analysis.get("duration_ms") or 0)) - start
    end = min(end, analysis.get("duration_ms") or end)
    return window_measures(analysis["intervals"], begin, end)


def _host(item: dict[str, Any]) -> str | None:
    return urlsplit(item.get("url") or "").hostname


def _iso(epoch_ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_ms / 1000))
