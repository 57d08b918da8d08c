"""Bad requests to the Conversations API: each gets Twilio's error body, a 4xx, and changes
nothing; another account's conversations, messages and participants answer 404."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.helpers_chat import (
    CONVERSATIONS,
    NO_CONVERSATION,
    NO_MESSAGE,
    NO_PARTICIPANT,
    checked,
    message_count,
    ok,
)
from tests.api.helpers_tasks import ATTRIBUTES_LIMIT, assert_twilio_error, http
from tests.support.server import RunningServer

BODY_LIMIT = 256 * 1024
ONE_SID = "CH" + "a" * 32


@pytest.fixture
def conversation(raw: httpx.Client) -> dict[str, Any]:
    return ok(raw.post(CONVERSATIONS, data={"UniqueName": "the-chat"}), 201)


@pytest.fixture
def messages_path(conversation: dict[str, Any]) -> str:
    return f"{CONVERSATIONS}/{conversation['sid']}/Messages"


@pytest.fixture
def participants_path(conversation: dict[str, Any]) -> str:
    return f"{CONVERSATIONS}/{conversation['sid']}/Participants"


def refused(response: httpx.Response, status: int, code: int, *fragments: str) -> None:
    body = assert_twilio_error(checked(response), status, code)
    for fragment in fragments:
        assert fragment in body["message"], body


def conversation_count(raw: httpx.Client) -> int:
    return len(ok(raw.get(CONVERSATIONS))["conversations"])


# --- conversations ----------------------------------------------------------------------------

BAD_CONVERSATIONS: dict[str, tuple[dict[str, Any], int, str]] = {
    "unknown-parameter": ({"FriendlyNam": "x"}, 20001, "FriendlyNam"),
    "attributes-not-json": ({"Attributes": "{not json"}, 50304, "valid JSON"),
    "attributes-an-array": ({"Attributes": "[1, 2]"}, 50304, "JSON object"),
    "attributes-a-string": ({"Attributes": '"text"'}, 50304, "JSON object"),
    "attributes-null": ({"Attributes": "null"}, 50304, "JSON object"),
    "attributes-too-large": (
        {"Attributes": json.dumps({"x": "y" * ATTRIBUTES_LIMIT})},
        50303,
        "limit",
    ),
    "state-unknown": ({"State": "open"}, 20001, "State"),
    "messaging-service-not-a-sid": ({"MessagingServiceSid": "MG123"}, 20001, "MessagingService"),
    "messaging-service-wrong-kind": (
        {"MessagingServiceSid": "WS" + "0" * 32},
        20001,
        "MessagingService",
    ),
    "unique-name-sid-shaped": ({"UniqueName": ONE_SID}, 20001, "SID"),
    "unique-name-with-slash": ({"UniqueName": "a/b"}, 20001, "/"),
    "unique-name-blank": ({"UniqueName": "   "}, 20001, "blank"),
    "unique-name-too-long": ({"UniqueName": "u" * 257}, 50004, "256"),
    "friendly-name-too-long": ({"FriendlyName": "f" * 257}, 50003, "256"),
    "date-not-a-date": ({"DateCreated": "yesterday"}, 20001, "DateCreated"),
    "date-before-1970": ({"DateCreated": "1960-01-01T00:00:00Z"}, 20001, "DateCreated"),
    "timers-inactive": ({"Timers.Inactive": "PT1M"}, 20001, "Timers.Inactive"),
    "timers-closed": ({"Timers.Closed": "PT10M"}, 20001, "Timers.Closed"),
    "email-binding": ({"Bindings.Email.Address": "a@example.com"}, 20001, "Bindings.Email"),
    "email-name": ({"Bindings.Email.Name": "A"}, 20001, "Bindings.Email.Name"),
    "nul-in-value": ({"FriendlyName": "a\x00b"}, 20001, "NUL"),
}


@pytest.mark.parametrize(
    ("data", "code", "fragment"), BAD_CONVERSATIONS.values(), ids=BAD_CONVERSATIONS
)
def test_bad_conversation_writes_are_refused_and_change_nothing(
    raw: httpx.Client, data: dict[str, Any], code: int, fragment: str
) -> None:
    refused(raw.post(CONVERSATIONS, data=data), 400, code, fragment)
    assert conversation_count(raw) == 0
    made = ok(raw.post(CONVERSATIONS, data={"UniqueName": "kept", "Attributes": '{"a": 1}'}), 201)
    refused(raw.post(f"{CONVERSATIONS}/kept", data=data), 400, code, fragment)
    again = ok(raw.get(f"{CONVERSATIONS}/{made['sid']}"))
    assert again == made


def test_a_parameter_given_twice_is_refused(raw: httpx.Client) -> None:
    response = raw.post(
        CONVERSATIONS,
        content="FriendlyName=a&FriendlyName=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    refused(response, 400, 20001, "FriendlyName")


@pytest.mark.parametrize("value", ["yes", "TRUE", "1", ""])
def test_webhook_header_must_be_true_or_false(raw: httpx.Client, value: str) -> None:
    response = raw.post(CONVERSATIONS, headers={"X-Twilio-Webhook-Enabled": value})
    refused(response, 400, 20001, "X-Twilio-Webhook-Enabled")
    assert conversation_count(raw) == 0


def test_a_closed_conversation_cannot_be_reopened(raw: httpx.Client, conversation: Any) -> None:
    path = f"{CONVERSATIONS}/{conversation['sid']}"
    assert ok(raw.post(path, data={"State": "closed"}))["state"] == "closed"
    refused(raw.post(path, data={"State": "active"}), 400, 20001, "closed")
    assert ok(raw.get(path))["state"] == "closed"


def test_unique_name_clash_is_409_and_changes_nothing(raw: httpx.Client, conversation) -> None:
    refused(raw.post(CONVERSATIONS, data={"UniqueName": "the-chat"}), 409, 50353, "unique name")
    assert conversation_count(raw) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"PageSize": "0"},
        {"PageSize": "101"},
        {"PageSize": "ten"},
        {"Page": "-1"},
        {"PageToken": "PTnot-a-token"},
        {"PageToken": "garbage"},
        {"State": "open"},
        {"StartDate": "May 5th"},
        {"EndDate": "2024-02-30"},
        {"Foo": "bar"},
    ],
    ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()),
)
def test_bad_conversation_list_queries_are_400(raw: httpx.Client, params: dict) -> None:
    refused(raw.get(CONVERSATIONS, params=params), 400, 20001)


def test_request_body_beyond_the_limit_is_413(raw: httpx.Client) -> None:
    response = raw.post(CONVERSATIONS, data={"FriendlyName": "x" * (BODY_LIMIT + 1)})
    refused(response, 413, 20413)
    assert conversation_count(raw) == 0


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"FriendlyName": "x"}', "application/json"),
        (b"FriendlyName=\xff\xfe", "application/x-www-form-urlencoded"),
        (b"FriendlyName", "application/x-www-form-urlencoded"),
    ],
    ids=["json", "not-utf8", "not-a-form"],
)
def test_malformed_bodies_are_400(raw: httpx.Client, content: bytes, content_type: str) -> None:
    response = raw.post(CONVERSATIONS, content=content, headers={"Content-Type": content_type})
    refused(response, 400, 20001)
    assert conversation_count(raw) == 0


def test_missing_or_wrong_credentials_are_401(server: RunningServer, conversation: Any) -> None:
    with httpx.Client(base_url=server.base_url) as anonymous:
        for response in (
            anonymous.get(CONVERSATIONS),
            anonymous.post(CONVERSATIONS, data={"FriendlyName": "x"}),
            anonymous.get(f"{CONVERSATIONS}/{conversation['sid']}/Messages"),
            anonymous.get(CONVERSATIONS, auth=(conversation["account_sid"], "0" * 32)),
        ):
            refused(response, 401, 20003)


def test_path_names_with_nul_or_odd_characters_are_404(
    raw: httpx.Client, conversation: Any
) -> None:
    sid = conversation["sid"]
    refused(raw.get(f"{CONVERSATIONS}/a%00b/Messages"), 404, 20404)
    refused(raw.post(f"{CONVERSATIONS}/a%00b/Participants", data={"Identity": "x"}), 404, 20404)
    for path in (
        f"{CONVERSATIONS}/a%00b",
        f"{CONVERSATIONS}/{sid}/Participants/x%00y",
        f"{CONVERSATIONS}/{sid}/Messages/IM%00",
        f"{CONVERSATIONS}/%E2%9C%93",
        f"{CONVERSATIONS}/{'n' * 5000}",
    ):
        refused(raw.get(path), 404, 20404)
        refused(raw.delete(path), 404, 20404)


def test_unknown_paths_and_methods(raw: httpx.Client, conversation: Any) -> None:
    sid = conversation["sid"]
    refused(raw.get(f"{CONVERSATIONS}/{sid}/Webhooks"), 404, 20404)
    refused(raw.get(f"{CONVERSATIONS}/{NO_CONVERSATION}"), 404, 20404, NO_CONVERSATION)
    refused(raw.get(f"{CONVERSATIONS}/no-such-name"), 404, 20404, "no-such-name")
    refused(raw.put(f"{CONVERSATIONS}/{sid}", data={}), 405, 20004)
    refused(raw.get(f"{CONVERSATIONS}/{sid}", params={"Foo": "1"}), 400, 20001, "Foo")


# --- messages ---------------------------------------------------------------------------------

BAD_MESSAGES: dict[str, tuple[dict[str, Any], int, str]] = {
    "no-body-no-media": ({}, 50503, "body"),
    "empty-body": ({"Body": ""}, 50503, "body"),
    "empty-body-author-only": ({"Body": "", "Author": "alice"}, 50503, "body"),
    "body-over-32k": ({"Body": "x" * (32 * 1024 + 1)}, 50504, "too long"),
    "body-over-32k-in-bytes": ({"Body": "é" * (16 * 1024 + 1)}, 50504, "too long"),
    "attributes-not-json": ({"Body": "hi", "Attributes": "nope"}, 50304, "JSON"),
    "attributes-an-array": ({"Body": "hi", "Attributes": "[]"}, 50304, "JSON object"),
    "attributes-too-large": (
        {"Body": "hi", "Attributes": json.dumps({"x": "y" * ATTRIBUTES_LIMIT})},
        50303,
        "limit",
    ),
    "author-too-long": ({"Body": "hi", "Author": "a" * 257}, 50310, "Author"),
    "author-empty": ({"Body": "hi", "Author": ""}, 20001, "Author"),
    "media-sid-wrong-kind": ({"MediaSid": "MX" + "0" * 32}, 20001, "MediaSid"),
    "media-sid-short": ({"MediaSid": "ME123"}, 20001, "MediaSid"),
    "content-sid": ({"Body": "hi", "ContentSid": "HX" + "0" * 32}, 20001, "ContentSid"),
    "content-variables": ({"Body": "hi", "ContentVariables": "{}"}, 20001, "ContentVariables"),
    "subject": ({"Body": "hi", "Subject": "Re: order"}, 20001, "Subject"),
    "index-is-not-settable": ({"Body": "hi", "Index": "3"}, 20001, "Index"),
    "participant-sid-is-not-settable": (
        {"Body": "hi", "ParticipantSid": NO_PARTICIPANT},
        20001,
        "ParticipantSid",
    ),
    "date-invalid": ({"Body": "hi", "DateCreated": "2024-13-01T00:00:00Z"}, 20001, "DateCreated"),
    "date-updated-invalid": ({"Body": "hi", "DateUpdated": "later"}, 20001, "DateUpdated"),
}


@pytest.mark.parametrize(("data", "code", "fragment"), BAD_MESSAGES.values(), ids=BAD_MESSAGES)
def test_bad_messages_are_refused_and_take_no_index(
    raw: httpx.Client,
    server: RunningServer,
    conversation: Any,
    messages_path: str,
    data: dict[str, Any],
    code: int,
    fragment: str,
) -> None:
    refused(raw.post(messages_path, data=data), 400, code, fragment)
    assert message_count(server, conversation["sid"]) == 0
    # A refused message took no index: the first accepted one is still 0.
    assert ok(raw.post(messages_path, data={"Body": "first"}), 201)["index"] == 0


BAD_MESSAGE_UPDATES: dict[str, tuple[dict[str, Any], int, str]] = {
    "empty-body-without-media": ({"Body": ""}, 50503, "body"),
    "body-over-32k": ({"Body": "x" * (32 * 1024 + 1)}, 50504, "too long"),
    "attributes-not-json": ({"Attributes": "{"}, 50304, "JSON"),
    "media-is-not-updatable": ({"MediaSid": "ME" + "0" * 32}, 20001, "MediaSid"),
    "subject": ({"Subject": "x"}, 20001, "Subject"),
    "author-too-long": ({"Author": "a" * 257}, 50310, "Author"),
}


@pytest.mark.parametrize(
    ("data", "code", "fragment"), BAD_MESSAGE_UPDATES.values(), ids=BAD_MESSAGE_UPDATES
)
def test_bad_message_updates_change_nothing(
    raw: httpx.Client, messages_path: str, data: dict[str, Any], code: int, fragment: str
) -> None:
    message = ok(raw.post(messages_path, data={"Body": "kept", "Author": "alice"}), 201)
    path = f"{messages_path}/{message['sid']}"
    refused(raw.post(path, data=data), 400, code, fragment)
    assert ok(raw.get(path)) == message


@pytest.mark.parametrize("sid", [NO_MESSAGE, "IM123", "WT" + "0" * 32, "im" + "0" * 32], ids=str)
def test_malformed_or_unknown_message_sids_are_404(
    raw: httpx.Client, messages_path: str, sid: str
) -> None:
    path = f"{messages_path}/{sid}"
    refused(raw.get(path), 404, 20404, sid)
    refused(raw.post(path, data={"Body": "x"}), 404, 20404)
    refused(raw.delete(path), 404, 20404)


@pytest.mark.parametrize(
    "params",
    [{"Order": "sideways"}, {"Order": "ASC"}, {"PageSize": "101"}, {"Index": "1"}],
    ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()),
)
def test_bad_message_list_queries_are_400(
    raw: httpx.Client, messages_path: str, params: dict
) -> None:
    refused(raw.get(messages_path, params=params), 400, 20001)


def test_messages_of_one_conversation_are_not_found_through_another(
    raw: httpx.Client, messages_path: str
) -> None:
    message = ok(raw.post(messages_path, data={"Body": "mine"}), 201)
    other = ok(raw.post(CONVERSATIONS, data={}), 201)
    path = f"{CONVERSATIONS}/{other['sid']}/Messages/{message['sid']}"
    refused(raw.get(path), 404, 20404)
    refused(raw.delete(path), 404, 20404)
    assert ok(raw.get(f"{messages_path}/{message['sid']}"))["body"] == "mine"


# --- participants -----------------------------------------------------------------------------

SMS = {"MessagingBinding.Address": "+15551230001", "MessagingBinding.ProxyAddress": "+15557770000"}
BAD_PARTICIPANTS: dict[str, tuple[dict[str, Any], int, str]] = {
    "neither-identity-nor-address": ({}, 20001, "Identity"),
    "identity-and-address": ({"Identity": "a", **SMS}, 20001, "not both"),
    "address-without-proxy": (
        {"MessagingBinding.Address": "+15551230001"},
        20001,
        "ProxyAddress is required",
    ),
    "proxy-without-address": (
        {"Identity": "a", "MessagingBinding.ProxyAddress": "+15557770000"},
        20001,
        "ProxyAddress",
    ),
    "projected-for-messaging": (
        {**SMS, "MessagingBinding.ProjectedAddress": "+15557770001"},
        20001,
        "ProjectedAddress",
    ),
    "identity-too-long": ({"Identity": "i" * 257}, 50207, "Identity"),
    "identity-blank": ({"Identity": "  "}, 20001, "Identity"),
    "identity-sid-shaped": ({"Identity": NO_PARTICIPANT}, 20001, "participant SID"),
    "address-blank": (
        {"MessagingBinding.Address": " ", "MessagingBinding.ProxyAddress": "+1"},
        20001,
        "Address",
    ),
    "role-not-a-sid": ({"Identity": "a", "RoleSid": "RL1"}, 20001, "RoleSid"),
    "attributes-an-array": ({"Identity": "a", "Attributes": "[]"}, 50304, "JSON object"),
    "last-read-on-create": ({"Identity": "a", "LastReadMessageIndex": "1"}, 20001, "LastRead"),
    "date-invalid": ({"Identity": "a", "DateCreated": "tomorrow"}, 20001, "DateCreated"),
}


@pytest.mark.parametrize(
    ("data", "code", "fragment"), BAD_PARTICIPANTS.values(), ids=BAD_PARTICIPANTS
)
def test_bad_participants_are_refused_and_change_nothing(
    raw: httpx.Client, participants_path: str, data: dict[str, Any], code: int, fragment: str
) -> None:
    refused(raw.post(participants_path, data=data), 400, code, fragment)
    assert ok(raw.get(participants_path))["participants"] == []


BAD_PARTICIPANT_UPDATES: dict[str, tuple[str, dict[str, Any], str]] = {
    "last-read-negative": ("chat", {"LastReadMessageIndex": "-1"}, "LastReadMessageIndex"),
    "last-read-not-a-number": ("chat", {"LastReadMessageIndex": "x"}, "LastReadMessageIndex"),
    "last-read-timestamp-not-a-date": ("chat", {"LastReadTimestamp": "soon"}, "LastRead"),
    "identity-for-messaging": ("sms", {"Identity": "bob"}, "not both"),
    "remove-proxy-of-messaging": ("sms", {"MessagingBinding.ProxyAddress": "null"}, "Proxy"),
    "proxy-for-chat": ("chat", {"MessagingBinding.ProxyAddress": "+15550000000"}, "Proxy"),
    "address-not-updatable": ("sms", {"MessagingBinding.Address": "+15550000000"}, "Address"),
}


@pytest.mark.parametrize(
    ("kind", "data", "fragment"), BAD_PARTICIPANT_UPDATES.values(), ids=BAD_PARTICIPANT_UPDATES
)
def test_bad_participant_updates_change_nothing(
    raw: httpx.Client, participants_path: str, kind: str, data: dict[str, Any], fragment: str
) -> None:
    fields = SMS if kind == "sms" else {"Identity": "alice"}
    participant = ok(raw.post(participants_path, data=fields), 201)
    path = f"{participants_path}/{participant['sid']}"
    refused(raw.post(path, data=data), 400, 20001, fragment)
    assert ok(raw.get(path)) == participant


def test_identity_of_a_chat_participant_cannot_take_another_ones(
    raw: httpx.Client, participants_path: str
) -> None:
    ok(raw.post(participants_path, data={"Identity": "alice"}), 201)
    bob = ok(raw.post(participants_path, data={"Identity": "bob"}), 201)
    refused(raw.post(f"{participants_path}/bob", data={"Identity": "alice"}), 409, 50433)
    assert ok(raw.get(f"{participants_path}/{bob['sid']}"))["identity"] == "bob"


@pytest.mark.parametrize("who", [NO_PARTICIPANT, "nobody", "MB123"], ids=str)
def test_unknown_participants_are_404(raw: httpx.Client, participants_path: str, who: str) -> None:
    path = f"{participants_path}/{who}"
    refused(raw.get(path), 404, 20404, who)
    refused(raw.post(path, data={"Attributes": "{}"}), 404, 20404)
    refused(raw.delete(path), 404, 20404)


# --- another account --------------------------------------------------------------------------


def test_another_accounts_conversations_messages_and_participants_are_404(
    server: RunningServer, raw: httpx.Client, conversation: Any, messages_path: str
) -> None:
    sid = conversation["sid"]
    message = ok(raw.post(messages_path, data={"Body": "private", "Author": "visitor"}), 201)
    participant = ok(raw.post(f"{CONVERSATIONS}/{sid}/Participants", data={"Identity": "v"}), 201)
    other_account = server.new_account("other")
    with http(server, other_account) as other:
        own = ok(other.post(CONVERSATIONS, data={}), 201)["sid"]
        for ref in (sid, "the-chat"):
            base = f"{CONVERSATIONS}/{ref}"
            refused(other.get(base), 404, 20404)
            refused(other.post(base, data={"FriendlyName": "stolen"}), 404, 20404)
            refused(other.get(f"{base}/Messages"), 404, 20404)
            refused(other.post(f"{base}/Messages", data={"Body": "x"}), 404, 20404)
            refused(other.get(f"{base}/Messages/{message['sid']}"), 404, 20404)
            refused(other.post(f"{base}/Messages/{message['sid']}", data={"Body": "x"}), 404, 20404)
            refused(other.get(f"{base}/Participants"), 404, 20404)
            refused(other.post(f"{base}/Participants", data={"Identity": "x"}), 404, 20404)
            refused(other.get(f"{base}/Participants/{participant['sid']}"), 404, 20404)
            refused(other.get(f"{base}/Participants/v"), 404, 20404)
        # Through its own conversation, the other account cannot reach them either.
        mine = f"{CONVERSATIONS}/{own}"
        refused(other.get(f"{mine}/Messages/{message['sid']}"), 404, 20404)
        refused(other.delete(f"{mine}/Messages/{message['sid']}"), 404, 20404)
        refused(other.get(f"{mine}/Participants/{participant['sid']}"), 404, 20404)
        refused(other.delete(f"{mine}/Participants/{participant['sid']}"), 404, 20404)
        refused(other.delete(f"{CONVERSATIONS}/{sid}"), 404, 20404)
        listed = ok(other.get(CONVERSATIONS))["conversations"]
        assert [c["sid"] for c in listed] == [own]
    # Nothing of the first account changed.
    assert ok(raw.get(f"{CONVERSATIONS}/{sid}")) == conversation
    assert ok(raw.get(f"{messages_path}/{message['sid']}")) == message
