"""Deactivation through SCIM ends access at once: the person's sessions, their outstanding
media links and the url_provider tokens issued for them, on a real server with a real
conversation, a real recording provider and real links."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from hindsight.auth.sessions import token_hash
from hindsight.store import users as user_store
from tests.api.helpers_routing import wait_for
from tests.conftest import BACKENDS, database_url_for
from tests.scim.conftest import Scim, provisioning, unique
from tests.support import audio
from tests.support.media_server import MediaServer
from tests.support.server import start_server
from tests.support.twilio_client import client_for

WAV = audio.wav(1.0)
MAPPING = {"groups": {"Listeners": {"roles": ["wfo.team_leader"]}}}


@dataclass
class Floor:
    scim: Scim
    host: MediaServer
    segment: str  # index 0: a page (Referenced), index 1: a recording behind a url_provider


def _conversation(scim: Scim, host: MediaServer) -> str:
    client = client_for(scim.server.base_url, scim.account_sid, scim.auth_token)
    workspace = client.taskrouter.v1.workspaces.create(friendly_name="Off", template="FIFO")
    tasks = client.taskrouter.v1.workspaces(workspace.sid).tasks
    media = [
        {"type": "Referenced", "url": "https://crm.example.org/case/7", "title": "Case"},
        {"type": "VoiceRecording", "url_provider": host.url("/provider/call.wav")},
    ]
    attributes = {"conversations": {"conversation_id": "off-1", "media": media}}
    task = tasks.create(attributes=json.dumps(attributes))
    tasks(task.sid).update(assignment_status="canceled", reason="hung up")
    auth = (scim.account_sid, scim.auth_token)

    def projected() -> str | None:
        answer = httpx.get(
            f"{scim.server.base_url}/api/v1/insights/conversations/off-1", auth=auth, timeout=30
        )
        if answer.status_code != 200:
            return None
        return next(s["segment_id"] for s in answer.json()["segments"] if s["media"])

    return wait_for(projected, "the conversation is projected")


@pytest.fixture(scope="module", params=BACKENDS)
def floor(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Floor]:
    data_dir = tmp_path_factory.mktemp(f"scim-off-{request.param}")
    host = MediaServer(files={"call.wav": WAV})
    running = start_server(
        data_dir,
        database_url_for(request.param, data_dir, request),
        media_fetch_allow="127.0.0.1",
        rate_limit_login_per_minute=0,
    )
    scim = provisioning(running)
    try:
        headers = {"X-CSRF-Token": scim.admin.csrf}
        saved = scim.admin.http.put("/api/v1/scim/mapping", json=MAPPING, headers=headers)
        assert saved.status_code == 200, saved.text
        yield Floor(scim, host, _conversation(scim, host))
    finally:
        scim.close()
        running.stop()
        host.stop()


@dataclass
class Listener:
    sid: str
    http: httpx.Client
    csrf: str

    def mint(self, segment: str, index: int) -> str:
        minted = self.http.post(
            "/api/v1/media/links",
            json={"segment_id": segment, "index": index},
            headers={"X-CSRF-Token": self.csrf},
        )
        assert minted.status_code == 201, minted.text
        return minted.json()["url"]


def _provisioned_listener(floor: Floor) -> Listener:
    """A person the provider provisioned into a mapped group, signed in. Their session is
    made as a single sign-on would make it (SCIM people have no password)."""
    scim = floor.scim
    sid = scim.user(unique("listener"))["id"]
    scim.group("Listeners", [sid])
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = scim.server.runtime.clock.now_ms()
    row = {
        "token_hash": token_hash(token),
        "user_sid": sid,
        "csrf_token": csrf,
        "created_ms": now,
        "last_seen_ms": now,
        "expires_ms": now + 3_600_000,
        "ended_ms": None,
        "ip": "127.0.0.1",
        "user_agent": "test",
    }
    scim.server.runtime.db.write_sync(lambda conn: user_store.insert_session(conn, row))
    http = httpx.Client(
        base_url=scim.server.base_url,
        cookies={"hindsight_session": token},
        timeout=30,
        follow_redirects=False,
    )
    return Listener(sid, http, csrf)


def _validate(floor: Floor, provider_token: str) -> dict:
    basic = base64.b64encode(f"token:{provider_token}".encode()).decode()
    return httpx.post(
        f"{floor.scim.server.base_url}/api/v1/tokens/validate",
        headers={"Authorization": f"Basic {basic}"},
        timeout=30,
    ).json()


def _play(floor: Floor, listener: Listener) -> str:
    """Play the recording once; the token Hindsight gave the url_provider for it."""
    before = len(floor.host.tokens)
    played = listener.http.get(listener.mint(floor.segment, 1))
    assert played.status_code == 200 and played.content == WAV
    token = floor.host.tokens[before]
    assert _validate(floor, token)["valid"] is True
    return token


@pytest.mark.parametrize("how", ["active=false", "DELETE"])
def test_deactivation_ends_sessions_links_and_provider_tokens_at_once(
    floor: Floor, how: str
) -> None:
    listener = _provisioned_listener(floor)
    provider_token = _play(floor, listener)
    outstanding = [listener.mint(floor.segment, 0), listener.mint(floor.segment, 1)]
    assert listener.http.get(outstanding[0]).status_code == 302  # the link works now
    outstanding[0] = listener.mint(floor.segment, 0)
    if how == "DELETE":
        assert floor.scim.delete(f"/Users/{listener.sid}").status_code == 204
    else:
        answer = floor.scim.patch(
            f"/Users/{listener.sid}", {"op": "replace", "path": "active", "value": False}
        )
        assert answer.status_code == 200 and answer.json()["active"] is False
    for link in outstanding:
        assert listener.http.get(link).status_code == 401
    assert listener.http.get("/api/v1/session").status_code == 401
    refused = _validate(floor, provider_token)
    assert refused["valid"] is False and refused["code"] == 20403


def test_a_reactivated_person_signs_in_again_but_old_links_stay_dead(floor: Floor) -> None:
    listener = _provisioned_listener(floor)
    provider_token = _play(floor, listener)
    link = listener.mint(floor.segment, 0)
    path = f"/Users/{listener.sid}"
    floor.scim.patch(path, {"op": "replace", "path": "active", "value": False})
    floor.scim.patch(path, {"op": "replace", "path": "active", "value": True})
    assert listener.http.get(link).status_code == 401  # its session ended for good
    # A url_provider token issued before is good again only while the person is active:
    # it carries no session, like Twilio's; it expires with the link it was issued for.
    assert _validate(floor, provider_token)["valid"] is True
    fresh = _provisioned_listener(floor)
    assert fresh.http.get(fresh.mint(floor.segment, 0)).status_code == 302
