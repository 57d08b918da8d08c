"""EventCallbackUrl: events POSTed form-encoded, signed, in order, retried, never blocking."""

from __future__ import annotations

import json
import threading
import time

import pytest
from twilio.request_validator import RequestValidator

from tests.api.helpers_routing import wait_for as wait_until
from tests.support.receiver import Receiver


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def _workspace(client, url, events_filter=None):
    kwargs = {"friendly_name": "Callbacks", "event_callback_url": url, "template": "FIFO"}
    if events_filter:
        kwargs["events_filter"] = events_filter
    return client.taskrouter.v1.workspaces.create(**kwargs)


def _log(client, ws_sid):
    events = client.taskrouter.v1.workspaces(ws_sid).events.list()
    return list(reversed(events))  # the resource lists newest first


def test_every_event_is_delivered_in_log_order(client, receiver):
    ws = _workspace(client, receiver.url)
    api = client.taskrouter.v1.workspaces(ws.sid)
    task = api.tasks.create(attributes=json.dumps({"n": 0}))
    for n in range(1, 6):
        api.tasks(task.sid).update(attributes=json.dumps({"n": n}))
    api.tasks(task.sid).update(assignment_status="canceled", reason="hangup")

    log = [e for e in _log(client, ws.sid) if e.event_type.startswith("task.")]
    receiver.wait_for(
        lambda got: len([r for r in got if r.form["EventType"].startswith("task.")]) >= 7
    )
    delivered = [r.form for r in receiver.received if r.form["EventType"].startswith("task.")]
    assert [f["Sid"] for f in delivered] == [e.sid for e in log]
    assert [f["EventType"] for f in delivered] == (
        ["task.created"] + ["task.updated"] * 5 + ["task.canceled"]
    )
    assert [json.loads(f["TaskAttributes"])["n"] for f in delivered[:6]] == list(range(6))
    assert delivered[-1]["TaskCanceledReason"] == "hangup"


def test_callbacks_carry_twilios_parameters(client, account, receiver):
    ws = _workspace(client, receiver.url)
    task = client.taskrouter.v1.workspaces(ws.sid).tasks.create(attributes="{}")
    receiver.wait_for(lambda got: any(r.form["EventType"] == "task.created" for r in got))
    form = next(r.form for r in receiver.received if r.form["EventType"] == "task.created")
    assert form["AccountSid"] == account.sid
    assert form["WorkspaceSid"] == ws.sid
    assert form["WorkspaceName"] == "Callbacks"
    assert form["ResourceType"] == "task"
    assert form["ResourceSid"] == task.sid
    assert form["TaskSid"] == task.sid
    assert form["TaskAssignmentStatus"] == "pending"
    assert form["Sid"].startswith("EV")
    assert form["EventDescription"]
    assert abs(int(form["Timestamp"]) - time.time()) < 120
    assert int(form["TimestampMs"]) // 1000 == int(form["Timestamp"])


def test_callbacks_are_signed_with_the_accounts_auth_token(client, account, receiver):
    ws = _workspace(client, receiver.url)
    client.taskrouter.v1.workspaces(ws.sid).tasks.create(attributes='{"x": "é & = ?"}')
    receiver.wait_for(lambda got: any(r.form["EventType"] == "task.created" for r in got))
    validator = RequestValidator(account.auth_token)
    for request in receiver.received:
        signature = request.headers["X-Twilio-Signature"]
        assert validator.validate(receiver.url, request.form, signature)
        assert not RequestValidator("0" * 32).validate(receiver.url, request.form, signature)


def test_a_failed_delivery_is_retried_and_order_is_kept(client):
    failing = Receiver(respond=lambda attempt: 500 if attempt < 2 else 204)
    try:
        ws = _workspace(client, failing.url, events_filter="task.created,task.updated")
        api = client.taskrouter.v1.workspaces(ws.sid)
        task = api.tasks.create(attributes="{}")
        api.tasks(task.sid).update(attributes='{"second": true}')
        failing.wait_for(lambda got: len(got) >= 2, timeout=20)
        assert failing.event_types() == ["task.created", "task.updated"]
        assert failing.attempts >= 4  # two refusals, then both events
    finally:
        failing.close()


def test_events_filter_limits_what_is_sent(client, receiver):
    ws = _workspace(client, receiver.url, events_filter="task.canceled")
    api = client.taskrouter.v1.workspaces(ws.sid)
    task = api.tasks.create(attributes="{}")
    api.tasks(task.sid).update(attributes='{"a": 1}')
    api.tasks(task.sid).update(assignment_status="canceled")
    # Deliveries keep the log's order, so an event wrongly sent would arrive before the last.
    receiver.wait_for(lambda got: any(r.form["EventType"] == "task.canceled" for r in got))
    assert receiver.event_types() == ["task.canceled"]


def test_a_slow_receiver_never_slows_the_api(client):
    # The receiver answers nothing until released: every API call must still complete while
    # the first delivery hangs, because requests never wait on callbacks.
    released = threading.Event()
    slow = Receiver(hold=released)
    try:
        ws = _workspace(client, slow.url)
        api = client.taskrouter.v1.workspaces(ws.sid)
        task = api.tasks.create(attributes="{}")
        wait_until(lambda: slow.attempts >= 1, "a delivery hanging at the receiver")
        for n in range(5):
            api.tasks(task.sid).update(attributes=json.dumps({"n": n}))
        assert slow.received == []  # nothing was answered while the API went on
        assert json.loads(api.tasks(task.sid).fetch().attributes) == {"n": 4}
    finally:
        released.set()
        slow.close()


def test_changing_the_url_sends_new_events_to_the_new_url_only(client, receiver):
    ws = client.taskrouter.v1.workspaces.create(friendly_name="Later", template="FIFO")
    api = client.taskrouter.v1.workspaces(ws.sid)
    api.tasks.create(attributes='{"before": true}')
    client.taskrouter.v1.workspaces(ws.sid).update(event_callback_url=receiver.url)
    api.tasks.create(attributes='{"after": true}')
    # Deliveries keep the log's order: the earlier task, if wrongly sent, would arrive first.
    receiver.wait_for(lambda got: any(r.form["EventType"] == "task.created" for r in got))
    created = [r.form for r in receiver.received if r.form["EventType"] == "task.created"]
    assert [json.loads(f["TaskAttributes"]) for f in created] == [{"after": True}]


def test_removing_the_url_stops_deliveries(client, receiver):
    ws = _workspace(client, receiver.url, events_filter="task.created")
    api = client.taskrouter.v1.workspaces(ws.sid)
    api.tasks.create(attributes="{}")
    receiver.wait_for(lambda got: len(got) == 1)
    client.taskrouter.v1.workspaces(ws.sid).update(event_callback_url="")
    api.tasks.create(attributes='{"unsent": true}')
    # A later delivery marks the end: deliveries keep the log's order, so the task created
    # while the workspace had no URL would have arrived before it.
    client.taskrouter.v1.workspaces(ws.sid).update(
        event_callback_url=receiver.url, events_filter="task.created"
    )
    api.tasks.create(attributes='{"marker": true}')
    receiver.wait_for(lambda got: len(got) == 2)
    sent = [json.loads(r.form["TaskAttributes"]) for r in receiver.received]
    assert sent == [{}, {"marker": True}]
