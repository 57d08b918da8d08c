"""Browser tests: Debian's Chromium driven by Playwright against a real server, a "third-party"
web server on localhost for embedded pages and raw links, and screenshots of every page."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.server import RunningServer, start_server

CHROMIUM = os.environ.get("HINDSIGHT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PAGES = {
    "/embedded.html": (b"<!doctype html><title>CRM</title><h1 id='crm'>CRM record 8812</h1>", {}),
    "/deny.html": (
        b"<!doctype html><title>No frames</title><h1>Not in a frame</h1>",
        {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"},
    ),
    "/raw.html": (b"<!doctype html><title>QA tool</title><h1 id='raw'>QA review</h1>", {}),
}


class _ThirdParty(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        body, headers = PAGES.get(path, (b"not here", {}))
        self.send_response(200 if path in PAGES else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *_args: object) -> None:
        pass


@dataclass
class ThirdParty:
    base_url: str


@pytest.fixture(scope="session")
def third_party() -> Iterator[ThirdParty]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ThirdParty)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ThirdParty(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()


# Per module, not per session: while Playwright's sync API is open it holds an event loop
# running in this thread, and every later test of the same xdist worker that calls
# asyncio.run() (the store and service tests) would fail with "cannot be called from a
# running event loop" whenever the scheduler gave that worker a browser test first.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: scripts/test installs it (apt-get)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def ui_server(
    tmp_path_factory: pytest.TempPathFactory, third_party: ThirdParty
) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("ui")
    plugins = data_dir / "plugins"
    plugins.mkdir()
    running = start_server(
        data_dir,
        None,
        plugins_dir=plugins,
        rate_limit_login_per_minute=0,
        media_fetch_allow_private=True,
        frame_origins=third_party.base_url,
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.errors = errors  # type: ignore[attr-defined]
    try:
        yield opened
    finally:
        context.close()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
