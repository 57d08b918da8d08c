"""The player for people who review calls all day, in Chromium: seek by clicking or dragging on
the waveform and the talk bands, the playhead drawn across them, back and forward 5 and 10
seconds, keyboard shortcuts (space, arrows, speed), a visible label on every control, and the
segment playing highlighted in the segment list."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.api.helpers_recordings import Tenant, tenant
from tests.support import audio
from tests.support.media_server import MediaServer
from tests.support.people import audit_of, person
from tests.support.server import RunningServer
from tests.support.waiting import wait_for, wait_for_task_age
from tests.ui.conftest import screenshot
from tests.ui.test_reporting_ui import sign_in, wait_js

LENGTH_S = 30.0


@dataclass
class Scene:
    server: RunningServer
    shop: Tenant
    host: MediaServer


@pytest.fixture(scope="module")
def scene(ui_server: RunningServer) -> Iterator[Scene]:
    shop = tenant(ui_server, "player")
    host = MediaServer(files={"long.wav": audio.wav(LENGTH_S)})
    # The recording starts two seconds before the task, and the call lasts a few seconds, so
    # the recording spans the queue and the conversation segments.
    start = int(time.time() * 1000) - 2000
    attributes = {
        "type": "call",
        "conversations": {
            "conversation_id": "player-call",
            "media": [
                {
                    "type": "VoiceRecording",
                    "url": host.url("/audio/long.wav"),
                    "start_time": start,
                    "title": "Long call",
                }
            ],
        },
    }
    handled = shop.handle(attributes, complete=False)
    tasks = shop.floor.api.tasks
    wait_for_task_age(tasks(handled.task_sid), 4)  # a talk of at least three seconds
    tasks(handled.task_sid).update(assignment_status="wrapping")
    tasks(handled.task_sid).update(assignment_status="completed", reason="done")

    def projected() -> bool | None:
        response = httpx.get(
            f"{ui_server.base_url}/api/v1/insights/conversations/player-call",
            auth=shop.auth,
            timeout=30,
        )
        if response.status_code != 200:
            return None
        segments = response.json()["segments"]
        return any(s["kind"] == "Conversation" for s in segments) or None

    wait_for(projected, "player-call projected", timeout=20)
    try:
        yield Scene(ui_server, shop, host)
    finally:
        host.stop()


@pytest.fixture
def reviewer(scene: Scene) -> Any:
    return person(scene.server, scene.shop.account.sid, ("wfo.full_access",), login=False)


def _now(page: Page) -> float:
    return float(page.evaluate("document.querySelector('audio').currentTime"))


def _open(page: Page, scene: Scene, reviewer: Any) -> Locator:
    sign_in(page, scene, reviewer, "/conversations/player-call")
    player = page.get_by_test_id("player")
    expect(player.get_by_role("button", name="Play")).to_be_enabled(timeout=20_000)
    wait_js(page, "document.querySelector('audio').duration > 29")
    return player


def _click_at(page: Page, target: Locator, fraction: float) -> None:
    target.scroll_into_view_if_needed()  # mouse coordinates are the viewport's
    box = target.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)


def test_click_and_drag_on_waveform_and_bands_seek_and_the_playhead_follows(
    page: Page, scene: Scene, reviewer: Any
) -> None:
    player = _open(page, scene, reviewer)
    waveform = player.locator("canvas.waveform")
    bands = player.locator(".timeline")
    _click_at(page, waveform, 0.5)
    wait_js(page, "Math.abs(document.querySelector('audio').currentTime - 15) < 1")
    _click_at(page, bands, 0.25)
    wait_js(page, "Math.abs(document.querySelector('audio').currentTime - 7.5) < 1")
    # Dragging from one fifth to four fifths of the waveform ends at four fifths.
    waveform.scroll_into_view_if_needed()
    box = waveform.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.2, y)
    page.mouse.down()
    for step in range(1, 7):
        page.mouse.move(box["x"] + box["width"] * (0.2 + 0.1 * step), y)
    page.mouse.up()
    wait_js(page, "Math.abs(document.querySelector('audio').currentTime - 24) < 1")
    # The playhead is drawn across waveform and bands at the position played.
    playhead = player.locator(".playhead")
    expect(playhead).to_be_visible()
    head = playhead.bounding_box()
    scrub = player.get_by_test_id("scrub").bounding_box()
    assert head is not None and scrub is not None
    assert head["height"] >= scrub["height"] - 2  # spans both
    at = (head["x"] + head["width"] / 2 - scrub["x"]) / scrub["width"]
    assert abs(at - _now(page) / LENGTH_S) < 0.03
    screenshot(page, "player-seek")


def test_skip_buttons_and_keyboard_shortcuts(page: Page, scene: Scene, reviewer: Any) -> None:
    player = _open(page, scene, reviewer)
    forward10 = player.get_by_role("button", name="Forward 10 seconds")
    expect(forward10).to_have_text("+10 s")
    forward10.click()
    wait_js(page, "Math.abs(document.querySelector('audio').currentTime - 10) < 0.5")
    player.get_by_role("button", name="Back 5 seconds").click()
    wait_js(page, "Math.abs(document.querySelector('audio').currentTime - 5) < 0.5")
    player.get_by_role("button", name="Forward 5 seconds").click()
    wait_js(page, "Math.abs(document.querySelector('audio').currentTime - 10) < 0.5")
    player.get_by_role("button", name="Back 10 seconds").click()
    wait_js(page, "document.querySelector('audio').currentTime < 0.5")

    page.locator("h1").click()  # focus on the page, not on a control
    page.keyboard.press("ArrowRight")
    wait_js(page, "Math.abs(document.querySelector('audio').currentTime - 5) < 0.5")
    page.keyboard.press("Shift+ArrowRight")
    wait_js(page, "Math.abs(document.querySelector('audio').currentTime - 15) < 0.5")
    page.keyboard.press("ArrowLeft")
    wait_js(page, "Math.abs(document.querySelector('audio').currentTime - 10) < 0.5")
    page.keyboard.press("]")
    assert page.evaluate("document.querySelector('audio').playbackRate") == 1.25
    faster = player.get_by_role("button", name="1.25\u00d7")
    expect(faster).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("[")
    page.keyboard.press("[")
    assert page.evaluate("document.querySelector('audio').playbackRate") == 0.5
    page.keyboard.press(" ")
    wait_js(page, "!document.querySelector('audio').paused")
    expect(player.get_by_role("button", name="Pause")).to_be_visible()
    page.keyboard.press(" ")
    wait_js(page, "document.querySelector('audio').paused")
    # Keys typed into a field are text, not shortcuts.
    before = _now(page)
    player.get_by_label("Link to this moment").press("ArrowRight")
    assert abs(_now(page) - before) < 0.01
    assert page.errors == []  # type: ignore[attr-defined]


def test_every_control_has_a_visible_label(page: Page, scene: Scene, reviewer: Any) -> None:
    player = _open(page, scene, reviewer)
    for button in player.locator("button:not(.marker)").all():
        assert button.inner_text().strip(), button.evaluate("b => b.outerHTML")
    for field in player.locator("input").all():
        field_id = field.get_attribute("id")
        assert field_id, field.evaluate("f => f.outerHTML")
        label = player.locator(f'label[for="{field_id}"]')
        expect(label).to_be_visible()
        assert label.inner_text().strip()
    expect(player.locator(".speeds")).to_contain_text("Speed")
    expect(player.locator(".shortcuts")).to_contain_text("Space")
    screenshot(page, "player-controls")


def test_the_segment_playing_is_highlighted(page: Page, scene: Scene, reviewer: Any) -> None:
    player = _open(page, scene, reviewer)
    state = page.evaluate("JSON.parse(document.getElementById('conversation-state').textContent)")
    start = state["segments"][0]["media"][0]["start_time"]
    talk = next(s for s in state["segments"] if s["kind"] == "Conversation")
    middle = ((talk["start_ms"] + talk["end_ms"]) / 2 - start) / 1000
    page.evaluate(f"document.querySelector('audio').currentTime = {middle}")
    playing = page.locator(".segment-list li.playing")
    expect(playing).to_have_count(1)
    expect(playing.locator("a")).to_have_attribute("data-segment", talk["segment_id"])
    expect(player.locator(f'.marker.playing[data-segment="{talk["segment_id"]}"]')).to_have_count(1)
    # Past the end of the call no segment is playing.
    page.evaluate("document.querySelector('audio').currentTime = 28")
    expect(page.locator(".segment-list li.playing")).to_have_count(0)
    screenshot(page, "player-segment-highlight")


def test_app_js_loads_once_and_the_talk_analysis_is_audited_once(
    page: Page, scene: Scene, reviewer: Any
) -> None:
    """Modules importing "./app.js" share the page's own "/static/app.js?v=…" (an import map),
    so its start-up runs once; polling a pending analysis writes no audit record, and the
    answer that carries the analysis writes one."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    player = _open(page, scene, reviewer)
    expect(player.locator(".band").first).to_be_attached(timeout=60_000)
    scripts = [u for u in requested if urlsplit(u).path == "/static/app.js"]
    assert len(scripts) == 1 and "?v=" in scripts[0], scripts
    modules = [u for u in requested if urlsplit(u).path.endswith(".js")]
    assert len(modules) == len({urlsplit(u).path for u in modules}), modules
    asked = [u for u in requested if "/api/v1/media/analysis" in u]
    records = [r for r in audit_of(scene.server, reviewer.sid) if r["action"] == "media.analysis"]
    assert len(asked) >= 1
    assert [r["detail"]["status"] for r in records] == ["done"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_pending_analysis_is_not_audited_per_poll(scene: Scene, reviewer: Any) -> None:
    """Asked again and again while a new recording's analysis is pending, the API records
    nothing until it answers with the analysis, and then once per answer."""
    host = MediaServer(files={"fresh.wav": audio.wav(6.0)})
    try:
        handled = scene.shop.handle(
            {
                "type": "call",
                "conversations": {
                    "conversation_id": "player-fresh",
                    "media": [{"type": "VoiceRecording", "url": host.url("/audio/fresh.wav")}],
                },
            }
        )
        segment = wait_for(
            lambda: _conversation_segment(scene, "player-fresh"), "player-fresh projected", 20
        )
        reviewer.login()
        statuses = []

        def settled() -> bool | None:
            answer = reviewer.get("/api/v1/media/analysis", segment_id=segment, index=0)
            assert answer.status_code == 200, answer.text
            statuses.append(answer.json()["status"])
            return statuses[-1] in ("done", "failed") or None

        wait_for(settled, "analysis done", timeout=60)
        records = [
            r
            for r in audit_of(scene.server, reviewer.sid)
            if r["action"] == "media.analysis" and r["detail"]["conversation_id"] == "player-fresh"
        ]
        assert [r["detail"]["status"] for r in records] == [statuses[-1]], statuses
        del handled
    finally:
        host.stop()


def _conversation_segment(scene: Scene, conversation: str) -> str | None:
    response = httpx.get(
        f"{scene.server.base_url}/api/v1/insights/conversations/{conversation}",
        auth=scene.shop.auth,
        timeout=30,
    )
    if response.status_code != 200:
        return None
    found = [s for s in response.json()["segments"] if s["kind"] == "Conversation"]
    return found[0]["segment_id"] if found else None
