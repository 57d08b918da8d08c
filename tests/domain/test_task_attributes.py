"""One reading of a task's attributes: the rules the projection takes from them."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.domain import attributes as attribute_rules
from hindsight.domain import conversation_attributes as conv
from hindsight.domain import media
from hindsight.domain import segments as seg
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.task_attributes import TIMES, TaskAttributes

TASK = "WT" + "1" * 32
CALL = "CA" + "2" * 32
WR1, WR2 = "WR" + "3" * 32, "WR" + "4" * 32
CHANNEL = "CH" + "5" * 32
LINK = "https://recordings.example.org/call/1.wav"
REFERENCED = {"type": "Referenced", "url": "https://tickets.example.org/T-1", "title": "T-1"}
EMBEDDED = {"type": "Embedded", "url": "https://crm.example.org/case/9"}
PLAYED = {"type": "VoiceRecording", "url": "https://rec.example.org/r/2.wav"}
COMPUTED = {
    "queue_time": 3,
    "ring_time": 4,
    "talk_time": 60,
    "wrap_up_time": 15,
    "abandon_time": 0,
}


def reading(attributes: Any, *, hipaa: bool = False) -> TaskAttributes:
    raw = attributes if isinstance(attributes, str) else json.dumps(attributes)
    return TaskAttributes.parse(raw, hipaa=hipaa)


# --- two ways to parse, each named ---------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "not json", "[1, 2]", '"text"', "null", "7", "{"])
def test_what_the_log_holds_reads_as_no_attributes_when_it_is_not_an_object(raw):
    assert attribute_rules.parse_lenient(raw) == {}
    assert reading(raw or "").conversation_key(TASK) == TASK
    assert reading(raw or "").media_lists == media.MediaLists()


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"text"', "null", "{"])
def test_what_a_caller_sends_is_refused_when_it_is_not_an_object(raw):
    with pytest.raises(InvalidParameter):
        attribute_rules.parse_attributes(raw, limit_bytes=1024)


# JSON as integrations write it (no lone surrogates, integers within 64 bits).
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(text, json_values, max_size=5))
def test_both_parsers_agree_on_every_json_object(document):
    raw = json.dumps(document)
    assert attribute_rules.parse_lenient(raw) == document
    assert attribute_rules.parse_attributes(raw, limit_bytes=1 << 20) == document


@given(st.text(max_size=40))
def test_any_text_in_the_log_is_read_without_an_error(raw):
    value = TaskAttributes.parse(raw, hipaa=False)
    value.conversation_key(TASK)
    value.media_for(seg.CONVERSATION, WR1, extended=True)
    value.times(seg.CONVERSATION, COMPUTED)
    assert value.late_media == TaskAttributes.parse(raw, hipaa=True).late_media


def test_the_task_attributes_wrapper_is_undone_in_one_place():
    assert conv.unwrap is attribute_rules.unwrap
    assert media.unwrap is attribute_rules.unwrap


# --- conversation key -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "key"),
    [
        ({"conversations": {"conversation_id": "C-1"}, "call_sid": CALL}, "C-1"),
        ({"call_sid": CALL}, CALL),
        ({"conversations": {"conversation_id": ""}, "call_sid": ""}, TASK),
        ({}, TASK),
        ({"task_attributes": {"conversations": {"conversation_id": "C-2"}}}, "C-2"),
    ],
)
def test_a_task_joins_its_conversation_by_id_then_call_then_itself(attributes, key):
    assert reading(attributes).conversation_key(TASK) == key


def test_hipaa_mode_keeps_the_grouping_by_call_though_it_drops_the_call_sid():
    value = reading({"call_sid": CALL, "from": "+15550100", "direction": "inbound"}, hipaa=True)
    assert value.conversation_key(TASK) == CALL
    assert value.call_sid == CALL
    assert value.document == {"direction": "inbound"}


@given(
    st.dictionaries(
        st.sampled_from(["conversation_id", "segment_link", "queue", "talk_time", "x"]),
        st.text(max_size=6) | st.integers(-(2**53), 2**53),
        max_size=4,
    ),
    st.text(max_size=6),
    st.booleans(),
)
def test_the_key_is_the_same_wrapped_or_not_and_with_or_without_hipaa(conversations, call, hipaa):
    root = {"conversations": conversations, "call_sid": call}
    expected = conv.conversation_key(root, TASK)
    assert reading(root, hipaa=hipaa).conversation_key(TASK) == expected
    assert reading({"task_attributes": root}, hipaa=hipaa).conversation_key(TASK) == expected


# --- HIPAA --------------------------------------------------------------------------------------


def test_hipaa_mode_reads_only_the_allow_list():
    written = {
        "conversations": {"queue": "Sales", "external_contact": "+1555", "favourite": "x"},
        "customers": {"name": "Ann", "phone": "+1555", "email": "a@example.org"},
        "from": "+15550100",
    }
    value = reading(written, hipaa=True)
    assert value.document == conv.hipaa_filter(written)
    assert value.view.customer == {"name": "Ann"}
    assert "external_contact" not in value.view.attributes
    assert value.customer_key("CONV") == "conversation:CONV"
    assert reading(written).customer_key("CONV") == "phone:+1555"


# --- times and team -------------------------------------------------------------------------------


def test_caller_set_times_override_computed_ones_on_conversations_only():
    value = reading({"conversations": {"talk_time": "90", "hold_time": 12, "activity_time": 5}})
    talk = value.times(seg.CONVERSATION, COMPUTED)
    assert talk == {**COMPUTED, "talk_time": 90, "hold_time": 12}
    assert value.times(seg.QUEUE, COMPUTED) == {**COMPUTED, "hold_time": 0}
    assert value.times(seg.IN_PROGRESS, COMPUTED) == {**COMPUTED, "hold_time": 0}


@given(
    st.sampled_from(seg.KINDS),
    st.dictionaries(st.sampled_from(TIMES), st.integers(0, 10**6)),
    st.dictionaries(st.sampled_from(conv.TIME_OVERRIDES), st.integers(0, 10**6)),
)
def test_times_are_computed_unless_a_conversation_names_them(kind, computed, given_times):
    times = reading({"conversations": given_times}).times(kind, computed)
    assert set(times) == set(TIMES)
    for name in TIMES:
        if kind == seg.CONVERSATION and name in given_times:
            assert times[name] == given_times[name]
        else:
            assert times[name] == computed.get(name, 0)


def test_the_team_is_the_one_named_else_the_queue():
    named = reading({"conversations": {"handling_team_id": "T1", "handling_team_name": "Blue"}})
    assert named.team("WQ1", "Sales") == ("T1", "Blue")
    assert reading({}).team("WQ1", "Sales") == ("WQ1", "Sales")
    half = reading({"conversations": {"handling_team_name": "Blue"}})
    assert half.team("WQ1", "Sales") == ("WQ1", "Blue")


def test_direction_comes_from_conversations_else_the_root():
    assert reading({"conversations": {"direction": "outbound"}, "direction": "x"}).direction == (
        "outbound"
    )
    assert reading({"direction": "inbound"}).direction == "inbound"
    assert reading({"direction": {"nested": 1}}).direction is None
    assert reading({}).direction is None


# --- media --------------------------------------------------------------------------------------


MEDIA = {
    "conversations": {"media": [REFERENCED], "segment_link": LINK},
    "reservation_attributes": {WR1: {"media": [EMBEDDED, PLAYED]}},
    "channelSid": CHANNEL,
}


@pytest.mark.parametrize("kind", sorted(seg.OFFER_KINDS))
def test_offer_segments_take_their_reservations_list(kind):
    shown = reading(MEDIA).media_for(kind, WR1, extended=True).resolved
    assert shown.level == "reservation"
    assert [i.as_dict() for i in shown.items] == [EMBEDDED, PLAYED]
    other = reading(MEDIA).media_for(kind, WR2, extended=True).resolved
    assert other.level == "task"


@pytest.mark.parametrize("kind", [seg.QUEUE, seg.AGENT_STATUS])
def test_other_segments_take_the_tasks_list_even_with_a_reservation(kind):
    shown = reading(MEDIA).media_for(kind, WR1, extended=True).resolved
    assert shown.level == "task"
    assert [i.as_dict() for i in shown.items] == [REFERENCED]


def test_without_lists_a_segment_shows_the_recording_link_and_transcript():
    value = reading({"conversations": {"segment_link": LINK}, "channelSid": CHANNEL})
    shown = value.media_for(seg.CONVERSATION, WR1, extended=False).resolved
    assert shown.level == "default"
    assert [(i.type, i.url or i.sid) for i in shown.items] == [
        ("VoiceRecording", LINK),
        ("ChatTranscript", CHANNEL),
    ]


def test_invalid_items_are_left_out_and_reported():
    value = reading({"conversations": {"media": [REFERENCED, {"type": "Video"}]}})
    shown = value.media_for(seg.CONVERSATION, None, extended=True)
    assert [i.as_dict() for i in shown.resolved.items] == [REFERENCED]
    assert len(shown.problems) == 1 and "conversations.media[1].type" in shown.problems[0]


# --- after the task has ended ---------------------------------------------------------------------


def test_after_the_end_only_media_lists_and_the_recording_link_count():
    ended = reading({"conversations": {"queue": "Sales"}})
    assert not reading({"conversations": {"queue": "Support"}, "x": 1}).changes_late_media(ended)
    for later in (
        {"conversations": {"media": [REFERENCED]}},
        {"conversations": {"segment_link": LINK}},
        {"reservation_attributes": {WR1: {"media": [PLAYED]}}},
        {"task_attributes": {"conversations": {"media": [REFERENCED]}}},
    ):
        assert reading(later).changes_late_media(ended), later
    assert not reading(MEDIA).changes_late_media(reading({**MEDIA, "from": "+1555"}))


@given(st.lists(st.sampled_from([REFERENCED, EMBEDDED, PLAYED]), max_size=3), st.booleans())
def test_late_media_compares_as_written(items, wrapped):
    document = {"conversations": {"media": items}}
    later = {"task_attributes": document} if wrapped else document
    assert not reading(later).changes_late_media(reading(document))
    # Even an empty list is a change from none: it was written.
    assert reading(later).changes_late_media(reading({}))


# --- one value ------------------------------------------------------------------------------------


def test_a_reading_is_frozen_and_equal_for_the_same_string():
    value = reading(MEDIA)
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.raw = "{}"  # type: ignore[misc]
    assert value == reading(MEDIA)
    assert value != reading(MEDIA, hipaa=True)
    assert value.media_lists is value.media_lists  # computed once
