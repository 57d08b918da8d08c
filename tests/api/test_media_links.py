"""Media links: minted for one person and session, short-lived, re-checked and audited when
followed; tampered, expired, other people's and signed-out links refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from hindsight.auth.users import UserChanges
from tests.conftest import BACKENDS, database_url_for
from tests.support.people import Person, audit_of, change_user, last_audit, person
from tests.support.server import OffsetClock, RunningServer, clock_of, start_server
from tests.support.twilio_client import client_for
from tests.support.waiting import wait_for

LINK_SECONDS = 3
MEDIA = [
    {"type": "Referenced", "url": "https://tickets.example.org/T-1", "title": "<b>Ticket</b>"},
    {"type": "Embedded", "url": "https://crm.example.org/case/1", "title": "Case"},
    {"type": "Raw", "url": "https://raw.example.org/1", "title": "Raw"},
]


@dataclass
class Case:
    server: RunningServer
    conversation: str
    segment: str
    account_sid: str


@pytest.fixture(scope="module", params=BACKENDS)
def case(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Case]:
    data_dir = tmp_path_factory.mktemp(f"links-{request.param}")
    running = start_server(
        data_dir,
        database_url_for(request.param, data_dir, request),
        clock=OffsetClock(),
        media_link_seconds=LINK_SECONDS,
        rate_limit_login_per_minute=0,
    )
    try:
        account = running.new_account("links")
        client = client_for(running.base_url, account.sid, account.auth_token)
        workspace = client.taskrouter.v1.workspaces.create(friendly_name="Links", template="FIFO")
        tasks = client.taskrouter.v1.workspaces(workspace.sid).tasks
        attributes = {"conversations": {"conversation_id": "links-1", "media": MEDIA}}
        task = tasks.create(attributes=json.dumps(attributes))
        tasks(task.sid).update(assignment_status="canceled", reason="caller hung up")
        auth = (account.sid, account.auth_token)

        def projected() -> dict | None:
            answer = httpx.get(
                f"{running.base_url}/api/v1/insights/conversations/links-1", auth=auth, timeout=30
            )
            return answer.json() if answer.status_code == 200 else None

        detail = wait_for(projected, "the conversation is projected")
        segment = next(s for s in detail["segments"] if s["media"])["segment_id"]
        yield Case(running, "links-1", segment, account.sid)
    finally:
        running.stop()


def _viewer(case: Case, roles=("wfo.full_access",)) -> Person:
    return person(case.server, case.account_sid, roles, name="viewer")


def _mint(who: Person, case: Case, index: int) -> httpx.Response:
    return who.post("/api/v1/media/links", {"segment_id": case.segment, "index": index})


@pytest.mark.parametrize(("index", "url"), [(i, m["url"]) for i, m in enumerate(MEDIA)])
def test_a_link_redirects_to_the_page_after_checking_and_auditing(case, index, url) -> None:
    who = _viewer(case)
    minted = _mint(who, case, index)
    assert minted.status_code == 201, minted.text
    link = minted.json()
    assert link["url"].startswith("/media/") and url not in minted.text
    assert link["type"] == MEDIA[index]["type"]
    followed = who.get(link["url"])
    assert followed.status_code == 302 and followed.headers["location"] == url
    assert followed.headers["cache-control"] == "no-store"
    opened = last_audit(case.server, who.sid, "media.open")
    assert opened["outcome"] == "allowed" and opened["object_id"] == f"{case.segment}/{index}"
    assert opened["detail"]["type"] == MEDIA[index]["type"]
    assert url not in json.dumps(audit_of(case.server, who.sid))  # identifiers, not locations


def test_a_tampered_link_is_refused(case) -> None:
    who = _viewer(case)
    url = _mint(who, case, 0).json()["url"]
    payload, signature = url.removeprefix("/media/").split(".")
    for forged in (
        f"/media/{payload}.{signature[:-2]}AA",
        f"/media/{payload[:-3]}xyz.{signature}",
        f"/media/{payload}",
        "/media/" + "A" * 5000,
    ):
        refused = who.get(forged)
        assert refused.status_code == 403, forged
        assert "location" not in refused.headers
    denied = [r for r in audit_of(case.server, who.sid) if r["action"] == "media.open"]
    assert len(denied) == 4 and {r["outcome"] for r in denied} == {"denied"}


def test_another_persons_link_is_refused(case) -> None:
    owner, other = _viewer(case), _viewer(case)
    url = _mint(owner, case, 0).json()["url"]
    refused = other.get(url)
    assert refused.status_code == 403
    assert last_audit(case.server, other.sid, "media.open")["outcome"] == "denied"
    assert httpx.get(case.server.base_url + url, timeout=30).status_code == 401


def test_a_link_dies_with_its_session(case) -> None:
    who = _viewer(case)
    url = _mint(who, case, 0).json()["url"]
    assert who.delete("/api/v1/session").status_code == 204
    assert who.get(url).status_code == 401
    # Signed in again: a new session, and the old session's link is still refused.
    assert who.login().status_code == 200
    assert who.get(url).status_code == 403


def test_an_expired_link_is_refused(case) -> None:
    who = _viewer(case)
    url = _mint(who, case, 0).json()["url"]
    # The server's clock moves past the link's lifetime.
    clock_of(case.server).advance_seconds(LINK_SECONDS + 1)
    refused = who.get(url)
    assert refused.status_code == 403 and "expired" in refused.json()["message"]


def test_losing_play_permission_stops_links_already_minted(case) -> None:
    who = _viewer(case)
    url = _mint(who, case, 0).json()["url"]
    change_user(case.server, who.username, UserChanges(roles=("wfo.quality_process_manager",)))
    assert who.get(url).status_code == 401  # the session ended with the change
    assert who.login().status_code == 200
    assert who.get(url).status_code == 403
    assert _mint(who, case, 0).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"segment_id": "SG" + "0" * 32, "index": 0},
        {"segment_id": "not-a-segment", "index": 0},
        {"segment_id": None, "index": 0},
        {"index": 0},
        {"segment_id": "SG" + "0" * 32, "index": -1},
        {"segment_id": "SG" + "0" * 32, "index": True},
        {"segment_id": "SG" + "0" * 32, "index": 0, "url": "https://evil.example"},
    ],
)
def test_bad_link_requests_are_refused(case, body) -> None:
    who = _viewer(case)
    response = who.post("/api/v1/media/links", body)
    assert response.status_code in (400, 404), response.text


def test_an_unknown_media_index_is_404(case) -> None:
    who = _viewer(case)
    assert _mint(who, case, 7).status_code == 404
    assert last_audit(case.server, who.sid, "media.link")["outcome"] == "denied"


def test_integrations_may_mint_and_follow_links_with_their_credentials(case) -> None:
    account = case.server.runtime.services.accounts.list_accounts()
    row = next(a for a in account if a.sid == case.account_sid)
    token = case.server.runtime.services.accounts.auth_token_of(row)
    auth = (case.account_sid, token)
    minted = httpx.post(
        f"{case.server.base_url}/api/v1/media/links",
        json={"segment_id": case.segment, "index": 0},
        auth=auth,
        timeout=30,
    )
    assert minted.status_code == 201
    followed = httpx.get(case.server.base_url + minted.json()["url"], auth=auth, timeout=30)
    assert followed.status_code == 302
