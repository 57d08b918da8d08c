"""Hindsight's Insights API (/api/v1/insights) over a scripted contact centre, on both stores."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from twilio.rest import Client

from hindsight.domain.csv_export import safe_cell as _cell
from tests.api.helpers_insights import CONVERSATIONS, CRM_URL, LATE_URL, RECORDING_1, Dataset, build
from tests.api.helpers_routing import floor, ms_tick
from tests.support.server import RunningServer
from tests.support.waiting import wait_for

SEARCH = "/api/v1/insights/conversations"
CSV = "/api/v1/insights/conversations.csv"
DRILLDOWN = "/api/v1/insights/drilldown"
AGGREGATES = "/api/v1/insights/aggregates"
NEWEST_FIRST = list(reversed(CONVERSATIONS))


@pytest.fixture(scope="module")
def data(server: RunningServer) -> Dataset:
    return build(server)


def iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def detail(data: Dataset, conversation: str) -> dict[str, Any]:
    return data.ok(f"{SEARCH}/{conversation}")


def error(response: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and isinstance(body["code"], int), body
    for fragment in fragments:
        assert fragment in body["message"], body
    assert response.headers["cache-control"] == "no-store"
    return body


# --- search: filters ----------------------------------------------------------------------


def test_search_lists_every_conversation_of_the_account_newest_first(data: Dataset) -> None:
    assert data.search() == NEWEST_FIRST


def test_search_summary_carries_the_conversation_measures(data: Dataset) -> None:
    page = data.ok(SEARCH)
    by_id = {c["conversation_id"]: c for c in page["conversations"]}
    one = by_id["conv-1"]
    assert one["workspace_sid"] == data.a.workspace_sid
    assert (one["queue"], one["agent"], one["channel"], one["direction"]) == (
        "Sales",
        "Alice",
        "voice",
        "inbound",
    )
    assert (one["talk_time"], one["wrap_up_time"], one["handling_time"]) == (60, 10, 70)
    assert (one["outcome"], one["segment_count"], one["has_media"]) == ("resolved", 2, True)
    assert one["attributes"]["conversation_attribute_1"] == "gold"
    assert one["customer_key"] == "phone:+15551110001"
    assert by_id["conv-4"]["segment_count"] == 4
    assert (by_id["conv-4"]["queue"], by_id["conv-4"]["agent"]) == ("Sales", "Bob")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"queue": "Sales"}, {"conv-1", "conv-4"}),
        ({"queue": "Support"}, {"conv-2", "conv-4", "conv-5"}),
        ({"queue": "Overflow"}, {"conv-3"}),
        ({"queue": "Nowhere"}, set()),
        ({"agent": "Alice"}, {"conv-1", "conv-4"}),
        ({"agent": "Bob"}, {"conv-2", "conv-4", "conv-5"}),
        ({"channel": "chat"}, {"conv-2"}),
        ({"channel": "voice"}, {"conv-1", "conv-3", "conv-4", "conv-5"}),
        ({"direction": "inbound"}, {"conv-1", "conv-2"}),
        ({"outcome": "resolved"}, {"conv-1", "conv-4"}),
        ({"outcome": "escalated"}, {"conv-2"}),
        ({"outcome": "caller hung up"}, {"conv-3"}),
        ({"abandoned": "true"}, {"conv-3"}),
        ({"abandoned": "false"}, {"conv-1", "conv-2", "conv-4", "conv-5"}),
        ({"handled": "true"}, {"conv-1", "conv-2", "conv-4", "conv-5"}),
        ({"handled": "false"}, {"conv-3"}),
        ({"has_media": "true"}, {"conv-1", "conv-2"}),
        ({"has_media": "false"}, {"conv-3", "conv-4", "conv-5"}),
        ({"in_progress": "true"}, {"conv-5"}),
        ({"in_progress": "false"}, {"conv-1", "conv-2", "conv-3", "conv-4"}),
        ({"attribute.conversation_attribute_1": "gold"}, {"conv-1"}),
        ({"attribute.conversation_attribute_1": "silver"}, {"conv-2"}),
        ({"attribute.conversation_attribute_1": "gol"}, set()),
        ({"attribute.queue": "Support", "attribute.kind": "Conversation"}, {"conv-2", "conv-4"}),
        ({"attribute.no_such_key": "x"}, set()),
        ({"q": "gold"}, {"conv-1"}),
        ({"q": "GOLD"}, {"conv-1"}),
        ({"q": "silv"}, {"conv-2"}),
        ({"q": "overflow"}, {"conv-3"}),
        ({"q": "%"}, set()),
        ({"q": "_"}, set()),
        ({"q": "zebra"}, set()),
        ({"queue": "Support", "handled": "true", "in_progress": "false"}, {"conv-2", "conv-4"}),
        ({"agent": "Alice", "channel": "chat"}, set()),
        ({"min_talk_time": "61"}, {"conv-2", "conv-4"}),
        ({"min_talk_time": "60", "max_talk_time": "70"}, {"conv-1", "conv-4"}),
        ({"min_handling_time": "100"}, {"conv-2"}),
        ({"min_talk_time": "200"}, set()),
        ({"min_talk_time": "", "queue": "Sales"}, {"conv-1", "conv-4"}),
    ],
)
def test_search_filters(data: Dataset, params: dict[str, str], expected: set[str]) -> None:
    found = data.search(**params)
    assert set(found) == expected
    assert len(found) == len(expected)


def test_search_by_time_range_on_the_conversation_start(data: Dataset) -> None:
    middle = iso(data.middle_ms)
    assert set(data.search(end=middle)) == {"conv-1", "conv-2"}
    assert set(data.search(start=middle)) == {"conv-3", "conv-4", "conv-5"}
    assert data.search(start=iso(data.start_ms), end=iso(data.end_ms)) == NEWEST_FIRST
    assert data.search(start=iso(data.end_ms)) == []
    # A bare date is midnight UTC; the whole scripted day lies within it and the next.
    day = datetime.fromtimestamp(data.start_ms / 1000, tz=UTC).date()
    assert set(data.search(start=day.isoformat())) >= {"conv-1"}


def test_search_by_workspace(data: Dataset) -> None:
    assert data.search(workspace_sid=data.a.workspace_sid) == NEWEST_FIRST
    assert data.search(workspace_sid=data.b.workspace_sid) == []
    assert data.search(workspace_sid="WS" + "0" * 32) == []


# --- search: sorting and paging -------------------------------------------------------------


def test_sort_by_start_both_ways(data: Dataset) -> None:
    assert data.search(sort="start", order="asc") == list(CONVERSATIONS)
    assert data.search(sort="start", order="desc") == NEWEST_FIRST


def test_sort_by_talk_and_handling_time(data: Dataset) -> None:
    by_talk = data.search(sort="talk_time")
    assert by_talk[:3] == ["conv-2", "conv-4", "conv-1"]
    assert set(by_talk[3:]) == {"conv-3", "conv-5"}
    by_handling = data.search(sort="handling_time", order="asc")
    assert set(by_handling[:2]) == {"conv-3", "conv-5"}
    assert by_handling[2:] == ["conv-1", "conv-4", "conv-2"]


def test_sort_by_queue_time_orders_by_the_values_listed(data: Dataset) -> None:
    rows = data.ok(SEARCH, sort="queue_time", order="asc")["conversations"]
    values = [r["queue_time"] for r in rows]
    assert values == sorted(values) and len(rows) == 5
    rows = data.ok(SEARCH, sort="queue_time", order="desc")["conversations"]
    assert [r["queue_time"] for r in rows] == sorted(values, reverse=True)


@pytest.mark.parametrize("sort", ["start", "talk_time", "handling_time", "queue_time"])
def test_paging_walks_every_row_once_in_every_order(data: Dataset, sort: str) -> None:
    whole = data.search(sort=sort, order="asc")
    for size in (1, 2, 3):
        assert data.search(sort=sort, order="asc", page_size=size) == whole


def test_paging_meta_and_previous_pages(data: Dataset) -> None:
    first = data.ok(SEARCH, page_size=2)
    assert [c["conversation_id"] for c in first["conversations"]] == NEWEST_FIRST[:2]
    meta = first["meta"]
    assert meta["page_size"] == 2 and meta["previous_page_token"] is None
    assert meta["next_page_url"].startswith(SEARCH + "?")
    second = httpx.get(
        data.server.base_url + meta["next_page_url"], auth=data.a.auth, timeout=30
    ).json()
    assert [c["conversation_id"] for c in second["conversations"]] == NEWEST_FIRST[2:4]
    back = data.ok(SEARCH, page_size=2, page_token=second["meta"]["previous_page_token"])
    assert [c["conversation_id"] for c in back["conversations"]] == NEWEST_FIRST[:2]
    last = data.ok(SEARCH, page_size=2, page_token=second["meta"]["next_page_token"])
    assert [c["conversation_id"] for c in last["conversations"]] == NEWEST_FIRST[4:]
    assert last["meta"]["next_page_token"] is None


def test_paging_with_filters_keeps_them(data: Dataset) -> None:
    assert data.search(queue="Support", page_size=1) == ["conv-5", "conv-4", "conv-2"]


def test_a_page_token_only_continues_its_own_ordering(data: Dataset) -> None:
    token = data.ok(SEARCH, page_size=1)["meta"]["next_page_token"]
    error(data.get(SEARCH, page_size=1, page_token=token, sort="talk_time"), 400, "PageToken")
    error(data.get(SEARCH, page_token="PTnot-a-token"), 400, "PageToken")


def test_keyset_pages_are_stable_while_conversations_arrive(
    server: RunningServer, client: Client, account: Any
) -> None:
    f = floor(client, "Arrivals")
    queue = f.queue("Waiting", target_workers="1 == 2")
    workflow = f.workflow("All", default_queue=queue.sid)
    created = []
    for n in range(3):
        created.append(f.task(workflow.sid, conversations={"conversation_id": f"arrival-{n}"}))
        ms_tick()
    auth = (account.sid, account.auth_token)

    def page(**params: Any) -> dict[str, Any]:
        response = httpx.get(f"{server.base_url}{SEARCH}", params=params, auth=auth, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def ids(body: dict[str, Any]) -> list[str]:
        return [c["conversation_id"] for c in body["conversations"]]

    wait_for(lambda: len(ids(page())) == 3, "three arrivals projected")
    first = page(page_size=2)
    assert ids(first) == ["arrival-2", "arrival-1"]
    f.task(workflow.sid, conversations={"conversation_id": "arrival-3"})
    wait_for(lambda: len(ids(page())) == 4, "the fourth arrival projected")
    second = page(page_size=2, page_token=first["meta"]["next_page_token"])
    assert ids(second) == ["arrival-0"]
    back = page(page_size=2, page_token=second["meta"]["previous_page_token"])
    assert ids(back) == ["arrival-2", "arrival-1"]
    assert ids(page(page_size=2)) == ["arrival-3", "arrival-2"]


# --- one conversation -----------------------------------------------------------------------


def test_detail_orders_segments_and_resolves_media(data: Dataset) -> None:
    body = detail(data, "conv-1")
    assert body["conversation_id"] == "conv-1" and body["segment_count"] == 2
    queue, talk = body["segments"]
    assert (queue["kind"], talk["kind"]) == ("Queue", "Conversation")
    assert queue["start"] <= talk["start"]
    assert (talk["agent_name"], talk["queue"], talk["worker_sid"]) == (
        "Alice",
        "Sales",
        data.a.workers["Alice"],
    )
    assert talk["task_sid"] == data.a.tasks["conv-1"]
    assert talk["reservation_sid"] == data.a.reservations["conv-1"]
    assert talk["measures"]["talk_time"] == 60
    assert talk["measures"]["wrap_up_time"] == 10
    assert talk["measures"]["handling_time"] == 70
    assert talk["custom_measures"] == {
        "segment_recording_offset": 5.0,
        "talk_time": 60.0,
        "wrap_up_time": 10.0,
    }
    assert talk["customer"] == {"name": "Ada Lovelace", "phone": "+15551110001"}
    assert talk["attributes"]["conversation_attribute_1"] == "gold"
    assert talk["media_level"] == "task"
    assert [(m["type"], m["display"], m["playable"]) for m in talk["media"]] == [
        ("Raw", "external", False),
        ("VoiceRecording", "player", True),
    ]
    assert [m["url"] for m in talk["media"]] == [CRM_URL, RECORDING_1]
    assert talk["opens_externally"] is True and talk["external_url"] == CRM_URL
    assert talk["late_media"] is False and body["late_media"] is False


def test_detail_shows_every_display_mode_and_late_media(data: Dataset) -> None:
    body = detail(data, "conv-2")
    talk = body["segments"][-1]
    assert talk["kind"] == "Conversation" and talk["channel"] == "chat"
    assert [(m["type"], m["display"]) for m in talk["media"]] == [
        ("VoiceRecording", "player"),
        ("Raw", "external"),
        ("Embedded", "iframe"),
        ("Referenced", "link"),
        ("ChatTranscript", "transcript"),
        ("Referenced", "link"),
    ]
    assert talk["media"][-1]["url"] == LATE_URL
    assert [m["playable"] for m in talk["media"]] == [True, False, False, False, False, False]
    # Raw is not first: the conversation screen opens.
    assert talk["opens_externally"] is False and talk["external_url"] is None
    assert talk["late_media"] is True and talk["media_late_at"] is not None
    assert body["late_media"] is True


def test_detail_of_a_transfer_has_four_segments_in_order(data: Dataset) -> None:
    body = detail(data, "conv-4")
    assert [(s["kind"], s["queue"], s["agent_name"]) for s in body["segments"]] == [
        ("Queue", "Sales", None),
        ("Conversation", "Sales", "Alice"),
        ("Queue", "Support", None),
        ("Conversation", "Support", "Bob"),
    ]
    starts = [s["start"] for s in body["segments"]]
    assert starts == sorted(starts)
    assert (body["talk_time"], body["wrap_up_time"], body["handling_time"]) == (70, 5, 75)


def test_detail_of_abandoned_and_in_progress_conversations(data: Dataset) -> None:
    abandoned = detail(data, "conv-3")
    assert [(s["kind"], s["abandoned"]) for s in abandoned["segments"]] == [
        ("Queue", "Yes"),
        ("Conversation", "Yes"),
    ]
    assert abandoned["abandoned"] is True and abandoned["handled"] is False
    assert abandoned["segments"][0]["abandoned_phase"] == "Queue"
    live = detail(data, "conv-5")
    assert [s["kind"] for s in live["segments"]] == ["Queue", "Conversation in Progress"]
    assert live["in_progress"] is True and live["end"] is None


def test_unknown_conversation_is_404(data: Dataset) -> None:
    error(data.get(f"{SEARCH}/conv-nowhere"), 404, "conv-nowhere")


# --- drill-down -----------------------------------------------------------------------------


def _segment_of(data: Dataset, conversation: str, kind: str, index: int = -1) -> dict[str, Any]:
    return [s for s in detail(data, conversation)["segments"] if s["kind"] == kind][index]


def test_drilldown_by_segment_with_raw_first_opens_externally(data: Dataset) -> None:
    segment = _segment_of(data, "conv-1", "Conversation")
    body = data.ok(DRILLDOWN, segment_id=segment["segment_id"])
    assert body == {
        "action": "open_externally",
        "url": CRM_URL,
        "media_index": 0,
        "conversation_id": "conv-1",
        "segment_id": segment["segment_id"],
        "conversation": None,
    }


def test_drilldown_by_task_opens_its_conversation_segment(data: Dataset) -> None:
    body = data.ok(DRILLDOWN, task_sid=data.a.tasks["conv-2"])
    assert body["action"] == "conversation_screen" and body["url"] is None
    assert body["conversation_id"] == "conv-2"
    assert body["segment_id"] == _segment_of(data, "conv-2", "Conversation")["segment_id"]
    assert [s["kind"] for s in body["conversation"]["segments"]] == ["Queue", "Conversation"]
    raw_first = data.ok(DRILLDOWN, task_sid=data.a.tasks["conv-1"])
    assert (raw_first["action"], raw_first["url"]) == ("open_externally", CRM_URL)


def test_drilldown_by_reservation(data: Dataset) -> None:
    body = data.ok(DRILLDOWN, reservation_sid=data.a.reservations["conv-4.1"])
    assert body["conversation_id"] == "conv-4"
    selected = [
        s for s in body["conversation"]["segments"] if s["segment_id"] == body["segment_id"]
    ]
    assert [(s["kind"], s["agent_name"]) for s in selected] == [("Conversation", "Bob")]
    assert len(body["conversation"]["segments"]) == 4


def test_drilldown_by_task_of_an_abandoned_conversation(data: Dataset) -> None:
    body = data.ok(DRILLDOWN, task_sid=data.a.tasks["conv-3"])
    assert body["action"] == "conversation_screen"
    assert body["segment_id"] == _segment_of(data, "conv-3", "Conversation")["segment_id"]


def test_drilldown_by_conversation_opens_its_main_segment(data: Dataset) -> None:
    body = data.ok(DRILLDOWN, conversation_id="conv-4")
    assert body["action"] == "conversation_screen" and body["conversation_id"] == "conv-4"
    assert body["segment_id"] == _segment_of(data, "conv-4", "Conversation")["segment_id"]
    error(data.get(DRILLDOWN, conversation_id="conv-b"), 404)  # account B's
    raw_first = data.ok(DRILLDOWN, conversation_id="conv-1")
    assert raw_first["action"] == "open_externally" and raw_first["url"] == CRM_URL


def test_drilldown_needs_exactly_one_entry_point(data: Dataset) -> None:
    error(
        data.get(DRILLDOWN),
        400,
        "exactly one of segment_id, task_sid, reservation_sid and conversation_id",
    )
    error(
        data.get(
            DRILLDOWN,
            task_sid=data.a.tasks["conv-1"],
            reservation_sid=data.a.reservations["conv-1"],
        ),
        400,
        "exactly one",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("segment_id", "SG123"), ("task_sid", "WR" + "0" * 32), ("reservation_sid", "nope")],
)
def test_drilldown_refuses_malformed_ids(data: Dataset, name: str, value: str) -> None:
    error(data.get(DRILLDOWN, **{name: value}), 400, name)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("segment_id", "SG" + "0" * 32),
        ("task_sid", "WT" + "0" * 32),
        ("reservation_sid", "WR" + "0" * 32),
    ],
)
def test_drilldown_to_nothing_is_404(data: Dataset, name: str, value: str) -> None:
    error(data.get(DRILLDOWN, **{name: value}), 404)


# --- aggregates -----------------------------------------------------------------------------


def _queue_times(data: Dataset) -> dict[str, int]:
    return {c["conversation_id"]: c["queue_time"] for c in data.ok(SEARCH)["conversations"]}


def _mean(values: list[int]) -> float:
    return round(sum(values) / len(values), 3)


def test_aggregate_totals(data: Dataset) -> None:
    body = data.ok(AGGREGATES, group_by="queue")
    waits = _queue_times(data)
    assert body["total"] == {
        "group": None,
        "volume": 5,
        "handled": 4,
        "abandoned": 1,
        "avg_queue_time": _mean(list(waits.values())),
        # Talk, wrap-up and handling average over the four handled conversations.
        "avg_talk_time": (60 + 120 + 70 + 0) / 4,
        "avg_wrap_up_time": (10 + 20 + 5 + 0) / 4,
        "avg_handling_time": (70 + 140 + 75 + 0) / 4,
        # Handled within 20 s of queue time, out of handled + abandoned.
        "service_level": _in_time(waits, ["conv-1", "conv-2", "conv-4", "conv-5"], offered=5),
    }


def _in_time(waits: dict[str, int], handled: list[str], offered: int, within: int = 20) -> float:
    return round(sum(1 for c in handled if waits[c] <= within) / offered, 4)


def test_service_level_threshold_is_a_parameter(data: Dataset) -> None:
    waits = _queue_times(data)
    longest = max(waits[c] for c in ("conv-1", "conv-2", "conv-4", "conv-5"))
    body = data.ok(AGGREGATES, group_by="queue", service_level_seconds=longest + 1)
    assert body["total"]["service_level"] == 0.8  # all four handled in time; one abandoned
    error(data.get(AGGREGATES, service_level_seconds=0), 400)


def test_aggregates_by_queue(data: Dataset) -> None:
    body = data.ok(AGGREGATES, group_by="queue")
    waits = _queue_times(data)
    assert body["group_by"] == "queue"
    assert body["groups"] == [
        {
            "group": "Overflow",
            "volume": 1,
            "handled": 0,
            "abandoned": 1,
            "avg_queue_time": float(waits["conv-3"]),
            "avg_talk_time": None,
            "avg_wrap_up_time": None,
            "avg_handling_time": None,
            "service_level": 0.0,
        },
        {
            "group": "Sales",
            "volume": 2,
            "handled": 2,
            "abandoned": 0,
            "avg_queue_time": _mean([waits["conv-1"], waits["conv-4"]]),
            "avg_talk_time": 65.0,
            "avg_wrap_up_time": 7.5,
            "avg_handling_time": 72.5,
            "service_level": _in_time(waits, ["conv-1", "conv-4"], offered=2),
        },
        {
            "group": "Support",
            "volume": 2,
            "handled": 2,
            "abandoned": 0,
            "avg_queue_time": _mean([waits["conv-2"], waits["conv-5"]]),
            "avg_talk_time": 60.0,
            "avg_wrap_up_time": 10.0,
            "avg_handling_time": 70.0,
            "service_level": _in_time(waits, ["conv-2", "conv-5"], offered=2),
        },
    ]


def test_aggregates_by_agent_and_channel(data: Dataset) -> None:
    agents = data.ok(AGGREGATES, group_by="agent")["groups"]
    assert [(g["group"], g["volume"], g["handled"], g["avg_talk_time"]) for g in agents] == [
        ("Alice", 1, 1, 60.0),
        ("Bob", 3, 3, round((120 + 70 + 0) / 3, 3)),
        (None, 1, 0, None),
    ]
    channels = data.ok(AGGREGATES, group_by="channel")["groups"]
    assert [(g["group"], g["volume"], g["abandoned"]) for g in channels] == [
        ("chat", 1, 0),
        ("voice", 4, 1),
    ]


@pytest.mark.parametrize("group_by", ["day", "hour"])
def test_aggregates_by_day_and_hour_in_utc(data: Dataset, group_by: str) -> None:
    body = data.ok(AGGREGATES, group_by=group_by)
    expected: Counter[str] = Counter()
    for c in data.ok(SEARCH)["conversations"]:
        start = datetime.fromisoformat(c["start"].replace("Z", "+00:00"))
        label = (
            start.strftime("%Y-%m-%d")
            if group_by == "day"
            else start.strftime("%Y-%m-%dT%H:00:00Z")
        )
        expected[label] += 1
    assert [(g["group"], g["volume"]) for g in body["groups"]] == sorted(expected.items())
    assert sum(g["handled"] for g in body["groups"]) == 4


def test_aggregates_take_the_search_filters(data: Dataset) -> None:
    sales = data.ok(AGGREGATES, group_by="channel", queue="Sales")
    assert sales["total"]["volume"] == 2 and sales["total"]["avg_talk_time"] == 65.0
    gold = data.ok(AGGREGATES, **{"attribute.conversation_attribute_1": "gold"})
    assert gold["total"]["volume"] == 1 and gold["total"]["avg_handling_time"] == 70.0
    early = data.ok(AGGREGATES, end=iso(data.middle_ms))
    assert (early["total"]["volume"], early["total"]["avg_talk_time"]) == (2, 90.0)
    nothing = data.ok(AGGREGATES, q="zebra")
    assert nothing["groups"] == []
    assert nothing["total"]["volume"] == 0 and nothing["total"]["avg_talk_time"] is None


# --- CSV export -----------------------------------------------------------------------------


def _csv(data: Dataset, **params: Any) -> list[dict[str, str]]:
    response = data.get(CSV, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    reader = csv.DictReader(io.StringIO(response.text))
    assert reader.fieldnames is not None and reader.fieldnames[0] == "conversation_id"
    assert {"start", "queue", "agent", "talk_time", "abandoned"} <= set(reader.fieldnames)
    return list(reader)


def test_csv_export_has_a_header_and_every_row(data: Dataset) -> None:
    rows = _csv(data)
    assert [r["conversation_id"] for r in rows] == NEWEST_FIRST
    one = rows[-1]
    assert (one["queue"], one["agent"], one["talk_time"], one["abandoned"]) == (
        "Sales",
        "Alice",
        "60",
        "false",
    )
    assert rows[NEWEST_FIRST.index("conv-3")]["abandoned"] == "true"


def test_csv_export_applies_filters_and_sort(data: Dataset) -> None:
    assert [r["conversation_id"] for r in _csv(data, queue="Sales")] == ["conv-4", "conv-1"]
    by_talk = _csv(data, sort="talk_time", handled="true", in_progress="false")
    assert [r["conversation_id"] for r in by_talk] == ["conv-2", "conv-4", "conv-1"]
    assert _csv(data, q="nothing-matches-this") == []


def test_csv_cells_never_start_a_formula() -> None:
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("+1") == "'+1" and _cell("@x") == "'@x" and _cell("-2") == "'-2"
    assert (_cell(None), _cell(True), _cell(12), _cell("ok")) == ("", "true", 12, "ok")


# --- isolation between accounts -------------------------------------------------------------


def test_another_accounts_conversation_is_404_never_data(data: Dataset) -> None:
    error(data.get(f"{SEARCH}/conv-b"), 404)
    # Both accounts have a conv-1: each sees only its own.
    mine = detail(data, "conv-1")
    assert {s["task_sid"] for s in mine["segments"]} == {data.a.tasks["conv-1"]}
    assert "zebra" not in json.dumps(mine).lower()
    theirs = data.ok(f"{SEARCH}/conv-1", data.b)
    assert {s["task_sid"] for s in theirs["segments"]} == {data.b.tasks["conv-1"]}


def test_another_accounts_segments_cannot_be_drilled_into(data: Dataset) -> None:
    theirs = data.ok(f"{SEARCH}/conv-b", data.b)["segments"]
    error(data.get(DRILLDOWN, segment_id=theirs[-1]["segment_id"]), 404)
    error(data.get(DRILLDOWN, task_sid=data.b.tasks["conv-b"]), 404)
    error(data.get(DRILLDOWN, reservation_sid=data.b.reservations["conv-b"]), 404)


def test_another_accounts_data_is_absent_from_lists_aggregates_and_exports(
    data: Dataset,
) -> None:
    assert data.search(q="zebra") == [] and data.search() == NEWEST_FIRST
    assert data.search(**{"attribute.conversation_attribute_1": "zebra"}) == []
    assert data.ok(AGGREGATES, group_by="queue")["total"]["volume"] == 5
    assert {r["conversation_id"] for r in _csv(data)} == set(CONVERSATIONS)
    # And B sees its own two, never A's.
    b_rows = data.ok(SEARCH, data.b)["conversations"]
    assert sorted(c["conversation_id"] for c in b_rows) == ["conv-1", "conv-b"]
    assert data.ok(AGGREGATES, data.b)["total"]["volume"] == 2


# --- authentication and bad input -----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [SEARCH, f"{SEARCH}/conv-1", CSV, DRILLDOWN + "?task_sid=" + "WT" + "0" * 32, AGGREGATES],
)
def test_unauthenticated_requests_get_401(data: Dataset, path: str) -> None:
    url = data.server.base_url + path
    error(httpx.get(url, timeout=30), 401)
    error(httpx.get(url, auth=(data.a.account.sid, "0" * 32), timeout=30), 401)
    error(httpx.get(url, headers={"Authorization": "Basic !!!"}, timeout=30), 401)
    error(httpx.get(url, headers={"Authorization": "Bearer abc"}, timeout=30), 401)
    # No Basic challenge: the UI calls this API from pages, where a challenge would make the
    # browser pop up its own log-in dialog (people sign in through /api/v1/session).
    response = httpx.get(url, timeout=30)
    assert "www-authenticate" not in response.headers


def test_unauthenticated_is_checked_before_parameters(data: Dataset) -> None:
    error(httpx.get(data.server.base_url + SEARCH, params={"page_size": 0}, timeout=30), 401)


@pytest.mark.parametrize(
    ("path", "params", "fragment"),
    [
        (SEARCH, {"start": "yesterday"}, "start must be an ISO 8601"),
        (SEARCH, {"end": "2024-13-01"}, "end must be an ISO 8601"),
        (SEARCH, {"start": "2024-05-02", "end": "2024-05-01"}, "end is before start"),
        (SEARCH, {"workspace_sid": "WS123"}, "workspace_sid"),
        (SEARCH, {"abandoned": "maybe"}, "abandoned"),
        (SEARCH, {"has_media": "2"}, "has_media"),
        (SEARCH, {"page_size": "0"}, "page_size"),
        (SEARCH, {"page_size": "1001"}, "page_size"),
        (SEARCH, {"page_size": "ten"}, "page_size"),
        (SEARCH, {"sort": "agent"}, "sort"),
        (SEARCH, {"order": "up"}, "order"),
        (SEARCH, {"queu": "Sales"}, "Unknown parameter 'queu'"),
        (SEARCH, {"attribute.bad-key": "x"}, "attribute keys"),
        (SEARCH, {"attribute.": "x"}, "attribute keys"),
        (SEARCH, {"q": "x" * 201}, "q"),
        (SEARCH, {"min_talk_time": "-1"}, "min_talk_time"),
        (SEARCH, {"max_queue_time": "ten"}, "max_queue_time"),
        (CSV, {"min_handling_time": "10000001"}, "min_handling_time"),
        (AGGREGATES, {"max_talk_time": "1.5"}, "max_talk_time"),
        (CSV, {"handled": "perhaps"}, "handled"),
        (CSV, {"page_size": "5"}, "Unknown parameter 'page_size'"),
        (AGGREGATES, {"group_by": "week"}, "group_by"),
        (AGGREGATES, {"sort": "start"}, "Unknown parameter 'sort'"),
        (f"{SEARCH}/conv-1", {"verbose": "1"}, "Unknown parameter"),
        (DRILLDOWN, {"taskSid": "WT" + "0" * 32}, "Unknown parameter"),
        (SEARCH, {"queue": "Sa\x00les"}, "NUL"),
        (CSV, {"q": "\x00"}, "NUL"),
        (AGGREGATES, {"attribute.queue": "\x00"}, "NUL"),
        (f"{SEARCH}/conv%00-1", {}, "NUL"),
    ],
)
def test_malformed_filters_are_400(
    data: Dataset, path: str, params: dict[str, str], fragment: str
) -> None:
    error(data.get(path, **params), 400, fragment)


def test_a_filter_given_twice_is_400(data: Dataset) -> None:
    response = httpx.get(
        data.server.base_url + SEARCH + "?queue=Sales&queue=Support", auth=data.a.auth, timeout=30
    )
    error(response, 400, "queue was given more than once")


def test_openapi_documents_the_insights_api(data: Dataset) -> None:
    response = httpx.get(data.server.base_url + "/api/openapi.json", timeout=30)
    assert response.status_code == 200
    spec = response.json()
    for path in (SEARCH, CSV, f"{SEARCH}/{{conversation_id}}", DRILLDOWN, AGGREGATES):
        assert path in spec["paths"], sorted(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert {"ConversationPage", "ConversationDetail", "Segment", "Drilldown", "Aggregates"} <= set(
        schemas
    )
    assert "HTTPBasic" in spec["components"]["securitySchemes"]
