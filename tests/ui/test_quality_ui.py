"""Quality management in Chromium: assess a call while it plays, comment on a moment, see the
comment as a marker on the timeline that seeks there, see the score per category and in total,
and scoped people kept out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from hindsight.domain.access import Scope
from tests.api.helpers_insights import Party
from tests.api.helpers_quality import Catalogue, build_catalogue
from tests.api.helpers_recordings import Tenant, tenant
from tests.support import audio
from tests.support.people import person
from tests.support.server import RunningServer
from tests.support.twilio_client import client_for
from tests.support.waiting import wait_for
from tests.ui.conftest import screenshot
from tests.ui.test_reporting_ui import sign_in, wait_js


@dataclass
class QualityScene:
    server: RunningServer
    shop: Tenant
    catalogue: Catalogue
    people: dict[str, Any]


def _projected(server: RunningServer, shop: Tenant, conversation: str) -> None:
    def probe() -> bool:
        response = httpx.get(
            f"{server.base_url}/api/v1/insights/conversations/{conversation}",
            auth=shop.auth,
            timeout=30,
        )
        return response.status_code == 200 and any(
            s["kind"] == "Conversation" for s in response.json()["segments"]
        )

    wait_for(probe, f"{conversation} projected", timeout=20)


@pytest.fixture(scope="module")
def scene(ui_server: RunningServer) -> QualityScene:
    shop = tenant(ui_server, "qm-shop")
    call = shop.handle(
        {
            "type": "call",
            "conversations": {"conversation_id": "qm-call", "handling_team_name": "Team A"},
        }
    )
    shop.created(audio.wav(6.0), task_sid=call.task_sid, title="Call recording")
    shop.handle(
        {
            "type": "call",
            "conversations": {"conversation_id": "qm-other", "handling_team_name": "Team B"},
        }
    )
    for conversation in ("qm-call", "qm-other"):
        _projected(ui_server, shop, conversation)
    client = client_for(ui_server.base_url, shop.account.sid, shop.account.auth_token)
    client.flex_api.base_url = ui_server.base_url
    catalogue = build_catalogue(Party(account=shop.account, client=client))
    account = shop.account.sid
    people = {
        "qm": person(ui_server, account, ("wfo.quality_manager",), name="qm", login=False),
        "team_b": person(
            ui_server,
            account,
            ("wfo.team_leader",),
            name="team-b",
            scope=Scope(teams=("Team B",)),
            login=False,
        ),
    }
    return QualityScene(ui_server, shop, catalogue, people)


def _answer(page: Page, question: str, choice: str) -> None:
    page.locator("fieldset.question", has_text=question).get_by_label(choice, exact=True).check()


def test_assess_while_playing_comment_at_a_moment_and_seek_by_marker(
    page: Page, scene: QualityScene
) -> None:
    sign_in(page, scene, scene.people["qm"], "/conversations/qm-call")  # type: ignore[arg-type]
    player = page.get_by_test_id("player")
    expect(player).to_be_visible()
    quality = page.locator("#quality")
    expect(quality.get_by_text("Not assessed yet.")).to_be_visible()

    player.get_by_role("button", name="Play").click()
    wait_js(page, "document.querySelector('audio').currentTime > 1", 15_000)

    page.get_by_label("Questionnaire").select_option(label="Customer experience")
    _answer(page, "Did the agent greet the customer?", "Yes")
    quality.get_by_role(
        "button", name="Mark the current moment for “Did the agent greet the customer?”"
    ).click()
    _answer(page, "Tone of voice", "3")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#notice")).to_contain_text("Draft saved")
    expect(quality.get_by_test_id("review")).to_contain_text("Draft")
    _answer(page, "Was the issue solved?", "Pass")
    page.get_by_role("button", name="Submit assessment").click()
    expect(page.locator("#notice")).to_contain_text("submitted")
    review = quality.get_by_test_id("review")
    expect(review).to_contain_text("Submitted")
    # Greeting: yes (100) and 3 of 5 (50) -> 75%; Resolution: pass -> 100%; total 250/300.
    expect(review.get_by_test_id("total-score")).to_have_text("83.33%")
    expect(review.locator("tr", has_text="Greeting")).to_contain_text("75%")
    expect(review.locator("tr", has_text="Resolution")).to_contain_text("100%")

    page.evaluate("document.querySelector('audio').pause()")
    page.evaluate("document.querySelector('audio').currentTime = 3.5")
    wait_js(page, "Math.abs(document.querySelector('audio').currentTime - 3.5) < 0.3")
    page.get_by_label("Comment").fill("Good <b>empathy</b> here")
    page.get_by_label("Tag").select_option(label="Good for Training")
    expect(page.get_by_test_id("pin")).to_contain_text("Pinned at 0:03")
    page.get_by_role("button", name="Add comment").click()
    comments = quality.get_by_test_id("comments")
    expect(comments).to_contain_text("Good <b>empathy</b> here")
    expect(comments).to_contain_text("Good for Training")
    marker = player.locator(".note-marker.comment")
    expect(marker).to_have_count(1)
    offset = float(marker.get_attribute("data-offset") or "nan")
    assert abs(offset - 3.5) < 0.3
    screenshot(page, "quality-assessed")

    page.evaluate("document.querySelector('audio').currentTime = 0")
    wait_js(page, "document.querySelector('audio').currentTime < 0.3")
    marker.click()
    wait_js(page, f"Math.abs(document.querySelector('audio').currentTime - {offset}) < 0.3")
    # The answered moment is a marker too, and the answer's time seeks there.
    expect(player.locator(".note-marker.answer")).to_have_count(1)
    page.evaluate("document.querySelector('audio').currentTime = 0")
    review.locator("button.seek-to").first.click()
    wait_js(page, "document.querySelector('audio').currentTime > 0.9")
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_person_scoped_elsewhere_cannot_open_or_assess(page: Page, scene: QualityScene) -> None:
    lead = scene.people["team_b"]
    sign_in(page, scene, lead, "/conversations/qm-other")  # type: ignore[arg-type]
    expect(page.locator("#quality")).to_be_visible()
    page.goto(f"{scene.server.base_url}/conversations/qm-call")
    expect(page.locator("#quality")).to_have_count(0)
    expect(page.get_by_text("No conversation", exact=False)).to_be_visible()


def test_build_a_questionnaire_in_the_editor(page: Page, scene: QualityScene) -> None:
    builder = person(
        scene.server,
        scene.shop.account.sid,
        ("wfo.quality_process_manager",),
        name="builder",
        login=False,
    )
    sign_in(page, scene, builder, "/quality/questionnaires")  # type: ignore[arg-type]
    expect(page.get_by_role("link", name="Questionnaires")).to_be_visible()
    page.get_by_label("New category").fill("Empathy <i>")
    page.get_by_role("button", name="Add category").click()
    expect(page.locator("#category-list")).to_contain_text("Empathy <i>")
    page.get_by_label("New answer set").fill("Traffic light")
    page.get_by_label("Answers, one per line").fill("Green = 100\nAmber = 50\nRed = 0")
    page.get_by_role("button", name="Add answer set").click()
    expect(page.locator("#answer-set-list")).to_contain_text("Traffic light: Green (100)")

    form = page.locator("#question-form")
    form.get_by_label("Question", exact=True).fill("Acknowledged the customer's feelings")
    form.get_by_label("Category").select_option(label="Empathy <i>")
    form.get_by_label("Answer set").select_option(
        label="Traffic light (Green 100, Amber 50, Red 0)"
    )
    form.get_by_label("N/A allowed").check()
    form.get_by_role("button", name="Save question").click()
    row = page.get_by_test_id("questions").locator("tr", has_text="Acknowledged")
    expect(row).to_contain_text("Traffic light")
    expect(row).to_contain_text("Yes")

    editor = page.locator("#questionnaire-form")
    editor.get_by_label("Questionnaire name").fill("Coaching")
    editor.get_by_label("Add a question").select_option(label="Tone of voice (Greeting)")
    editor.get_by_label("Add a question").select_option(
        label="Acknowledged the customer's feelings (Empathy <i>)"
    )
    editor.get_by_role("button", name="Move “Tone of voice” down").click()
    expect(editor.locator("#questionnaire-questions li").first).to_contain_text("Acknowledged")
    editor.get_by_role("button", name="Save questionnaire").click()
    listed = page.get_by_test_id("questionnaires").locator("tr", has_text="Coaching")
    expect(listed).to_contain_text("Active")
    expect(listed.locator("td").nth(1)).to_have_text("2")
    listed.get_by_role("button", name="Deactivate").click()
    expect(listed).to_contain_text("Inactive")
    screenshot(page, "quality-questionnaires")

    flex = client_for(scene.server.base_url, scene.shop.account.sid, scene.shop.account.auth_token)
    flex.flex_api.base_url = scene.server.base_url
    (made,) = [
        q
        for q in flex.flex_api.v1.insights_questionnaires.list(include_inactive=True)
        if q.name == "Coaching"
    ]
    assert made.active is False
    assert [q["question"] for q in made.questions] == [
        "Acknowledged the customer's feelings",
        "Tone of voice",
    ]
    assert page.errors == []  # type: ignore[attr-defined]


def test_people_without_the_questionnaire_right_get_no_editor(
    page: Page, scene: QualityScene
) -> None:
    sign_in(page, scene, scene.people["qm"], "/quality/questionnaires")  # type: ignore[arg-type]
    expect(page.get_by_role("link", name="Questionnaires")).to_have_count(0)
    expect(page.locator("#questionnaire-form")).to_have_count(0)


def test_the_quality_report_drills_down_and_samples_for_review(
    page: Page, scene: QualityScene
) -> None:
    cat = scene.catalogue
    detail = httpx.get(
        f"{scene.server.base_url}/api/v1/insights/conversations/qm-call",
        auth=scene.shop.auth,
        timeout=30,
    ).json()
    segment = next(s for s in detail["segments"] if s["kind"] == "Conversation")
    flex = client_for(scene.server.base_url, scene.shop.account.sid, scene.shop.account.auth_token)
    flex.flex_api.base_url = scene.server.base_url
    answer = cat.answer("Pass, Fail", "Pass")
    flex.flex_api.v1.assessments.create(
        category_sid=cat.resolution.category_sid,
        category_name="Resolution",
        segment_id=segment["segment_id"],
        agent_id=segment["worker_sid"],
        offset=0,
        metric_id=cat.solved.question_sid,
        metric_name=cat.solved.question,
        answer_text="Pass",
        answer_id=answer["id"],
        questionnaire_sid=cat.questionnaire.questionnaire_sid,
    )
    sign_in(page, scene, scene.people["qm"], "/quality/report")  # type: ignore[arg-type]
    report = page.get_by_test_id("quality-report")
    row = report.locator("tbody tr", has_text="Agent")
    expect(row).to_be_visible()
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    screenshot(page, "quality-report")
    row.get_by_role("link", name="Agent").click()
    page.wait_for_url("**/quality/assessed?**")
    assessed = page.get_by_test_id("assessed")
    expect(assessed.get_by_role("link", name="qm-call").first).to_be_visible()
    assessed.get_by_role("link", name="qm-call").first.click()
    page.wait_for_url("**/conversations/qm-call?segment=SG*")
    expect(page.locator("#quality").get_by_test_id("review").first).to_be_visible()

    page.goto(f"{scene.server.base_url}/quality/report")
    page.get_by_role("button", name="Sample for review").click()
    page.wait_for_url("**/quality/sample?**")
    sample = page.get_by_test_id("sample")
    expect(sample.get_by_role("link", name="qm-other")).to_be_visible()
    expect(sample.get_by_role("link", name="qm-call")).to_have_count(0)

    # The conversation search filters by quality.
    page.goto(f"{scene.server.base_url}/conversations")
    page.get_by_label("Assessed").select_option(label="Assessed")
    page.get_by_role("button", name="Search").click()
    expect(page.locator('a.drill[data-conversation="qm-call"]')).to_be_visible()
    expect(page.locator('a.drill[data-conversation="qm-other"]')).to_have_count(0)
    page.get_by_label("Assessed").select_option(label="Not assessed")
    page.get_by_role("button", name="Search").click()
    expect(page.locator('a.drill[data-conversation="qm-other"]')).to_be_visible()
    expect(page.locator('a.drill[data-conversation="qm-call"]')).to_have_count(0)
    assert page.errors == []  # type: ignore[attr-defined]


def test_an_agent_reads_and_acknowledges_their_assessment(page: Page, scene: QualityScene) -> None:
    account = scene.shop.account.sid
    admin = person(scene.server, account, ("admin",), name="admin")
    agent = person(scene.server, account, ("agent",), name="agent", login=False)
    assert (
        admin.post("/api/v1/quality/settings", {"agents_see_assessments": True}).status_code == 200
    )
    linked = admin.post(
        "/api/v1/quality/agent-links", {"user_sid": agent.sid, "agent_id": scene.shop.worker_sid}
    )
    assert linked.status_code == 200, linked.text
    cat = scene.catalogue
    flex = client_for(scene.server.base_url, account, scene.shop.account.auth_token)
    flex.flex_api.base_url = scene.server.base_url
    questionnaire = flex.flex_api.v1.insights_questionnaires.create(
        name="Agent view", question_sids=[cat.solved.question_sid]
    )
    detail = httpx.get(
        f"{scene.server.base_url}/api/v1/insights/conversations/qm-other",
        auth=scene.shop.auth,
        timeout=30,
    ).json()
    segment = next(s for s in detail["segments"] if s["kind"] == "Conversation")
    flex.flex_api.v1.assessments.create(
        category_sid=cat.resolution.category_sid,
        category_name="Resolution",
        segment_id=segment["segment_id"],
        agent_id=segment["worker_sid"],
        offset=0,
        metric_id=cat.solved.question_sid,
        metric_name=cat.solved.question,
        answer_text="Fail",
        answer_id=cat.answer("Pass, Fail", "Fail")["id"],
        questionnaire_sid=questionnaire.questionnaire_sid,
    )
    sign_in(page, scene, agent, "/quality/mine")  # type: ignore[arg-type]
    review = page.get_by_test_id("my-review").filter(has_text="Agent view")
    expect(review.get_by_test_id("my-total")).to_have_text("0.0%")
    review.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url("**/quality/mine")
    expect(page.get_by_test_id("my-review").filter(has_text="Agent view")).to_contain_text(
        "Acknowledged"
    )
    screenshot(page, "quality-mine")
    page.goto(f"{scene.server.base_url}/conversations/qm-other")
    expect(page.locator("#quality")).to_have_count(0)
    assert page.errors == []  # type: ignore[attr-defined]
