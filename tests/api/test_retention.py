"""Retention over HTTP, on both stores: a policy and legal holds set through the API, sweeps run
on demand on a server whose clock is moved days ahead. What expired is gone from every place it
was (the projection, TaskRouter, the event log, recordings and their files, analyses,
transcripts); what is on hold or still young is untouched; another account is untouched; every
deletion is audited."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from hindsight.retention.service import protected_media, protected_now
from hindsight.store.schema import audit_records, events, media_analyses, projection_tasks
from tests.api.helpers_chat import conversations
from tests.api.helpers_recordings import Tenant, tenant
from tests.conftest import BACKENDS, database_url_for
from tests.support import audio
from tests.support.people import audit_of, person
from tests.support.server import OffsetClock, RunningServer, clock_of, start_server
from tests.support.twilio_client import client_for
from tests.support.waiting import wait_for

API = "/api/v1/retention"
DETAIL = "/api/v1/insights/conversations"


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """A server of its own: its clock is moved ahead, and it sweeps only when asked."""
    data_dir = tmp_path_factory.mktemp(f"retention-{request.param}")
    running = start_server(
        data_dir,
        database_url_for(request.param, data_dir, request),
        clock=OffsetClock(),
        retention_interval_minutes=0,
        rate_limit_login_per_minute=0,
        # Batches of two: the sweeps below cross batch boundaries.
        retention_batch_size=2,
    )
    try:
        yield running
    finally:
        running.stop()


def name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def call(t: Tenant, method: str, path: str, **kwargs: Any) -> httpx.Response:
    url = f"{t.server.base_url}{API}{path}"
    return httpx.request(method, url, auth=t.auth, timeout=120, **kwargs)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def detail(t: Tenant, conversation_id: str) -> httpx.Response:
    return httpx.get(f"{t.server.base_url}{DETAIL}/{conversation_id}", auth=t.auth, timeout=30)


def chats(t: Tenant) -> Any:
    client: Client = client_for(t.server.base_url, t.account.sid, t.account.auth_token)
    return conversations(client)


@dataclass
class Held:
    """A finished conversation with a recording and a chat transcript that Hindsight holds."""

    conversation_id: str
    task_sid: str
    recording_sid: str
    transcript_sid: str


def finished_conversation(t: Tenant, prefix: str) -> Held:
    conversation_id = name(prefix)
    chat = chats(t).create(friendly_name="Web chat")
    chats(t)(chat.sid).messages.create(author="visitor", body="my card number is 4111")
    handled = t.handle(
        {"conversationSid": chat.sid, "conversations": {"conversation_id": conversation_id}}
    )
    recording = t.created(audio.wav(1.0), task_sid=handled.task_sid)

    def probe() -> bool:
        response = detail(t, conversation_id)
        return response.status_code == 200 and response.json()["in_progress"] is False

    wait_for(probe, f"conversation {conversation_id} projected as finished")
    return Held(conversation_id, handled.task_sid, recording["sid"], chat.sid)


def transcript_exists(t: Tenant, sid: str) -> bool:
    try:
        chats(t)(sid).fetch()
    except TwilioRestException as exc:
        assert exc.status == 404
        return False
    return True


def task_exists(t: Tenant, sid: str) -> bool:
    try:
        t.floor.api.tasks(sid).fetch()
    except TwilioRestException as exc:
        assert exc.status == 404
        return False
    return True


def count(server: RunningServer, table: Any, *where: Any) -> int:
    query = select(func.count()).select_from(table).where(*where)
    return server.runtime.db.read_sync(lambda conn: conn.execute(query).scalar_one())


def deletions(server: RunningServer, account_sid: str) -> set[tuple[str, str]]:
    query = select(audit_records.c.object_type, audit_records.c.object_id).where(
        audit_records.c.account_sid == account_sid,
        audit_records.c.action == "retention.delete",
    )
    return server.runtime.db.read_sync(lambda conn: {tuple(r) for r in conn.execute(query)})


def run(t: Tenant, *, dry_run: bool = False) -> dict[str, Any]:
    return ok(call(t, "POST", "/runs", json={"dry_run": dry_run}))


def counts(report: dict[str, Any]) -> tuple[int, int, int, int]:
    return (report["conversations"], report["recordings"], report["transcripts"], report["held"])


# --- the sweep ------------------------------------------------------------------------------


def test_a_sweep_deletes_what_expired_everywhere_and_keeps_holds_young_data_and_others(
    server: RunningServer,
) -> None:
    a, b = tenant(server, name("ret-a")), tenant(server, name("ret-b"))
    clock = clock_of(server)
    old = finished_conversation(a, "old")
    held = finished_conversation(a, "held")
    other = finished_conversation(b, "other")
    orphan = chats(a).create(friendly_name="Nobody's chat")
    reused = chats(a).create(friendly_name="Reused chat")
    ok(
        call(
            a, "POST", "/holds", json={"conversation_id": held.conversation_id, "reason": "Case 1"}
        ),
        201,
    )

    clock.advance_days(10)
    fresh = finished_conversation(a, "fresh")
    chats(a)(reused.sid).messages.create(author="visitor", body="back again")
    policy = ok(call(a, "POST", "/policy", json={"conversation_days": 30}))
    assert policy["effective_recording_days"] == policy["effective_transcript_days"] == 30
    # 35 days after the first conversations, 25 after the fresh one.
    clock.advance_days(25)

    dry = run(a, dry_run=True)
    assert dry["dry_run"] is True
    assert counts(dry) == (1, 1, 2, 1)
    assert detail(a, old.conversation_id).status_code == 200
    assert transcript_exists(a, orphan.sid)

    report = run(a)
    assert counts(report) == (1, 1, 2, 1)
    assert report["error"] is None

    # The expired conversation is gone from the projection, TaskRouter and the event log.
    assert detail(a, old.conversation_id).status_code == 404
    assert not task_exists(a, old.task_sid)
    assert count(server, events, events.c.task_sid == old.task_sid) == 0
    assert count(server, projection_tasks, projection_tasks.c.task_sid == old.task_sid) == 0
    # Its recording (row, file, analysis) and transcript too, and the chat nobody uses.
    assert a.get(f"/{old.recording_sid}").status_code == 404
    assert not any(old.recording_sid in p.name for p in a.files())
    key = f"recording:{old.recording_sid}"
    assert count(server, media_analyses, media_analyses.c.media_key == key) == 0
    assert not transcript_exists(a, old.transcript_sid)
    assert not transcript_exists(a, orphan.sid)

    # What is on hold, young, in use or another account's stays.
    for kept in (held, fresh):
        assert detail(a, kept.conversation_id).status_code == 200
        assert a.get(f"/{kept.recording_sid}").status_code == 200
        assert transcript_exists(a, kept.transcript_sid)
        assert task_exists(a, kept.task_sid)
    assert any(held.recording_sid in p.name for p in a.files())
    assert transcript_exists(a, reused.sid)
    assert detail(b, other.conversation_id).status_code == 200
    assert b.get(f"/{other.recording_sid}").status_code == 200
    assert transcript_exists(b, other.transcript_sid)

    # Each deletion is in the audit trail, under the account, and nothing else is.
    assert deletions(server, a.account.sid) == {
        ("conversation", old.conversation_id),
        ("recording", old.recording_sid),
        ("transcript", old.transcript_sid),
        ("transcript", orphan.sid),
    }
    assert deletions(server, b.account.sid) == set()
    assert server.runtime.services.audit.verify().intact

    # Nothing is left to delete; the runs are listed newest first.
    assert counts(run(a)) == (0, 0, 0, 1)
    runs = ok(call(a, "GET", "/runs"))["runs"]
    assert [r["dry_run"] for r in runs] == [False, False, True]
    assert [r["trigger"] for r in runs] == ["api"] * 3

    # Released, the held conversation goes at the next sweep, with its media.
    ok(call(a, "DELETE", f"/holds/{held.conversation_id}"), 204)
    assert counts(run(a)) == (1, 1, 1, 0)
    assert detail(a, held.conversation_id).status_code == 404
    assert not transcript_exists(a, held.transcript_sid)


def test_recordings_can_be_kept_for_less_time_than_their_conversations(
    server: RunningServer,
) -> None:
    c = tenant(server, name("ret-c"))
    held = finished_conversation(c, "short-recording")
    ok(call(c, "POST", "/policy", json={"recording_days": 1}))
    clock_of(server).advance_days(2)

    assert counts(run(c)) == (0, 1, 0, 0)
    assert detail(c, held.conversation_id).status_code == 200
    assert c.get(f"/{held.recording_sid}").status_code == 404
    assert transcript_exists(c, held.transcript_sid)
    body = detail(c, held.conversation_id).json()
    assert not [m for s in body["segments"] for m in s["media"] if m.get("recording_sid")]


def test_a_conversation_in_progress_is_never_deleted(server: RunningServer) -> None:
    i = tenant(server, name("ret-i"))
    conversation_id = name("live")
    live = i.handle({"conversations": {"conversation_id": conversation_id}}, complete=False)

    def projected() -> bool:
        return detail(i, conversation_id).status_code == 200

    wait_for(projected, "the live conversation projected")
    ok(call(i, "POST", "/policy", json={"conversation_days": 30}))
    clock_of(server).advance_days(400)
    assert counts(run(i))[0] == 0
    assert detail(i, conversation_id).status_code == 200
    assert task_exists(i, live.task_sid)


def test_an_account_without_a_policy_keeps_everything(server: RunningServer) -> None:
    d = tenant(server, name("ret-d"))
    held = finished_conversation(d, "kept")
    clock_of(server).advance_days(3650)
    assert ok(call(d, "GET", "/policy"))["conversation_days"] is None
    assert counts(run(d)) == (0, 0, 0, 0)
    assert detail(d, held.conversation_id).status_code == 200
    assert d.get(f"/{held.recording_sid}").status_code == 200
    assert transcript_exists(d, held.transcript_sid)


# --- holds ----------------------------------------------------------------------------------


def test_holds_are_placed_listed_and_released_and_each_step_is_audited(
    server: RunningServer,
) -> None:
    e, f = tenant(server, name("ret-e")), tenant(server, name("ret-f"))
    first, second = finished_conversation(e, "first"), finished_conversation(e, "second")
    theirs = finished_conversation(f, "theirs")

    placed = ok(
        call(
            e,
            "POST",
            "/holds",
            json={"conversation_id": first.conversation_id, "reason": "  Case\n42 "},
        ),
        201,
    )
    assert placed["conversation_id"] == first.conversation_id
    assert placed["reason"] == "Case 42"
    assert placed["placed_by_sid"] == e.account.sid
    ok(
        call(
            e,
            "POST",
            "/holds",
            json={"conversation_id": second.conversation_id, "reason": "<b>x</b>"},
        ),
        201,
    )

    again = call(
        e, "POST", "/holds", json={"conversation_id": first.conversation_id, "reason": "B"}
    )
    assert again.status_code == 409
    assert ok(call(e, "GET", f"/holds/{first.conversation_id}"))["reason"] == "Case 42"

    # Paged, newest first.
    page = ok(call(e, "GET", "/holds", params={"page_size": 1}))
    assert [h["conversation_id"] for h in page["holds"]] == [second.conversation_id]
    token = page["meta"]["next_page_token"]
    page = ok(call(e, "GET", "/holds", params={"page_size": 1, "page_token": token}))
    assert [h["conversation_id"] for h in page["holds"]] == [first.conversation_id]
    assert page["meta"]["next_page_token"] is None
    # Another account sees none of them, and cannot hold or release them.
    assert ok(call(f, "GET", "/holds"))["holds"] == []
    assert call(f, "GET", f"/holds/{first.conversation_id}").status_code == 404
    assert call(f, "DELETE", f"/holds/{first.conversation_id}").status_code == 404
    stolen = call(
        e, "POST", "/holds", json={"conversation_id": theirs.conversation_id, "reason": "x"}
    )
    assert stolen.status_code == 404

    ok(call(e, "DELETE", f"/holds/{first.conversation_id}"), 204)
    assert call(e, "DELETE", f"/holds/{first.conversation_id}").status_code == 404
    assert call(e, "GET", f"/holds/{first.conversation_id}").status_code == 404

    actions = [
        (r["action"], r["object_id"])
        for r in audit_of(server, e.account.sid)
        if r["action"].startswith("retention.hold.") and r["outcome"] == "allowed"
    ]
    assert ("retention.hold.place", first.conversation_id) in actions
    assert ("retention.hold.place", second.conversation_id) in actions
    assert ("retention.hold.release", first.conversation_id) in actions


BAD_HOLDS = {
    "no-reason": {"conversation_id": "c1"},
    "blank-reason": {"conversation_id": "c1", "reason": "   "},
    "reason-not-text": {"conversation_id": "c1", "reason": 42},
    "long-reason": {"conversation_id": "c1", "reason": "x" * 501},
    "no-conversation": {"reason": "Case"},
    "conversation-not-text": {"conversation_id": ["c1"], "reason": "Case"},
    "empty-conversation": {"conversation_id": "", "reason": "Case"},
    "long-conversation": {"conversation_id": "c" * 129, "reason": "Case"},
    "unknown-field": {"conversation_id": "c1", "reason": "Case", "until": "never"},
}


@pytest.mark.parametrize("document", BAD_HOLDS.values(), ids=BAD_HOLDS)
def test_bad_holds_are_refused_and_hold_nothing(server: RunningServer, document: Any) -> None:
    g = tenant(server, name("ret-g"))
    response = call(g, "POST", "/holds", json=document)
    assert response.status_code == 400, response.text
    assert response.json()["status"] == 400
    assert ok(call(g, "GET", "/holds"))["holds"] == []


def test_holding_a_conversation_that_does_not_exist_is_404(server: RunningServer) -> None:
    g = tenant(server, name("ret-h"))
    missing = call(g, "POST", "/holds", json={"conversation_id": "no-such", "reason": "Case"})
    assert missing.status_code == 404
    assert call(g, "GET", "/holds/no-such").status_code == 404
    assert call(g, "GET", "/holds", params={"page_token": "PTnot-a-token"}).status_code == 400


# --- the policy -----------------------------------------------------------------------------


def test_the_policy_changes_only_the_fields_given(server: RunningServer) -> None:
    p = tenant(server, name("ret-p"))
    assert ok(call(p, "GET", "/policy")) == {
        "conversation_days": None,
        "recording_days": None,
        "transcript_days": None,
        "effective_recording_days": None,
        "effective_transcript_days": None,
        "updated_ms": None,
        "updated_by": None,
    }
    ok(call(p, "POST", "/policy", json={"recording_days": 7}))
    policy = ok(call(p, "POST", "/policy", json={"conversation_days": 3}))
    assert (policy["conversation_days"], policy["recording_days"]) == (3, 7)
    assert policy["effective_recording_days"] == 3
    assert policy["transcript_days"] is None and policy["effective_transcript_days"] == 3
    assert policy["updated_by"] == p.account.sid
    policy = ok(call(p, "POST", "/policy", json={"conversation_days": None}))
    assert (policy["conversation_days"], policy["effective_recording_days"]) == (None, 7)
    record = [
        r for r in audit_of(server, p.account.sid) if r["action"] == "retention.policy.update"
    ][-1]
    assert record["detail"]["before"]["conversation_days"] == 3
    assert record["detail"]["after"]["conversation_days"] is None


BAD_POLICIES = {
    "zero": b'{"conversation_days": 0}',
    "negative": b'{"recording_days": -1}',
    "boolean": b'{"transcript_days": true}',
    "text": b'{"conversation_days": "30"}',
    "fraction": b'{"conversation_days": 1.5}',
    "too-long": b'{"conversation_days": 36501}',
    "unknown-field": b'{"conversation_days": 30, "audit_days": 1}',
    "array": b"[30]",
    "not-json": b"{conversation_days: 30",
    "oversize": b'{"conversation_days": 30, "x": "' + b"y" * 20_000 + b'"}',
}


@pytest.mark.parametrize("body", BAD_POLICIES.values(), ids=BAD_POLICIES)
def test_bad_policies_are_refused_and_change_nothing(server: RunningServer, body: bytes) -> None:
    q = tenant(server, name("ret-q"))
    ok(call(q, "POST", "/policy", json={"conversation_days": 400}))
    response = call(
        q, "POST", "/policy", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == (413 if body == BAD_POLICIES["oversize"] else 400), response.text
    assert ok(call(q, "GET", "/policy"))["conversation_days"] == 400


def test_bad_run_requests_are_refused(server: RunningServer) -> None:
    r = tenant(server, name("ret-r"))
    for body in ({"dry_run": "yes"}, {"now": 0}):
        assert call(r, "POST", "/runs", json=body).status_code == 400
    assert call(r, "GET", "/runs", params={"limit": 0}).status_code in (400, 422)
    assert ok(call(r, "GET", "/runs"))["runs"] == []


# --- who may ----------------------------------------------------------------------------------


def test_only_people_allowed_to_manage_retention_can(server: RunningServer) -> None:
    s = tenant(server, name("ret-s"))
    kept = finished_conversation(s, "kept")
    for method, path in (
        ("GET", "/policy"),
        ("POST", "/policy"),
        ("GET", "/holds"),
        ("POST", "/holds"),
        ("GET", f"/holds/{kept.conversation_id}"),
        ("DELETE", f"/holds/{kept.conversation_id}"),
        ("GET", "/runs"),
        ("POST", "/runs"),
    ):
        anonymous = httpx.request(method, f"{server.base_url}{API}{path}", timeout=30)
        assert anonymous.status_code == 401, (method, path)

    manager = person(server, s.account.sid, ["wfo.full_access"], name="manager")
    try:
        assert manager.get(f"{API}/policy").status_code == 403
        assert manager.post(f"{API}/policy", {"conversation_days": 1}).status_code == 403
        hold = {"conversation_id": kept.conversation_id, "reason": "Case"}
        assert manager.post(f"{API}/holds", hold).status_code == 403
        assert manager.post(f"{API}/runs", {}).status_code == 403
        denied = [r for r in audit_of(server, manager.sid) if r["outcome"] == "denied"]
        assert {r["action"] for r in denied} >= {
            "retention.policy.read",
            "retention.policy.update",
            "retention.hold.place",
            "retention.run",
        }
    finally:
        manager.close()
    assert ok(call(s, "GET", "/policy"))["conversation_days"] is None
    assert ok(call(s, "GET", "/holds"))["holds"] == []

    admin = person(server, s.account.sid, ["admin"], name="admin")
    try:
        hold = {"conversation_id": kept.conversation_id, "reason": "Case 7"}
        assert admin.post(f"{API}/holds", hold, csrf=False).status_code == 403
        response = admin.post(f"{API}/holds", hold)
        assert response.status_code == 201, response.text
        assert response.json()["placed_by_sid"] == admin.sid
        assert admin.post(f"{API}/policy", {"conversation_days": 90}).status_code == 200
        assert admin.delete(f"{API}/holds/{kept.conversation_id}").status_code == 204
    finally:
        admin.close()


def test_a_hold_placed_during_a_sweep_protects_media_the_sweep_already_looked_at(
    server: RunningServer,
) -> None:
    """A sweep reads the holds once; each transaction deleting media reads them again after
    taking the lock a hold takes, so media of a conversation held meanwhile are kept."""
    j = tenant(server, name("ret-j"))
    held = finished_conversation(j, "late-hold")
    ok(call(j, "POST", "/policy", json={"recording_days": 1}))
    account = j.account.sid
    before = server.runtime.db.read_sync(lambda conn: protected_media(conn, account))
    assert before.recordings == frozenset()

    ok(
        call(j, "POST", "/holds", json={"conversation_id": held.conversation_id, "reason": "Late"}),
        201,
    )
    now = server.runtime.db.write_sync(lambda conn: protected_now(conn, account, before))
    assert now.recordings == {held.recording_sid}
    assert now.transcripts == {held.transcript_sid}
    assert now.held == {held.conversation_id}
    # Unchanged holds: the first reading is kept (no recomputation per batch).
    assert server.runtime.db.write_sync(lambda conn: protected_now(conn, account, now)) is now
