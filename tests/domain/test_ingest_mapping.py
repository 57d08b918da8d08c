"""Twilio's two reports of TaskRouter events (EventCallbackUrl form posts, Event Streams
CloudEvents) mapped to Hindsight's event log: the same event both ways gives the same record."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.events import EVENT_TYPES, callback_form, pascal_case, snake_case
from hindsight.domain.ingest import (
    from_callback,
    from_event_streams,
    is_source_sid,
    new_source_sid,
)
from tests.support.twilio_ingest import load_call

RECEIVED = 1_800_000_000_000
CALL = load_call(fresh=False)


def pairs(params: dict[str, str]) -> list[tuple[str, str]]:
    return list(params.items())


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pascal", "snake"),
    [
        ("TaskSid", "task_sid"),
        ("TaskAttributes", "task_attributes"),
        ("WorkerActivityName", "worker_activity_name"),
        ("TaskQueueSid", "task_queue_sid"),
        ("TaskChannelUniqueName", "task_channel_unique_name"),
        ("WorkerTimeInPreviousActivityMs", "worker_time_in_previous_activity_ms"),
        ("TimestampMs", "timestamp_ms"),
        ("TaskReEvaluatedReason", "task_re_evaluated_reason"),
        ("Sid", "sid"),
    ],
)
def test_snake_case_is_the_inverse_of_pascal_case(pascal: str, snake: str) -> None:
    assert snake_case(pascal) == snake
    assert pascal_case(snake) == pascal


@given(st.lists(st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True), min_size=1, max_size=6))
def test_snake_case_undoes_pascal_case_for_every_snake_name(words: list[str]) -> None:
    name = "_".join(words)
    assert snake_case(pascal_case(name)) == name


def test_source_sids_look_like_twilio_sids() -> None:
    sid = new_source_sid()
    assert is_source_sid(sid) and len(sid) == 34 and sid.startswith("IS")
    assert not is_source_sid("IS123") and not is_source_sid("WS" + "0" * 32)


# --- EventCallbackUrl ---------------------------------------------------------------------------


def test_a_callback_maps_to_its_envelope_and_snake_case_event_data() -> None:
    params = CALL.callbacks[3]  # reservation.accepted
    event = from_callback(pairs(params), RECEIVED)
    assert event.sid == params["Sid"]
    assert event.event_type == "reservation.accepted" and event.known_type
    assert event.twilio_account_sid == params["AccountSid"]
    assert event.workspace_sid == params["WorkspaceSid"]
    assert event.workspace_name == "Flex Task Assignment"
    assert (event.resource_type, event.resource_sid) == ("reservation", params["ReservationSid"])
    assert event.description == params["EventDescription"]
    assert event.event_date_ms == int(params["TimestampMs"])
    assert event.actor_type is None and event.actor_sid is None
    envelope = {"Sid", "EventType", "AccountSid", "EventDescription", "ResourceType"}
    envelope |= {"ResourceSid", "Timestamp", "TimestampMs"}
    assert event.data == {
        snake_case(name): value for name, value in params.items() if name not in envelope
    }
    assert event.data["task_channel_unique_name"] == "voice"
    assert event.data["worker_activity_name"] == "Busy"
    assert event.data["task_attributes"] == params["TaskAttributes"]


def test_a_callback_without_timestamp_ms_uses_timestamp_seconds_then_arrival() -> None:
    params = {k: v for k, v in CALL.first.items() if k != "TimestampMs"}
    assert from_callback(pairs(params), RECEIVED).event_date_ms == int(params["Timestamp"]) * 1000
    del params["Timestamp"]
    assert from_callback(pairs(params), RECEIVED).event_date_ms == RECEIVED
    params["Timestamp"] = "2025-03-04T15:02:11Z"
    assert from_callback(pairs(params), RECEIVED).event_date_ms == 1_741_100_531_000


def test_a_callback_takes_actor_and_fills_missing_resource_from_the_event_type() -> None:
    params = {
        k: v for k, v in CALL.callbacks[2].items() if k not in ("ResourceType", "ResourceSid")
    }
    params.update({"ActorType": "workspace", "ActorSid": params["WorkspaceSid"]})
    event = from_callback(pairs(params), RECEIVED)
    assert (event.resource_type, event.resource_sid) == ("reservation", params["ReservationSid"])
    assert (event.actor_type, event.actor_sid) == ("workspace", params["WorkspaceSid"])
    assert "actor_type" not in event.data


def test_what_hindsight_sends_as_callbacks_maps_back_to_the_same_event() -> None:
    data = {"task_sid": "WT" + "a" * 32, "task_age": "3", "workspace_sid": "WS" + "b" * 32}
    form = callback_form(
        sid="EV" + "c" * 32,
        event_type="task.created",
        account_sid="AC" + "d" * 32,
        workspace_sid="WS" + "b" * 32,
        description="Task created",
        resource_type="task",
        resource_sid="WT" + "a" * 32,
        event_ms=1_741_100_531_482,
        data=data,
    )
    event = from_callback(pairs(form), RECEIVED)
    assert event.data == data
    assert event.event_date_ms == 1_741_100_531_482
    assert event.resource_sid == "WT" + "a" * 32


def test_unknown_event_types_are_kept_but_marked() -> None:
    event = from_callback(pairs({**CALL.first, "EventType": "task.escalated"}), RECEIVED)
    assert event.event_type == "task.escalated" and not event.known_type
    assert event.resource_type == "task"  # as given


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"Sid": ""}, "Sid"),
        ({"Sid": "EV123"}, "Sid"),
        ({"EventType": ""}, "EventType"),
        ({"EventType": "Task Created!"}, "EventType"),
        ({"EventType": "task." + "x" * 80}, "EventType"),
        ({"WorkspaceSid": "WQ" + "0" * 32}, "WorkspaceSid"),
        ({"AccountSid": "nope"}, "AccountSid"),
        ({"TimestampMs": "soon"}, "TimestampMs"),
        ({"ResourceSid": "not a sid"}, "ResourceSid"),
        ({"ResourceType": "x" * 40}, "ResourceType"),
        ({"TaskSid": "WT" + "0" * 40}, "task_sid"),
        ({"TaskAttributes": "\x00"}, "NUL"),
    ],
)
def test_malformed_callbacks_are_refused(change: dict[str, str], complaint: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        from_callback(pairs({**CALL.first, **change}), RECEIVED)
    assert complaint in caught.value.message


def test_a_repeated_callback_parameter_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="more than once"):
        from_callback([*pairs(CALL.first), ("TaskSid", "WT" + "1" * 32)], RECEIVED)


# --- Event Streams ------------------------------------------------------------------------------


def test_event_streams_and_callbacks_give_the_same_events() -> None:
    streamed = from_event_streams(CALL.cloud_events, RECEIVED)
    called = [from_callback(pairs(params), RECEIVED) for params in CALL.callbacks]
    assert streamed == called
    assert [e.event_type for e in streamed] == [
        "task.created",
        "task-queue.entered",
        "reservation.created",
        "reservation.accepted",
        "task.wrapup",
        "reservation.wrapup",
        "task.completed",
        "reservation.completed",
    ]


def _cloud_event(payload: dict[str, Any], kind: str = "task.updated") -> dict[str, Any]:
    base = {
        "sid": "EV" + "1" * 32,
        "eventtype": kind,
        "account_sid": "AC" + "2" * 32,
        "workspace_sid": "WS" + "3" * 32,
        "timestamp": "2025-01-01T00:00:00.250Z",
    }
    return {
        "specversion": "1.0",
        "type": f"com.twilio.taskrouter.{kind}",
        "data": {"payload": {**base, **payload}},
    }


def test_payload_values_become_strings_as_in_event_data() -> None:
    (event,) = from_event_streams(
        [
            _cloud_event(
                {
                    "task_sid": "WT" + "4" * 32,
                    "task_age": 31088,
                    "task_priority": 1,
                    "worker_channel_available": True,
                    "task_ignore_capacity": False,
                    "score": 0.5,
                    "task_canceled_reason": None,
                    "routing": {"skills": ["support"]},
                    "task_date_created": "2025-01-01T00:00:00.000Z",
                    "task_queue_entered_date": "not a date",
                }
            )
        ],
        RECEIVED,
    )
    assert event.event_date_ms == 1_735_689_600_250
    assert event.data["task_age"] == "31088"
    assert event.data["task_priority"] == "1"
    assert event.data["worker_channel_available"] == "true"
    assert event.data["task_ignore_capacity"] == "false"
    assert event.data["score"] == "0.5"
    assert "task_canceled_reason" not in event.data
    assert json.loads(event.data["routing"]) == {"skills": ["support"]}
    assert event.data["task_date_created"] == "1735689600"
    assert event.data["task_queue_entered_date"] == "not a date"
    assert set(event.data) >= {"task_sid", "workspace_sid"}
    assert not set(event.data) & {"sid", "eventtype", "account_sid", "timestamp"}
    assert (event.resource_type, event.resource_sid) == ("task", "WT" + "4" * 32)


def test_envelope_fields_may_sit_on_the_data_wrapper() -> None:
    cloud = _cloud_event({})
    payload = cloud["data"]["payload"]
    for key in ("sid", "account_sid", "timestamp"):
        cloud["data"][key] = payload.pop(key)
    (event,) = from_event_streams(cloud, RECEIVED)  # a single CloudEvent, not in a list
    assert event.sid == "EV" + "1" * 32 and event.event_date_ms == 1_735_689_600_250


def test_other_products_are_left_out_and_unknown_taskrouter_types_kept() -> None:
    batch = [
        {"specversion": "1.0", "type": "com.twilio.messaging.message.sent", "data": {}},
        _cloud_event({}, kind="task.escalated"),
    ]
    (event,) = from_event_streams(batch, RECEIVED)
    assert event.event_type == "task.escalated" and not event.known_type
    assert event.resource_type == "task"


@pytest.mark.parametrize(
    "batch",
    [
        [1],
        [{"data": {}}],
        [{"type": "com.twilio.taskrouter.task.created"}],
        [{"type": "com.twilio.taskrouter.task.created", "data": {"payload": []}}],
        [_cloud_event({"workspace_sid": None})],
        [_cloud_event({"sid": "EV1"})],
        [_cloud_event({"timestamp": None})],
        [_cloud_event({"timestamp": "tomorrow"})],
        [_cloud_event({"resource_sid": {"not": "a sid"}})],
        [_cloud_event({"task_sid": "WT" + "0" * 64})],
    ],
)
def test_malformed_batches_are_refused(batch: list[Any]) -> None:
    with pytest.raises(InvalidParameter):
        from_event_streams(batch, RECEIVED)


def test_every_catalogued_event_type_survives_both_shapes() -> None:
    for event_type in EVENT_TYPES:
        cloud = _cloud_event({}, kind=event_type)
        (streamed,) = from_event_streams([cloud], RECEIVED)
        form = {**CALL.first, "EventType": event_type}
        assert streamed.event_type == from_callback(pairs(form), RECEIVED).event_type
