"""Reprojection: the Insights projection is a pure function of the event log.

A real server (SQLite and PostgreSQL) records a varied contact-centre day through the official
helper library. Then, with the server stopped, the projection is rebuilt from the whole log the
way `hindsight reproject` does it and compared with what the live projector built, column by
column; and a projector that dies in the middle of a batch is shown to resume with nothing
lost or applied twice.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select
from twilio.rest import Client

from hindsight.app import Runtime, build_runtime
from hindsight.insights import projector as projector_module
from hindsight.settings import Settings
from hindsight.store import events as event_store
from hindsight.store import insights as insights_store
from hindsight.store.schema import (
    conversations,
    events,
    projection_tasks,
    projector_cursors,
    segments,
)
from tests.api.helpers_routing import floor
from tests.support.server import RunningServer, start_server
from tests.support.twilio_client import client_for
from tests.support.waiting import wait_for, wait_until_steady

PROJECTION = (segments, conversations, projection_tasks, projector_cursors)
# updated_ms is when a row was last written; conversations.id is a surrogate key (PostgreSQL's
# sequence does not restart after the reset). Every other column must be reproduced exactly.
NOT_COMPARED = {"updated_ms", "id"}

RECORDING = {
    "type": "VoiceRecording",
    "url": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
    "start_time": "2019-11-21T15:32:00Z",
    "channels": ["customer", "others"],
}
WORKER_LEG = {"type": "VoiceRecording", "url_provider": "https://rec.example.org/sec?r=RE2"}
REFERENCED = {"type": "Referenced", "url": "https://tickets.example.org/T-77", "title": "T-77"}


# --- the data set -----------------------------------------------------------------------------


def contact_centre_day(client: Client) -> str:
    """Transfers, rejections, abandonment, missed offers, late media, regrouping, work in
    progress and agent statuses in one workspace; returns its SID."""
    f = floor(client, "Contact centre")
    team_a = f.queue("Team A", "team == 'A'")
    team_b = f.queue("Team B", "team == 'B'")
    nobody = f.queue("Nobody", "team == 'none'")
    workflow = f.workflow(
        "Inbound",
        [
            {
                "filter_friendly_name": "To B",
                "expression": "transfer_to == 'B'",
                "targets": [{"queue": team_b.sid}],
            },
            {
                "filter_friendly_name": "Unserved",
                "expression": "route == 'nobody'",
                "targets": [{"queue": nobody.sid}],
            },
        ],
        default_queue=team_a.sid,
    )
    ada = f.worker("Ada", team="A")
    ben = f.worker("Ben", team="A", available=False)
    cy = f.worker("Cy", team="B")

    # A cold transfer from Ada (Team A) to Cy (Team B), with a task-level recording.
    first = f.task(workflow.sid, **{"from": "+15550100", "conversations": {"media": [RECORDING]}})
    offer = f.pending_one(first.sid)
    assert offer.worker_sid == ada.sid
    f.answer(offer, reservation_status="accepted")
    second = f.task(
        workflow.sid,
        **{
            "from": "+15550100",
            "transfer_to": "B",
            "conversations": {"conversation_id": first.sid, "outcome": "transferred"},
        },
    )
    f.answer(offer, reservation_status="wrapping")
    f.answer(offer, reservation_status="completed")
    transferred = f.pending_one(second.sid)
    assert transferred.worker_sid == cy.sid
    f.answer(transferred, reservation_status="accepted")
    f.api.tasks(second.sid).update(assignment_status="completed", reason="resolved")

    # Ada rejects; Ben takes it with his own recording; media arrives after completion.
    third = f.task(workflow.sid, customers={"phone": "+15550100"})
    f.answer(f.pending_one(third.sid), reservation_status="rejected")
    f.set_activity(ben.sid, f.available)
    taken = f.pending_one(third.sid)
    assert taken.worker_sid == ben.sid
    attributes = {
        "customers": {"phone": "+15550100"},
        "reservation_attributes": {taken.sid: {"media": [WORKER_LEG]}},
    }
    f.api.tasks(third.sid).update(attributes=json.dumps(attributes))
    f.answer(taken, reservation_status="accepted")
    f.api.tasks(third.sid).update(assignment_status="completed", reason="done")
    late = {**attributes, "conversations": {"media": [REFERENCED]}}
    f.api.tasks(third.sid).update(attributes=json.dumps(late))

    # Abandoned in a queue nobody serves; canceled while ringing Ada.
    abandoned = f.task(workflow.sid, route="nobody")
    ringing = f.task(workflow.sid)
    f.pending_one(ringing.sid)
    f.api.tasks(ringing.sid).update(assignment_status="canceled", reason="hangup")
    # A waiting task regrouped into the abandoned task's conversation, then canceled.
    regrouped = f.task(workflow.sid, route="nobody")
    f.api.tasks(regrouped.sid).update(
        attributes=json.dumps(
            {"route": "nobody", "conversations": {"conversation_id": abandoned.sid}}
        )
    )
    f.api.tasks(regrouped.sid).update(assignment_status="canceled", reason="hangup")
    f.api.tasks(abandoned.sid).update(assignment_status="canceled", reason="hangup")

    # Still talking when the day is recorded; wrapped attributes.
    talking = f.task(workflow.sid, task_attributes={"conversations": {"media": [REFERENCED]}})
    f.answer(f.pending_one(talking.sid), reservation_status="accepted")

    f.set_activity(ben.sid, f.unavailable)
    f.set_activity(ben.sid, f.offline)
    f.set_activity(cy.sid, f.unavailable)
    return f.sid


def quiet_shop(client: Client) -> str:
    """A second workspace: one call handled start to finish."""
    f = floor(client, "Quiet shop")
    queue = f.queue("Everyone")
    workflow = f.workflow("All", default_queue=queue.sid)
    f.worker("Dee")
    task = f.task(workflow.sid, call_sid="CA" + "1" * 32)
    offer = f.pending_one(task.sid)
    f.answer(offer, reservation_status="accepted")
    f.answer(offer, reservation_status="completed")
    return f.sid


def closed_branch(client: Client) -> str:
    """A third workspace, deleted after a call was abandoned: its log is still projected."""
    f = floor(client, "Closed branch")
    queue = f.queue("Nobody", "team == 'none'")
    workflow = f.workflow("All", default_queue=queue.sid)
    task = f.task(workflow.sid)
    f.api.tasks(task.sid).update(assignment_status="canceled", reason="closing down")
    f.api.delete()
    return f.sid


def record_the_day(server: RunningServer) -> list[str]:
    account = server.new_account("reprojection")
    client = client_for(server.base_url, account.sid, account.auth_token)
    return [contact_centre_day(client), quiet_shop(client), closed_branch(client)]


def log_is_quiet(server: RunningServer, seconds: float = 0.3) -> None:
    """Wait until routing has stopped appending (nothing it does is left pending)."""

    def count() -> int:
        return server.runtime.db.read_sync(
            lambda conn: len(conn.execute(select(events.c.seq)).all())
        )

    wait_until_steady(count, "the event log's length", timeout=10, interval=seconds)


# --- the projection, as data ------------------------------------------------------------------


def snapshot(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    def unit(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
        out = {}
        for table in PROJECTION:
            columns = [c for c in table.c if c.name not in NOT_COMPARED]
            out[table.name] = sorted((tuple(r) for r in conn.execute(select(*columns))), key=repr)
        return out

    return runtime.db.read_sync(unit)


def differences(left: dict[str, list[tuple]], right: dict[str, list[tuple]]) -> list[str]:
    """Readable differences between two snapshots (empty when identical)."""
    found = []
    for table, rows in left.items():
        only_left = set(rows) - set(right[table])
        only_right = set(right[table]) - set(rows)
        found += [f"{table} only before: {row}" for row in sorted(only_left, key=repr)]
        found += [f"{table} only after: {row}" for row in sorted(only_right, key=repr)]
        if not only_left and not only_right and len(rows) != len(right[table]):
            found.append(f"{table}: {len(rows)} rows before, {len(right[table])} after")
    return found


def rebuild(runtime: Runtime) -> int:
    """What `hindsight reproject` does: forget the projection, replay the whole log."""
    runtime.db.write_sync(projector_module.reset)
    return asyncio.run(runtime.projector.catch_up())


def cursors(runtime: Runtime) -> dict[str, int]:
    rows = runtime.db.read_sync(lambda conn: conn.execute(select(projector_cursors)).all())
    return {r.workspace_sid: r.seq for r in rows}


def kinds_in(shot: dict[str, list[tuple]]) -> set[str]:
    kind = [c.name for c in segments.c if c.name not in NOT_COMPARED].index("kind")
    return {row[kind] for row in shot["segments"]}


@pytest.fixture
def recorded(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A day recorded through a real server, which is then stopped; yields a fresh runtime on
    the same database (as the CLI builds one) and the workspace SIDs."""
    live_projector: bool = getattr(request, "param", True)
    server = start_server(tmp_path / "server", database_url, run_projector=live_projector)
    try:
        workspaces = record_the_day(server)
        log_is_quiet(server)
        if live_projector:
            wait_for(
                lambda: server.runtime.db.read_sync(insights_store.behind) == [],
                "the live projector to catch up",
            )
        settings: Settings = server.runtime.settings
    finally:
        server.stop()
    runtime = build_runtime(settings)
    try:
        yield runtime, workspaces
    finally:
        runtime.close()


