"""People assessing through Hindsight's own quality API (what the conversation screen uses):
drafts, submitting, scores per category, edits by the author only with history, scope, and the
rights of each role."""

from __future__ import annotations

from typing import Any

import pytest

from hindsight.domain.access import Scope
from hindsight.domain.quality.answer_sets import NOT_APPLICABLE
from tests.api.helpers_insights import Dataset, build
from tests.api.helpers_quality import Catalogue, build_catalogue, talk_segment
from tests.support.people import Person, audit_of, person
from tests.support.server import RunningServer


@pytest.fixture(scope="module")
def data(server: RunningServer) -> Dataset:
    return build(server)


@pytest.fixture(scope="module")
def cat(data: Dataset) -> Catalogue:
    return build_catalogue(data.a, name="People")


@pytest.fixture(scope="module")
def people(data: Dataset) -> dict[str, Person]:
    account = data.a.account.sid
    return {
        "qm": person(data.server, account, ("wfo.quality_manager",), name="qm"),
        "other_qm": person(data.server, account, ("wfo.quality_manager",), name="qm2"),
        "sales_lead": person(
            data.server, account, ("wfo.team_leader",), name="sales", scope=Scope(queues=("Sales",))
        ),
        "analyst": person(data.server, account, ("wfo.data_analyst",), name="analyst"),
        "builder": person(data.server, account, ("wfo.quality_process_manager",), name="qpm"),
        "agent": person(data.server, account, ("agent",), name="agent"),
    }


def _answers(cat: Catalogue, **picked: tuple[str, str]) -> list[dict[str, Any]]:
    questions = {"greeted": cat.greeted, "rating": cat.rating, "solved": cat.solved}
    return [
        {
            "question_sid": questions[key].question_sid,
            "answer_id": cat.answer(set_name, name)["id"] if name != "N/A" else NOT_APPLICABLE.id,
            "offset": 1.5,
        }
        for key, (set_name, name) in picked.items()
    ]


def _save(
    who: Person, segment: str, cat: Catalogue, answers: list[dict[str, Any]], submit: bool
) -> Any:
    return who.post(
        "/api/v1/quality/reviews",
        {
            "segment_id": segment,
            "questionnaire_sid": cat.questionnaire.questionnaire_sid,
            "answers": answers,
            "submit": submit,
        },
    )


def test_draft_then_submit_with_scores_per_category(
    data: Dataset, cat: Catalogue, people: Any
) -> None:
    qm = people["qm"]
    segment = talk_segment(data, "conv-1")["segment_id"]
    draft = _save(qm, segment, cat, _answers(cat, greeted=("Yes, No", "Yes")), submit=False)
    assert draft.status_code == 200, draft.text
    assert draft.json()["status"] == "draft"
    # A draft is its author's alone: not in Twilio's list, not on anyone else's screen.
    assert data.a.client.flex_api.v1.assessments.list(segment_id=segment) == []
    theirs = people["other_qm"].get("/api/v1/quality/conversations/conv-1").json()
    assert theirs["reviews"] == []
    incomplete = _save(qm, segment, cat, [], submit=True)
    assert incomplete.status_code == 400 and "Answer every question" in incomplete.json()["message"]
    done = _save(
        qm,
        segment,
        cat,
        _answers(cat, rating=("1 to 5", "3"), solved=("Pass, Fail", "Fail")),
        submit=True,
    )
    assert done.status_code == 200, done.text
    review = done.json()
    assert review["status"] == "submitted"
    # Greeting: yes (100 of 100) and 3 of 5 (50 of 100) -> 75; Resolution: fail -> 0.
    assert review["score"]["total"] == 50.0
    assert {c["category"]: c["score"] for c in review["score"]["categories"]} == {
        "Greeting": 75.0,
        "Resolution": 0.0,
    }
    listed = data.a.client.flex_api.v1.assessments.list(segment_id=segment)
    assert len(listed) == 3 and {a.user_name for a in listed} == {review["author"]}
    screen = people["other_qm"].get("/api/v1/quality/conversations/conv-1").json()
    assert [r["sid"] for r in screen["reviews"]] == [review["sid"]]
    assert screen["reviews"][0]["mine"] is False


