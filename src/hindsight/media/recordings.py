"""Call recordings Hindsight holds: upload, list, fetch, delete, and stream with byte ranges.

An upload is streamed into the blob store as it arrives (never held in memory), its format
judged from its first bytes so a file that is not audio is refused before it is stored. When
the upload is complete its container is probed (duration, channels, sample rate; cut-short
files refused), its links are checked against the account's tasks and reservations, and only
then is its row written. Whatever fails on the way removes the blob again: a refused upload
leaves nothing behind.

`open_media` is the one way to read a recording's bytes: the API's media route and the media
broker both call it and only adapt its answer to HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

import anyio
import orjson
from sqlalchemy import Connection

from hindsight.domain import recordings as rules
from hindsight.domain.errors import HindsightError, InvalidParameter, NotFound, PayloadTooLarge
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.recordings import UNSATISFIABLE, ByteRange, RecordingLinks
from hindsight.domain.sids import Prefix, new_sid
from hindsight.domain.timefmt import to_datetime
from hindsight.media import audio
from hindsight.media.storage import BlobMissing, BlobStore, BlobWriter
from hindsight.service_base import Caller, Deps, Service
from hindsight.store import recordings as store
from hindsight.store.keyset import fetch_page

log = logging.getLogger(__name__)

API_PATH = "/api/v1/recordings"
# The order recordings are listed in: newest first.
RECORDING_ORDER = store.SORT
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


def media_path(sid: str) -> str:
    return f"{API_PATH}/{sid}/media"


@dataclass(frozen=True)
class Recording:
    sid: str
    account_sid: str
    workspace_sid: str | None
    task_sid: str | None
    reservation_sid: str | None
    call_sid: str | None
    title: str | None
    format: str
    content_type: str
    size: int
    sha256: str
    duration_ms: int
    channels: int
    channel_map: tuple[str, ...]
    sample_rate: int
    start_time_ms: int | None
    date_created_ms: int
    date_updated_ms: int

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.duration_ms / 1000

    @property
    def path(self) -> str:
        return f"{API_PATH}/{self.sid}"

    @property
    def media_path(self) -> str:
        return media_path(self.sid)

    @classmethod
    def from_row(cls, row: store.RecordingRecord) -> Recording:
        return cls.from_mapping(row._mapping)

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> Recording:
        return cls(
            sid=row["sid"],
            account_sid=row["account_sid"],
            workspace_sid=row["workspace_sid"],
            task_sid=row["task_sid"],
            reservation_sid=row["reservation_sid"],
            call_sid=row["call_sid"],
            title=row["title"],
            format=row["format"],
            content_type=row["content_type"],
            size=row["size"],
            sha256=row["sha256"],
            duration_ms=row["duration_ms"],
            channels=row["channels"],
            channel_map=tuple(orjson.loads(row["channel_map"])),
            sample_rate=row["sample_rate"],
            start_time_ms=row["start_time_ms"],
            date_created_ms=row["date_created"],
            date_updated_ms=row["date_updated"],
        )


@dataclass(frozen=True)
class RecordingDetails:
    """What the uploader says about a recording besides its bytes (already validated)."""

    links: RecordingLinks
    channels: tuple[str, ...] | None = None
    start_time_ms: int | None = None
    title: str | None = None


@dataclass(frozen=True)
class RecordingFilters:
    task_sid: str | None = None
    reservation_sid: str | None = None
    call_sid: str | None = None


@dataclass(frozen=True)
class MediaResponseParts:
    """An HTTP answer for a recording's bytes, for any adapter to send as it is.

    `status` is 200 (the whole file), 206 (one range; `Content-Range` set) or 416 (no byte of
    the range exists; `Content-Range: bytes */size`, no body). `body` yields the bytes in
    chunks; it is None for HEAD and for 416. Headers hold everything but the body framing
    adapters add themselves (`Content-Length` is set; it is the length `body` yields).
    """

    status: int
    headers: dict[str, str]
    body: AsyncIterator[bytes] | None
    recording: Recording

    @property
    def content_type(self) -> str:
        return self.headers["Content-Type"]


class RecordingUpload:
    """One upload on its way into the blob store: limited in size, refused early if not audio."""

    def __init__(self, writer: BlobWriter, max_bytes: int) -> None:
        self._writer = writer
        self._max_bytes = max_bytes
        self._head = b""
        self._format: str | None = None

    @property
    def size(self) -> int:
        return self._writer.size

    @property
    def key(self) -> str:
        return self._writer.key

    async def write(self, data: bytes) -> None:
        """Take the next bytes; PayloadTooLarge past the limit, 415 as soon as it is not audio."""
        if self._writer.size + len(data) > self._max_bytes:
            raise PayloadTooLarge(
                f"The recording is larger than the limit of {self._max_bytes} bytes"
            )
        if self._format is None:
            self._head += data[: audio.SNIFF_BYTES - len(self._head)]
            if len(self._head) >= audio.SNIFF_BYTES:
                self._format = audio.sniff(self._head)
        await self._writer.write(data)

    def check_format(self) -> str:
        """The format sniffed from the first bytes (also for files shorter than a sniff)."""
        if self._writer.size == 0:
            raise InvalidParameter("The file is empty")
        if self._format is None:
            self._format = audio.sniff(self._head)
        return self._format

    async def commit(self) -> str:
        return (await self._writer.commit()).sha256

    async def abort(self) -> None:
        await self._writer.abort()


# Called with (account SID, recording SID, channel map) once a recording is stored: the
# composition root asks for its waveform and talk analysis there.
OnStored = Callable[[str, str, list[str]], Awaitable[Any]]


class RecordingService(Service):
    def __init__(
        self,
        deps: Deps,
        blobs: BlobStore,
        max_bytes: int = DEFAULT_MAX_BYTES,
        on_stored: OnStored | None = None,
    ) -> None:
        super().__init__(deps)
        self.blobs = blobs
        self.max_bytes = max_bytes
        self._on_stored = on_stored

    # --- upload -------------------------------------------------------------------------------

    def begin_upload(self, caller: Caller) -> tuple[str, RecordingUpload]:
        """A new recording's SID and the upload to stream its bytes into.

        Finish with `finish_upload`, or `abort()` the upload if the request fails.
        """
        sid = new_sid(Prefix.RECORDING)
        key = f"{caller.account_sid}/{sid}"
        return sid, RecordingUpload(self.blobs.writer(key), self.max_bytes)

    async def finish_upload(
        self, caller: Caller, sid: str, upload: RecordingUpload, details: RecordingDetails
    ) -> Recording:
        """Probe, check the links and record the upload; on any refusal nothing stays stored."""
        try:
            upload.check_format()
            sha256 = await upload.commit()
        except BaseException:
            await upload.abort()
            raise
        try:
            info = await anyio.to_thread.run_sync(self._probe, upload.key, upload.size)
            channel_map = rules.channel_map(details.channels, info.channels)
            now = self._clock.now_ms()
            row = {
                "sid": sid,
                "account_sid": caller.account_sid,
                "task_sid": details.links.task_sid,
                "reservation_sid": details.links.reservation_sid,
                "call_sid": details.links.call_sid,
                "title": details.title,
                "blob_key": upload.key,
                "format": info.format,
                "content_type": info.content_type,
                "size": upload.size,
                "sha256": sha256,
                "duration_ms": info.duration_ms,
                "channels": info.channels,
                "channel_map": orjson.dumps(list(channel_map)).decode(),
                "sample_rate": info.sample_rate,
                "start_time_ms": details.start_time_ms,
                "date_created": now,
                "date_updated": now,
            }

            def unit(conn: Connection) -> dict[str, Any]:
                row["workspace_sid"] = _checked_workspace(conn, caller.account_sid, details.links)
                store.insert_recording(conn, row)
                return row

            await self._db.write(unit)
        except BaseException:
            # Shielded: a client that hangs up mid-refusal must not leave the blob behind.
            with anyio.CancelScope(shield=True):
                await self.blobs.delete(upload.key)
            raise
        if self._on_stored is not None:
            try:
                await self._on_stored(caller.account_sid, sid, list(channel_map))
            except HindsightError:
                # The recording is stored; its analysis can be asked for again later.
                log.warning("could not queue the analysis of %s", sid, exc_info=True)
        return Recording.from_mapping(row)

    def _probe(self, key: str, size: int) -> audio.AudioInfo:
        with self.blobs.open_reader(key) as reader:
            return audio.probe(reader, size)

    # --- read and delete ----------------------------------------------------------------------

    async def get(self, caller: Caller, sid: str) -> Recording:
        return Recording.from_row(await self._row(caller.account_sid, sid))

    async def list_recordings(
        self, caller: Caller, filters: RecordingFilters, page: PageRequest
    ) -> tuple[list[Recording], PageResult[store.RecordingRecord]]:
        query = store.list_query(
            caller.account_sid, filters.task_sid, filters.reservation_sid, filters.call_sid
        )
        result = await self._scan(
            lambda conn: fetch_page(conn, query, RECORDING_ORDER, page, read=store.read)
        )
        return [Recording.from_row(r) for r in result.rows], result

    async def delete(self, caller: Caller, sid: str) -> None:
        """Remove the row, then the file: no moment where a row names a missing file."""

        def unit(conn: Connection) -> str:
            row = store.get(conn, caller.account_sid, sid)
            if row is None or not store.delete_recording(conn, caller.account_sid, sid):
                raise _not_found(sid)
            return row.blob_key

        key = await self._db.write(unit)
        await self.blobs.delete(key)

    async def _row(self, account_sid: str, sid: str) -> store.RecordingRecord:
        if not rules.is_recording_sid(sid):
            raise _not_found(sid)
        row = await self._read(lambda conn: store.get(conn, account_sid, sid))
        if row is None:
            raise _not_found(sid)
        return row

    # --- media --------------------------------------------------------------------------------

    async def open_media(
        self,
        account_sid: str,
        sid: str,
        range_header: str | None = None,
        *,
        if_range: str | None = None,
        head: bool = False,
    ) -> MediaResponseParts:
        """The answer to GET (or HEAD) of a recording's bytes, honouring one byte range.

        NotFound for a SID the account does not hold (or whose file is gone). The caller must
        already have decided that `account_sid` may read it.
        """
        row = await self._row(account_sid, sid)
        recording = Recording.from_row(row)
        size = recording.size
        etag = f'"{recording.sha256}"'
        last_modified = format_datetime(to_datetime(recording.date_created_ms), usegmt=True)
        headers = {
            "Content-Type": recording.content_type,
            "Accept-Ranges": "bytes",
            "ETag": etag,
            "Last-Modified": last_modified,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }
        wanted = (
            rules.parse_range(range_header, size)
            if rules.if_range_allows(if_range, etag, last_modified)
            else None
        )
        if wanted is UNSATISFIABLE:
            headers["Content-Range"] = f"bytes */{size}"
            return MediaResponseParts(416, headers, None, recording)
        if isinstance(wanted, ByteRange):
            status, start, length = 206, wanted.start, wanted.length
            headers["Content-Range"] = f"bytes {wanted.start}-{wanted.end}/{size}"
        else:
            status, start, length = 200, 0, size
        headers["Content-Length"] = str(length)
        try:
            if head:
                if not await self.blobs.exists(row.blob_key):
                    raise BlobMissing(row.blob_key)
                body = None
            else:
                body = _noted(await self.blobs.open_range(row.blob_key, start, length), sid)
        except BlobMissing:
            raise NotFound(f"The media of recording {sid} is missing from storage") from None
        return MediaResponseParts(status, headers, body, recording)


async def _noted(body: AsyncIterator[bytes], sid: str) -> AsyncIterator[bytes]:
    """The body, with a failure after the answer started (the store stopping, a tampered
    chunk further in) logged: the status is sent by then, only the connection can end."""
    try:
        async for chunk in body:
            yield chunk
    except HindsightError as failure:
        log.warning("streaming recording %s stopped: %s", sid, failure.message)
        raise


def _not_found(sid: str) -> NotFound:
    return NotFound(f"The requested resource {API_PATH}/{sid} was not found")


def _checked_workspace(conn: Connection, account_sid: str, links: RecordingLinks) -> str | None:
    """The workspace the links lie in; refuses links to what the account does not have."""
    found: list[str] = []
    if links.task_sid is not None:
        task = store.task(conn, account_sid, links.task_sid)
        if task is None:
            raise InvalidParameter(f"task_sid {links.task_sid} is not a task of this account")
        found.append(task.workspace_sid)
    if links.reservation_sid is not None:
        reservation = store.reservation(conn, account_sid, links.reservation_sid)
        if reservation is None:
            raise InvalidParameter(
                f"reservation_sid {links.reservation_sid} is not a reservation of this account"
            )
        if links.task_sid is not None and reservation.task_sid != links.task_sid:
            raise InvalidParameter(
                f"reservation_sid {links.reservation_sid} is not a reservation of task "
                f"{links.task_sid}"
            )
        found.append(reservation.workspace_sid)
    if links.workspace_sid is not None:
        if found and any(ws != links.workspace_sid for ws in found):
            raise InvalidParameter(
                f"workspace_sid {links.workspace_sid} is not the workspace of the linked task"
            )
        if not found and not store.workspace_known(conn, account_sid, links.workspace_sid):
            raise InvalidParameter(
                f"workspace_sid {links.workspace_sid} is not a workspace of this account"
            )
        return links.workspace_sid
    return found[0] if found else None
