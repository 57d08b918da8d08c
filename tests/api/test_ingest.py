"""Ingest from a real Twilio account: TaskRouter EventCallbackUrl posts and Event Streams
batches, signed as Twilio signs them, land in the log of a read-only mirrored workspace that the
Events resource and the Insights projection read like any other."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from twilio.rest import Client

from hindsight.domain.ingest import from_event_streams
from hindsight.store.schema import conversations, segments
from hindsight.store.schema import workspaces as workspaces_table
from tests.api.helpers_tasks import assert_twilio_error, logged_events, stranger, ws_api
from tests.conftest import database_url_for
from tests.support.server import RunningServer, start_server
from tests.support.twilio_errors import twilio_error
from tests.support.twilio_ingest import (
    TwilioCall,
    event_streams_url,
    load_call,
    new_auth_token,
    post_batch,
    post_callback,
    sign_form,
    taskrouter_url,
    with_body_hash,
)
from tests.support.waiting import wait_for

# The fixture call happened on 4 March 2025; the Events resource lists from there.
CALL_DAY = datetime(2025, 3, 4, tzinfo=UTC)
CALL_TYPES = [
    "task.created",
    "task-queue.entered",
    "reservation.created",
    "reservation.accepted",
    "task.wrapup",
    "reservation.wrapup",
    "task.completed",
    "reservation.completed",
]


@dataclass
class Source:
    sid: str
    token: str
    call: TwilioCall


def add_source(server: RunningServer, account_sid: str, call: TwilioCall) -> Source:
    token = new_auth_token()
    row = server.runtime.twilio_sources.add(account_sid, call.twilio_account_sid, token)
    return Source(row.sid, token, call)


@pytest.fixture
def source(server: RunningServer, account: Any) -> Source:
    return add_source(server, account.sid, load_call())


def mirrored_events(client: Client, call: TwilioCall) -> list[Any]:
    """The mirrored workspace's events through the Events resource, oldest first."""
    events = ws_api(client, call.workspace_sid).events.list(start_date=CALL_DAY)
    return list(reversed(events))


def post_all_callbacks(server: RunningServer, source: Source) -> None:
    for params in source.call.callbacks:
        response = post_callback(server.base_url, source.sid, source.token, params)
        assert response.status_code == 204, response.text


def stored_sids(server: RunningServer, call: TwilioCall) -> list[str]:
    return [e.sid for e in logged_events(server, call.workspace_sid)]


def workspace_row(server: RunningServer, sid: str) -> Any:
    query = select(workspaces_table).where(workspaces_table.c.sid == sid)
    return server.runtime.db.read_sync(lambda conn: conn.execute(query).first())


# --- EventCallbackUrl ---------------------------------------------------------------------------


def test_a_call_posted_to_the_event_callback_url_is_in_the_mirrored_workspace_log(
    server: RunningServer, client: Client, account: Any, source: Source
) -> None:
    post_all_callbacks(server, source)
    call = source.call

    events = mirrored_events(client, call)
    assert [e.event_type for e in events] == CALL_TYPES
    assert [e.sid for e in events] == call.event_sids
    for event, params in zip(events, call.callbacks, strict=True):
        assert event.account_sid == account.sid
        assert event.workspace_sid == call.workspace_sid
        assert event.source == "twilio"
        assert event.event_date_ms == int(params["TimestampMs"])
        assert event.description == params["EventDescription"]
        assert event.resource_type == params["ResourceType"]
        assert event.resource_sid == params["ResourceSid"]
        assert event.event_data["task_sid"] == call.task_sid
        assert event.event_data["task_attributes"] == params["TaskAttributes"]
        assert event.event_data["task_queue_name"] == "Support"
        assert event.event_data["workspace_name"] == "Flex Task Assignment"
        assert "TaskSid" not in event.event_data and "sid" not in event.event_data
    accepted = events[3]
    assert accepted.event_data["worker_name"] == "alice"
    assert accepted.event_data["reservation_sid"] == call.reservation_sid

    workspace = client.taskrouter.v1.workspaces(call.workspace_sid).fetch()
    assert workspace.friendly_name == "Flex Task Assignment"
    assert workspace.account_sid == account.sid
    # The Events resource filters work on ingested events too.
    api = ws_api(client, call.workspace_sid)
    by_reservation = api.events.list(start_date=CALL_DAY, reservation_sid=call.reservation_sid)
    assert len(by_reservation) == 4
    assert api.events(call.event_sids[0]).fetch().event_type == "task.created"


