"""A quality catalogue built through Twilio's Quality Management API, over the scripted contact
centre of helpers_insights (account A assesses; account B is the stranger)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.api.helpers_insights import Dataset, Party

QM = "/v1/Insights/QualityManagement"


@dataclass
class Catalogue:
    """Two categories, three questions (yes/no with N/A, 1-to-5, pass/fail) in one active
    questionnaire, and the answer sets by name."""

    greeting: Any
    resolution: Any
    greeted: Any
    rating: Any
    solved: Any
    questionnaire: Any
    sets: dict[str, dict[str, Any]]

    def answer(self, set_name: str, answer_name: str) -> dict[str, Any]:
        answers = self.sets[set_name]["answers"]
        return next(a for a in answers if a["name"] == answer_name)


def answer_sets(party: Party) -> dict[str, dict[str, Any]]:
    found = party.client.flex_api.v1.insights_settings_answer_sets.fetch()
    return {s["name"]: s for s in found.answer_sets}


def build_catalogue(party: Party, name: str = "Customer experience") -> Catalogue:
    flex = party.client.flex_api.v1
    sets = answer_sets(party)
    greeting = flex.insights_questionnaires_category.create(name="Greeting")
    resolution = flex.insights_questionnaires_category.create(name="Resolution")
    greeted = flex.insights_questionnaires_question.create(
        category_sid=greeting.category_sid,
        question="Did the agent greet the customer?",
        answer_set_id=sets["Yes, No"]["id"],
        allow_na=True,
        description="Within the first ten seconds",
    )
    rating = flex.insights_questionnaires_question.create(
        category_sid=greeting.category_sid,
        question="Tone of voice",
        answer_set_id=sets["1 to 5"]["id"],
        allow_na=False,
    )
    solved = flex.insights_questionnaires_question.create(
        category_sid=resolution.category_sid,
        question="Was the issue solved?",
        answer_set_id=sets["Pass, Fail"]["id"],
        allow_na=False,
    )
    questionnaire = flex.insights_questionnaires.create(
        name=name,
        description="Weekly review",
        question_sids=[greeted.question_sid, rating.question_sid, solved.question_sid],
    )
    return Catalogue(greeting, resolution, greeted, rating, solved, questionnaire, sets)


def talk_segment(data: Dataset, conversation: str, party: Party | None = None) -> dict[str, Any]:
    """The segment of a conversation an agent handled (the last one)."""
    segments = data.ok(f"/api/v1/insights/conversations/{conversation}", party)["segments"]
    return [s for s in segments if s["worker_sid"]][-1]


def queue_segment(data: Dataset, conversation: str) -> dict[str, Any]:
    segments = data.ok(f"/api/v1/insights/conversations/{conversation}")["segments"]
    return next(s for s in segments if not s["worker_sid"])


def post(
    data: Dataset, path: str, form: Any, party: Party | None = None, **kw: Any
) -> httpx.Response:
    who = party or data.a
    return httpx.post(
        f"{data.server.base_url}{path}", data=form, auth=kw.pop("auth", who.auth), timeout=30, **kw
    )
