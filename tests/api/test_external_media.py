"""External media through the broker: recordings streamed from another host (byte ranges
passed through), url_provider resolved as Flex's player does with a token Hindsight issues and
validates, bad providers reported, and private addresses refused unless the deployment allows
them (SSRF). A local HTTP server stands in for the other hosts."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support import audio
from tests.support.media_server import MediaServer
from tests.support.people import audit_of, last_audit, person
from tests.support.server import RunningServer, start_server
from tests.support.twilio_client import client_for
from tests.support.waiting import wait_for

WAV = audio.wav(2.0)


@pytest.fixture(scope="module")
def host() -> Iterator[MediaServer]:
    server = MediaServer(files={"call.wav": WAV})
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Floor:
    server: RunningServer
    account_sid: str
    auth: tuple[str, str]
    tasks: object

    def conversation(self, name: str, media: list[dict]) -> str:
        """A canceled task carrying `media`; the id of its segment that shows it."""
        attributes = {"conversations": {"conversation_id": name, "media": media}}
        task = self.tasks.create(attributes=json.dumps(attributes))
        self.tasks(task.sid).update(assignment_status="canceled", reason="hung up")

        def projected() -> str | None:
            answer = httpx.get(
                f"{self.server.base_url}/api/v1/insights/conversations/{name}",
                auth=self.auth,
                timeout=30,
            )
            if answer.status_code != 200:
                return None
            return next(s["segment_id"] for s in answer.json()["segments"] if s["media"])

        return wait_for(projected, f"{name} projected")


def _floor(running: RunningServer) -> Floor:
    account = running.new_account("external")
    client = client_for(running.base_url, account.sid, account.auth_token)
    workspace = client.taskrouter.v1.workspaces.create(friendly_name="Ext", template="FIFO")
    tasks = client.taskrouter.v1.workspaces(workspace.sid).tasks
    return Floor(running, account.sid, (account.sid, account.auth_token), tasks)


@pytest.fixture(scope="module")
def allowed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Floor]:
    """A server allowed to fetch from 127.0.0.1 (a self-hosted media server beside it)."""
    running = start_server(
        tmp_path_factory.mktemp("ext-allowed"),
        None,
        media_fetch_allow="127.0.0.1",
        rate_limit_login_per_minute=0,
    )
    try:
        yield _floor(running)
    finally:
        running.stop()


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Floor]:
    """A server with the default rules: no private or loopback address is fetched."""
    running = start_server(tmp_path_factory.mktemp("ext-strict"), None)
    try:
        yield _floor(running)
    finally:
        running.stop()


def _open(floor: Floor, segment: str, index: int = 0, **headers: str) -> httpx.Response:
    listener = person(floor.server, floor.account_sid, ("wfo.team_leader",), name="listener")
    minted = listener.post("/api/v1/media/links", {"segment_id": segment, "index": index})
    assert minted.status_code == 201, minted.text
    response = listener.http.get(minted.json()["url"], headers=headers)
    response.listener = listener  # type: ignore[attr-defined]
    return response


def test_an_external_recording_streams_through_hindsight_with_ranges(
    allowed: Floor, host: MediaServer
) -> None:
    url = host.url("/audio/call.wav")
    segment = allowed.conversation("ext-url", [{"type": "VoiceRecording", "url": url}])
    whole = _open(allowed, segment)
    assert whole.status_code == 200 and whole.content == WAV
    assert whole.headers["content-type"] == "audio/wav"
    assert "sandbox" in whole.headers["content-security-policy"]
    part = _open(allowed, segment, Range="bytes=10-19")
    assert part.status_code == 206 and part.content == WAV[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(WAV)}"
    assert url not in json.dumps(audit_of(allowed.server, part.listener.sid))  # type: ignore[attr-defined]


def test_url_provider_is_asked_with_a_token_hindsight_can_validate(
    allowed: Floor, host: MediaServer
) -> None:
    provider = host.url("/provider/call.wav")
    segment = allowed.conversation(
        "ext-provider", [{"type": "VoiceRecording", "url_provider": provider}]
    )
    before = len(host.tokens)
    played = _open(allowed, segment)
    assert played.status_code == 200 and played.content == WAV
    token = host.tokens[before]
    base = allowed.server.base_url
    basic = base64.b64encode(f"token:{token}".encode()).decode()
    checked = httpx.post(
        f"{base}/api/v1/tokens/validate", headers={"Authorization": f"Basic {basic}"}, timeout=30
    ).json()
    listener = played.listener  # type: ignore[attr-defined]
    assert checked["valid"] is True and checked["identity"] == listener.sid
    assert checked["roles"] == ["wfo.team_leader"] and checked["can_play"] is True
    assert checked["account_sid"] == allowed.account_sid
    assert checked["media"] == f"{segment}/0"
    forged = httpx.post(
        f"{base}/api/v1/tokens/validate", json={"token": token[:-3] + "abc"}, timeout=30
    ).json()
    assert forged["valid"] is False
    media_link = httpx.post(f"{base}/api/v1/tokens/validate", json={"token": "x.y"}, timeout=30)
    assert media_link.json()["valid"] is False


@pytest.mark.parametrize("kind", ["html", "no-url", "500"])
def test_a_provider_answering_badly_is_reported_and_audited(
    allowed: Floor, host: MediaServer, kind: str
) -> None:
    provider = host.url(f"/provider-answer/{kind}")
    segment = allowed.conversation(
        f"ext-bad-{kind}", [{"type": "VoiceRecording", "url_provider": provider}]
    )
    refused = _open(allowed, segment)
    assert refused.status_code in (502, 400), refused.text
    assert "url_provider" in refused.json()["message"] or kind == "500"
    record = last_audit(allowed.server, refused.listener.sid, "media.play")  # type: ignore[attr-defined]
    assert record["outcome"] == "failed"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/audio/call.wav",
        "http://localhost:{port}/audio/call.wav",
        "http://[::1]:{port}/audio/call.wav",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/audio.wav",
        "http://2130706433:{port}/audio/call.wav",
        "http://0x7f000001:{port}/audio/call.wav",
    ],
)
def test_private_addresses_are_refused_by_default(
    strict: Floor, host: MediaServer, url: str
) -> None:
    target = url.format(port=host.port)
    before = host.hits("/audio/")
    segment = strict.conversation(
        f"ssrf-{abs(hash(url)) % 10**8}", [{"type": "VoiceRecording", "url": target}]
    )
    refused = _open(strict, segment)
    assert refused.status_code == 400, refused.text
    assert host.hits("/audio/") == before  # nothing was fetched
    record = last_audit(strict.server, refused.listener.sid, "media.play")  # type: ignore[attr-defined]
    assert record["outcome"] == "failed"
    assert "may not be fetched" in record["reason"] or "not a canonical IP" in record["reason"]


def test_a_redirect_to_a_private_address_is_refused(strict: Floor, host: MediaServer) -> None:
    # The first hop is private too here; the fetcher's own tests cover public-then-private.
    target = host.url("/redirect?to=http://169.254.169.254/")
    segment = strict.conversation("ssrf-redirect", [{"type": "VoiceRecording", "url": target}])
    assert _open(strict, segment).status_code == 400


def test_unauthenticated_requests_for_media_get_401(allowed: Floor) -> None:
    base = allowed.server.base_url
    for path in ("/media/abc.def", "/api/v1/media/analysis?segment_id=SG" + "0" * 32 + "&index=0"):
        assert httpx.get(base + path, timeout=30).status_code == 401
    minted = httpx.post(
        f"{base}/api/v1/media/links", json={"segment_id": "SG" + "0" * 32, "index": 0}, timeout=30
    )
    assert minted.status_code == 401