def test_a_redelivered_callback_is_acknowledged_and_stored_once(
    server: RunningServer, source: Source
) -> None:
    first = source.call.callbacks[0]
    for _ in range(3):
        response = post_callback(server.base_url, source.sid, source.token, first)
        assert response.status_code == 204, response.text
    assert stored_sids(server, source.call) == [first["Sid"]]


def test_events_arriving_out_of_order_are_logged_as_received_with_twilios_times(
    server: RunningServer, client: Client, source: Source
) -> None:
    call = source.call
    arrival = [call.callbacks[1], call.callbacks[0], call.callbacks[3], call.callbacks[2]]
    for params in arrival:
        assert post_callback(server.base_url, source.sid, source.token, params).status_code == 204

    logged = logged_events(server, call.workspace_sid)
    assert [e.sid for e in logged] == [p["Sid"] for p in arrival]
    assert [e.event_date_ms for e in logged] == [int(p["TimestampMs"]) for p in arrival]


def test_an_unknown_event_type_is_stored_verbatim(server: RunningServer, source: Source) -> None:
    params = {
        **source.call.callbacks[0],
        "EventType": "task.escalated",
        "EventDescription": "a type Twilio may add one day",
        "TaskEscalationLevel": "2",
    }
    assert post_callback(server.base_url, source.sid, source.token, params).status_code == 204
    (event,) = logged_events(server, source.call.workspace_sid)
    assert event.event_type == "task.escalated"
    assert json.loads(event.event_data)["task_escalation_level"] == "2"


# --- Event Streams ------------------------------------------------------------------------------


def test_a_call_as_an_event_streams_batch_is_in_the_same_log_and_stored_once(
    server: RunningServer, client: Client, source: Source
) -> None:
    call = source.call
    for _ in range(2):  # Twilio redelivers a batch it got no answer for
        response = post_batch(server.base_url, source.sid, source.token, call.cloud_events)
        assert response.status_code == 204, response.text

    events = mirrored_events(client, call)
    assert [e.sid for e in events] == call.event_sids
    assert [e.event_type for e in events] == CALL_TYPES
    created = events[0]
    assert created.event_data["task_age"] == "0"
    assert created.event_data["task_priority"] == "0"
    # Dates in event data are epoch seconds, as in callbacks and Hindsight's own events.
    assert created.event_data["task_date_created"] == call.first["TaskDateCreated"]
    assert created.event_date_ms == int(call.first["TimestampMs"])
    assert created.resource_sid == call.task_sid


def test_the_same_call_through_both_channels_is_stored_once(
    server: RunningServer, client: Client, source: Source
) -> None:
    call = source.call
    post_all_callbacks(server, source)
    by_callbacks = [(e.sid, e.event_data) for e in mirrored_events(client, call)]
    response = post_batch(server.base_url, source.sid, source.token, call.cloud_events)
    assert response.status_code == 204, response.text
    assert stored_sids(server, call) == call.event_sids
    # Either channel gives the same event data.
    streamed = from_event_streams(call.cloud_events, 0)
    assert by_callbacks == [(e.sid, e.data) for e in streamed]


def test_concurrent_redeliveries_store_each_event_once(
    server: RunningServer, source: Source
) -> None:
    call = source.call

    def deliver(index: int) -> int:
        if index % 2:
            return post_batch(
                server.base_url, source.sid, source.token, call.cloud_events
            ).status_code
        for params in call.callbacks:
            status = post_callback(server.base_url, source.sid, source.token, params).status_code
            if status != 204:
                return status
        return 204

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(deliver, range(8)))
    assert statuses == [204] * 8
    logged = logged_events(server, call.workspace_sid)
    assert sorted(e.sid for e in logged) == sorted(call.event_sids)
    assert len(logged) == len(call.event_sids)


