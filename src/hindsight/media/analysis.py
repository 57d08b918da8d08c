"""Waveform and talk analytics for recordings: requested once, computed in the background.

`AnalysisService.request` records a job (idempotent: one row per account and media key, so a
recording is analysed once however often it is asked for); a worker started with the server
takes due jobs, reads the audio through the `AudioSource` registered for the key's kind
(`recording:` for recordings Hindsight holds, `url:` for external ones fetched through the
`SafeFetcher`), spools it to a temporary file and runs the decoding and analysis, which are
CPU-bound, in a thread pool, never on the event loop. Failures that another try could cure
(a timeout, a 503) are retried with exponential back-off; the rest fail the job at once with
the reason. Jobs live in the database, so pending and interrupted ones survive a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from hindsight.domain.clock import Clock
from hindsight.domain.errors import HindsightError, InvalidParameter
from hindsight.domain.speech_activity import SpeechParameters, analyse_recording
from hindsight.domain.timefmt import iso8601
from hindsight.media.decoding import AudioDecodeError, frame_statistics
from hindsight.media.fetch import FetchRefused, SafeFetcher, parse_target
from hindsight.store import media_analyses as store
from hindsight.store.database import Database

log = logging.getLogger(__name__)

MAX_KEY = 200
MAX_SOURCE = 4096
MAX_CHANNEL_NAMES = 8
_WRITE_BUFFER = 1024 * 1024


class AudioSource(Protocol):
    """Opens the bytes of one media item as an async stream of chunks.

    `locator` is what `request` was given as `source` (a URL for `url:` keys; whatever the
    recording store needs for `recording:` keys). Raise an exception with `permanent = True`
    when trying again cannot help (not found, forbidden); anything else is retried.
    """

    def open(
        self, account_sid: str, media_key: str, locator: str
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]: ...


class Sealing(Protocol):
    def seal(self, plaintext: str, context: str) -> str: ...

    def unseal(self, token: str, context: str) -> str: ...


class SourceUnavailable(Exception):
    """No source is registered for a media key's kind (a configuration problem)."""

    permanent = True


class MediaTooLarge(Exception):
    permanent = True


class SourceUnsealable(Exception):
    """This process's key cannot open a job's stored source."""


def url_media_key(url: str) -> str:
    """The media key of an external recording: its URL is hashed (it may hold a token)."""
    return "url:" + hashlib.sha256(url.encode("utf-8")).hexdigest()


def recording_media_key(recording_sid: str) -> str:
    return f"recording:{recording_sid}"


