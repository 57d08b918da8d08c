"""Twilio's Insights read API (/v1/Insights/Segments, /v1/Insights/Conversations), through the
official helper library and raw HTTP, over the scripted contact centre of helpers_insights."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioException

from tests.api.helpers_insights import CONVERSATIONS, CRM_URL, RECORDING_1, Dataset, build
from tests.support.server import RunningServer

SEGMENT_FIELDS = {
    "segment_id",
    "external_id",
    "queue",
    "external_contact",
    "external_segment_link_id",
    "date",
    "account_id",
    "external_segment_link",
    "agent_id",
    "agent_phone",
    "agent_name",
    "agent_team_name",
    "agent_team_name_in_hierarchy",
    "agent_link",
    "customer_phone",
    "customer_name",
    "customer_link",
    "segment_recording_offset",
    "media",
    "assessment_type",
    "assessment_percentage",
    "url",
}
META_FIELDS = {
    "first_page_url",
    "key",
    "next_page_url",
    "page",
    "page_size",
    "previous_page_url",
    "url",
}
# Segments of the scripted conversations: Queue + Conversation each, four for the transfer.
SEGMENT_COUNT = 2 + 2 + 2 + 4 + 2


@pytest.fixture(scope="module")
def data(server: RunningServer) -> Dataset:
    return build(server)


def raw(data: Dataset, path: str, auth: Any = None, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{data.server.base_url}{path}",
        params=params,
        auth=auth if auth is not None else data.a.auth,
        timeout=30,
    )


def segments_of(data: Dataset, conversation: str) -> list[dict[str, Any]]:
    return data.ok(f"/api/v1/insights/conversations/{conversation}")["segments"]


def test_segment_by_id_has_twilios_fields(data: Dataset) -> None:
    queue, talk = segments_of(data, "conv-1")
    (found,) = data.a.client.flex_api.v1.insights_segments.list(segment_id=talk["segment_id"])
    assert found.segment_id == talk["segment_id"]
    assert found.external_id == "conv-1"
    assert found.queue == "Sales"
    assert found.account_id == data.a.account.sid
    assert found.date is not None and found.date.endswith("Z")
    assert found.agent_id == data.a.workers["Alice"]
    assert found.agent_name == "Alice"
    assert found.agent_phone == "+15550100"
    assert found.agent_team_name == "Team A"
    assert found.customer_name == "Ada Lovelace"
    assert found.customer_phone == "+15551110001"
    assert found.segment_recording_offset == "5"
    # No segment_link: the recording link is the first playable recording.
    assert found.external_segment_link == RECORDING_1
    assert [m["type"] for m in found.media] == ["Raw", "VoiceRecording"]
    assert found.media[0]["url"] == CRM_URL
    assert found.assessment_type is None and found.agent_link is None
    assert found.url.endswith(f"/v1/Insights/Segments?SegmentId={talk['segment_id']}")
    body = raw(data, "/v1/Insights/Segments", SegmentId=queue["segment_id"]).json()
    (queue_segment,) = body["segments"]
    assert set(queue_segment) == SEGMENT_FIELDS
    assert queue_segment["agent_id"] is None and queue_segment["agent_team_name"] is None


def test_segments_by_reservation_ids(data: Dataset) -> None:
    reservations = [data.a.reservations["conv-4.0"], data.a.reservations["conv-4.1"]]
    found = data.a.client.flex_api.v1.insights_segments.list(reservation_id=reservations)
    assert sorted(s.agent_name for s in found) == ["Alice", "Bob"]
    assert {s.external_id for s in found} == {"conv-4"}
    (one,) = data.a.client.flex_api.v1.insights_segments.list(reservation_id=reservations[:1])
    assert one.agent_name == "Alice"
    # Repeated and comma-separated forms are the same filter.
    joined = raw(data, "/v1/Insights/Segments", ReservationId=",".join(reservations)).json()
    assert len(joined["segments"]) == 2


def test_segment_and_reservation_filters_combine(data: Dataset) -> None:
    talk = segments_of(data, "conv-1")[-1]
    both = data.a.client.flex_api.v1.insights_segments.list(
        segment_id=talk["segment_id"], reservation_id=[data.a.reservations["conv-1"]]
    )
    assert [s.segment_id for s in both] == [talk["segment_id"]]
    none = data.a.client.flex_api.v1.insights_segments.list(
        segment_id=talk["segment_id"], reservation_id=[data.a.reservations["conv-2"]]
    )
    assert none == []


def test_all_segments_page_by_page(data: Dataset) -> None:
    everything = data.a.client.flex_api.v1.insights_segments.list(page_size=5)
    ids = [s.segment_id for s in everything]
    assert len(ids) == len(set(ids)) == SEGMENT_COUNT
    assert {s.external_id for s in everything} == set(CONVERSATIONS)
    dates = [s.date for s in everything]
    assert dates == sorted(dates, reverse=True)
    assert ids == [s.segment_id for s in data.a.client.flex_api.v1.insights_segments.list()]


def test_segments_meta_envelope(data: Dataset) -> None:
    body = raw(data, "/v1/Insights/Segments", PageSize=5).json()
    assert set(body) == {"segments", "meta"}
    meta = body["meta"]
    assert set(meta) == META_FIELDS
    assert (meta["key"], meta["page"], meta["page_size"]) == ("segments", 0, 5)
    assert meta["previous_page_url"] is None and meta["next_page_url"] is not None
    assert len(body["segments"]) == 5
    following = httpx.get(meta["next_page_url"], auth=data.a.auth, timeout=30).json()
    assert following["meta"]["page"] == 1
    assert following["meta"]["previous_page_url"] is not None
    assert not {s["segment_id"] for s in following["segments"]} & {
        s["segment_id"] for s in body["segments"]
    }
    back = httpx.get(following["meta"]["previous_page_url"], auth=data.a.auth, timeout=30).json()
    assert back["segments"] == body["segments"]


def test_default_page_size_is_50(data: Dataset) -> None:
    meta = raw(data, "/v1/Insights/Segments").json()["meta"]
    assert meta["page_size"] == 50 and meta["next_page_url"] is None


def test_a_flex_token_parameter_is_accepted_and_basic_auth_decides(data: Dataset) -> None:
    talk = segments_of(data, "conv-2")[-1]
    (found,) = data.a.client.flex_api.v1.insights_segments.list(
        authorization="flex-token", segment_id=talk["segment_id"]
    )
    assert found.external_id == "conv-2"


def test_conversation_by_segment_id(data: Dataset) -> None:
    segments = segments_of(data, "conv-4")
    (found,) = data.a.client.flex_api.v1.insights_conversations.list(
        segment_id=segments[1]["segment_id"]
    )
    assert found.account_id == data.a.account.sid
    assert found.conversation_id == "conv-4"
    assert found.segment_count == 4
    assert [s["segment_id"] for s in found.segments] == [s["segment_id"] for s in segments]
    assert [s["agent_name"] for s in found.segments] == [None, "Alice", None, "Bob"]
    assert all(set(s) == SEGMENT_FIELDS for s in found.segments)


def test_conversations_list_pages_newest_first(data: Dataset) -> None:
    found = data.a.client.flex_api.v1.insights_conversations.list(page_size=2)
    assert [c.conversation_id for c in found] == list(reversed(CONVERSATIONS))
    body = raw(data, "/v1/Insights/Conversations", PageSize=2).json()
    assert set(body) == {"conversations", "meta"}
    assert set(body["meta"]) == META_FIELDS and body["meta"]["key"] == "conversations"
    assert set(body["conversations"][0]) == {
        "account_id",
        "conversation_id",
        "segment_count",
        "segments",
    }


def test_another_accounts_segments_are_never_listed(data: Dataset) -> None:
    theirs = data.ok("/api/v1/insights/conversations/conv-b", data.b)["segments"]
    flex = data.a.client.flex_api.v1
    assert flex.insights_segments.list(segment_id=theirs[-1]["segment_id"]) == []
    assert flex.insights_segments.list(reservation_id=[data.b.reservations["conv-b"]]) == []
    assert flex.insights_conversations.list(segment_id=theirs[-1]["segment_id"]) == []
    mine = flex.insights_segments.list()
    assert {s.account_id for s in mine} == {data.a.account.sid}
    assert "conv-b" not in {s.external_id for s in mine}
    b_segments = data.b.client.flex_api.v1.insights_segments.list()
    assert {s.account_id for s in b_segments} == {data.b.account.sid}
    assert len(b_segments) == 4


@pytest.mark.parametrize(
    ("path", "params", "fragment"),
    [
        ("/v1/Insights/Segments", {"PageSize": "0"}, "PageSize"),
        ("/v1/Insights/Segments", {"PageSize": "1001"}, "PageSize"),
        ("/v1/Insights/Segments", {"SegmentId": "123"}, "SegmentId"),
        ("/v1/Insights/Segments", {"ReservationId": "WT" + "0" * 32}, "ReservationId"),
        ("/v1/Insights/Segments", {"PageToken": "garbage"}, "PageToken"),
        ("/v1/Insights/Segments", {"AgentId": "x"}, "Unknown parameter"),
        ("/v1/Insights/Conversations", {"SegmentId": "SG1"}, "SegmentId"),
        ("/v1/Insights/Conversations", {"ReservationId": "WR" + "0" * 32}, "Unknown parameter"),
    ],
)
def test_bad_parameters_are_twilio_400s(
    data: Dataset, path: str, params: dict[str, str], fragment: str
) -> None:
    response = raw(data, path, **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["status"], body["code"]) == (400, 20001)
    assert fragment in body["message"]


def test_bad_parameters_through_the_helper_library(data: Dataset) -> None:
    with pytest.raises(TwilioException) as caught:
        data.a.client.flex_api.v1.insights_segments.page(page_size=1001)
    (_message, response) = caught.value.args
    assert response.status_code == 400 and "PageSize" in response.text


@pytest.mark.parametrize("path", ["/v1/Insights/Segments", "/v1/Insights/Conversations"])
def test_unauthenticated_is_401(data: Dataset, path: str) -> None:
    response = httpx.get(f"{data.server.base_url}{path}", timeout=30)
    assert response.status_code == 401
    assert response.json()["code"] == 20003
    wrong = raw(data, path, auth=(data.a.account.sid, "f" * 32))
    assert wrong.status_code == 401
