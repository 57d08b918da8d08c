"""Bulk export of conversations' media: recordings and chat transcripts as one ZIP.

A person with the Export right selects conversations (or a whole search); the conversations
are resolved in their scope when they ask, so an id they may not see is simply not exported.
The ZIP is built by one background process (the export row is claimed with a lease), streamed
item by item to a file under the data directory (never whole in memory), with every item
audited. An item that cannot be read (a recording host that does not answer, an address the
fetcher's rules refuse, a transcript Hindsight does not hold) is listed in the archive's
`manifest.csv` instead of failing the export. The person who asked downloads it once; the
file is then deleted, and an export not downloaded expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import secrets
import zipfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Connection

from hindsight.audit.trail import ALLOWED, FAILED, AuditTrail
from hindsight.domain.access import Scope, Viewer
from hindsight.domain.archive_names import archive_path
from hindsight.domain.clock import Clock
from hindsight.domain.csv_export import CsvWriter
from hindsight.domain.errors import HindsightError, InvalidParameter, NotFound
from hindsight.domain.own_site import own_site_path
from hindsight.domain.permissions import Permission, permissions_of
from hindsight.insights.filters import ConversationFilters
from hindsight.insights.queries import InsightsService
from hindsight.media.broker import MediaSources
from hindsight.media.failures import in_words
from hindsight.store import media_exports as store
from hindsight.store.database import Database

log = logging.getLogger(__name__)

MANIFEST_COLUMNS = (
    "conversation_id",
    "segment_id",
    "index",
    "type",
    "title",
    "file",
    "status",
    "reason",
)
_WRITE_BATCH = 256 * 1024


@dataclass(frozen=True)
class ExportOptions:
    directory: Path
    max_conversations: int = 1000
    keep_hours: float = 24.0
    lease_seconds: float = 30.0
    poll_seconds: float = 2.0


@dataclass(frozen=True)
class ExportStatus:
    id: str
    status: str
    total: int
    done: int
    items: int
    failed_items: int
    created_ms: int
    finished_ms: int | None
    expires_ms: int
    size_bytes: int | None
    error: str | None


@dataclass(frozen=True)
class ExportDownload:
    path: Path
    file_name: str
    size_bytes: int


def _status(row: store.MediaExportRecord) -> ExportStatus:
    return ExportStatus(
        id=row.id,
        status=row.status,
        total=row.total,
        done=row.done,
        items=row.items,
        failed_items=row.failed_items,
        created_ms=row.created_ms,
        finished_ms=row.finished_ms,
        expires_ms=row.expires_ms,
        size_bytes=row.size_bytes,
        error=row.error,
    )


def _requester(viewer: Viewer) -> str:
    return orjson.dumps(
        {
            "actor_type": viewer.actor_type,
            "name": viewer.name,
            "roles": list(viewer.roles),
            "scope": viewer.scope.to_json(),
            "ip": viewer.ip,
        }
    ).decode()


def _viewer_of(row: store.MediaExportRecord) -> Viewer:
    """The requester as they were when they asked: the export is built with those rights."""
    saved = orjson.loads(row.requester)
    if saved["actor_type"] != "user":
        return Viewer.service(row.account_sid, row.actor_sid, saved.get("ip"))
    return Viewer(
        account_sid=row.account_sid,
        actor_type="user",
        actor_sid=row.actor_sid,
        name=saved["name"],
        roles=tuple(saved["roles"]),
        permissions=permissions_of(saved["roles"]),
        scope=Scope.from_json(saved["scope"]),
        ip=saved.get("ip"),
    )


class _ItemFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MediaExports:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        audit: AuditTrail,
        insights: InsightsService,
        sources: MediaSources,
        options: ExportOptions,
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._insights = insights
        self._sources = sources
        self._options = options
        self._owner = f"exports:{secrets.token_hex(6)}"
        self._wake = asyncio.Event()

    @property
    def max_conversations(self) -> int:
        return self._options.max_conversations

    # --- asking, following, downloading -------------------------------------------------------

    async def request(
        self,
        viewer: Viewer,
        *,
        conversation_ids: Sequence[str] | None = None,
        filters: ConversationFilters | None = None,
    ) -> ExportStatus:
        """Queue an export of the selected conversations, or of every match of `filters`."""
        await self._audit.require(viewer, Permission.EXPORT, "media.export.request")
        cap = self._options.max_conversations
        if conversation_ids is not None:
            if not conversation_ids:
                raise InvalidParameter("Select at least one conversation to export")
            if len(set(conversation_ids)) > cap:
                raise InvalidParameter(f"An export holds at most {cap} conversations; select fewer")
            ids = await self._insights.in_scope(viewer, conversation_ids)
        else:
            ids = await self._insights.matching_ids(
                viewer, filters or ConversationFilters(), cap + 1
            )
            if len(ids) > cap:
                raise InvalidParameter(
                    f"This search finds more than {cap} conversations, the most one export "
                    "holds; narrow it (a shorter period, a queue) and export again"
                )
        if not ids:
            raise InvalidParameter("None of these conversations can be exported")
        now = self._clock.now_ms()
        export_id = "ME" + secrets.token_hex(16)
        row = {
            "id": export_id,
            "account_sid": viewer.account_sid,
            "actor_sid": viewer.actor_sid,
            "requester": _requester(viewer),
            "conversation_ids": orjson.dumps(ids).decode(),
            "status": store.QUEUED,
            "total": len(ids),
            "done": 0,
            "items": 0,
            "failed_items": 0,
            "lease_until_ms": 0,
            "created_ms": now,
            "expires_ms": now + int(self._options.keep_hours * 3_600_000),
        }
        await self._db.write(lambda conn: store.insert(conn, row))
        await self._audit.record(
            viewer,
            "media.export.request",
            object_type="media_export",
            object_id=export_id,
            detail={"conversations": len(ids), "whole_search": conversation_ids is None},
        )
        self._wake.set()
        return await self.status(viewer, export_id)

    async def _own(self, viewer: Viewer, export_id: str) -> store.MediaExportRecord:
        """The export if this viewer asked for it; another person's is not found (404)."""
        viewer.require(Permission.EXPORT)
        row = await self._db.read(lambda conn: store.find(conn, viewer.account_sid, export_id))
        if row is None or row.actor_sid != viewer.actor_sid:
            raise NotFound(f"No export {export_id!r} of yours")
        return row

    async def status(self, viewer: Viewer, export_id: str) -> ExportStatus:
        return _status(await self._own(viewer, export_id))

    async def take(self, viewer: Viewer, export_id: str) -> ExportDownload:
        """The ready archive, once: whoever calls second is refused (410)."""
        await self._audit.require(
            viewer,
            Permission.EXPORT,
            "media.export.download",
            object_type="media_export",
            object_id=export_id,
        )
        row = await self._own(viewer, export_id)
        now = self._clock.now_ms()
        if row.status in (store.QUEUED, store.BUILDING):
            raise ExportNotReady("This export is still being built")
        taken = row.status == store.READY and await self._db.write(
            lambda conn: store.take_download(conn, viewer.account_sid, export_id, now)
        )
        # A ready export has its file (store.finish sets both at once).
        if not taken or row.file_name is None:
            raise ExportGone(
                "This export was already downloaded, has expired or failed; export again"
            )
        await self._audit.record(
            viewer,
            "media.export.download",
            object_type="media_export",
            object_id=export_id,
            detail={"bytes": row.size_bytes},
        )
        return ExportDownload(self._path(export_id), row.file_name, row.size_bytes or 0)

    def discard(self, export_id: str) -> None:
        """Delete a downloaded archive (called when its download has been sent)."""
        with contextlib.suppress(FileNotFoundError):
            self._path(export_id).unlink()

    def _path(self, export_id: str) -> Path:
        return self._options.directory / f"{export_id}.zip"

    # --- building (a shared background job) ---------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        self._options.directory.mkdir(parents=True, exist_ok=True)
        while not stop.is_set():
            try:
                await self.expire()
                while not stop.is_set() and await self.run_once():
                    pass
            except Exception:
                log.exception("media export pass failed")
            self._wake.clear()
            waiting = asyncio.ensure_future(self._wake.wait())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {waiting, stopping},
                timeout=self._options.poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiting.cancel()
            stopping.cancel()

    async def expire(self) -> int:
        now = self._clock.now_ms()
        rows = await self._db.write(lambda conn: store.expire_due(conn, now))
        for row in rows:
            self.discard(row.id)
        return len(rows)

    def _lease_until(self) -> int:
        return self._clock.now_ms() + int(self._options.lease_seconds * 1000)

    async def run_once(self) -> bool:
        """Claim and build one waiting export; False when none waits."""
        now = self._clock.now_ms()
        until = self._lease_until()
        row = await self._db.write(lambda conn: store.claim_next(conn, self._owner, now, until))
        if row is None:
            return False
        try:
            size = await self._build(row)
        except _LeaseLost:
            log.warning("export %s was taken over by another process", row.id)
            return True
        except Exception as failure:
            log.exception("export %s failed", row.id)
            with contextlib.suppress(FileNotFoundError):
                self._partial(row.id).unlink()
            error = f"The export could not be built ({type(failure).__name__})"
            await self._db.write(
                lambda conn: store.fail(conn, row.id, self._owner, self._clock.now_ms(), error)
            )
            return True
        name = f"hindsight-export-{row.id[2:10]}.zip"
        await self._db.write(
            lambda conn: store.finish(conn, row.id, self._owner, self._clock.now_ms(), name, size)
        )
        return True

    async def _progress(self, export_id: str, builder: _Builder, done: int) -> bool:
        """Record how far the build is, renewing the lease; False once another builder has it."""
        until = self._lease_until()

        def unit(conn: Connection) -> bool:
            return store.progress(
                conn,
                export_id,
                self._owner,
                until,
                done=done,
                items=builder.items,
                failed_items=builder.failed,
            )

        return await self._db.write(unit)

    def _partial(self, export_id: str) -> Path:
        return self._options.directory / f"{export_id}.zip.part"

    async def _build(self, row: store.MediaExportRecord) -> int:
        viewer = _viewer_of(row)
        ids: list[str] = orjson.loads(row.conversation_ids)
        partial = self._partial(row.id)
        self._options.directory.mkdir(parents=True, exist_ok=True)
        builder = _Builder(self, viewer, row.id)
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            builder.archive = archive
            for done, conversation_id in enumerate(ids, start=1):
                await builder.conversation(conversation_id)
                alive = await self._progress(row.id, builder, done)
                if not alive:
                    raise _LeaseLost()
            builder.write_manifest()
        size = partial.stat().st_size
        partial.replace(self._path(row.id))
        return size