# --- tests ------------------------------------------------------------------------------------


def test_reprojecting_the_whole_log_rebuilds_the_identical_projection(recorded) -> None:
    runtime, workspaces = recorded
    live = snapshot(runtime)
    assert set(cursors(runtime)) == set(workspaces)
    assert kinds_in(live) == {
        "Queue",
        "Conversation",
        "Conversation in Progress",
        "Missed Conversation",
        "Rejected Conversation",
        "Agent Status",
        "Agent Status in Progress",
    }
    assert len(live["segments"]) >= 20 and len(live["conversations"]) >= 6

    applied = rebuild(runtime)

    total = runtime.db.read_sync(projector_module.total_events)
    assert applied == total
    assert differences(live, snapshot(runtime)) == []
    # And once more: a rebuild of a rebuild is the same again.
    rebuild(runtime)
    assert differences(live, snapshot(runtime)) == []


@pytest.mark.parametrize("recorded", [False], indirect=True, ids=["projector-stopped"])
def test_a_projector_killed_mid_way_resumes_with_nothing_lost_or_doubled(
    recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, (busy, *_others) = recorded
    assert cursors(runtime) == {}  # the server did not project
    monkeypatch.setattr(projector_module, "BATCH", 7)
    batches: dict[str, list[int]] = {}  # workspace → last seq of each batch handed to project()
    real_project, real_save = projector_module.project, insights_store.save_segments

    def recording_project(conn, workspace_sid, batch, options, now_ms):
        batches.setdefault(workspace_sid, []).append(batch[-1].seq)
        real_project(conn, workspace_sid, batch, options, now_ms)

    killed: list[list[dict[str, Any]]] = []

    def dies_once(conn: Connection, rows: list[dict[str, Any]]) -> None:
        real_save(conn, rows)
        # Die mid-way through the day (the first batch with Ada's rejection in it), in the
        # middle of saving it: its segments are written, its tracks and cursor not yet.
        if not killed and any(
            r["workspace_sid"] == busy and r["kind"] == "Rejected Conversation" for r in rows
        ):
            killed.append(rows)
            raise RuntimeError("projector killed")

    monkeypatch.setattr(projector_module, "project", recording_project)
    monkeypatch.setattr(insights_store, "save_segments", dies_once)

    with pytest.raises(RuntimeError, match="projector killed"):
        asyncio.run(runtime.projector.catch_up())

    assert killed
    done = batches[busy][:-1]  # the last batch handed over is the one that died
    assert len(done) >= 3, "the failure should come mid-way through the log"
    at_crash = cursors(runtime)
    assert at_crash[busy] == done[-1]  # the cursor did not move past the failed batch
    crashed = snapshot(runtime)

    resumed = asyncio.run(runtime.projector.catch_up())
    assert resumed > 0
    after_resume = snapshot(runtime)

    # Nothing of the failed batch was kept: a clean projection stopped at the same positions
    # (same batches) equals the state the crash left.
    runtime.db.write_sync(projector_module.reset)
    for workspace_sid, seq in at_crash.items():
        position = 0
        while position < seq:
            batch = runtime.db.read_sync(
                lambda conn, ws=workspace_sid, at=position: event_store.after(conn, ws, at, 7)
            )
            runtime.db.write_sync(
                lambda conn, ws=workspace_sid, b=batch: real_project(
                    conn, ws, b, runtime.projector._options, 0
                )
            )
            position = batch[-1].seq
        assert position == seq
    assert differences(crashed, snapshot(runtime)) == []

    # Nothing lost or doubled: the resumed projection equals a clean one, built from the whole
    # log in one go (large batches, so batching makes no difference either).
    monkeypatch.setattr(projector_module, "BATCH", 1000)
    rebuild(runtime)
    assert differences(after_resume, snapshot(runtime)) == []
    assert kinds_in(after_resume) >= {"Queue", "Conversation", "Agent Status"}
