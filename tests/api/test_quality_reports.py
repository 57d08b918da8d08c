"""The quality report by agent, queue, questionnaire, category and day, its drill-down to the
assessed conversations, CSV export without formulas, scope, and "sample for review"."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from hindsight.domain.access import Scope
from tests.api.helpers_insights import Dataset, build
from tests.api.helpers_quality import Catalogue, build_catalogue, talk_segment
from tests.support.people import Person, person
from tests.support.server import RunningServer

FORMULA = '=HYPERLINK("http://evil.example")'


@pytest.fixture(scope="module")
def data(server: RunningServer) -> Dataset:
    return build(server)


@pytest.fixture(scope="module")
def cat(data: Dataset) -> Catalogue:
    return build_catalogue(data.a, name=FORMULA)


@pytest.fixture(scope="module")
def people(data: Dataset) -> dict[str, Person]:
    account = data.a.account.sid
    return {
        "analyst": person(data.server, account, ("wfo.data_analyst",), name="analyst"),
        "qm": person(data.server, account, ("wfo.quality_manager",), name="qm"),
        "sales": person(
            data.server,
            account,
            ("wfo.quality_manager",),
            name="sales",
            scope=Scope(queues=("Sales",)),
        ),
        "agent": person(data.server, account, ("agent",), name="agent"),
        "builder": person(data.server, account, ("wfo.quality_process_manager",), name="qpm"),
    }


def _assess(data: Dataset, cat: Catalogue, conversation: str, picks: dict[str, str]) -> str:
    segment = talk_segment(data, conversation)
    questions = {
        "greeted": (cat.greeted, "Yes, No"),
        "rating": (cat.rating, "1 to 5"),
        "solved": (cat.solved, "Pass, Fail"),
    }
    for key, name in picks.items():
        question, set_name = questions[key]
        answer = cat.answer(set_name, name)
        data.a.client.flex_api.v1.assessments.create(
            category_sid=question.category["category_sid"],
            category_name=question.category["category_name"],
            segment_id=segment["segment_id"],
            agent_id=segment["worker_sid"],
            offset=0,
            metric_id=question.question_sid,
            metric_name=question.question,
            answer_text=answer["name"],
            answer_id=answer["id"],
            questionnaire_sid=cat.questionnaire.questionnaire_sid,
        )
    return segment["segment_id"]


@pytest.fixture(scope="module")
def assessed(data: Dataset, cat: Catalogue) -> dict[str, str]:
    return {
        # Alice, Sales: 100 + 50 + 100 of 300 -> 83.33
        "conv-1": _assess(data, cat, "conv-1", {"greeted": "Yes", "rating": "3", "solved": "Pass"}),
        # Bob, Support: 0 + 100 + 0 of 300 -> 33.33
        "conv-2": _assess(data, cat, "conv-2", {"greeted": "No", "rating": "5", "solved": "Fail"}),
    }


def _report(who: Person, **params: Any) -> dict[str, Any]:
    response = who.get("/api/v1/quality/report", **params)
    assert response.status_code == 200, response.text
    return response.json()


def _rows(body: dict[str, Any]) -> dict[Any, tuple[int, float | None]]:
    return {r["label"]: (r["assessments"], r["average"]) for r in body["rows"]}


def test_report_by_each_grouping(data: Dataset, cat: Catalogue, assessed: Any, people: Any) -> None:
    analyst = people["analyst"]
    assert _rows(_report(analyst, group_by="agent")) == {"Alice": (1, 83.33), "Bob": (1, 33.33)}
    assert _rows(_report(analyst, group_by="queue")) == {"Sales": (1, 83.33), "Support": (1, 33.33)}
    assert _rows(_report(analyst, group_by="questionnaire")) == {FORMULA: (2, 58.33)}
    # Greeting: (100 + 50) and (0 + 100) of 400 -> 62.5; Resolution: 100 and 0 of 200 -> 50.
    assert _rows(_report(analyst, group_by="category")) == {
        "Greeting": (2, 62.5),
        "Resolution": (2, 50.0),
    }
    by_day = _report(analyst, group_by="day")
    assert [r["assessments"] for r in by_day["rows"]] == [2]
    assert by_day["total"] == {"group": None, "label": "Total", "assessments": 2, "average": 58.33}
    only = _report(analyst, group_by="agent", questionnaire_sid="GM" + "0" * 32)
    assert only["rows"] == [] and only["total"]["assessments"] == 0


def test_drill_down_to_the_assessed_conversations(
    data: Dataset, assessed: Any, people: Any
) -> None:
    analyst = people["analyst"]
    alice = next(r for r in _report(analyst, group_by="agent")["rows"] if r["label"] == "Alice")
    found = analyst.get("/api/v1/quality/assessed", group_by="agent", value=alice["group"]).json()
    assert [(a["conversation_id"], a["segment_id"]) for a in found["assessments"]] == [
        ("conv-1", assessed["conv-1"])
    ]
    (day,) = _report(analyst, group_by="day")["rows"]
    by_day = analyst.get("/api/v1/quality/assessed", group_by="day", value=str(day["group"])).json()
    assert {a["conversation_id"] for a in by_day["assessments"]} == {"conv-1", "conv-2"}
    category = analyst.get(
        "/api/v1/quality/assessed", group_by="category", value="Resolution"
    ).json()
    assert len(category["assessments"]) == 2
    for params in (
        {"group_by": "day", "value": "yesterday"},
        {"group_by": "colour", "value": "red"},
        {"group_by": "agent", "page": "2"},
    ):
        assert analyst.get("/api/v1/quality/assessed", **params).status_code == 400, params


def test_csv_has_no_formulas(data: Dataset, assessed: Any, people: Any) -> None:
    response = people["analyst"].get("/api/v1/quality/report.csv", group_by="questionnaire")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["questionnaire", "label", "assessments", "average_score"]
    assert rows[1][1] == "'" + FORMULA and rows[1][2:] == ["2", "58.33"]
    assert rows[-1][1:] == ["Total", "2", "58.33"]
    # Exporting takes the Export right.
    assert people["builder"].get("/api/v1/quality/report.csv").status_code == 403


def test_scope_and_rights(data: Dataset, assessed: Any, people: Any) -> None:
    assert _rows(_report(people["sales"], group_by="agent")) == {"Alice": (1, 83.33)}
    outside = people["sales"].get("/api/v1/quality/assessed", group_by="queue", value="Support")
    assert outside.json()["assessments"] == []
    for who in ("agent", "builder"):
        assert people[who].get("/api/v1/quality/report").status_code == 403
    assert people["analyst"].get("/api/v1/quality/report", group_by="hour").status_code == 400
    assert people["analyst"].get("/api/v1/quality/report", colour="red").status_code == 400
    assert people["analyst"].get("/api/v1/quality/report", **{"from": "soon"}).status_code == 400


def test_sample_for_review_picks_unassessed_conversations_per_agent(
    data: Dataset, assessed: Any, people: Any
) -> None:
    qm = people["qm"]
    response = qm.get("/api/v1/quality/sample", per_agent=5, days=1)
    assert response.status_code == 200, response.text
    sample = response.json()["sample"]
    picked = {s["segment_id"] for s in sample}
    assert not picked & set(assessed.values())
    # conv-3 was abandoned (no agent), conv-5 is in progress; conv-4 has one segment each.
    assert {(s["agent_name"], s["conversation_id"]) for s in sample} == {
        ("Alice", "conv-4"),
        ("Bob", "conv-4"),
    }
    one = qm.get("/api/v1/quality/sample", per_agent=1, days=1).json()["sample"]
    assert sorted(s["agent_name"] for s in one) == ["Alice", "Bob"]
    scoped = people["sales"].get("/api/v1/quality/sample", per_agent=5, days=1).json()["sample"]
    assert {s["conversation_id"] for s in scoped} == {"conv-4"}
    assert people["analyst"].get("/api/v1/quality/sample").status_code == 403
    for params in ({"per_agent": 0}, {"per_agent": 21}, {"days": 400}, {"days": "x"}, {"size": 1}):
        assert qm.get("/api/v1/quality/sample", **params).status_code == 400, params


def test_conversation_search_by_quality(
    data: Dataset, cat: Catalogue, assessed: Any, people: Any
) -> None:
    assert sorted(data.search(assessed="true")) == ["conv-1", "conv-2"]
    assert sorted(data.search(assessed="false")) == ["conv-3", "conv-4", "conv-5"]
    assert data.search(score_min="50") == ["conv-1"]
    assert data.search(score_max="50") == ["conv-2"]
    assert data.search(score_min="30", score_max="90", assessed="true") == ["conv-2", "conv-1"]
    assert sorted(data.search(questionnaire_sid=cat.questionnaire.questionnaire_sid)) == [
        "conv-1",
        "conv-2",
    ]
    assert data.search(questionnaire_sid="GM" + "0" * 32) == []
    assert len(data.search(assessed="false", questionnaire_sid="GM" + "0" * 32)) == 5
    scoped = people["sales"].get("/api/v1/insights/conversations", assessed="true").json()
    assert [c["conversation_id"] for c in scoped["conversations"]] == ["conv-1"]
    exported = data.get("/api/v1/insights/conversations.csv", assessed="true")
    assert exported.status_code == 200 and len(exported.text.strip().splitlines()) == 3
    for params in (
        {"assessed": "maybe"},
        {"score_min": "101"},
        {"score_min": "abc"},
        {"score_min": "nan"},
        {"score_min": "60", "score_max": "40"},
        {"questionnaire_sid": "GX" + "0" * 32},
        {"assessed": "false", "score_min": "1"},
    ):
        response = data.get("/api/v1/insights/conversations", **params)
        assert response.status_code == 400, (params, response.text)