def test_a_batch_spanning_two_workspaces_fills_two_mirrors(
    server: RunningServer, client: Client, source: Source
) -> None:
    call = source.call
    second = json.loads(json.dumps(load_call().cloud_events[0]))
    payload = second["data"]["payload"]
    payload["account_sid"] = call.twilio_account_sid
    payload["workspace_name"] = "Outbound"
    response = post_batch(server.base_url, source.sid, source.token, [call.cloud_events[0], second])
    assert response.status_code == 204, response.text
    names = {
        w.sid: w.friendly_name
        for w in client.taskrouter.v1.workspaces.list()
        if w.sid in (call.workspace_sid, payload["workspace_sid"])
    }
    assert names == {
        call.workspace_sid: "Flex Task Assignment",
        payload["workspace_sid"]: "Outbound",
    }
    assert stored_sids(server, call) == [call.event_sids[0]]
    assert [e.sid for e in logged_events(server, payload["workspace_sid"])] == [payload["sid"]]


def test_other_products_in_a_batch_are_acknowledged_and_left_out(
    server: RunningServer, source: Source
) -> None:
    other = {
        "specversion": "1.0",
        "type": "com.twilio.messaging.message.delivered",
        "id": "EZ" + "1" * 32,
        "data": {"messageSid": "SM" + "1" * 32},
    }
    batch = [other, source.call.cloud_events[0]]
    assert post_batch(server.base_url, source.sid, source.token, batch).status_code == 204
    assert stored_sids(server, source.call) == [source.call.event_sids[0]]


# --- the projection -----------------------------------------------------------------------------


def test_the_projection_shows_the_ingested_conversation(
    server: RunningServer, account: Any, source: Source
) -> None:
    call = source.call
    response = post_batch(server.base_url, source.sid, source.token, call.cloud_events)
    assert response.status_code == 204, response.text

    def conversation() -> Any:
        query = select(conversations).where(
            conversations.c.account_sid == account.sid,
            conversations.c.conversation_id == call.call_sid,
        )
        row = server.runtime.db.read_sync(lambda conn: conn.execute(query).first())
        return row if row is not None and not row.in_progress else None

    row = wait_for(conversation)
    assert row.workspace_sid == call.workspace_sid
    assert row.handled and not row.abandoned
    assert row.queue == "Support" and row.agent == "alice" and row.channel == "voice"
    # Entered 15:02:11.513, accepted 15:02:21.045: whole seconds, milliseconds dropped first.
    assert row.queue_time == 10
    # Accepted 15:02:21.045, wrap-up 15:05:18.702, completed 15:05:56.390.
    assert (row.talk_time, row.wrap_up_time) == (177, 38)
    assert row.start_ms == int(call.callbacks[1]["TimestampMs"])  # it entered the queue

    query = select(segments).where(segments.c.conversation_id == call.call_sid)
    rows = server.runtime.db.read_sync(lambda conn: list(conn.execute(query)))
    assert {(s.kind, s.reservation_sid) for s in rows} >= {("Conversation", call.reservation_sid)}
    assert all(s.account_sid == account.sid for s in rows)


# --- signatures and bad requests store nothing --------------------------------------------------


def _nothing_stored(server: RunningServer, call: TwilioCall) -> None:
    assert logged_events(server, call.workspace_sid) == []
    assert workspace_row(server, call.workspace_sid) is None


@pytest.mark.parametrize(
    "forge",
    ["missing", "wrong token", "tampered parameter", "other URL", "another source's token"],
)
def test_a_callback_without_a_valid_signature_is_403_and_stores_nothing(
    server: RunningServer, account: Any, source: Source, forge: str
) -> None:
    params = dict(source.call.first)
    url = taskrouter_url(server.base_url, source.sid)
    signature: str | None
    if forge == "missing":
        response = httpx.post(url, data=params, timeout=30)
    else:
        if forge == "wrong token":
            signature = sign_form(new_auth_token(), url, params)
        elif forge == "tampered parameter":
            signature = sign_form(source.token, url, params)
            params["TaskAttributes"] = '{"call_sid": "forged"}'
        elif forge == "other URL":
            signature = sign_form(source.token, url.replace("/taskrouter", "/other"), params)
        else:
            other = add_source(server, server.new_account("other").sid, load_call())
            signature = sign_form(other.token, url, params)
        response = post_callback(
            server.base_url, source.sid, source.token, params, signature=signature
        )
    body = assert_twilio_error(response, 403, 20403)
    if forge != "missing":
        assert "X-Twilio-Signature" in body["message"]
    _nothing_stored(server, source.call)


