"""Ingest: TaskRouter events from a real Twilio account, appended to Hindsight's event log.

Twilio posts them (EventCallbackUrl form posts, Event Streams webhook batches) signed with the
source's Auth Token. Each event lands in the log of a *mirrored workspace*: the Twilio workspace
under its own SID, owned by the source's account and created on first sight. From there the
Events resource reads it and the Insights projection follows it, exactly as for workspaces
Hindsight routes itself, so a Twilio user gets Hindsight as their Insights.

Rules:

* a request whose signature does not verify stores nothing (403);
* the log is what Hindsight received, in arrival order, each event keeping Twilio's time;
* an event SID is stored once: a redelivery is acknowledged and dropped;
* a mirrored workspace holds only its Twilio account's events, and Twilio's events never enter
  a workspace Hindsight routes itself or another account's (409), nor a deleted one's log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from hindsight.domain.clock import Clock
from hindsight.domain.errors import Conflict, Forbidden, InvalidParameter
from hindsight.domain.ingest import TWILIO_SOURCE, IngestedEvent, from_callback, from_event_streams
from hindsight.domain.webhook_signature import form_request_is_signed, json_request_is_signed
from hindsight.eventlog.append import log_row
from hindsight.eventlog.notify import LogNotifier
from hindsight.eventlog.twilio_sources import SigningKey, TwilioSourceService
from hindsight.store import events as event_store
from hindsight.store import twilio_sources as store
from hindsight.store.database import Database
from hindsight.store.records import written


@dataclass(frozen=True)
class IngestResult:
    stored: int
    duplicates: int
    # Events of other Twilio products in an Event Streams batch: acknowledged, not stored.
    skipped: int
    workspaces: frozenset[str]


class TwilioIngest:
    def __init__(
        self, db: Database, clock: Clock, notifier: LogNotifier, sources: TwilioSourceService
    ) -> None:
        self._db = db
        self._clock = clock
        self._notifier = notifier
        self._sources = sources

    async def taskrouter_callback(
        self, source_sid: str, url: str, form: Sequence[tuple[str, str]], signature: str | None
    ) -> IngestResult:
        """One EventCallbackUrl post: `url` as Twilio requested it, `form` its parameters."""
        key = await self._sources.signing_key(source_sid)
        if not form_request_is_signed(key.auth_token, url, form, signature):
            raise _bad_signature(key, url)
        event = from_callback(form, self._clock.now_ms())
        return await self._append(key, [event], skipped=0)

    async def event_streams(
        self, source_sid: str, url: str, body: bytes, signature: str | None
    ) -> IngestResult:
        """One Event Streams webhook delivery: a JSON list of CloudEvents."""
        key = await self._sources.signing_key(source_sid)
        if not json_request_is_signed(key.auth_token, url, body, signature):
            raise _bad_signature(key, url, json=True)
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise InvalidParameter("The body is not JSON (a list of CloudEvents)") from None
        if not isinstance(document, list | dict):
            raise InvalidParameter("The body must be a JSON list of CloudEvents")
        total = len(document) if isinstance(document, list) else 1
        events = from_event_streams(document, self._clock.now_ms())
        return await self._append(key, events, skipped=total - len(events))

    async def _append(
        self, key: SigningKey, events: list[IngestedEvent], skipped: int
    ) -> IngestResult:
        source = key.source
        for event in events:
            if event.twilio_account_sid != source.twilio_account_sid:
                raise Forbidden(
                    f"Event {event.sid} is from Twilio account {event.twilio_account_sid}, "
                    f"but source {source.sid} mirrors {source.twilio_account_sid}"
                )
        if not events:
            return IngestResult(0, 0, skipped, frozenset())
        now = self._clock.now_ms()

        def unit(conn: Connection) -> IngestResult:
            return _store(conn, source, events, now, skipped)

        try:
            result = await self._db.write(unit)
        except IntegrityError:
            # Only a concurrent delivery of the same events can collide here; its outcome is
            # committed now, so running again sees it (and acknowledges the duplicates).
            try:
                result = await self._db.write(unit)
            except IntegrityError:
                raise Conflict("These events conflict with events being recorded") from None
        if result.workspaces:
            self._notifier.appended(set(result.workspaces))
        return result


def _bad_signature(key: SigningKey, url: str, json: bool = False) -> Forbidden:
    what = "the URL with its bodySHA256 and the body" if json else "the URL and form parameters"
    return Forbidden(
        f"X-Twilio-Signature does not match {what} for Twilio source {key.source.sid}, signed "
        f"with the Auth Token of {key.source.twilio_account_sid}. The URL checked is {url}; "
        "set HINDSIGHT_PUBLIC_URL to the address Twilio is given if it differs"
    )


def _store(
    conn: Connection,
    source: store.TwilioSourceRecord,
    events: list[IngestedEvent],
    now: int,
    skipped: int,
) -> IngestResult:
    by_workspace: dict[str, list[IngestedEvent]] = {}
    for event in events:
        by_workspace.setdefault(event.workspace_sid, []).append(event)
    stored = duplicates = 0
    touched: set[str] = set()
    placed: dict[str, str] = {}
    # Workspaces in SID order, so concurrent batches lock them in the same order.
    for workspace_sid in sorted(by_workspace):
        batch = by_workspace[workspace_sid]
        name = next((e.workspace_name for e in batch if e.workspace_name), None)
        workspace = _mirror(conn, source, workspace_sid, name, now)
        # The workspace row is locked now, so no concurrent delivery can add these SIDs.
        placed.update(store.recorded_events(conn, [e.sid for e in batch]))
        fresh = []
        for event in batch:
            where = placed.get(event.sid)
            if where is None:
                placed[event.sid] = workspace_sid
                fresh.append(event)
            elif where == workspace_sid:
                duplicates += 1
            else:
                raise Conflict(
                    f"Event {event.sid} is already recorded in workspace {where}, "
                    f"not {workspace_sid}"
                )
        if fresh:
            _append_rows(conn, workspace, fresh)
            stored += len(fresh)
            touched.add(workspace_sid)
    return IngestResult(stored, duplicates, skipped, frozenset(touched))


def _mirror(
    conn: Connection,
    source: store.TwilioSourceRecord,
    workspace_sid: str,
    name: str | None,
    now: int,
) -> store.IngestWorkspace:
    """The workspace mirroring this Twilio workspace, created on first sight, locked."""
    if store.is_retired(conn, workspace_sid):
        raise Conflict(
            f"Workspace {workspace_sid} was deleted here; its log is kept and Twilio's events "
            "are not mixed into it"
        )
    workspace = store.lock_workspace(conn, workspace_sid)
    if workspace is None:
        store.insert_workspace_if_absent(
            conn,
            {
                "sid": workspace_sid,
                "account_sid": source.account_sid,
                "friendly_name": name or workspace_sid,
                "event_callback_url": None,
                "events_filter": None,
                "multi_task_enabled": True,
                "prioritize_queue_order": "FIFO",
                "default_activity_sid": None,
                "timeout_activity_sid": None,
                "event_seq": 0,
                "mirror_source": source.sid,
                "date_created": now,
                "date_updated": now,
            },
        )
        workspace = written(store.lock_workspace(conn, workspace_sid))
    if workspace.account_sid != source.account_sid:
        raise Conflict(
            f"Workspace {workspace_sid} belongs to another Hindsight account; Twilio source "
            f"{source.sid} cannot write to it"
        )
    if workspace.mirror_source is None:
        raise Conflict(
            f"Workspace {workspace_sid} is a workspace Hindsight routes itself, not a mirror of "
            "Twilio; Twilio's events are not mixed into it"
        )
    changes: dict[str, Any] = {}
    if workspace.mirror_source != source.sid:
        if store.get_source(conn, workspace.mirror_source) is not None:
            raise Conflict(
                f"Workspace {workspace_sid} mirrors Twilio source {workspace.mirror_source}, "
                f"not {source.sid}"
            )
        # Its source was removed and the Twilio account added again: the mirror resumes.
        changes["mirror_source"] = source.sid
    if name and name != workspace.friendly_name:
        changes["friendly_name"] = name
    if changes:
        store.update_workspace(conn, workspace_sid, {**changes, "date_updated": now})
        workspace = written(store.lock_workspace(conn, workspace_sid))
    return workspace


def _append_rows(
    conn: Connection, workspace: store.IngestWorkspace, events: list[IngestedEvent]
) -> None:
    positions = event_store.allocate_positions(conn, len(events))
    rows = []
    for position, event in zip(positions, events, strict=True):
        rows.append(
            log_row(
                workspace,
                position,
                event,
                event.data,
                sid=event.sid,
                actor_type=event.actor_type,
                actor_sid=event.actor_sid,
                event_date_ms=event.event_date_ms,
                source=TWILIO_SOURCE,
                source_ip_address=None,
            )
        )
    event_store.insert_events(conn, rows)
