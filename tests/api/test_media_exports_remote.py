"""Remote recordings in a media export: fetched through the outbound fetcher when the
deployment allows their host (a local media server here), listed as failed when it answers
404; and an export not downloaded expires, its file deleted."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.helpers_recordings import Tenant, tenant
from tests.support import audio
from tests.support.media_server import MediaServer
from tests.support.server import OffsetClock, start_server
from tests.support.waiting import wait_for

EXPORTS = "/api/v1/insights/exports"
WAV = audio.wav(2.0)


@pytest.fixture(scope="module")
def host() -> Iterator[MediaServer]:
    server = MediaServer(files={"call.wav": WAV})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, clock: OffsetClock) -> Iterator[Tenant]:
    running = start_server(
        tmp_path_factory.mktemp("exports-remote"), None, clock, media_fetch_allow="127.0.0.1"
    )
    try:
        yield tenant(running, "exports-remote")
    finally:
        running.stop()


def _conversation(t: Tenant, name: str, media: list[dict[str, Any]]) -> None:
    t.handle({"type": "call", "conversations": {"conversation_id": name, "media": media}})

    def projected() -> bool:
        answer = httpx.get(
            f"{t.server.base_url}/api/v1/insights/conversations/{name}", auth=t.auth, timeout=30
        )
        return answer.status_code == 200 and any(
            s["kind"] == "Conversation" for s in answer.json()["segments"]
        )

    wait_for(projected, f"{name} projected")


def _ready(t: Tenant, ids: list[str]) -> dict[str, Any]:
    base = t.server.base_url
    answer = httpx.post(f"{base}{EXPORTS}", json={"conversation_ids": ids}, auth=t.auth)
    assert answer.status_code == 202, answer.text

    def probe() -> dict[str, Any] | None:
        body = httpx.get(f"{base}{answer.json()['url']}", auth=t.auth, timeout=30).json()
        return body if body["status"] == "ready" else None

    return wait_for(probe, "the export ready", timeout=60)


def test_remote_recordings_are_fetched_and_a_missing_one_is_listed(
    shop: Tenant, host: MediaServer
) -> None:
    _conversation(
        shop,
        "remote-call",
        [
            {"type": "VoiceRecording", "url": host.url("/audio/call.wav"), "title": "Call"},
            {"type": "VoiceRecording", "url": host.url("/audio/gone.wav"), "title": "Gone"},
        ],
    )
    ready = _ready(shop, ["remote-call"])
    answer = httpx.get(f"{shop.server.base_url}{ready['download_url']}", auth=shop.auth)
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    rows = {
        r["title"]: r for r in csv.DictReader(io.StringIO(archive.read("manifest.csv").decode()))
    }
    assert rows["Call"]["status"] == "exported"
    assert archive.read(rows["Call"]["file"]) == WAV
    assert rows["Gone"]["status"] == "failed" and rows["Gone"]["reason"]
    assert ready["failed_items"] == 1


def test_an_export_not_downloaded_expires_and_its_file_goes(
    shop: Tenant, host: MediaServer, clock: OffsetClock
) -> None:
    _conversation(
        shop, "remote-later", [{"type": "VoiceRecording", "url": host.url("/audio/call.wav")}]
    )
    ready = _ready(shop, ["remote-later"])
    stored = shop.server.runtime.settings.data_dir / "exports" / f"{ready['id']}.zip"
    assert stored.exists()
    clock.advance_days(1.5)
    base = shop.server.base_url

    def expired() -> bool:
        body = httpx.get(f"{base}{ready['url']}", auth=shop.auth, timeout=30).json()
        return body["status"] == "expired"

    wait_for(expired, "the export expired", timeout=30)
    assert not stored.exists()
    answer = httpx.get(f"{base}{ready['download_url']}", auth=shop.auth, timeout=30)
    assert answer.status_code == 410
