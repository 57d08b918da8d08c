"""The historical-reporting UI in Chromium: sign in, filter, drill down, play, read, embed,
plug-ins taking over the drill-down, Raw-first links, scope, and escaping of everything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from hindsight.domain.access import Scope
from tests.api.helpers_chat import conversations
from tests.api.helpers_recordings import Handled, Tenant, tenant
from tests.support import audio
from tests.support.media_server import MediaServer
from tests.support.people import PASSWORD, audit_of, person
from tests.support.server import RunningServer
from tests.support.waiting import wait_for
from tests.ui.conftest import ThirdParty, screenshot

TIMES = "\u00d7"  # the speed buttons read 0.5x, 1x, ... with a multiplication sign
XSS = '<img src=x onerror="window.__xss=1">"><script>window.__xss=2</script>'


@dataclass
class Scene:
    server: RunningServer
    shop: Tenant
    third_party: ThirdParty
    ids: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, Handled] = field(default_factory=dict)
    wav: bytes = b""
    media_host: MediaServer | None = None


def _projected(scene: Scene, conversation: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        response = httpx.get(
            f"{scene.server.base_url}/api/v1/insights/conversations/{conversation}",
            auth=scene.shop.auth,
            timeout=30,
        )
        if response.status_code != 200:
            return None
        body = response.json()
        return body if any(s["kind"] == "Conversation" for s in body["segments"]) else None

    return wait_for(probe, f"{conversation} projected", timeout=20)


@pytest.fixture(scope="module")
def scene(ui_server: RunningServer, third_party: ThirdParty) -> Scene:
    shop = tenant(ui_server, "ui-shop")
    built = Scene(ui_server, shop, third_party)
    tp = third_party.base_url

    def handle(conversation: str, team: str, **extra: Any) -> Handled:
        attributes = {
            "type": "call",
            "conversations": {
                "conversation_id": conversation,
                "handling_team_name": team,
                **extra.pop("conversations", {}),
            },
            **extra,
        }
        handled = shop.handle(attributes)
        built.tasks[conversation] = handled
        return handled

    # A call with a recording Hindsight holds (4 s stereo WAV), in team A.
    built.wav = audio.wav(4.0)
    call = handle("ui-call", "Team A", conversations={"outcome": "resolved"})
    shop.created(built.wav, task_sid=call.task_sid, title="Call recording")
    # A chat with a transcript Hindsight holds, its messages carrying markup.
    chat = conversations(shop.floor.client).create(friendly_name="Web chat")
    for author, body in (("visitor", "Hello, my order is late"), ("alice", XSS)):
        conversations(shop.floor.client)(chat.sid).messages.create(author=author, body=body)
    handle("ui-chat", "Team A", channelSid=chat.sid)
    # Embedded pages (one that may be framed, one that refuses) and a link.
    handle(
        "ui-embed",
        "Team A",
        conversations={
            "media": [
                {"type": "Embedded", "url": f"{tp}/embedded.html", "title": "CRM record"},
                {"type": "Embedded", "url": f"{tp}/deny.html", "title": "Refuses frames"},
                {"type": "Referenced", "url": f"{tp}/raw.html", "title": "Ticket"},
            ]
        },
    )
    # Raw first: drilling in opens the raw page instead of the conversation screen.
    handle(
        "ui-raw",
        "Team A",
        conversations={"media": [{"type": "Raw", "url": f"{tp}/raw.html", "title": "QA tool"}]},
    )
    # A call whose recording is on another host (a local web server here), played through
    # Hindsight's broker.
    built.media_host = MediaServer(files={"remote.wav": audio.wav(4.0)})
    handle(
        "ui-remote",
        "Team A",
        conversations={
            "media": [
                {
                    "type": "VoiceRecording",
                    "url": built.media_host.url("/audio/remote.wav"),
                    "title": "Remote recording",
                }
            ]
        },
    )
    # Another team's conversation, and one full of markup in every text field.
    handle("ui-other-team", "Team B")
    handle(
        "ui-xss",
        "Team A",
        conversations={
            "outcome": XSS,
            "conversation_attribute_1": XSS,
            "media": [{"type": "Referenced", "url": f"{tp}/raw.html", "title": XSS}],
        },
        customers={"name": XSS},
    )
    for conversation in built.tasks:
        _projected(built, conversation)
    return built


@pytest.fixture(scope="module", autouse=True)
def _stop_media_host(scene: Scene) -> Iterator[None]:
    yield
    if scene.media_host is not None:
        scene.media_host.stop()


@pytest.fixture(scope="module")
def people(scene: Scene) -> dict[str, Any]:
    account = scene.shop.account.sid
    return {
        "lead": person(scene.server, account, ("wfo.full_access",), name="lead", login=False),
        "scoped": person(
            scene.server,
            account,
            ("wfo.team_leader",),
            name="team-a",
            scope=Scope(teams=("Team A",)),
            login=False,
        ),
        "admin": person(scene.server, account, ("admin",), name="admin", login=False),
    }


def sign_in(page: Page, scene: Scene, who: Any, next_path: str = "/conversations") -> None:
    page.goto(f"{scene.server.base_url}{next_path}")
    expect(page).to_have_url(f"{scene.server.base_url}/login?next=" + _quoted(next_path))
    page.get_by_label("User name").fill(who.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{next_path.split('?')[0]}**")


def _quoted(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")


def wait_js(page: Page, expression: str, timeout_ms: int = 10_000) -> None:
    """Poll a JavaScript expression until it is true. (Playwright's wait_for_function evaluates
    strings in the page, which the pages' CSP rightly forbids; evaluate() goes through the
    debugger protocol instead.)"""
    wait_for(lambda: page.evaluate(expression), expression, timeout_ms / 1000, interval=0.1)


def _row(page: Page, conversation: str) -> Any:
    return page.locator(f'a.drill[data-conversation="{conversation}"]')


# --- signing in, searching, drilling down ---------------------------------------------------


def test_sign_in_search_filter_and_drill_down(page: Page, scene: Scene, people: Any) -> None:
    page.goto(f"{scene.server.base_url}/login")
    page.get_by_label("User name").fill(people["lead"].username)
    page.get_by_label("Password").fill("wrong password entirely")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    screenshot(page, "login-refused")

    sign_in(page, scene, people["lead"])
    for conversation in ("ui-call", "ui-chat", "ui-other-team"):
        expect(_row(page, conversation)).to_be_visible()
    screenshot(page, "conversations")

    page.get_by_label("Search", exact=True).fill("resolved")
    page.get_by_role("button", name="Search").click()
    expect(_row(page, "ui-call")).to_be_visible()
    expect(_row(page, "ui-chat")).to_have_count(0)
    screenshot(page, "conversations-filtered")

    _row(page, "ui-call").click()
    page.wait_for_url("**/conversations/ui-call?segment=SG*")
    expect(page.get_by_role("heading", name="Conversation ui-call")).to_be_visible()
    expect(page.locator(".segment-list li")).to_have_count(2)
    assert page.errors == []  # type: ignore[attr-defined]


def test_play_a_held_recording_and_the_position_advances(
    page: Page, scene: Scene, people: Any
) -> None:
    sign_in(page, scene, people["lead"], "/conversations/ui-call")
    player = page.get_by_test_id("player")
    expect(player).to_be_visible()
    expect(player.locator(".channels")).to_contain_text("Left channel: customer")
    player.get_by_role("button", name="Play").click()
    wait_js(page, "document.querySelector('audio').currentTime > 0.5", 15_000)
    player.get_by_role("button", name="2" + TIMES).click()
    assert page.evaluate("document.querySelector('audio').playbackRate") == 2
    expect(player.get_by_role("button", name="2" + TIMES)).to_have_attribute("aria-pressed", "true")
    link = player.get_by_label("Link to this moment").input_value()
    assert "/conversations/ui-call?segment=SG" in link and "&t=" in link
    screenshot(page, "conversation-player")
    played = [r for r in audit_of(scene.server, people["lead"].sid) if r["action"] == "media.play"]
    assert played and played[-1]["outcome"] == "allowed"
    src = page.evaluate("document.querySelector('audio').src")
    assert "/media/" in src and "recordings" not in src


def test_a_link_to_a_moment_starts_there(page: Page, scene: Scene, people: Any) -> None:
    segment = _projected(scene, "ui-call")["segments"][-1]["segment_id"]
    sign_in(page, scene, people["lead"], f"/conversations/ui-call?segment={segment}&t=2")
    wait_js(page, "document.querySelector('audio')?.currentTime >= 2", 15_000)


def test_open_a_transcript(page: Page, scene: Scene, people: Any) -> None:
    sign_in(page, scene, people["lead"], "/conversations/ui-chat")
    transcript = page.get_by_test_id("transcript")
    expect(transcript.locator(".message")).to_have_count(2)
    expect(transcript.locator(".message").first).to_contain_text("Hello, my order is late")
    expect(transcript.locator(".author").first).to_have_text("visitor")
    expect(transcript.locator(".message").nth(1)).to_contain_text(XSS)  # as text
    screenshot(page, "conversation-transcript")
    assert page.evaluate("window.__xss") is None


def test_embedded_page_in_a_sandboxed_frame_and_a_fallback_when_refused(
    page: Page, scene: Scene, people: Any
) -> None:
    sign_in(page, scene, people["lead"], "/conversations/ui-embed")
    frame = page.get_by_test_id("embedded")
    expect(frame).to_have_attribute(
        "sandbox", "allow-scripts allow-same-origin allow-forms allow-popups"
    )
    expect(page.frame_locator("iframe[data-testid=embedded]").locator("#crm")).to_have_text(
        "CRM record 8812"
    )
    screenshot(page, "conversation-embedded")
    page.get_by_role("tab", name="Refuses frames").click()
    expect(page.locator(".embedded .note")).to_contain_text("does not allow being shown")
    expect(page.get_by_test_id("embedded")).to_have_count(0)
    expect(page.get_by_role("button", name="Open Refuses frames in a new tab")).to_be_visible()


def test_raw_first_opens_the_url_instead_of_the_screen(
    page: Page, scene: Scene, people: Any
) -> None:
    sign_in(page, scene, people["lead"])
    with page.context.expect_page() as opened:
        _row(page, "ui-raw").click()
    raw = opened.value
    raw.wait_for_load_state()
    assert raw.url == f"{scene.third_party.base_url}/raw.html"
    expect(raw.locator("#raw")).to_have_text("QA review")
    assert "/conversations/ui-raw" not in page.url


PLUGIN = """
export function init(hindsight) {
  window.__drilldowns = [];
  hindsight.Actions.replaceAction("HistoricalReporting:view", async (url, original, context) => {
    const seen = context || {};
    window.__drilldowns.push({ url, external: !!seen.external, host: seen.host });
    if (context && context.external && context.host === "127.0.0.1") {
      hindsight.panel.open("Raw in a panel", url);
      return "panel";
    }
    return original(url);
  });
}
"""


@pytest.fixture
def plugin(scene: Scene) -> Iterator[None]:
    path = scene.server.runtime.settings.plugins_dir / "drilldown-spy.js"
    path.write_text(PLUGIN)
    try:
        yield
    finally:
        path.unlink()


def test_a_plugin_replaces_the_drilldown_and_can_call_original(
    page: Page, scene: Scene, people: Any, plugin: None
) -> None:
    sign_in(page, scene, people["lead"])
    wait_js(page, "document.documentElement.dataset.pluginsReady === 'true'")
    _row(page, "ui-call").click()
    page.wait_for_url("**/conversations/ui-call?segment=SG*")  # original() navigated
    # The record of what the plug-in saw is gone with the navigation; check it on the Raw one.
    page.goto(f"{scene.server.base_url}/conversations")
    wait_js(page, "document.documentElement.dataset.pluginsReady === 'true'")
    _row(page, "ui-raw").click()
    expect(page.locator("#plugin-panel")).to_be_visible()
    seen = page.evaluate("window.__drilldowns")
    assert seen[-1]["external"] is True and seen[-1]["host"] == "127.0.0.1"
    assert seen[-1]["url"].startswith(f"{scene.server.base_url}/media/")
    expect(page.frame_locator("#plugin-panel iframe").locator("#raw")).to_have_text("QA review")
    screenshot(page, "plugin-panel")


def test_insights_player_play_by_task_sid_and_its_error(
    page: Page, scene: Scene, people: Any
) -> None:
    sign_in(page, scene, people["lead"])
    task = scene.tasks["ui-call"].task_sid
    failure = page.evaluate(
        "window.Actions.invokeAction('InsightsPlayerPlay', {}).then(() => 'ok', e => e.message)"
    )
    assert "segmentId or a taskSid" in failure
    page.evaluate(f"window.Actions.invokeAction('InsightsPlayer:play', {{taskSid: '{task}'}})")
    page.wait_for_url("**/conversations/ui-call?segment=SG*&play=1")
    wait_js(page, "document.querySelector('audio')?.currentTime > 0.3", 15_000)


def test_a_person_out_of_scope_cannot_reach_the_screen_by_url(
    page: Page, scene: Scene, people: Any
) -> None:
    sign_in(page, scene, people["scoped"])
    expect(_row(page, "ui-call")).to_be_visible()
    expect(_row(page, "ui-other-team")).to_have_count(0)
    response = page.goto(f"{scene.server.base_url}/conversations/ui-other-team")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert "Team B" not in page.content()
    screenshot(page, "out-of-scope")


def test_markup_in_every_text_field_is_shown_as_text(page: Page, scene: Scene, people: Any) -> None:
    sign_in(page, scene, people["lead"])
    page.goto(f"{scene.server.base_url}/conversations?q=onerror")
    expect(_row(page, "ui-xss")).to_be_visible()
    page.goto(f"{scene.server.base_url}/conversations/ui-xss")
    page.locator("details.attributes summary").click()
    expect(page.locator("details.attributes")).to_contain_text(XSS)
    expect(page.locator(".info")).to_contain_text(XSS)  # customer name, outcome
    expect(page.locator(".media-tab").filter(has_text=XSS)).to_be_visible()
    page.goto(f"{scene.server.base_url}/reports?group_by=agent")
    page.wait_for_load_state("networkidle")  # the page's scripts have run
    assert page.evaluate("window.__xss") is None
    assert page.errors == []  # type: ignore[attr-defined]


def test_reports_and_admin_pages(page: Page, scene: Scene, people: Any) -> None:
    sign_in(page, scene, people["admin"], "/reports")
    expect(page.locator(".kpi").first).to_contain_text("Conversations")
    expect(page.locator("svg.bars a")).not_to_have_count(0)
    screenshot(page, "reports")
    page.locator("svg.bars a").first.click()
    page.wait_for_url("**/conversations?*start=*")
    expect(_row(page, "ui-call")).to_be_visible()
    page.goto(f"{scene.server.base_url}/reports?group_by=queue")
    page.get_by_role("link", name="Calls", exact=True).click()
    page.wait_for_url("**/conversations?*queue=Calls*")
    page.goto(f"{scene.server.base_url}/admin")
    expect(page.locator("body")).to_have_attribute("data-admin-ready", "1")
    page.get_by_label("User name", exact=True).fill("new-analyst")
    page.get_by_label("Role", exact=True).select_option("wfo.data_analyst")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#new-user-result")).to_contain_text("Created new-analyst")
    screenshot(page, "admin")
    page.goto(f"{scene.server.base_url}/admin/audit?action=media")
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    screenshot(page, "audit")
    assert json.loads(json.dumps(page.errors)) == []  # type: ignore[attr-defined]


def test_the_hour_of_day_profile_and_the_workspace_chosen(
    page: Page, scene: Scene, people: Any
) -> None:
    """24 bars of the day's hours in the named zone, summed over the period (not a scatter of
    date-hours); with several workspaces a selector narrows the report, kept in the URL."""
    sign_in(page, scene, people["admin"], "/reports")
    expect(page.get_by_label("Workspace")).to_have_count(0)  # one workspace: nothing to choose
    page.get_by_label("Group by").select_option(label="Hour of day")
    page.get_by_label("Time zone (hour of day)").fill("Asia/Kolkata")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/reports?*group_by=hour_of_day*tz=Asia%2FKolkata*")
    expect(page.locator("#volume-title")).to_have_text(
        "Volume by hour of day (Asia/Kolkata), summed over the period"
    )
    expect(page.locator("svg.bars g.bar")).to_have_count(24)
    labels = page.locator("svg.bars text.label").all_text_contents()
    assert labels[0] == "00:00" and labels[23] == "23:00"
    total = int(page.locator(".kpi").first.locator(".kpi-value").text_content() or "0")
    rows = page.locator("table.report tbody tr td:nth-child(2)").all_text_contents()
    assert len(rows) == 24 and sum(int(v) for v in rows) == total > 0
    screenshot(page, "reports-hour-of-day")

    second = scene.shop.floor.client.taskrouter.v1.workspaces.create(friendly_name="Night shift")
    page.goto(f"{scene.server.base_url}/reports?range=all")
    chooser = page.get_by_label("Workspace")
    expect(chooser.locator("option")).to_have_count(3)
    expect(chooser).to_have_value("")  # all workspaces by default
    chooser.select_option(label="Night shift")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/reports?*workspace={second.sid}*")
    expect(page.locator(".kpi").first.locator(".kpi-value")).to_have_text("0")
    expect(page.get_by_label("Workspace")).to_have_value(second.sid)
    screenshot(page, "reports-workspace")
    page.get_by_label("Workspace").select_option(scene.shop.workspace_sid)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/reports?*workspace={scene.shop.workspace_sid}*")
    expect(page.locator(".kpi").first.locator(".kpi-value")).not_to_have_text("0")

    for bad in ("tz=Mars%2FOlympus", "workspace=nope", "group_by=minute"):
        response = page.goto(f"{scene.server.base_url}/reports?{bad}")
        assert response is not None and response.status == 400, bad
        expect(page.locator("main")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_lead_without_admin_rights_gets_no_admin_page(
    page: Page, scene: Scene, people: Any
) -> None:
    sign_in(page, scene, people["lead"])
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    response = page.goto(f"{scene.server.base_url}/admin")
    assert response is not None and response.status == 403


@pytest.fixture
def shipped_plugin(scene: Scene) -> Iterator[None]:
    """The example plug-in the project ships, set up for the local "QA tool" host."""
    source = (Path(__file__).resolve().parents[2] / "plugins" / "raw-panel.js").read_text()
    assert 'const HOSTS = ["qa.example.org"];' in source
    path = scene.server.runtime.settings.plugins_dir / "raw-panel.js"
    path.write_text(source.replace('"qa.example.org"', '"127.0.0.1"'))
    try:
        yield
    finally:
        path.unlink()


def test_the_shipped_example_plugin_opens_raw_links_in_a_panel(
    page: Page, scene: Scene, people: Any, shipped_plugin: None
) -> None:
    sign_in(page, scene, people["lead"])
    wait_js(page, "document.documentElement.dataset.pluginsReady === 'true'")
    _row(page, "ui-raw").click()
    expect(page.locator("#plugin-panel")).to_be_visible()
    expect(page.locator("#plugin-panel-title")).to_have_text("Conversation ui-raw")
    expect(page.frame_locator("#plugin-panel iframe").locator("#raw")).to_have_text("QA review")
    page.get_by_role("button", name="Close").click()
    expect(page.locator("#plugin-panel")).to_be_hidden()
    _row(page, "ui-call").click()  # not a Raw link: the plug-in hands it to original()
    page.wait_for_url("**/conversations/ui-call?segment=SG*")


def test_play_a_recording_served_by_another_host(page: Page, scene: Scene, people: Any) -> None:
    sign_in(page, scene, people["lead"], "/conversations/ui-remote")
    player = page.get_by_test_id("player")
    player.get_by_role("button", name="Play").click()
    wait_js(page, "document.querySelector('audio').currentTime > 0.5", 15_000)
    src = page.evaluate("document.querySelector('audio').src")
    assert "/media/" in src and "remote.wav" not in src
    assert scene.media_host is not None and scene.media_host.hits("/audio/remote.wav") >= 1
    screenshot(page, "conversation-remote-recording")


def test_shareable_links_by_task_and_segment_and_the_attribute_filter(
    page: Page, scene: Scene, people: Any
) -> None:
    sign_in(page, scene, people["lead"])
    task = scene.tasks["ui-call"].task_sid
    page.goto(f"{scene.server.base_url}/tasks/{task}?t=1")
    page.wait_for_url("**/conversations/ui-call?segment=SG*&t=1")
    segment = page.url.split("segment=")[1].split("&")[0]
    page.goto(f"{scene.server.base_url}/segments/{segment}")
    page.wait_for_url(f"**/conversations/ui-call?segment={segment}")
    missing = page.goto(f"{scene.server.base_url}/tasks/WT{'0' * 32}")
    assert missing is not None and missing.status == 404
    page.goto(f"{scene.server.base_url}/conversations")
    page.get_by_label("Attribute", exact=True).fill("outcome")
    page.get_by_label("Attribute value").fill("resolved")
    page.get_by_role("button", name="Search").click()
    expect(_row(page, "ui-call")).to_be_visible()
    expect(_row(page, "ui-chat")).to_have_count(0)


def test_legal_hold_from_the_conversation_and_the_retention_policy_in_admin(
    page: Page, scene: Scene, people: Any
) -> None:
    sign_in(page, scene, people["admin"], "/conversations/ui-call")
    page.get_by_label("Legal hold reason").fill("Matter <b>7</b>")
    page.get_by_role("button", name="Place legal hold").click()
    expect(page.locator("#legal-hold")).to_contain_text("On legal hold")
    expect(page.locator("#legal-hold")).to_contain_text("Matter <b>7</b>")
    screenshot(page, "legal-hold")

    page.goto(f"{scene.server.base_url}/admin")
    expect(page.locator("body")).to_have_attribute("data-admin-ready", "1")
    expect(page.locator("table.holds")).to_contain_text("ui-call")
    page.get_by_label("Conversations (days)").fill("400")
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator("#retention-result")).to_have_text("Policy saved.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#retention-result")).to_contain_text("Would delete 0 conversations")
    expect(page.locator("#retention-result")).to_contain_text("1 on hold kept")
    screenshot(page, "retention")
    page.reload()
    expect(page.get_by_label("Conversations (days)")).to_have_value("400")
    expect(page.locator("table.runs")).to_contain_text("(preview)")
    page.locator("button[data-release='ui-call']").click()
    expect(page.locator("table.holds")).to_have_count(0)
    page.get_by_label("Conversations (days)").fill("")
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator("#retention-result")).to_have_text("Policy saved.")
    assert json.loads(json.dumps(page.errors)) == []  # type: ignore[attr-defined]


def test_people_who_cannot_manage_retention_see_no_hold_controls(
    page: Page, scene: Scene, people: Any
) -> None:
    sign_in(page, scene, people["lead"], "/conversations/ui-call")
    expect(page.locator("h1")).to_contain_text("ui-call")
    expect(page.locator("#legal-hold")).to_have_count(0)