@pytest.mark.parametrize("forge", ["body changed", "no bodySHA256", "wrong token"])
def test_a_batch_without_a_valid_signature_is_403_and_stores_nothing(
    server: RunningServer, source: Source, forge: str
) -> None:
    call = source.call
    body = json.dumps(call.cloud_events).encode()
    if forge == "body changed":
        tampered = body.replace(b"alice", b"mallory")
        response = post_batch(
            server.base_url, source.sid, source.token, None, body=tampered, hash_of=body
        )
    elif forge == "no bodySHA256":
        url = event_streams_url(server.base_url, source.sid)
        signature = sign_form(source.token, url, {})
        response = httpx.post(
            url, content=body, headers={"X-Twilio-Signature": signature}, timeout=30
        )
    else:
        url = with_body_hash(event_streams_url(server.base_url, source.sid), body)
        signature = sign_form(new_auth_token(), url, {})
        response = post_batch(
            server.base_url, source.sid, source.token, None, body=body, signature=signature
        )
    assert_twilio_error(response, 403, 20403)
    _nothing_stored(server, call)


@pytest.mark.parametrize("source_sid", ["IS" + "0" * 32, "IS123", "WS" + "1" * 32])
def test_an_unknown_source_is_404(server: RunningServer, source_sid: str) -> None:
    call = load_call()
    token = new_auth_token()
    response = post_callback(server.base_url, source_sid, token, call.first)
    assert_twilio_error(response, 404, 20404)
    response = post_batch(server.base_url, source_sid, token, call.cloud_events)
    assert_twilio_error(response, 404, 20404)


def test_a_removed_source_is_404(server: RunningServer, source: Source) -> None:
    server.runtime.twilio_sources.remove(source.sid)
    response = post_callback(server.base_url, source.sid, source.token, source.call.first)
    assert_twilio_error(response, 404, 20404)


@pytest.mark.parametrize(
    "change",
    [
        {"Sid": ""},
        {"Sid": "EV-not-a-sid"},
        {"WorkspaceSid": "WS123"},
        {"EventType": ""},
        {"TimestampMs": "", "Timestamp": "yesterday"},
        {"TaskSid": "WT" + "1" * 60},
        {"EventDescription": "NUL \x00 inside"},
    ],
)
def test_a_malformed_callback_is_400_and_stores_nothing(
    server: RunningServer, source: Source, change: dict[str, str]
) -> None:
    params = {**source.call.first, **change}
    response = post_callback(server.base_url, source.sid, source.token, params)
    assert_twilio_error(response, 400, 20001)
    _nothing_stored(server, source.call)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'"a string"',
        b"[1, 2]",
        b'[{"type": "com.twilio.taskrouter.task.created"}]',
        b'[{"type": "com.twilio.taskrouter.task.created", "data": {"payload": {}}}]',
    ],
)
def test_a_malformed_batch_is_400_and_stores_nothing(
    server: RunningServer, source: Source, body: bytes
) -> None:
    response = post_batch(server.base_url, source.sid, source.token, None, body=body)
    assert_twilio_error(response, 400, 20001)


def test_one_malformed_event_fails_the_whole_batch(server: RunningServer, source: Source) -> None:
    batch = [*source.call.cloud_events]
    broken = json.loads(json.dumps(batch[-1]))
    broken["data"]["payload"]["workspace_sid"] = "not a workspace"
    response = post_batch(server.base_url, source.sid, source.token, [*batch[:-1], broken])
    assert_twilio_error(response, 400, 20001)
    _nothing_stored(server, source.call)


def test_an_oversized_body_is_413(server: RunningServer, source: Source) -> None:
    params = {**source.call.first, "TaskAttributes": "x" * (server.runtime.settings.max_body_bytes)}
    response = post_callback(server.base_url, source.sid, source.token, params)
    assert_twilio_error(response, 413, 20413)
    _nothing_stored(server, source.call)


# --- mirrored workspaces are read-only and never mixed ------------------------------------------


def test_taskrouter_writes_to_a_mirrored_workspace_are_refused_and_reads_work(
    server: RunningServer, client: Client, source: Source
) -> None:
    post_all_callbacks(server, source)
    call = source.call
    api = ws_api(client, call.workspace_sid)
    read_only = ("mirrors a Twilio account", "read-only")

    with twilio_error(400, 20001, *read_only):
        api.update(friendly_name="Renamed")
    with twilio_error(400, 20001, *read_only):
        api.tasks.create(attributes="{}")
    with twilio_error(400, 20001, *read_only):
        api.activities.create(friendly_name="Lunch")
    with twilio_error(400, 20001, *read_only):
        api.task_queues.create(friendly_name="Sales")
    with twilio_error(400, 20001, *read_only):
        api.delete()

    assert api.fetch().friendly_name == "Flex Task Assignment"
    assert api.tasks.list() == [] and api.activities.list() == []
    assert len(mirrored_events(client, call)) == len(CALL_TYPES)
    # Another account sees neither the mirror nor that it is one.
    with twilio_error(404, 20404):
        ws_api(stranger(server), call.workspace_sid).update(friendly_name="Mine")


