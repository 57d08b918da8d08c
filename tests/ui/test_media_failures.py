"""Media that cannot be opened, in Chromium: a recording on a host that cannot be reached is
tried at most three times with pauses between, each try is one link and one audit record, and
the screen says what happened in words (role="alert"); the same for a host answering 404, a
file that is not audio, pages (Embedded, Referenced, Raw) whose host is down, a transcript not
held here, and a Raw link a plug-in would open."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.api.helpers_recordings import Tenant, tenant
from tests.support.media_server import MediaServer
from tests.support.people import audit_of, person
from tests.support.server import RunningServer
from tests.support.waiting import wait_for
from tests.ui.conftest import screenshot
from tests.ui.test_reporting_ui import sign_in, wait_js

NO_TIME = "\u2013:\u2013\u2013 / \u2013:\u2013\u2013"  # no position or length known


def _closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused, as to a host that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Scene:
    server: RunningServer
    shop: Tenant
    host: MediaServer
    down: str
    segments: dict[str, str] = field(default_factory=dict)


def _main_segment(scene: Scene, conversation: str) -> str:
    def probe() -> str | None:
        response = httpx.get(
            f"{scene.server.base_url}/api/v1/insights/conversations/{conversation}",
            auth=scene.shop.auth,
            timeout=30,
        )
        if response.status_code != 200:
            return None
        found = [s for s in response.json()["segments"] if s["kind"] == "Conversation"]
        return found[-1]["segment_id"] if found else None

    return wait_for(probe, f"{conversation} projected", timeout=20)


@pytest.fixture(scope="module")
def scene(ui_server: RunningServer) -> Iterator[Scene]:
    shop = tenant(ui_server, "failing-media")
    host = MediaServer(files={"not-audio.wav": b"<html>this is a web page, not a recording</html>"})
    down = f"http://127.0.0.1:{_closed_port()}"
    built = Scene(ui_server, shop, host, down)

    def handle(conversation: str, media: list[dict[str, Any]], **extra: Any) -> None:
        shop.handle(
            {
                "type": "call",
                "conversations": {"conversation_id": conversation, "media": media},
                **extra,
            }
        )

    handle("down-call", [{"type": "VoiceRecording", "url": f"{down}/call.wav", "title": "Call"}])
    handle("gone-call", [{"type": "VoiceRecording", "url": host.url("/status/404")}])
    handle("odd-call", [{"type": "VoiceRecording", "url": host.url("/audio/not-audio.wav")}])
    handle(
        "down-pages",
        [
            {"type": "Embedded", "url": f"{down}/crm.html", "title": "CRM"},
            {"type": "Referenced", "url": f"{down}/ticket.html", "title": "Ticket"},
        ],
    )
    handle("down-raw", [{"type": "Raw", "url": f"{down}/qa.html", "title": "QA tool"}])
    handle("lost-chat", [], channelSid="CH" + "0" * 32)
    names = ("down-call", "gone-call", "odd-call", "down-pages", "down-raw", "lost-chat")
    for conversation in names:
        built.segments[conversation] = _main_segment(built, conversation)
    try:
        yield built
    finally:
        host.stop()


@pytest.fixture
def reviewer(scene: Scene) -> Any:
    return person(scene.server, scene.shop.account.sid, ("wfo.full_access",), login=False)


def _records(scene: Scene, who: Any, object_id: str) -> list[dict[str, Any]]:
    return [r for r in audit_of(scene.server, who.sid) if r["object_id"] == object_id]


# The page's longest pause between tries (player.js PAUSES_MS), and room for a try's requests.
_RETRY_WINDOW_MS = 2500 + 1000


def _plays(scene: Scene, who: Any, object_id: str) -> list[dict[str, Any]]:
    return [r for r in _records(scene, who, object_id) if r["action"] == "media.play"]


def _past_the_retry_window(page: Page) -> None:
    """Return once the page's own timers have passed its longest pause between tries.

    A timer set now fires after every retry timer the page set before with a shorter pause, so
    a try that was still to come has been made (and audited) when this returns.
    """
    page.evaluate("(ms) => new Promise((done) => setTimeout(done, ms))", _RETRY_WINDOW_MS)


def test_a_recording_whose_host_is_down_is_tried_three_times_then_explained(
    page: Page, scene: Scene, reviewer: Any
) -> None:
    segment = scene.segments["down-call"]
    sign_in(page, scene, reviewer, "/conversations/down-call")
    player = page.get_by_test_id("player")
    alert = player.get_by_role("alert")
    expect(alert).to_have_text(
        "Recording unavailable: the host could not be reached", timeout=20_000
    )
    screenshot(page, "media-failure-recording")
    # Nothing is tried after giving up: the three tries are audited, and still three once the
    # page's timers have passed its longest pause between tries.
    wait_for(lambda: len(_plays(scene, reviewer, f"{segment}/0")) >= 3, "three tries audited")
    _past_the_retry_window(page)
    records = _records(scene, reviewer, f"{segment}/0")
    links = [r for r in records if r["action"] == "media.link"]
    plays = [r for r in records if r["action"] == "media.play"]
    assert len(links) == 3, records
    assert len(plays) == 3 and {r["outcome"] for r in plays} == {"failed"}, plays
    # The pauses between tries grow (back-off), measured from the audit records' own times.
    # (Lower bounds only: each try waits at least its pause after the one before.)
    first, second, third = (r["at_ms"] for r in plays)
    assert second - first >= 1000 and third - second >= 2500
    # The person is told why, not where: the recording's location stays on the server.
    assert "127.0.0.1" not in alert.inner_text()
    # The controls are labelled and say they cannot be used; the analysis is not waited for.
    expect(player.get_by_role("button", name="Play")).to_be_disabled()
    expect(player.get_by_label("Position")).to_be_disabled()
    expect(player.locator(".time")).to_have_text(NO_TIME)
    expect(player.locator(".analysis-note")).not_to_contain_text("Analysing")
    # Trying again is the person's choice, and is three tries more at most.
    player.get_by_role("button", name="Try again").click()
    expect(alert).to_have_text(
        "Recording unavailable: the host could not be reached", timeout=20_000
    )
    wait_js(page, "!!document.querySelector('.player [role=alert]')")
    wait_for(lambda: len(_plays(scene, reviewer, f"{segment}/0")) >= 6, "three more tries")
    _past_the_retry_window(page)
    assert len(_plays(scene, reviewer, f"{segment}/0")) == 6
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_host_answering_not_found_is_not_asked_again(
    page: Page, scene: Scene, reviewer: Any
) -> None:
    segment = scene.segments["gone-call"]
    sign_in(page, scene, reviewer, "/conversations/gone-call")
    expect(page.get_by_role("alert")).to_have_text(
        "Recording unavailable: the host answered HTTP 404", timeout=20_000
    )
    wait_for(lambda: _plays(scene, reviewer, f"{segment}/0"), "the one try audited")
    _past_the_retry_window(page)
    plays = _plays(scene, reviewer, f"{segment}/0")
    assert [r["outcome"] for r in plays] == ["failed"]


def test_a_file_that_is_not_audio_is_said_to_be_so(page: Page, scene: Scene, reviewer: Any) -> None:
    sign_in(page, scene, reviewer, "/conversations/odd-call")
    expect(page.get_by_role("alert")).to_have_text(
        "Recording unavailable: the file is not audio this browser can play", timeout=20_000
    )
    screenshot(page, "media-failure-not-audio")


def test_pages_whose_host_is_down_are_explained_and_still_offered(
    page: Page, scene: Scene, reviewer: Any
) -> None:
    segment = scene.segments["down-pages"]
    sign_in(page, scene, reviewer, "/conversations/down-pages")
    expect(page.get_by_role("alert")).to_have_text(
        "Embedded page unavailable: the host could not be reached"
    )
    expect(page.get_by_test_id("embedded")).to_have_count(0)
    expect(page.get_by_role("button", name="Open CRM anyway")).to_be_visible()
    screenshot(page, "media-failure-embedded")
    page.get_by_role("tab", name="Ticket").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Linked page unavailable: the host could not be reached"
    )
    links = [r for r in _records(scene, reviewer, f"{segment}/1") if r["action"] == "media.link"]
    assert len(links) == 1
    assert links[0]["detail"]["unavailable"] == "the host could not be reached"


def test_a_raw_first_link_whose_host_is_down_opens_the_screen_instead(
    page: Page, scene: Scene, reviewer: Any
) -> None:
    sign_in(page, scene, reviewer)
    page.goto(f"{scene.server.base_url}/conversations")
    page.locator('a.drill[data-conversation="down-raw"]').click()
    page.wait_for_url("**/conversations/down-raw?segment=SG*")
    expect(page.get_by_role("alert")).to_have_text(
        "External page unavailable: the host could not be reached"
    )
    assert len(page.context.pages) == 1  # no tab opened on the browser's own error page
    # A plug-in taking over the drill-down is told, when the person opens it anyway.
    page.evaluate(
        """window.__seen = [];
        window.Actions.replaceAction('HistoricalReportingView', async (url, original, context) => {
          window.__seen.push(context || {});
          return 'kept';
        });"""
    )
    page.get_by_role("button", name="Open QA tool anyway").click()
    wait_js(page, "window.__seen.length === 1")
    seen = page.evaluate("window.__seen[0]")
    assert seen["unavailable"] == "the host could not be reached" and seen["type"] == "Raw"


def test_a_transcript_not_held_here_is_explained(page: Page, scene: Scene, reviewer: Any) -> None:
    sign_in(page, scene, reviewer, "/conversations/lost-chat")
    expect(page.get_by_role("alert")).to_have_text(
        "Transcript unavailable: Hindsight holds no transcript for this chat"
    )