def test_n_a_leaves_an_answer_out_of_the_score(data: Dataset, cat: Catalogue, people: Any) -> None:
    segment = talk_segment(data, "conv-4")["segment_id"]
    saved = _save(
        people["other_qm"],
        segment,
        cat,
        _answers(
            cat, greeted=("Yes, No", "N/A"), rating=("1 to 5", "5"), solved=("Pass, Fail", "Pass")
        ),
        submit=True,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["score"]["total"] == 100.0


def test_the_author_edits_a_submitted_assessment_and_history_shows_it(
    data: Dataset, cat: Catalogue, people: Any
) -> None:
    qm = people["qm"]
    segment = talk_segment(data, "conv-2")["segment_id"]
    answers = _answers(
        cat, greeted=("Yes, No", "Yes"), rating=("1 to 5", "5"), solved=("Pass, Fail", "Pass")
    )
    first = _save(qm, segment, cat, answers, submit=True).json()
    assert first["score"]["total"] == 100.0 and first["changes"] == []
    changed = _save(qm, segment, cat, _answers(cat, solved=("Pass, Fail", "Fail")), submit=False)
    assert changed.status_code == 200
    review = changed.json()
    assert review["status"] == "submitted"
    assert review["score"]["total"] == 66.67
    (change,) = review["changes"]
    assert change["field"] == "answer" and change["before"] == "Pass" and change["after"] == "Fail"
    assert change["question"] == cat.solved.question and change["by"] == review["author"]
    # Another person cannot change it through Twilio's resource either.
    sid = next(a["sid"] for a in review["answers"] if a["question_sid"] == cat.solved.question_sid)
    refused = people["other_qm"].http.post(
        f"/v1/Insights/QualityManagement/Assessments/{sid}",
        data={
            "Offset": "0",
            "AnswerText": "Pass",
            "AnswerId": cat.answer("Pass, Fail", "Pass")["id"],
        },
    )
    assert refused.status_code == 401  # Twilio's API takes account credentials, not sessions
    records = [r["action"] for r in audit_of(data.server, qm.sid)]
    assert "quality.review.submit" in records and "quality.review.save" in records


def test_scoped_people_assess_only_in_scope(data: Dataset, cat: Catalogue, people: Any) -> None:
    lead = people["sales_lead"]
    inside = talk_segment(data, "conv-1")["segment_id"]  # Sales
    outside = talk_segment(data, "conv-2")["segment_id"]  # Support
    ok = _save(lead, inside, cat, _answers(cat, greeted=("Yes, No", "No")), submit=False)
    assert ok.status_code == 200, ok.text
    refused = _save(lead, outside, cat, _answers(cat, greeted=("Yes, No", "No")), submit=False)
    assert refused.status_code == 400 and "not a segment" in refused.json()["message"]
    assert lead.get("/api/v1/quality/conversations/conv-2").status_code == 404
    comment = lead.post(
        "/api/v1/quality/comments",
        {"segment_id": outside, "comment": "x", "tag_id": _tag(lead, "Good")},
    )
    assert comment.status_code == 400


def _tag(who: Person, name: str) -> str:
    tags = who.get("/api/v1/quality/conversations/conv-1").json()["comment_tags"]
    return next(t["id"] for t in tags if t["name"] == name)


def test_comments_pinned_to_a_moment_or_a_message(
    data: Dataset, cat: Catalogue, people: Any
) -> None:
    qm = people["qm"]
    segment = talk_segment(data, "conv-2")["segment_id"]
    at_moment = qm.post(
        "/api/v1/quality/comments",
        {
            "segment_id": segment,
            "comment": "Long hold here",
            "tag_id": _tag(qm, "Poor"),
            "offset": 12.5,
        },
    )
    assert at_moment.status_code == 201, at_moment.text
    at_message = qm.post(
        "/api/v1/quality/comments",
        {
            "segment_id": segment,
            "comment": "Nice reply",
            "tag_id": _tag(qm, "Good"),
            "message_index": 1,
        },
    )
    assert at_message.status_code == 201
    screen = people["analyst"].get("/api/v1/quality/conversations/conv-2").json()
    found = {c["comment"]: c for c in screen["comments"]}
    assert (
        found["Long hold here"]["offset"] == 12.5
        and found["Long hold here"]["tag"]["name"] == "Poor"
    )
    assert found["Nice reply"]["message_index"] == 1 and found["Nice reply"]["offset"] is None
    for bad in (
        {"segment_id": segment, "comment": "x", "tag_id": _tag(qm, "Good"), "offset": "soon"},
        {"segment_id": segment, "comment": "x", "tag_id": _tag(qm, "Good"), "offset": -1},
        {"segment_id": segment, "comment": "x", "tag_id": _tag(qm, "Good"), "message_index": True},
        {"segment_id": segment, "comment": "x", "tag_id": "nope"},
        {"segment_id": segment, "comment": "x", "tag_id": _tag(qm, "Good"), "colour": "red"},
    ):
        assert qm.post("/api/v1/quality/comments", bad).status_code == 400, bad
    assert qm.post("/api/v1/quality/comments", {"comment": "x"}, csrf=False).status_code == 403
    oversize = {"segment_id": segment, "comment": "x" * 70_000, "tag_id": _tag(qm, "Good")}
    assert qm.post("/api/v1/quality/comments", oversize).status_code == 413
    not_json = qm.http.post(
        "/api/v1/quality/comments",
        content=b"{not json",
        headers={"X-CSRF-Token": qm.csrf or "", "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400


def test_what_each_role_may_do(data: Dataset, cat: Catalogue, people: Any) -> None:
    segment = talk_segment(data, "conv-4")["segment_id"]
    analyst = people["analyst"].get("/api/v1/quality/conversations/conv-4")
    assert analyst.status_code == 200 and analyst.json()["can_assess"] is False
    assert analyst.json()["questionnaires"] == []
    refused = _save(
        people["analyst"], segment, cat, _answers(cat, greeted=("Yes, No", "No")), False
    )
    assert refused.status_code == 403
    # The questionnaire builder cannot open conversations (Twilio's matrix), nor assess.
    assert people["builder"].get("/api/v1/quality/conversations/conv-4").status_code == 403
    assert _save(people["builder"], segment, cat, [], False).status_code == 403
    assert people["agent"].get("/api/v1/quality/conversations/conv-4").status_code == 403
    for bad in (
        {
            "segment_id": segment,
            "questionnaire_sid": cat.questionnaire.questionnaire_sid,
            "answers": "all",
        },
        {
            "segment_id": segment,
            "questionnaire_sid": cat.questionnaire.questionnaire_sid,
            "submit": "yes",
        },
        {
            "segment_id": segment,
            "questionnaire_sid": cat.questionnaire.questionnaire_sid,
            "answers": [{"question_sid": 1}],
        },
        {"segment_id": segment},
    ):
        assert people["qm"].post("/api/v1/quality/reviews", bad).status_code == 400, bad


def test_the_editor_api_checks_rights_and_input(data: Dataset, cat: Catalogue, people: Any) -> None:
    builder, qm = people["builder"], people["qm"]
    catalogue = qm.get("/api/v1/quality/catalogue").json()
    assert catalogue["can_edit"] is False
    assert cat.questionnaire.questionnaire_sid in {q["sid"] for q in catalogue["questionnaires"]}
    assert qm.post("/api/v1/quality/categories", {"name": "Nope"}).status_code == 403
    assert people["agent"].get("/api/v1/quality/catalogue").status_code == 403
    made = builder.post(
        "/api/v1/quality/answer-sets",
        {"name": "Stars", "answers": [{"name": "One", "score": 0}, {"name": "Two", "score": 100}]},
    )
    assert made.status_code == 201, made.text
    stars = made.json()
    assert stars["builtin"] is False and [a["score"] for a in stars["answers"]] == [0, 100]
    question = builder.post(
        "/api/v1/quality/questions",
        {
            "category_sid": cat.greeting.category_sid,
            "question": "Stars?",
            "answer_set_id": stars["id"],
            "allow_na": False,
        },
    )
    assert question.status_code == 201 and question.json()["answer_set"]["name"] == "Stars"
    # Another account never sees an account's own answer set.
    theirs = data.b.client.flex_api.v1.insights_settings_answer_sets.fetch()
    assert stars["id"] not in {s["id"] for s in theirs.answer_sets}
    for path, body, status in (
        ("/api/v1/quality/answer-sets", {"name": "x", "answers": "Green"}, 400),
        (
            "/api/v1/quality/answer-sets",
            {"name": "x", "answers": [{"name": "a", "score": 200}, {"name": "b", "score": 0}]},
            400,
        ),
        (
            "/api/v1/quality/questions",
            {"category_sid": "FY" + "0" * 32, "question": "q", "answer_set_id": stars["id"]},
            400,
        ),
        ("/api/v1/quality/questions/not-a-sid", {"allow_na": True}, 404),
        ("/api/v1/quality/questions/" + cat.greeted.question_sid, {"question": "no flag"}, 400),
        (
            "/api/v1/quality/questionnaires/" + cat.questionnaire.questionnaire_sid,
            {"active": "yes"},
            400,
        ),
        ("/api/v1/quality/questionnaires", {"name": "x", "question_sids": "GE1"}, 400),
        ("/api/v1/quality/categories", {"name": '=HYPERLINK("x")', "extra": 1}, 400),
    ):
        assert builder.post(path, body).status_code == status, (path, body)


def test_agents_read_and_acknowledge_their_own_assessments_when_enabled(
    data: Dataset, cat: Catalogue, people: Any
) -> None:
    admin = person(data.server, data.a.account.sid, ("admin",), name="admin")
    agent = people["agent"]
    alice = talk_segment(data, "conv-1")
    bob = talk_segment(data, "conv-2")
    answers = _answers(
        cat, greeted=("Yes, No", "Yes"), rating=("1 to 5", "4"), solved=("Pass, Fail", "Pass")
    )
    mine = _save(people["other_qm"], alice["segment_id"], cat, answers, submit=True).json()
    theirs = _save(people["other_qm"], bob["segment_id"], cat, answers, submit=True).json()
    assert agent.get("/api/v1/quality/mine").status_code == 403
    assert (
        people["qm"].post("/api/v1/quality/settings", {"agents_see_assessments": True}).status_code
        == 403
    )
    enabled = admin.post("/api/v1/quality/settings", {"agents_see_assessments": True})
    assert enabled.status_code == 200 and enabled.json()["agents_see_assessments"] is True
    refused = agent.get("/api/v1/quality/mine")
    assert refused.status_code == 403 and "not linked" in refused.json()["message"]
    stranger = person(data.server, data.b.account.sid, ("agent",), name="stranger")
    assert (
        admin.post(
            "/api/v1/quality/agent-links", {"user_sid": stranger.sid, "agent_id": "x"}
        ).status_code
        == 404
    )
    linked = admin.post(
        "/api/v1/quality/agent-links", {"user_sid": agent.sid, "agent_id": alice["worker_sid"]}
    )
    assert linked.status_code == 200, linked.text
    found = agent.get("/api/v1/quality/mine").json()
    assert found["agent_id"] == alice["worker_sid"]
    assert mine["sid"] in {r["sid"] for r in found["reviews"]}
    assert theirs["sid"] not in {r["sid"] for r in found["reviews"]}
    assert {r["agent_id"] for r in found["reviews"]} == {alice["worker_sid"]}
    # Still nothing else: no conversation, no search.
    assert agent.get("/api/v1/quality/conversations/conv-1").status_code == 403
    assert agent.get("/api/v1/insights/conversations").status_code == 403
    acknowledged = agent.post(f"/api/v1/quality/mine/{mine['sid']}/acknowledge")
    assert acknowledged.status_code == 200
    again = agent.get("/api/v1/quality/mine").json()
    assert next(r for r in again["reviews"] if r["sid"] == mine["sid"])["acknowledged_ms"]
    assert agent.post(f"/api/v1/quality/mine/{theirs['sid']}/acknowledge").status_code == 404
    assert "quality.acknowledge" in [r["action"] for r in audit_of(data.server, agent.sid)]
    admin.post("/api/v1/quality/settings", {"agents_see_assessments": False})
    assert agent.get("/api/v1/quality/mine").status_code == 403
