"""Requests to the Quality Management API the helper library would never send, and references
that do not hold: each is a 4xx in Twilio's error format, never a 5xx, and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers_insights import Dataset, build
from tests.api.helpers_quality import (
    QM,
    Catalogue,
    build_catalogue,
    post,
    queue_segment,
    talk_segment,
)
from tests.api.helpers_tasks import assert_twilio_error
from tests.support.server import RunningServer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def data(server: RunningServer) -> Dataset:
    return build(server)


@pytest.fixture(scope="module")
def cat(data: Dataset) -> Catalogue:
    return build_catalogue(data.a, name="Bad input")


@pytest.fixture(scope="module")
def theirs(data: Dataset) -> Catalogue:
    return build_catalogue(data.b, name="Theirs")


def _assessment_form(data: Dataset, cat: Catalogue, **overrides: Any) -> dict[str, Any]:
    segment = talk_segment(data, "conv-1")
    yes = cat.answer("Yes, No", "Yes")
    form = {
        "CategorySid": cat.greeting.category_sid,
        "CategoryName": "Greeting",
        "SegmentId": segment["segment_id"],
        "AgentId": segment["worker_sid"],
        "Offset": "1.5",
        "MetricId": cat.greeted.question_sid,
        "MetricName": cat.greeted.question,
        "AnswerText": "Yes",
        "AnswerId": yes["id"],
        "QuestionnaireSid": cat.questionnaire.questionnaire_sid,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def _count_assessments(data: Dataset) -> int:
    return len(data.a.client.flex_api.v1.assessments.list())


def _bad_assessments(
    data: Dataset, cat: Catalogue, theirs: Catalogue
) -> list[tuple[str, dict[str, Any], str]]:
    queue = queue_segment(data, "conv-1")
    b_segment = talk_segment(data, "conv-b", data.b)
    other_answer = cat.answer("Pass, Fail", "Pass")
    return [
        ("unknown segment", {"SegmentId": "SG" + "0" * 32}, "not a segment"),
        ("malformed segment", {"SegmentId": "<script>"}, "not a segment"),
        ("another account's segment", {"SegmentId": b_segment["segment_id"]}, "not a segment"),
        ("segment without agent", {"SegmentId": queue["segment_id"]}, "no agent"),
        ("another agent", {"AgentId": data.a.workers["Bob"]}, "not the agent"),
        ("unknown question", {"MetricId": "GE" + "0" * 32}, "not a question"),
        ("another account's question", {"MetricId": theirs.greeted.question_sid}, "not a question"),
        ("unknown questionnaire", {"QuestionnaireSid": "GM" + "0" * 32}, "not a questionnaire"),
        (
            "another account's questionnaire",
            {"QuestionnaireSid": theirs.questionnaire.questionnaire_sid},
            "not a questionnaire",
        ),
        ("unknown answer", {"AnswerId": "nope"}, "not an answer"),
        (
            "another set's answer",
            {"AnswerId": other_answer["id"], "AnswerText": "Pass"},
            "not an answer",
        ),
        ("answer text mismatch", {"AnswerText": "No"}, "does not match"),
        ("question name mismatch", {"MetricName": "Something else"}, "does not match"),
        (
            "category of another question",
            {"CategorySid": cat.resolution.category_sid},
            "not the category",
        ),
        ("category name mismatch", {"CategoryName": "Greetings"}, "does not match"),
        ("negative offset", {"Offset": "-3"}, "Offset"),
        ("offset not a number", {"Offset": "NaN"}, "Offset"),
        ("offset text", {"Offset": "=1+2"}, "Offset"),
        ("malformed category SID", {"CategorySid": "FY123"}, "CategorySid"),
        ("wrong kind of SID", {"QuestionnaireSid": cat.greeted.question_sid}, "QuestionnaireSid"),
        ("missing AgentId", {"AgentId": None}, "AgentId"),
        ("empty SegmentId", {"SegmentId": ""}, "SegmentId"),
        ("unknown parameter", {"Score": "100"}, "Unknown parameter"),
        ("NUL", {"CategoryName": "Greet\x00ing"}, "NUL"),
    ]


def test_bad_assessments_are_refused_and_change_nothing(
    data: Dataset, cat: Catalogue, theirs: Catalogue
) -> None:
    before = _count_assessments(data)
    for label, overrides, fragment in _bad_assessments(data, cat, theirs):
        response = post(data, f"{QM}/Assessments", _assessment_form(data, cat, **overrides))
        body = assert_twilio_error(response, 400, 20001)
        assert fragment in body["message"], (label, body)
    assert _count_assessments(data) == before


def test_a_question_outside_the_questionnaire_is_refused(data: Dataset, cat: Catalogue) -> None:
    flex = data.a.client.flex_api.v1
    outside = flex.insights_questionnaires_question.create(
        category_sid=cat.greeting.category_sid,
        question="Outside",
        answer_set_id=cat.sets["Yes, No"]["id"],
        allow_na=False,
    )
    form = _assessment_form(data, cat, MetricId=outside.question_sid, MetricName="Outside")
    body = assert_twilio_error(post(data, f"{QM}/Assessments", form), 400, 20001)
    assert "not in questionnaire" in body["message"]


def test_malformed_and_oversize_bodies(data: Dataset, cat: Catalogue) -> None:
    url = f"{data.server.base_url}{QM}/Categories"
    cases = [
        (b'{"Name": "json"}', {"Content-Type": "application/json"}, 400),
        (b"Name", FORM, 400),
        (b"\xff\xfe", FORM, 400),
        (b"Name=" + b"x" * (300 * 1024), FORM, 413),
    ]
    for content, headers, status in cases:
        response = httpx.post(url, content=content, headers=headers, auth=data.a.auth, timeout=30)
        assert_twilio_error(response, status)


def test_bad_catalogue_writes(data: Dataset, cat: Catalogue, theirs: Catalogue) -> None:
    yes_no = cat.sets["Yes, No"]["id"]
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (f"{QM}/Categories", {}, 400, "Name"),
        (f"{QM}/Categories", {"Name": "   "}, 400, "empty"),
        (f"{QM}/Categories", {"Name": "x" * 121}, 400, "at most"),
        (f"{QM}/Categories", {"Name": "ok", "Colour": "red"}, 400, "Unknown parameter"),
        (
            f"{QM}/Questions",
            {
                "CategorySid": theirs.greeting.category_sid,
                "Question": "q",
                "AnswerSetId": yes_no,
                "AllowNa": "true",
            },
            400,
            "not a category",
        ),
        (
            f"{QM}/Questions",
            {
                "CategorySid": cat.greeting.category_sid,
                "Question": "q",
                "AnswerSetId": "x",
                "AllowNa": "true",
            },
            400,
            "not an answer set",
        ),
        (
            f"{QM}/Questions",
            {
                "CategorySid": cat.greeting.category_sid,
                "Question": "q",
                "AnswerSetId": yes_no,
                "AllowNa": "maybe",
            },
            400,
            "AllowNa",
        ),
        (
            f"{QM}/Questions",
            {"CategorySid": cat.greeting.category_sid, "Question": "q", "AnswerSetId": yes_no},
            400,
            "AllowNa",
        ),
        (
            f"{QM}/Questionnaires",
            {"Name": "n", "QuestionSids": theirs.greeted.question_sid},
            400,
            "not a question",
        ),
        (
            f"{QM}/Questionnaires",
            {"Name": "n", "QuestionSids": f"{cat.greeted.question_sid},{cat.greeted.question_sid}"},
            400,
            "twice",
        ),
        (f"{QM}/Questionnaires", {"Name": "n", "QuestionSids": "GE123"}, 400, "QuestionSids"),
        (
            f"{QM}/Questionnaires/{cat.questionnaire.questionnaire_sid}",
            {"Name": "n"},
            400,
            "Active",
        ),
        (f"{QM}/Assessments/Comments", {"Comment": "c"}, 400, "Missing"),
        (
            f"{QM}/Assessments/{'FM' + '0' * 32}",
            {"Offset": "0", "AnswerText": "Yes", "AnswerId": "x"},
            404,
            "",
        ),
        (f"{QM}/Categories/not-a-sid", {"Name": "x"}, 404, ""),
        (f"{QM}/Categories/{cat.greeted.question_sid}", {"Name": "x"}, 404, ""),
        (f"{QM}/Questions/{theirs.greeted.question_sid}", {"AllowNa": "true"}, 404, ""),
        ("/v1/Insights/Session", {"Anything": "x"}, 400, "Unknown parameter"),
    ]
    for path, form, status, fragment in cases:
        body = assert_twilio_error(post(data, path, form), status)
        assert fragment in body["message"], (path, form, body)


def test_bad_comments(data: Dataset) -> None:
    tags = {
        t["name"]: t for t in data.a.client.flex_api.v1.insights_settings_comment.fetch().comments
    }
    segment = talk_segment(data, "conv-2")
    good = {
        "CategoryId": tags["Good"]["id"],
        "CategoryName": "Good",
        "Comment": "Fine",
        "SegmentId": segment["segment_id"],
        "AgentId": segment["worker_sid"],
        "Offset": "3",
    }
    cases = [
        ({"CategoryId": "nope"}, "not a comment tag"),
        ({"CategoryName": "Bad"}, "does not match"),
        ({"Comment": " "}, "Comment"),
        ({"Comment": "x" * 4001}, "at most"),
        ({"SegmentId": "SG" + "f" * 32}, "not a segment"),
        ({"AgentId": "someone-else"}, "not the agent"),
        ({"Offset": "soon"}, "Offset"),
    ]
    before = len(
        data.a.client.flex_api.v1.insights_assessments_comment.list(
            segment_id=segment["segment_id"]
        )
    )
    for overrides, fragment in cases:
        body = assert_twilio_error(
            post(data, f"{QM}/Assessments/Comments", {**good, **overrides}), 400
        )
        assert fragment in body["message"], (overrides, body)
    after = len(
        data.a.client.flex_api.v1.insights_assessments_comment.list(
            segment_id=segment["segment_id"]
        )
    )
    assert after == before
    assert post(data, f"{QM}/Assessments/Comments", good).status_code == 201


def test_bad_list_parameters(data: Dataset) -> None:
    cases = [
        (f"{QM}/Assessments", {"PageSize": "0"}),
        (f"{QM}/Assessments", {"PageSize": "1001"}),
        (f"{QM}/Assessments", {"PageToken": "garbage"}),
        (f"{QM}/Assessments", {"Segment": "x"}),
        (f"{QM}/Questions", {"CategorySid": "FYnot"}),
        (f"{QM}/Questionnaires", {"IncludeInactive": "sometimes"}),
        (f"{QM}/Settings/AnswerSets", {"PageSize": "5"}),
        ("/v1/Insights/UserRoles", {"Role": "admin"}),
    ]
    for path, params in cases:
        response = httpx.get(
            f"{data.server.base_url}{path}", params=params, auth=data.a.auth, timeout=30
        )
        assert_twilio_error(response, 400, 20001)
    # An unknown segment is simply not there to list.
    response = httpx.get(
        f"{data.server.base_url}{QM}/Assessments",
        params={"SegmentId": "SG" + "0" * 32},
        auth=data.a.auth,
        timeout=30,
    )
    assert response.status_code == 200 and response.json()["assessments"] == []


def test_html_and_script_are_kept_as_text(data: Dataset) -> None:
    name = '<img src=x onerror="alert(1)"> javascript:alert(1)'
    made = post(data, f"{QM}/Categories", {"Name": name})
    assert made.status_code == 201
    assert made.headers["content-type"].startswith("application/json")
    assert made.json()["name"] == name


def test_paging_through_assessments(data: Dataset, cat: Catalogue) -> None:
    flex = data.a.client.flex_api.v1
    segment = talk_segment(data, "conv-4")
    questionnaire = flex.insights_questionnaires.create(
        name="Paging",
        question_sids=[cat.greeted.question_sid, cat.rating.question_sid, cat.solved.question_sid],
    )
    for question, answer in (
        (cat.greeted, cat.answer("Yes, No", "Yes")),
        (cat.rating, cat.answer("1 to 5", "5")),
        (cat.solved, cat.answer("Pass, Fail", "Pass")),
    ):
        flex.assessments.create(
            category_sid=question.category["category_sid"],
            category_name=question.category["category_name"],
            segment_id=segment["segment_id"],
            agent_id=segment["worker_sid"],
            offset=0,
            metric_id=question.question_sid,
            metric_name=question.question,
            answer_text=answer["name"],
            answer_id=answer["id"],
            questionnaire_sid=questionnaire.questionnaire_sid,
        )
    one_by_one = flex.assessments.list(segment_id=segment["segment_id"], page_size=1)
    everything = flex.assessments.list(segment_id=segment["segment_id"])
    assert [a.assessment_sid for a in one_by_one] == [a.assessment_sid for a in everything]
    assert len(everything) >= 3