class _LeaseLost(Exception):
    pass


class ExportNotReady(HindsightError, status=409):
    """The export is still being written; its archive cannot be read yet (HTTP 409)."""


class ExportGone(HindsightError, status=410):
    """The export's archive has expired or was removed (HTTP 410)."""


class _Builder:
    """Writes one export's conversations into its archive, item by item, and its manifest."""

    def __init__(self, exports: MediaExports, viewer: Viewer, export_id: str) -> None:
        self._exports = exports
        self._viewer = viewer
        self._export_id = export_id
        self.archive: zipfile.ZipFile | None = None
        self._manifest: list[dict[str, Any]] = []
        self.items = 0
        self.failed = 0
        # Each source once per conversation: a task's recording is every segment's default.
        self._seen: dict[tuple[str, str], tuple[str, str | None, str | None]] = {}

    async def conversation(self, conversation_id: str) -> None:
        detail = await self._exports._insights.export_detail(self._viewer, conversation_id)
        if detail is None:
            # Gone since it was asked for (retention) or no longer in scope: nothing to say.
            self._note(
                conversation_id, None, None, None, None, None, "skipped", "no longer available"
            )
            return
        for segment in detail.segments:
            for item in segment["media"]:
                await self._item(conversation_id, segment["segment_id"], item)

    async def _item(self, conversation_id: str, segment_id: str, item: dict[str, Any]) -> None:
        kind = item.get("type")
        index = item.get("index")
        title = item.get("title")
        if kind not in ("VoiceRecording", "ChatTranscript"):
            self._note(
                conversation_id,
                segment_id,
                index,
                kind,
                title,
                None,
                "skipped",
                "a page or link, not a file: open it from the conversation",
            )
            return
        media_id = f"{segment_id}/{index}"
        source = _source_key(item)
        earlier = self._seen.get((conversation_id, source)) if source else None
        if earlier is not None:
            # Read (or tried) once already for another segment: the same outcome, not again.
            status, file, reason = earlier
            self._note(conversation_id, segment_id, index, kind, title, file, status, reason)
            return
        try:
            if kind == "ChatTranscript":
                name = await self._transcript(conversation_id, segment_id, index, item)
            else:
                name = await self._recording(conversation_id, segment_id, index, item)
        except _ItemFailed as failed:
            self.failed += 1
            if source:
                self._seen[(conversation_id, source)] = ("failed", None, failed.reason)
            self._note(
                conversation_id, segment_id, index, kind, title, None, "failed", failed.reason
            )
            await self._exports._audit.record(
                self._viewer,
                "media.export",
                object_type="media",
                object_id=media_id,
                outcome=FAILED,
                reason=failed.reason,
                detail={"export": self._export_id},
            )
            return
        self.items += 1
        if source:
            self._seen[(conversation_id, source)] = ("exported", name, None)
        self._note(conversation_id, segment_id, index, kind, title, name, "exported", None)
        await self._exports._audit.record(
            self._viewer,
            "media.export",
            object_type="media",
            object_id=media_id,
            outcome=ALLOWED,
            detail={"export": self._export_id, "conversation": conversation_id},
        )

    async def _transcript(
        self, conversation_id: str, segment_id: str, index: Any, item: dict[str, Any]
    ) -> str:
        sid = item.get("sid")
        found = (
            await self._exports._sources.transcript(self._viewer.account_sid, sid)
            if isinstance(sid, str)
            else None
        )
        if found is None:
            raise _ItemFailed("Hindsight holds no transcript for this chat")
        base = archive_path(conversation_id, f"{segment_id}-{index}-transcript")
        await self._write(base + ".json", [orjson.dumps(found, option=orjson.OPT_INDENT_2)])
        await self._write(base + ".txt", [transcript_text(found).encode()])
        return base + ".json"

    async def _recording(
        self, conversation_id: str, segment_id: str, index: Any, item: dict[str, Any]
    ) -> str:
        sources = self._exports._sources
        try:
            if item.get("recording_sid"):
                stream = await sources.recording(
                    self._viewer.account_sid, item["recording_sid"], None
                )
            elif own_site_path(item.get("url")) is not None:
                raise _ItemFailed("Hindsight no longer holds this recording")
            elif item.get("url"):
                stream = await sources.fetch(item["url"], None)
            else:
                raise _ItemFailed(
                    "served by a media provider for each listener; play it from the conversation"
                )
        except HindsightError as failure:
            raise _ItemFailed(in_words(failure).message) from failure
        if stream.status not in (200, 206) or stream.body is None:
            raise _ItemFailed(f"the recording's host answered HTTP {stream.status}")
        kind = stream.headers.get("Content-Type", "")
        name = archive_path(conversation_id, f"{segment_id}-{index}-recording{_extension(kind)}")
        try:
            await self._write(name, stream.body, compress=False)
        except HindsightError as failure:
            raise _ItemFailed(in_words(failure).message) from failure
        return name

    async def _write(
        self, name: str, chunks: AsyncIterator[bytes] | list[bytes], *, compress: bool = True
    ) -> None:
        assert self.archive is not None
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        # Audio is compressed already; deflating it costs CPU for nothing.
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        handle: IO[bytes] = self.archive.open(info, "w", force_zip64=True)
        try:
            if isinstance(chunks, list):
                for chunk in chunks:
                    await asyncio.to_thread(handle.write, chunk)
            else:
                pending = bytearray()
                async for chunk in chunks:
                    pending += chunk
                    if len(pending) >= _WRITE_BATCH:
                        await asyncio.to_thread(handle.write, bytes(pending))
                        pending.clear()
                if pending:
                    await asyncio.to_thread(handle.write, bytes(pending))
        finally:
            handle.close()

    def _note(
        self,
        conversation_id: str,
        segment_id: str | None,
        index: Any,
        kind: Any,
        title: Any,
        file: str | None,
        status: str,
        reason: str | None,
    ) -> None:
        self._manifest.append(
            {
                "conversation_id": conversation_id,
                "segment_id": segment_id,
                "index": index,
                "type": kind,
                "title": title,
                "file": file,
                "status": status,
                "reason": reason,
            }
        )

    def write_manifest(self) -> None:
        assert self.archive is not None
        with self.archive.open("manifest.csv", "w") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = CsvWriter(MANIFEST_COLUMNS, out=text)
            for entry in self._manifest:
                writer.write(entry)
            text.flush()
            text.detach()


def _source_key(item: dict[str, Any]) -> str | None:
    for field in ("recording_sid", "sid", "url"):
        value = item.get(field)
        if isinstance(value, str) and value:
            return f"{field}:{value}"
    return None


def _extension(content_type: str) -> str:
    kind = content_type.split(";", 1)[0].strip().lower()
    return {
        "audio/wav": ".wav",
        "audio/x-wav": ".wav",
        "audio/wave": ".wav",
        "audio/mpeg": ".mp3",
        "audio/mp3": ".mp3",
        "audio/ogg": ".ogg",
        "audio/opus": ".opus",
        "audio/webm": ".webm",
        "audio/mp4": ".m4a",
        "audio/flac": ".flac",
    }.get(kind, ".bin")


def transcript_text(transcript: dict[str, Any]) -> str:
    """A transcript as plain text: one line per message, `time  author: body`."""
    lines = []
    for message in transcript.get("messages") or []:
        when = message.get("timestamp") or ""
        who = message.get("author") or message.get("participant_sid") or "?"
        role = message.get("role")
        who = f"{who} ({role})" if role else who
        body = (message.get("body") or "").replace("\r", " ")
        lines.append(f"{when}  {who}: {body}")
    return "\n".join(lines) + ("\n" if lines else "")