def test_events_never_enter_another_accounts_mirror(server: RunningServer, source: Source) -> None:
    post_all_callbacks(server, source)
    # A second Hindsight account connects a Twilio account that reports the same workspace.
    other_call = load_call()
    intruder = add_source(server, server.new_account("intruder").sid, other_call)
    params = {**other_call.first, "WorkspaceSid": source.call.workspace_sid}
    response = post_callback(server.base_url, intruder.sid, intruder.token, params)
    body = assert_twilio_error(response, 409)
    assert "another Hindsight account" in body["message"]
    assert stored_sids(server, source.call) == source.call.event_sids


def test_events_never_enter_a_workspace_hindsight_routes(
    server: RunningServer, client: Client, account: Any
) -> None:
    native = client.taskrouter.v1.workspaces.create(friendly_name="Routed here")
    call = load_call()
    own = add_source(server, account.sid, call)
    params = {**call.first, "WorkspaceSid": native.sid}
    response = post_callback(server.base_url, own.sid, own.token, params)
    body = assert_twilio_error(response, 409)
    assert "not a mirror" in body["message"]
    assert [e.source for e in logged_events(server, native.sid)] == ["api"]


def test_an_event_of_another_twilio_account_is_refused(
    server: RunningServer, source: Source
) -> None:
    params = {**source.call.first, "AccountSid": "AC" + "2" * 32}
    response = post_callback(server.base_url, source.sid, source.token, params)
    body = assert_twilio_error(response, 403, 20403)
    assert source.call.twilio_account_sid in body["message"]
    _nothing_stored(server, source.call)


def test_a_re_added_source_resumes_its_mirror(
    server: RunningServer, account: Any, source: Source
) -> None:
    call = source.call
    assert post_callback(server.base_url, source.sid, source.token, call.callbacks[0]).is_success
    server.runtime.twilio_sources.remove(source.sid)
    again = add_source(server, account.sid, call)
    assert post_callback(server.base_url, again.sid, again.token, call.callbacks[1]).is_success
    assert stored_sids(server, call) == call.event_sids[:2]
    assert workspace_row(server, call.workspace_sid).mirror_source == again.sid


# --- the URL that is signed ---------------------------------------------------------------------


def test_a_signature_over_the_url_without_its_port_is_accepted(
    server: RunningServer, source: Source
) -> None:
    # twilio-python accepts a URL signed with or without the port; so do we.
    portless = server.base_url.rsplit(":", 1)[0]
    response = post_callback(
        server.base_url, source.sid, source.token, source.call.first, signed_base=portless
    )
    assert response.status_code == 204, response.text


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server behind a proxy: Twilio is given https://hindsight.example.com/…"""
    data_dir = tmp_path_factory.mktemp("public-url")
    url = database_url_for("sqlite", data_dir, None)  # type: ignore[arg-type]
    running = start_server(data_dir, url, public_url="https://hindsight.example.com/")
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("signed_base", "accepted"),
    [
        ("https://hindsight.example.com", True),
        ("https://hindsight.example.com:443", True),
        ("http://hindsight.example.com", False),
        ("local", False),
    ],
)
def test_signatures_are_checked_against_the_public_url(
    public_server: RunningServer, signed_base: str, accepted: bool
) -> None:
    account = public_server.new_account()
    source = add_source(public_server, account.sid, load_call())
    base = public_server.base_url if signed_base == "local" else signed_base
    callback = post_callback(
        public_server.base_url, source.sid, source.token, source.call.first, signed_base=base
    )
    batch = post_batch(
        public_server.base_url,
        source.sid,
        source.token,
        source.call.cloud_events[1:],
        signed_base=base,
    )
    expected = 204 if accepted else 403
    assert (callback.status_code, batch.status_code) == (expected, expected), callback.text
