"""In Chromium: a recording kept in an S3 bucket whose store is down, or whose encrypted bytes
were altered, is explained on the screen in words (role="alert"), never played as noise, and
each try is in the audit trail as a failure."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.api.helpers_recordings import Tenant, tenant
from tests.api.test_recordings_in_conversations import by_kind, detail
from tests.support import audio
from tests.support.people import audit_of, person
from tests.support.s3_server import FaultyProxy, S3Server
from tests.support.server import RunningServer, start_server
from tests.ui.test_reporting_ui import sign_in


@dataclass
class Scene:
    server: RunningServer
    shop: Tenant
    proxy: FaultyProxy
    s3: S3Server
    bucket: str


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server) -> Iterator[Scene]:
    bucket = s3_server.create_bucket(f"ui-{secrets.token_hex(6)}")
    proxy = FaultyProxy(s3_server.port)
    data_dir: Path = tmp_path_factory.mktemp("ui-s3")
    server = start_server(
        data_dir,
        None,
        rate_limit_login_per_minute=0,
        media_store="s3",
        s3_endpoint_url=proxy.endpoint,
        s3_bucket=bucket,
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key=s3_server.secret_key,
        s3_path_style=True,
        media_encryption=True,
        run_media_analysis=False,
    )
    try:
        yield Scene(server, tenant(server, "ui-s3"), proxy, s3_server, bucket)
    finally:
        server.stop()
        proxy.stop()


def _conversation(scene: Scene, name: str) -> tuple[str, str]:
    """A call with a held recording; (recording SID, main segment id)."""
    handled = scene.shop.handle({"type": "call", "conversations": {"conversation_id": name}})
    held = scene.shop.created(audio.wav(2.0), task_sid=handled.task_sid)
    segment = by_kind(detail(scene.shop, name), "Conversation")["segment_id"]
    return held["sid"], segment


def _plays(scene: Scene, who: Any, segment: str) -> list[dict[str, Any]]:
    return [
        r
        for r in audit_of(scene.server, who.sid)
        if r["object_id"] == f"{segment}/0" and r["action"] == "media.play"
    ]


def test_a_store_that_is_down_is_said_in_words(page: Page, scene: Scene) -> None:
    _, segment = _conversation(scene, "ui-s3-down")
    reviewer = person(scene.server, scene.shop.account.sid, ("wfo.full_access",), login=False)
    scene.proxy.faults.mode = "down"
    try:
        sign_in(page, scene, reviewer, "/conversations/ui-s3-down")
        alert = page.get_by_test_id("player").get_by_role("alert")
        expect(alert).to_have_text(
            "Recording unavailable: the media store could not be reached", timeout=30_000
        )
    finally:
        scene.proxy.faults.mode = "pass"
    plays = _plays(scene, reviewer, segment)
    assert plays and {r["outcome"] for r in plays} == {"failed"}
    assert page.errors == []  # type: ignore[attr-defined]


def test_an_altered_recording_is_refused_in_words(page: Page, scene: Scene) -> None:
    sid, segment = _conversation(scene, "ui-s3-altered")
    key = f"{scene.shop.account.sid}/{sid}"
    client = scene.s3.client()
    stored = bytearray(client.get_object(Bucket=scene.bucket, Key=key)["Body"].read())
    stored[500] ^= 0x55
    client.put_object(Bucket=scene.bucket, Key=key, Body=bytes(stored))
    reviewer = person(scene.server, scene.shop.account.sid, ("wfo.full_access",), login=False)
    sign_in(page, scene, reviewer, "/conversations/ui-s3-altered")
    alert = page.get_by_test_id("player").get_by_role("alert")
    expect(alert).to_have_text(
        "Recording unavailable: its stored bytes fail their authentication tag", timeout=30_000
    )
    expect(page.get_by_test_id("player").get_by_role("button", name="Play")).to_be_disabled()
    plays = _plays(scene, reviewer, segment)
    assert plays and {r["outcome"] for r in plays} == {"failed"}
