"""Twilio's Insights Quality Management API driven by the official helper library, every
response checked against Twilio's Flex v1 OpenAPI (tests/support/twilio_client.py), on both
stores, over the scripted contact centre of helpers_insights."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from twilio.rest import Client

from tests.api.helpers_insights import Dataset, build
from tests.api.helpers_quality import QM, Catalogue, build_catalogue, post, talk_segment
from tests.support.server import RunningServer
from tests.support.twilio_client import ContractCheckingHttpClient
from tests.support.twilio_errors import twilio_error


@pytest.fixture(scope="module")
def data(server: RunningServer) -> Dataset:
    return build(server)


@pytest.fixture
def catalogue(data: Dataset) -> Catalogue:
    return build_catalogue(data.a)


def _assess(
    data: Dataset,
    cat: Catalogue,
    segment: dict[str, Any],
    question: Any,
    answer: dict[str, Any],
    offset: float = 0.0,
) -> Any:
    return data.a.client.flex_api.v1.assessments.create(
        category_sid=question.category["category_sid"],
        category_name=question.category["category_name"],
        segment_id=segment["segment_id"],
        agent_id=segment["worker_sid"],
        offset=offset,
        metric_id=question.question_sid,
        metric_name=question.question,
        answer_text=answer["name"],
        answer_id=answer["id"],
        questionnaire_sid=cat.questionnaire.questionnaire_sid,
    )


def test_default_answer_sets_and_comment_tags(data: Dataset) -> None:
    flex = data.a.client.flex_api.v1
    found = flex.insights_settings_answer_sets.fetch()
    by_name = {s["name"]: s for s in found.answer_sets}
    assert {"Yes, No", "Pass, Fail", "1 to 5", "Good, Fair, Poor"} <= set(by_name)
    assert [(a["name"], a["score"]) for a in by_name["Yes, No"]["answers"]] == [
        ("Yes", 100),
        ("No", 0),
    ]
    assert [a["score"] for a in by_name["1 to 5"]["answers"]] == [0, 25, 50, 75, 100]
    assert {c["id"] for c in found.answer_set_categories} >= {
        s["category_id"] for s in found.answer_sets
    }
    assert found.not_applicable["name"] == "N/A"
    tags = flex.insights_settings_comment.fetch().comments
    assert {"Good", "Poor", "Good for Training"} <= {t["name"] for t in tags}
    # The same ids on every account (and every deployment): they are fixed.
    theirs = data.b.client.flex_api.v1.insights_settings_answer_sets.fetch()
    assert [s["id"] for s in theirs.answer_sets] == [s["id"] for s in found.answer_sets]


def test_categories_create_list_update_delete(data: Dataset) -> None:
    flex = data.a.client.flex_api.v1
    made = flex.insights_questionnaires_category.create(name="Compliance")
    assert made.category_sid.startswith("FY") and made.name == "Compliance"
    assert made.account_sid == data.a.account.sid
    assert made.url.endswith(f"{QM}/Categories/{made.category_sid}")
    listed = flex.insights_questionnaires_category.list(page_size=1000)
    assert made.category_sid in {c.category_sid for c in listed}
    renamed = flex.insights_questionnaires_category(made.category_sid).update(name="Legal")
    assert renamed.name == "Legal"
    assert flex.insights_questionnaires_category(made.category_sid).delete() is True
    listed = flex.insights_questionnaires_category.list(page_size=1000)
    assert made.category_sid not in {c.category_sid for c in listed}
    with twilio_error(404, 20404):
        flex.insights_questionnaires_category(made.category_sid).update(name="Gone")


def test_questions_carry_category_answer_set_and_usage(data: Dataset, catalogue: Catalogue) -> None:
    flex = data.a.client.flex_api.v1
    question = catalogue.greeted
    assert question.question_sid.startswith("GE")
    assert question.category == {
        "category_sid": catalogue.greeting.category_sid,
        "category_name": "Greeting",
    }
    assert question.allow_na is True and question.description == "Within the first ten seconds"
    assert question.answer_set["name"] == "Yes, No"
    in_greeting = flex.insights_questionnaires_question.list(
        category_sid=[catalogue.greeting.category_sid]
    )
    assert {q.question_sid for q in in_greeting} == {
        catalogue.greeted.question_sid,
        catalogue.rating.question_sid,
    }
    assert all(q.usage == 1 for q in in_greeting)
    changed = flex.insights_questionnaires_question(catalogue.rating.question_sid).update(
        allow_na=True,
        question="Tone and pace",
        category_sid=catalogue.resolution.category_sid,
        answer_set_id=catalogue.sets["Good, Fair, Poor"]["id"],
    )
    assert changed.question == "Tone and pace" and changed.allow_na is True
    assert changed.category["category_name"] == "Resolution"
    assert changed.answer_set_id == catalogue.sets["Good, Fair, Poor"]["id"]
    # A question in a questionnaire cannot be deleted; a free one can.
    with twilio_error(400, 20001, "questionnaire"):
        flex.insights_questionnaires_question(catalogue.greeted.question_sid).delete()
    spare = flex.insights_questionnaires_question.create(
        category_sid=catalogue.greeting.category_sid,
        question="Spare",
        answer_set_id=catalogue.sets["Yes, No"]["id"],
        allow_na=False,
    )
    assert spare.usage == 0
    assert flex.insights_questionnaires_question(spare.question_sid).delete() is True
    # A category holding questions cannot be deleted.
    with twilio_error(400, 20001, "question"):
        flex.insights_questionnaires_category(catalogue.greeting.category_sid).delete()


def test_questionnaires_keep_question_order_and_activation(
    data: Dataset, catalogue: Catalogue
) -> None:
    flex = data.a.client.flex_api.v1
    sid = catalogue.questionnaire.questionnaire_sid
    fetched = flex.insights_questionnaires(sid).fetch()
    assert fetched.name == "Customer experience" and fetched.active is True
    order = [q["question_sid"] for q in fetched.questions]
    assert order == [
        catalogue.greeted.question_sid,
        catalogue.rating.question_sid,
        catalogue.solved.question_sid,
    ]
    reordered = flex.insights_questionnaires(sid).update(
        active=False, question_sids=list(reversed(order)), name="CX v2"
    )
    assert [q["question_sid"] for q in reordered.questions] == list(reversed(order))
    assert reordered.active is False and reordered.name == "CX v2"
    active = {q.questionnaire_sid for q in flex.insights_questionnaires.list(page_size=1000)}
    everything = {
        q.questionnaire_sid
        for q in flex.insights_questionnaires.list(include_inactive=True, page_size=1000)
    }
    assert sid not in active and sid in everything
    # Without assessments it can be deleted.
    assert flex.insights_questionnaires(sid).delete() is True
    with twilio_error(404, 20404):
        flex.insights_questionnaires(sid).fetch()


def test_assessments_are_created_listed_and_updated(data: Dataset, catalogue: Catalogue) -> None:
    flex = data.a.client.flex_api.v1
    segment = talk_segment(data, "conv-1")
    yes = catalogue.answer("Yes, No", "Yes")
    first = _assess(data, catalogue, segment, catalogue.greeted, yes, offset=6.985619)
    assert first.assessment_sid.startswith("FM")
    assert first.segment_id == segment["segment_id"]
    assert first.agent_id == data.a.workers["Alice"]
    assert first.offset == "6.985619" and first.answer_text == "Yes"
    assert first.user_name == data.a.account.sid
    assert first.assessment["questionnaire"]["question"]["name"] == catalogue.greeted.question
    assert first.assessment["questionnaire"]["question"]["category"]["name"] == "Greeting"
    four = catalogue.answer("1 to 5", "4")
    second = _assess(data, catalogue, segment, catalogue.rating, four, offset=30)
    listed = flex.assessments.list(segment_id=segment["segment_id"])
    assert [a.assessment_sid for a in listed] == [first.assessment_sid, second.assessment_sid]
    changed = flex.assessments(second.assessment_sid).update(
        offset=42.5, answer_text="2", answer_id=catalogue.answer("1 to 5", "2")["id"]
    )
    assert changed.answer_text == "2" and changed.offset == "42.5"
    assert int(changed.timestamp) >= int(second.timestamp)
    # The same question twice in one author's assessment is a conflict, not a second answer.
    with twilio_error(409, 20409, "already answered"):
        _assess(data, catalogue, segment, catalogue.greeted, catalogue.answer("Yes, No", "No"))
    other = talk_segment(data, "conv-2")
    assert flex.assessments.list(segment_id=other["segment_id"]) == []


def test_not_applicable_only_where_allowed(data: Dataset, catalogue: Catalogue) -> None:
    flex = data.a.client.flex_api.v1
    na = flex.insights_settings_answer_sets.fetch().not_applicable
    segment = talk_segment(data, "conv-4")
    made = _assess(data, catalogue, segment, catalogue.greeted, na)
    assert made.answer_text == "N/A" and made.answer_id == na["id"]
    with twilio_error(400, 20001, "does not allow N/A"):
        _assess(data, catalogue, segment, catalogue.solved, na)


def test_an_inactive_questionnaire_keeps_its_assessments_and_takes_no_new_ones(
    data: Dataset, catalogue: Catalogue
) -> None:
    flex = data.a.client.flex_api.v1
    segment = talk_segment(data, "conv-2")
    made = _assess(
        data, catalogue, segment, catalogue.solved, catalogue.answer("Pass, Fail", "Pass")
    )
    sid = catalogue.questionnaire.questionnaire_sid
    flex.insights_questionnaires(sid).update(active=False)
    with twilio_error(400, 20001, "inactive"):
        _assess(data, catalogue, segment, catalogue.greeted, catalogue.answer("Yes, No", "Yes"))
    listed = flex.assessments.list(segment_id=segment["segment_id"])
    assert made.assessment_sid in {a.assessment_sid for a in listed}
    with twilio_error(400, 20001, "deactivate"):
        flex.insights_questionnaires(sid).delete()
    assert flex.insights_questionnaires(sid).fetch().active is False


def test_comments_at_a_moment_with_a_tag(data: Dataset) -> None:
    flex = data.a.client.flex_api.v1
    tags = {t["name"]: t for t in flex.insights_settings_comment.fetch().comments}
    segment = talk_segment(data, "conv-4")
    made = flex.insights_assessments_comment.create(
        category_id=tags["Good for Training"]["id"],
        category_name="Good for Training",
        comment="Textbook <b>de-escalation</b>",
        segment_id=segment["segment_id"],
        agent_id=segment["worker_sid"],
        offset=12.25,
    )
    assert made.assessment_sid.startswith("FM")
    assert made.comment == {
        "comment": "Textbook <b>de-escalation</b>",
        "category": {"category_id": tags["Good for Training"]["id"], "name": "Good for Training"},
    }
    assert made.offset == "12.25" and made.agent_id == segment["worker_sid"]
    by_segment = flex.insights_assessments_comment.list(segment_id=segment["segment_id"])
    assert made.assessment_sid in {c.assessment_sid for c in by_segment}
    by_agent = flex.insights_assessments_comment.list(agent_id=segment["worker_sid"])
    assert made.assessment_sid in {c.assessment_sid for c in by_agent}
    assert flex.insights_assessments_comment.list(agent_id="nobody") == []


def test_every_create_and_update_is_in_the_audit_trail(data: Dataset, catalogue: Catalogue) -> None:
    segment = talk_segment(data, "conv-5")
    made = _assess(data, catalogue, segment, catalogue.greeted, catalogue.answer("Yes, No", "No"))
    data.a.client.flex_api.v1.assessments(made.assessment_sid).update(
        offset=1, answer_text="Yes", answer_id=catalogue.answer("Yes, No", "Yes")["id"]
    )
    records = data.ok("/api/v1/audit", page_size=200)["records"]
    actions = {(r["action"], r["object_id"]) for r in records}
    assert ("quality.assessment.create", made.assessment_sid) in actions
    assert ("quality.assessment.update", made.assessment_sid) in actions
    sid = catalogue.questionnaire.questionnaire_sid
    assert ("quality.questionnaire.create", sid) in actions
    assert ("quality.question.create", catalogue.greeted.question_sid) in actions
    assert ("quality.category.create", catalogue.greeting.category_sid) in actions


def test_another_account_sees_and_changes_nothing(data: Dataset, catalogue: Catalogue) -> None:
    segment = talk_segment(data, "conv-1")
    mine = _assess(
        data, catalogue, segment, catalogue.solved, catalogue.answer("Pass, Fail", "Fail")
    )
    theirs = data.b.client.flex_api.v1
    assert theirs.assessments.list() == []
    assert theirs.assessments.list(segment_id=segment["segment_id"]) == []
    assert theirs.insights_assessments_comment.list(segment_id=segment["segment_id"]) == []
    assert theirs.insights_questionnaires.list(include_inactive=True) == []
    assert theirs.insights_questionnaires_question.list() == []
    assert theirs.insights_questionnaires_category.list() == []
    sid = catalogue.questionnaire.questionnaire_sid
    with twilio_error(404, 20404):
        theirs.insights_questionnaires(sid).fetch()
    with twilio_error(404, 20404):
        theirs.insights_questionnaires(sid).update(active=False)
    with twilio_error(404, 20404):
        theirs.insights_questionnaires(sid).delete()
    with twilio_error(404, 20404):
        theirs.insights_questionnaires_category(catalogue.greeting.category_sid).update(name="x")
    with twilio_error(404, 20404):
        theirs.insights_questionnaires_question(catalogue.greeted.question_sid).update(
            allow_na=False
        )
    with twilio_error(404, 20404):
        theirs.assessments(mine.assessment_sid).update(
            offset=0, answer_text="Pass", answer_id=catalogue.answer("Pass, Fail", "Pass")["id"]
        )
    # Nor can B assess A's segment, or use A's questionnaire on its own segment.
    b_segment = talk_segment(data, "conv-b", data.b)
    for segment_id, questionnaire in (
        (segment["segment_id"], sid),
        (b_segment["segment_id"], sid),
    ):
        with twilio_error(400, 20001):
            theirs.assessments.create(
                category_sid=catalogue.resolution.category_sid,
                category_name="Resolution",
                segment_id=segment_id,
                agent_id=segment["worker_sid"],
                offset=0,
                metric_id=catalogue.solved.question_sid,
                metric_name=catalogue.solved.question,
                answer_text="Pass",
                answer_id=catalogue.answer("Pass, Fail", "Pass")["id"],
                questionnaire_sid=questionnaire,
            )
    assert (
        data.a.client.flex_api.v1.assessments(mine.assessment_sid)
        .update(
            offset=0, answer_text="Fail", answer_id=catalogue.answer("Pass, Fail", "Fail")["id"]
        )
        .answer_text
        == "Fail"
    )


def _token_client(data: Dataset) -> Client:
    """The official client with no account credentials: it sends the `authorization` argument
    as the Authorization header, as a browser plug-in holding only a session token would."""
    client = Client(http_client=ContractCheckingHttpClient())
    client.flex_api.base_url = data.server.base_url
    return client


def test_session_token_authenticates_the_insights_apis(data: Dataset, catalogue: Catalogue) -> None:
    session = data.a.client.flex_api.v1.insights_session().create()
    assert session.workspace_id == data.a.account.sid
    assert session.base_url == f"{data.server.base_url}/"
    assert session.session_expiry.endswith("Z")
    token = f"Token {session.session_id}"
    flex = _token_client(data).flex_api.v1
    found = flex.insights_questionnaires(catalogue.questionnaire.questionnaire_sid).fetch(
        authorization=token
    )
    assert found.name == "Customer experience"
    assert flex.insights_user_roles().fetch(authorization=token).roles == ["wfo.full_access"]
    made = flex.insights_questionnaires_category.create(name="By token", authorization=token)
    assert made.account_sid == data.a.account.sid
    bearer = httpx.get(
        f"{data.server.base_url}{QM}/Categories",
        headers={"Authorization": f"Bearer {session.session_id}"},
        timeout=30,
    )
    assert bearer.status_code == 200
    # Only the Insights APIs take it.
    other = httpx.get(
        f"{data.server.base_url}/v1/Workspaces", headers={"Authorization": token}, timeout=30
    )
    assert other.status_code == 401
    tampered = session.session_id[:-2] + ("AA" if not session.session_id.endswith("AA") else "BB")
    with twilio_error(401, 20003):
        flex.insights_questionnaires_category.list(authorization=f"Token {tampered}")
    with twilio_error(401, 20003):
        flex.insights_questionnaires_category.list(authorization="Token not-a-token")


def test_a_session_dies_with_the_api_key_it_was_issued_to(data: Dataset) -> None:
    key = data.a.client.new_keys.create(friendly_name="qm")
    with_key = Client(
        key.sid, key.secret, data.a.account.sid, http_client=ContractCheckingHttpClient()
    )
    with_key.flex_api.base_url = data.server.base_url
    with_key.api.base_url = data.server.base_url
    session = with_key.flex_api.v1.insights_session().create()
    flex = _token_client(data).flex_api.v1
    token = f"Token {session.session_id}"
    assert isinstance(flex.insights_questionnaires_category.list(authorization=token), list)
    data.a.client.keys(key.sid).delete()
    with twilio_error(401, 20003):
        flex.insights_questionnaires_category.list(authorization=token)


def test_without_credentials_nothing_is_answered(data: Dataset) -> None:
    for method, path in (
        ("GET", f"{QM}/Questionnaires"),
        ("POST", f"{QM}/Categories"),
        ("GET", f"{QM}/Assessments"),
        ("POST", "/v1/Insights/Session"),
        ("GET", "/v1/Insights/UserRoles"),
    ):
        response = httpx.request(method, f"{data.server.base_url}{path}", timeout=30)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["code"] == 20003
    wrong = post(data, f"{QM}/Categories", {"Name": "x"}, auth=(data.a.account.sid, "0" * 32))
    assert wrong.status_code == 401


def test_a_token_in_the_query_is_never_echoed_into_page_urls(data: Dataset) -> None:
    response = httpx.get(
        f"{data.server.base_url}{QM}/Categories",
        params={"Authorization": "Token secret-looking", "PageSize": 1},
        auth=data.a.auth,
        timeout=30,
    )
    assert response.status_code == 200
    meta = response.json()["meta"]
    assert "secret-looking" not in str(meta) and "Authorization" not in str(meta)


def test_segments_carry_their_latest_assessment(data: Dataset, catalogue: Catalogue) -> None:
    flex = data.a.client.flex_api.v1
    segment = talk_segment(data, "conv-4")
    questionnaire = flex.insights_questionnaires.create(
        name="Segment score", question_sids=[catalogue.solved.question_sid]
    )
    flex.assessments.create(
        category_sid=catalogue.resolution.category_sid,
        category_name="Resolution",
        segment_id=segment["segment_id"],
        agent_id=segment["worker_sid"],
        offset=0,
        metric_id=catalogue.solved.question_sid,
        metric_name=catalogue.solved.question,
        answer_text="Pass",
        answer_id=catalogue.answer("Pass, Fail", "Pass")["id"],
        questionnaire_sid=questionnaire.questionnaire_sid,
    )
    (found,) = flex.insights_segments.list(segment_id=segment["segment_id"])
    assert found.assessment_type == "Segment score"
    assert found.assessment_percentage == 100.0
    (conversation,) = flex.insights_conversations.list(segment_id=segment["segment_id"])
    shown = {s["segment_id"]: s for s in conversation.segments}
    assert shown[segment["segment_id"]]["assessment_percentage"] == 100.0
    theirs = data.b.client.flex_api.v1.insights_segments.list()
    assert all(s.assessment_type is None for s in theirs)
