"""The demo works with no network: `hindsight demo` loads a day, then a server on its data opens
every media item of every conversation (recordings, transcripts, Embedded, Referenced and Raw
pages) with name resolution refused to anything but this machine, and a browser whose every
request off the server's own origin is blocked shows one of each. Nothing stored names the
demo's temporary server (no host with a port) or a host on the internet."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.cli.test_cli import _env, _hindsight
from tests.support.people import PASSWORD, Person, person
from tests.support.server import RunningServer, start_server
from tests.ui.conftest import screenshot
from tests.ui.test_reporting_ui import wait_js

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(scope="module")
def looked_up() -> Iterator[list[str]]:
    """Name resolution in this process (where the server runs) refuses every other host, and
    records what was asked for: any outside host the server tried to reach is a failure."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOOPBACK:
            asked.append(name)
            raise socket.gaierror(socket.EAI_NONAME, "the network is blocked in this test")
        return real(host, *args, **kwargs)

    socket.getaddrinfo = loopback_only  # type: ignore[assignment]
    try:
        yield asked
    finally:
        socket.getaddrinfo = real  # type: ignore[assignment]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("demo-offline") / "data"
    env = _env(data_dir)
    created = _hindsight("accounts", "create", "Demo", env=env)
    assert created.returncode == 0, created.stderr
    loaded = _hindsight("demo", "--days", "1", "--seed", "11", "--recordings", "2", env=env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    return data_dir


@pytest.fixture(scope="module")
def demo_server(demo_dir: Path, looked_up: list[str]) -> Iterator[RunningServer]:
    running = start_server(demo_dir, None)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def reviewer(demo_server: RunningServer) -> Person:
    account = demo_server.runtime.services.accounts.list_accounts()[0].sid
    return person(demo_server, account, ("wfo.full_access",), name="offline")


def _segments_with_media(data_dir: Path) -> list[tuple[str, str, list[dict[str, Any]]]]:
    db = sqlite3.connect(data_dir / "hindsight.db")
    try:
        rows = db.execute("select conversation_id, segment_id, media from segments").fetchall()
    finally:
        db.close()
    return [(c, s, json.loads(m)) for c, s, m in rows if m and json.loads(m)]


def test_nothing_stored_names_a_port_or_an_outside_host(demo_dir: Path) -> None:
    items = [item for _c, _s, media in _segments_with_media(demo_dir) for item in media]
    assert {i["type"] for i in items} == {
        "VoiceRecording",
        "ChatTranscript",
        "Embedded",
        "Referenced",
        "Raw",
    }
    urls = [i["url"] for i in items if i.get("url")]
    assert urls and all(u.startswith("https://hindsight.invalid/") for u in urls), urls[:5]
    db = sqlite3.connect(demo_dir / "hindsight.db")
    try:
        attributes = " ".join(a for (a,) in db.execute("select attributes from tasks") if a)
    finally:
        db.close()
    assert not re.search(r"https?://[^/\s\"]+:\d+", attributes)
    assert "example.org" not in attributes


def _open(reviewer: Person, segment: str, index: int) -> tuple[str, Any]:
    minted = reviewer.post("/api/v1/media/links", {"segment_id": segment, "index": index})
    assert minted.status_code == 201, minted.text
    link = minted.json()
    assert link["unavailable"] is None, link
    return link["type"], reviewer.http.get(link["url"], headers={"Range": "bytes=0-99"})


def test_every_media_item_opens_with_the_network_blocked(
    demo_dir: Path, reviewer: Person, looked_up: list[str]
) -> None:
    opened: dict[str, int] = {}
    for conversation, segment, media in _segments_with_media(demo_dir):
        for item in media:
            kind, answer = _open(reviewer, segment, item["index"])
            where = f"{conversation} {segment}/{item['index']} {kind}"
            if kind == "VoiceRecording":
                assert answer.status_code == 206, where
                assert answer.headers["content-type"].startswith("audio/"), where
            elif kind == "ChatTranscript":
                assert answer.status_code == 200, where
                assert answer.json()["messages"], where
            else:
                assert answer.status_code == 302, where
                page = reviewer.http.get(answer.headers["location"])
                assert answer.headers["location"].startswith("/demo/pages/"), where
                assert page.status_code == 200 and 'id="stand-in"' in page.text, where
            opened[kind] = opened.get(kind, 0) + 1
    assert set(opened) == {"VoiceRecording", "ChatTranscript", "Embedded", "Referenced", "Raw"}
    assert looked_up == []


@pytest.fixture
def offline_page(browser: Browser, demo_server: RunningServer) -> Iterator[Page]:
    """A browser page whose requests anywhere but the demo server are refused (and listed)."""
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    blocked: list[str] = []

    def gate(route: Route) -> None:
        if route.request.url.startswith(demo_server.base_url + "/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", gate)
    page = context.new_page()
    page.blocked = blocked  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


def _conversation_with(demo_dir: Path, kind: str) -> tuple[str, str, int]:
    for conversation, segment, media in _segments_with_media(demo_dir):
        for item in media:
            if item["type"] == kind:
                return conversation, segment, item["index"]
    raise AssertionError(f"the demo has no {kind}")


def _sign_in(page: Page, server: RunningServer, who: Person, path: str) -> None:
    page.goto(f"{server.base_url}{path}")
    page.get_by_label("User name").fill(who.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path.split('?')[0]}**")


def test_one_of_each_media_type_shows_in_a_browser_with_no_network(
    offline_page: Page, demo_dir: Path, demo_server: RunningServer, reviewer: Person
) -> None:
    page = offline_page
    conversation, segment, index = _conversation_with(demo_dir, "VoiceRecording")
    _sign_in(page, demo_server, reviewer, f"/conversations/{conversation}?segment={segment}")
    page.locator(f'.media-tab[data-index="{index}"]').click()
    player = page.get_by_test_id("player")
    player.get_by_role("button", name="Play").click()
    wait_js(page, "document.querySelector('audio').currentTime > 0.3", 20_000)
    assert page.evaluate("document.querySelector('audio').duration") > 20
    screenshot(page, "demo-offline-recording")

    conversation, segment, index = _conversation_with(demo_dir, "ChatTranscript")
    page.goto(f"{demo_server.base_url}/conversations/{conversation}?segment={segment}")
    page.locator(f'.media-tab[data-index="{index}"]').click()
    expect(page.get_by_test_id("transcript").locator(".message").first).to_be_visible()

    conversation, segment, index = _conversation_with(demo_dir, "Embedded")
    page.goto(f"{demo_server.base_url}/conversations/{conversation}?segment={segment}")
    page.locator(f'.media-tab[data-index="{index}"]').click()
    frame = page.frame_locator("iframe[data-testid=embedded]")
    expect(frame.locator("#stand-in")).to_contain_text("Customer record")
    screenshot(page, "demo-offline-embedded")

    for kind in ("Referenced", "Raw"):
        conversation, segment, index = _conversation_with(demo_dir, kind)
        page.goto(f"{demo_server.base_url}/conversations/{conversation}?segment={segment}")
        page.locator(f'.media-tab[data-index="{index}"]').click()
        with page.context.expect_page() as opened:
            page.locator("#media-view button.open-link").click()
        expect(opened.value.locator("#stand-in")).to_be_visible()
        opened.value.close()
    assert page.blocked == []  # type: ignore[attr-defined]
    assert page.get_by_role("alert").count() == 0
