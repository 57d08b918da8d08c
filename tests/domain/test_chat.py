"""The rules of chat transcripts, without a database: checks, error codes and the role rule."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.chat.transcript import build_transcript, names_to_identify
from hindsight.domain import chat
from hindsight.domain.chat import AGENT, CUSTOMER, SYSTEM, ChatError

LIMIT = 1024


def code_of(call, *args, **kwargs) -> int:
    with pytest.raises(ChatError) as caught:
        call(*args, **kwargs)
    assert caught.value.status == 400
    return caught.value.code


# --- checks ------------------------------------------------------------------------------------


def test_attributes_are_kept_verbatim_when_a_json_object_within_the_limit():
    raw = '{ "topic" : "feedback" }'
    assert chat.check_attributes(raw, limit_bytes=LIMIT) == raw


@pytest.mark.parametrize("raw", ["{", "[]", '"x"', "1", "null", "true", ""])
def test_attributes_not_a_json_object_are_50304(raw: str):
    assert code_of(chat.check_attributes, raw, limit_bytes=LIMIT) == 50304


def test_attributes_over_the_limit_are_50303_counting_bytes_not_characters():
    fits = json.dumps({"x": "é" * ((LIMIT - 10) // 2)}, ensure_ascii=False)
    assert len(fits.encode()) <= LIMIT
    chat.check_attributes(fits, limit_bytes=LIMIT)
    over = json.dumps({"x": "é" * (LIMIT // 2)}, ensure_ascii=False)
    assert len(over) < LIMIT < len(over.encode())
    assert code_of(chat.check_attributes, over, limit_bytes=LIMIT) == 50303


def test_names_and_their_codes():
    assert chat.check_friendly_name("f" * 256) == "f" * 256
    assert chat.check_friendly_name("") is None
    assert code_of(chat.check_friendly_name, "f" * 257) == 50003
    assert chat.check_unique_name("order-4411") == "order-4411"
    assert chat.check_unique_name("") is None
    assert code_of(chat.check_unique_name, "u" * 257) == 50004
    for bad in ("CH" + "a" * 32, "WS" + "0" * 32, "a/b", "  "):
        assert code_of(chat.check_unique_name, bad) == 20001
    assert code_of(chat.check_author, "a" * 257) == 50310
    assert code_of(chat.check_author, "") == 20001
    assert code_of(chat.check_identity, "i" * 257) == 50207
    assert code_of(chat.check_identity, " ") == 20001
    assert code_of(chat.check_address, "", "MessagingBinding.Address") == 20001


def test_a_message_needs_a_body_or_media_and_a_body_is_at_most_32_kib():
    assert chat.check_body("hi", []) == "hi"
    assert chat.check_body("", ["ME" + "0" * 32]) is None
    assert chat.check_body(None, ["ME" + "0" * 32]) is None
    assert code_of(chat.check_body, None, []) == 50503
    assert code_of(chat.check_body, "", []) == 50503
    assert chat.check_body("x" * chat.MAX_BODY_BYTES, []) is not None
    assert code_of(chat.check_body, "x" * (chat.MAX_BODY_BYTES + 1), []) == 50504


@given(st.text(min_size=1, max_size=200))
def test_body_limit_is_in_utf8_bytes(text: str):
    repeated = text * (chat.MAX_BODY_BYTES // max(1, len(text.encode())) + 1)
    size = len(repeated.encode())
    if size > chat.MAX_BODY_BYTES:
        assert code_of(chat.check_body, repeated, []) == 50504
    else:
        assert chat.check_body(repeated, []) == repeated


def test_dates_are_bounded_and_closed_is_final():
    assert chat.check_date(0, "DateCreated") == 0
    assert chat.check_date(chat.LATEST_MS, "DateCreated") == chat.LATEST_MS
    assert code_of(chat.check_date, -1, "DateCreated") == 20001
    assert code_of(chat.check_date, chat.LATEST_MS + 1, "DateUpdated") == 20001
    assert chat.check_state_change("active", "closed") == "closed"
    assert chat.check_state_change("closed", "closed") == "closed"
    assert code_of(chat.check_state_change, "closed", "active") == 20001


@pytest.mark.parametrize(
    ("identity", "address", "proxy", "projected"),
    [
        (None, None, None, None),
        ("a", "+1", "+2", None),
        (None, "+1", None, None),
        ("a", None, "+2", None),
        (None, "+1", "+2", "+3"),
    ],
)
def test_bindings_that_do_not_make_one_kind_of_participant(identity, address, proxy, projected):
    assert code_of(chat.check_binding, identity, address, proxy, projected) == 20001


def test_bindings_of_chat_and_messaging_participants():
    chat.check_binding("alice", None, None, None)
    chat.check_binding("alice", None, None, "+15557770001")
    chat.check_binding(None, "+15551230001", "+15557770000", None)
    assert chat.binding_type("+15551230001") == "sms"
    assert chat.binding_type("whatsapp:+15551230001") == "whatsapp"
    assert chat.binding_type("WhatsApp:+1") == "whatsapp"
    assert chat.binding_type("messenger:1234") == "messenger"
    assert chat.binding_type("tel:+1") == "sms"


# --- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "role"),
    [
        ({"role": "agent"}, AGENT),
        ({"role": " Supervisor "}, AGENT),
        ({"member_type": "agent"}, AGENT),
        ({"member_type": "guest"}, CUSTOMER),
        ({"role": "end_user"}, CUSTOMER),
        ({"role": "bot"}, SYSTEM),
        ({"role": "dragon"}, None),
        ({"role": 3}, None),
        ({"role": "dragon", "member_type": "agent"}, AGENT),
        ({}, None),
    ],
)
def test_declared_roles(attributes, role):
    assert chat.declared_role(attributes) == role


def test_worker_names():
    names = chat.worker_names(
        "WK" + "1" * 32,
        "Alice",
        {"contact_uri": "client:alice_40example_2Ecom", "email": "alice@example.com"},
    )
    assert names == {
        "WK" + "1" * 32,
        "Alice",
        "client:alice_40example_2Ecom",
        "alice_40example_2Ecom",
        "alice@example.com",
    }
    assert chat.worker_names("WK1", "Bob", {"contact_uri": 7}) == {"WK1", "Bob"}


def test_participant_role_rule_in_order():
    agents = {"alice"}
    assert chat.participant_role({"role": "customer"}, "alice", None, agents) == CUSTOMER
    assert chat.participant_role({}, None, "+15551230001", agents) == CUSTOMER
    assert chat.participant_role({}, "alice", None, agents) == AGENT
    assert chat.participant_role({}, "visitor", None, agents) == CUSTOMER
    assert chat.participant_role({"role": "bot"}, None, "+1", agents) == SYSTEM


def test_message_role_rule_in_order():
    names = {"visitor": CUSTOMER, "+15551230001": CUSTOMER, "alice": AGENT}
    agents = {"alice", "Alice"}
    role = chat.message_role
    assert role({"role": "agent"}, "visitor", CUSTOMER, names, agents) == AGENT
    assert role({}, "anyone", AGENT, names, agents) == AGENT
    assert role({}, "system", None, names, agents) == SYSTEM
    assert role({}, "+15551230001", None, names, agents) == CUSTOMER
    assert role({}, "Alice", None, names, agents) == AGENT
    assert role({}, "Studio", None, names, agents) == SYSTEM


def _row(**fields):
    return SimpleNamespace(**fields)


def test_build_transcript_orders_and_labels_from_rows():
    conversation = _row(
        account_sid="AC1",
        sid="CH1",
        unique_name=None,
        friendly_name="Chat",
        state="closed",
        attributes='{"a": 1}',
        date_created=1_000,
        date_updated=2_000,
    )
    participants = [
        _row(
            sid="MB1",
            identity=None,
            address="+1",
            proxy_address="+2",
            attributes="{}",
            date_created=1_000,
        ),
        _row(
            sid="MB2",
            identity="alice",
            address=None,
            proxy_address=None,
            attributes="{}",
            date_created=1_001,
        ),
    ]

    def message(index: int, author: str, participant: str | None, media: str | None = None):
        return _row(
            sid=f"IM{index}",
            message_index=index,
            author=author,
            participant_sid=participant,
            body=None if media else f"body {index}",
            media=media,
            attributes="{}",
            date_created=1_000 + index,
            date_updated=1_000 + index,
        )

    messages = [
        message(0, "+1", "MB1"),
        message(1, "alice", "MB2"),
        message(3, "alice", None, '["ME1"]'),
        message(4, "system", None),
        message(5, "gone", "MB9"),  # its participant was deleted
    ]
    assert names_to_identify(participants, messages) == {"alice", "+1", "gone"}

    held = build_transcript(conversation, participants, messages, {"alice"})

    assert [p.role for p in held.participants] == [CUSTOMER, AGENT]
    assert [(m.index, m.role) for m in held.messages] == [
        (0, CUSTOMER),
        (1, AGENT),
        (3, AGENT),
        (4, SYSTEM),
        (5, SYSTEM),
    ]
    assert held.messages[2].media_sids == ("ME1",) and held.messages[2].body is None
    assert held.attributes == {"a": 1}
    assert held.as_dict()["messages"][0]["timestamp"] == "1970-01-01T00:00:01Z"