class UrlSource:
    """External recordings, fetched with every SSRF check of `SafeFetcher`."""

    def __init__(self, fetcher: SafeFetcher) -> None:
        self._fetcher = fetcher

    @contextlib.asynccontextmanager
    async def open(
        self, account_sid: str, media_key: str, locator: str
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        if url_media_key(locator) != media_key:
            raise InvalidParameter("the URL does not match its media key")
        async with self._fetcher.open(locator) as media:
            yield media.chunks()


@dataclass(frozen=True)
class AnalysisOptions:
    workers: int = 1
    max_attempts: int = 5
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 3600.0
    lease_seconds: float = 60.0
    poll_seconds: float = 1.0
    max_bytes: int = 1024 * 1024 * 1024
    max_seconds: float = 4 * 3600.0
    spool_dir: Path | None = None
    speech: SpeechParameters = field(default_factory=SpeechParameters)


@dataclass(frozen=True)
class Analysis:
    """One media item's analysis as stored; `as_json` is its wire form."""

    account_sid: str
    media_key: str
    status: str
    error: str | None
    attempts: int
    codec: str | None
    duration_ms: int | None
    channel_map: list[str] | None
    intervals: dict[str, Any] | None
    measures: dict[str, int | None] | None
    peaks: dict[str, Any] | None
    date_created_ms: int
    date_updated_ms: int
    completed_ms: int | None

    @classmethod
    def from_row(cls, row: store.MediaAnalysisRecord) -> Analysis:
        def load(text: str | None) -> Any:
            return None if text is None else orjson.loads(text)

        return cls(
            account_sid=row.account_sid,
            media_key=row.media_key,
            status=row.status,
            error=row.error,
            attempts=row.attempts,
            codec=row.codec,
            duration_ms=row.duration_ms,
            channel_map=load(row.channel_map),
            intervals=load(row.intervals),
            measures=load(row.measures),
            peaks=load(row.peaks),
            date_created_ms=row.date_created,
            date_updated_ms=row.date_updated,
            completed_ms=row.completed_ms,
        )

    def as_json(self, *, include_peaks: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "account_sid": self.account_sid,
            "media_key": self.media_key,
            "status": self.status,
            "error": self.error,
            "attempts": self.attempts,
            "date_created": iso8601(self.date_created_ms),
            "date_updated": iso8601(self.date_updated_ms),
            "date_completed": iso8601(self.completed_ms),
            "codec": self.codec,
            "duration_ms": self.duration_ms,
            "channel_map": self.channel_map,
            "intervals": self.intervals,
            "measures": self.measures,
        }
        if include_peaks:
            out["peaks"] = self.peaks
        return out


def _check_request(
    media_key: str, source: str, channels: Sequence[str] | None, kinds: Sequence[str]
) -> None:
    kind = media_key.split(":", 1)[0] if ":" in media_key else ""
    if not kind or len(media_key) > MAX_KEY or any(c.isspace() for c in media_key):
        raise InvalidParameter(f"media key must be '<kind>:<id>' of at most {MAX_KEY} characters")
    if kind not in kinds:
        raise InvalidParameter(f"no audio source for media keys of kind {kind!r}")
    if not isinstance(source, str) or not source or len(source) > MAX_SOURCE:
        raise InvalidParameter(f"source must be a non-empty string of at most {MAX_SOURCE}")
    if kind == "url":
        try:
            parse_target(source)
        except FetchRefused as exc:
            raise InvalidParameter(f"source: {exc}") from None
        if url_media_key(source) != media_key:
            raise InvalidParameter("a url: media key must be url_media_key(source)")
    if channels is not None and (
        isinstance(channels, str)
        or len(channels) > MAX_CHANNEL_NAMES
        or not all(isinstance(c, str) and 0 < len(c) <= 32 for c in channels)
    ):
        raise InvalidParameter(f"channels must be a list of at most {MAX_CHANNEL_NAMES} names")


def _context(account_sid: str, media_key: str) -> str:
    return f"media-analysis:{account_sid}:{media_key}"


def compute(path: str, channels: Sequence[str] | None, options: AnalysisOptions) -> dict[str, Any]:
    """Decode and analyse one file into the columns of its row (runs in a worker thread)."""
    with open(path, "rb") as handle:
        decoded = frame_statistics(
            handle, frame_ms=options.speech.frame_ms, max_seconds=options.max_seconds
        )
    result = analyse_recording(
        decoded.stats, channels, options.speech, mixed=decoded.identical_channels
    )
    return {
        "codec": decoded.codec,
        "duration_ms": result["duration_ms"],
        "channel_map": orjson.dumps(result["channel_map"]).decode(),
        "intervals": orjson.dumps(result["intervals"]).decode(),
        "measures": orjson.dumps(result["measures"]).decode(),
        "peaks": orjson.dumps(result["peaks"]).decode(),
    }


def _describe(exc: BaseException) -> str:
    known = HindsightError | AudioDecodeError | SourceUnavailable | MediaTooLarge | SourceUnsealable
    if isinstance(exc, known):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class AnalysisService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sealer: Sealing,
        sources: Mapping[str, AudioSource] | None = None,
        options: AnalysisOptions | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._sealer = sealer
        self._sources: dict[str, AudioSource] = dict(sources or {})
        self._options = options or AnalysisOptions()
        self._owner = f"analysis-{secrets.token_hex(6)}"
        self._pool = ThreadPoolExecutor(
            max(1, self._options.workers), thread_name_prefix="media-analysis"
        )
        self._wake: asyncio.Event | None = None

    @property
    def options(self) -> AnalysisOptions:
        return self._options

    def add_source(self, kind: str, source: AudioSource) -> None:
        """Register where keys `<kind>:…` are read from (e.g. `recording` for the store)."""
        self._sources[kind] = source

    async def request(
        self,
        account_sid: str,
        media_key: str,
        source: str,
        channels: Sequence[str] | None = None,
    ) -> Analysis:
        """Ask for a media item to be analysed; returns its (possibly finished) analysis.

        Asking again for the same key returns the existing job or result: nothing is computed
        twice, and the first request's source and channels stand.
        """
        _check_request(media_key, source, channels, tuple(self._sources))
        now = self._clock.now_ms()
        row = {
            "account_sid": account_sid,
            "media_key": media_key,
            "source_sealed": self._sealer.seal(source, _context(account_sid, media_key)),
            "channels": None if channels is None else orjson.dumps(list(channels)).decode(),
            "status": store.PENDING,
            "attempts": 0,
            "next_attempt_ms": now,
            "lease_until_ms": 0,
            "date_created": now,
            "date_updated": now,
        }
        saved = await self._db.write(lambda conn: store.create_if_absent(conn, row))
        if saved.status == store.PENDING and self._wake is not None:
            self._wake.set()
        return Analysis.from_row(saved)

    async def get(self, account_sid: str, media_key: str) -> Analysis | None:
        row = await self._db.read(lambda conn: store.find(conn, account_sid, media_key))
        return None if row is None else Analysis.from_row(row)

    # --- the worker ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Work through due jobs until `stop` is set, `workers` jobs at a time.

        On stop, jobs in flight are handed back (pending, the attempt not counted) so the next
        start takes them up at once rather than after their lease runs out.
        """
        self._wake = asyncio.Event()
        loops = [
            asyncio.create_task(self._loop(self._wake), name=f"media-analysis-{n}")
            for n in range(max(1, self._options.workers))
        ]
        try:
            await stop.wait()
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            self._wake = None

    async def _loop(self, wake: asyncio.Event) -> None:
        while True:
            try:
                if await self.run_once():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("media analysis pass failed")
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self._options.poll_seconds)

    async def run_once(self) -> bool:
        """Claim and process one due job; False when none is due."""
        now = self._clock.now_ms()
        until = now + int(self._options.lease_seconds * 1000)
        job = await self._db.write(lambda conn: store.claim_next(conn, self._owner, now, until))
        if job is None:
            return False
        await self._process(job)
        return True

    async def _process(self, job: store.MediaAnalysisRecord) -> None:
        heartbeat = asyncio.create_task(self._renew(job.id))
        spool: str | None = None
        try:
            source = self._sources.get(job.media_key.split(":", 1)[0])
            if source is None:
                raise SourceUnavailable(f"no audio source for {job.media_key.split(':')[0]!r}")
            locator = self._unseal(job)
            spool = await self._download(source, job.account_sid, job.media_key, locator)
            channels = None if job.channels is None else orjson.loads(job.channels)
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self._pool, compute, spool, channels, self._options)
        except asyncio.CancelledError:
            now = self._clock.now_ms()
            await self._db.write(lambda conn: store.release(conn, job.id, self._owner, now))
            raise
        except Exception as exc:
            await self._failed(job, exc)
        else:
            now = self._clock.now_ms()
            await self._db.write(lambda conn: store.finish(conn, job.id, self._owner, now, result))
        finally:
            heartbeat.cancel()
            if spool is not None:
                with contextlib.suppress(OSError):
                    os.unlink(spool)

    def _unseal(self, job: store.MediaAnalysisRecord) -> str:
        try:
            return self._sealer.unseal(job.source_sealed, _context(job.account_sid, job.media_key))
        except Exception:
            # Retried, not failed: the process that sealed it (sharing the database but, by
            # misconfiguration, not HINDSIGHT_SECRET_KEY) may still take the job.
            raise SourceUnsealable(
                "the media source cannot be unsealed with this server's key "
                "(do all servers sharing the database use the same HINDSIGHT_SECRET_KEY?)"
            ) from None

    async def _failed(self, job: store.MediaAnalysisRecord, exc: Exception) -> None:
        now = self._clock.now_ms()
        message = _describe(exc)[:2000]
        permanent = bool(getattr(exc, "permanent", False)) or isinstance(exc, InvalidParameter)
        expected = HindsightError | AudioDecodeError | SourceUnavailable | MediaTooLarge | OSError
        if isinstance(exc, SourceUnsealable):
            log.warning("media analysis of %s: %s", job.media_key, message)
        elif isinstance(exc, expected):
            log.info("media analysis of %s failed: %s", job.media_key, message)
        else:
            log.warning("media analysis of %s failed", job.media_key, exc_info=exc)
        if permanent or job.attempts >= self._options.max_attempts:
            await self._db.write(lambda conn: store.fail(conn, job.id, self._owner, now, message))
            return
        delay = min(
            self._options.retry_base_seconds * 2 ** (job.attempts - 1),
            self._options.retry_max_seconds,
        )
        at = now + int(delay * 1000)
        await self._db.write(
            lambda conn: store.retry_later(conn, job.id, self._owner, now, at, message)
        )

    async def _renew(self, job_id: int) -> None:
        lease_ms = int(self._options.lease_seconds * 1000)
        while True:
            await asyncio.sleep(self._options.lease_seconds / 3)
            until = self._clock.now_ms() + lease_ms
            await self._db.write(lambda conn, u=until: store.renew(conn, job_id, self._owner, u))

    async def _download(
        self, source: AudioSource, account_sid: str, media_key: str, locator: str
    ) -> str:
        """Copy the media into a temporary file (decoders seek; the network should not wait)."""
        directory = self._options.spool_dir
        fd, path = tempfile.mkstemp(prefix="hindsight-media-", dir=directory)
        try:
            with os.fdopen(fd, "wb") as out:
                buffered: list[bytes] = []
                pending = total = 0
                async with source.open(account_sid, media_key, locator) as chunks:
                    async for chunk in chunks:
                        total += len(chunk)
                        if total > self._options.max_bytes:
                            raise MediaTooLarge(
                                f"the media is larger than {self._options.max_bytes} bytes"
                            )
                        buffered.append(chunk)
                        pending += len(chunk)
                        if pending >= _WRITE_BUFFER:
                            await asyncio.to_thread(out.write, b"".join(buffered))
                            buffered, pending = [], 0
                if buffered:
                    await asyncio.to_thread(out.write, b"".join(buffered))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
        return path

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
