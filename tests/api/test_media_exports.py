"""Bulk media exports on both stores: selected conversations (or a whole search) become a ZIP
of their held recordings and chat transcripts, built in the background, downloaded once by the
person who asked; items that cannot be read are listed in its manifest; scope, rights and bad
input are answered as they must be."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from hindsight.domain.csv_export import FORMULA_START
from tests.api.helpers_chat import conversations
from tests.api.helpers_recordings import Tenant, tenant
from tests.support import audio
from tests.support.people import Person, audit_of, person
from tests.support.server import RunningServer
from tests.support.twilio_client import client_for
from tests.support.waiting import wait_for

EXPORTS = "/api/v1/insights/exports"
WAV = audio.wav(1.5)
SECRET = "the parcel number is 7741"
REFUSED_HOST = "http://127.0.0.1:9/recording.wav"  # a private address: the fetcher refuses it


@dataclasses.dataclass
class Fixture:
    a: Tenant
    b: Tenant
    call: str  # a conversation with a held recording and a remote one the fetcher refuses
    chat: str  # a conversation with a held chat transcript
    sneaky: str  # a conversation whose id tries to climb out of the archive
    other: str  # another account's conversation


def _projected(t: Tenant, conversation_id: str) -> None:
    def probe() -> bool:
        answer = httpx.get(
            f"{t.server.base_url}/api/v1/insights/conversations/{quote(conversation_id, safe='')}",
            auth=t.auth,
            timeout=30,
        )
        if answer.status_code != 200:
            return False
        return any(s["kind"] == "Conversation" for s in answer.json()["segments"])

    wait_for(probe, f"{conversation_id} projected")


def _call(t: Tenant, conversation_id: str, media: list[dict[str, Any]] | None = None) -> None:
    attributes: dict[str, Any] = {
        "type": "call",
        "conversations": {"conversation_id": conversation_id},
    }
    if media:
        attributes["conversations"]["media"] = media
    handled = t.handle(attributes)
    t.created(WAV, task_sid=handled.task_sid, title="Call", start_time="1700000000000")
    _projected(t, conversation_id)


@pytest.fixture(scope="module")
def fx(server: RunningServer) -> Fixture:
    a = tenant(server, "exports-a")
    b = tenant(server, "exports-b")
    _call(a, "export-call")
    # Custom media replaces the defaults: a remote recording the fetcher refuses, and a page.
    _call(
        a,
        "export-remote",
        [
            {"type": "VoiceRecording", "url": REFUSED_HOST, "title": "=cmd|' /C calc'!A0"},
            {"type": "Referenced", "url": "https://crm.example.com/case/1", "title": "Case"},
        ],
    )
    client = client_for(server.base_url, a.account.sid, a.account.auth_token)
    chat = conversations(client).create(friendly_name="Web chat")
    for author, body in (("visitor", "Hello"), ("alice", "Hi!"), ("visitor", SECRET)):
        conversations(client)(chat.sid).messages.create(author=author, body=body)
    a.handle(
        {
            "type": "chat",
            "channelSid": chat.sid,
            "conversations": {"conversation_id": "export-chat"},
        }
    )
    _projected(a, "export-chat")
    _call(a, "../../etc/cron.d/x")
    _call(b, "export-other")
    return Fixture(a, b, "export-call", "export-chat", "../../etc/cron.d/x", "export-other")


@pytest.fixture
def analyst(fx: Fixture) -> Iterator[Person]:
    who = person(fx.a.server, fx.a.account.sid, ["wfo.data_analyst"], name="analyst")
    yield who
    who.close()


def _wait_ready(who: Person, export_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        answer = who.get(f"{EXPORTS}/{export_id}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] in ("queued", "building", "ready"), body
        return body if body["status"] == "ready" else None

    return wait_for(probe, f"export {export_id} ready", timeout=60)


def _export(who: Person, ids: list[str]) -> dict[str, Any]:
    answer = who.post(EXPORTS, {"conversation_ids": ids})
    assert answer.status_code == 202, answer.text
    return _wait_ready(who, answer.json()["id"])


def _archive(answer: httpx.Response) -> zipfile.ZipFile:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(answer.content))


def _manifest(archive: zipfile.ZipFile) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))


def test_selected_conversations_export_their_recordings_and_transcripts_once(
    fx: Fixture, analyst: Person
) -> None:
    ready = _export(analyst, [fx.call, fx.chat])
    assert ready["conversations"] == 2 and ready["conversations_done"] == 2
    assert ready["progress"] == 1.0

    archive = _archive(analyst.get(ready["download_url"]))
    names = archive.namelist()
    recordings = [n for n in names if n.startswith("export-call/") and "-recording" in n]
    assert len(recordings) == 1 and recordings[0].endswith(".wav")
    assert archive.read(recordings[0]) == WAV
    (as_json,) = [n for n in names if n.startswith("export-chat/") and n.endswith(".json")]
    transcript = json.loads(archive.read(as_json))
    assert [m["body"] for m in transcript["messages"]] == ["Hello", "Hi!", SECRET]
    as_text = archive.read(as_json.replace(".json", ".txt")).decode()
    assert SECRET in as_text and "visitor" in as_text
    rows = _manifest(archive)
    assert {r["status"] for r in rows} == {"exported"}
    # The task's recording is every segment's default: written once, named on each row.
    assert {r["file"] for r in rows} == {recordings[0], as_json}

    again = analyst.get(ready["download_url"])
    assert again.status_code == 410, again.text
    assert analyst.get(f"{EXPORTS}/{ready['id']}").json()["status"] == "downloaded"
    exports_dir = fx.a.server.runtime.settings.data_dir / "exports"
    wait_for(lambda: not (exports_dir / f"{ready['id']}.zip").exists(), "the file deleted")


def test_every_item_is_audited_and_the_download_too(fx: Fixture, analyst: Person) -> None:
    ready = _export(analyst, [fx.call, fx.chat])
    assert analyst.get(ready["download_url"]).status_code == 200
    actions = [(e["action"], e["object_id"]) for e in audit_of(fx.a.server, analyst.sid)]
    exported = [oid for action, oid in actions if action == "media.export"]
    assert len(exported) == 2 and all(oid.startswith("SG") for oid in exported)
    assert ("media.export.request", ready["id"]) in actions
    assert ("media.export.download", ready["id"]) in actions


def test_items_that_cannot_be_read_are_listed_in_the_manifest(fx: Fixture, analyst: Person) -> None:
    ready = _export(analyst, ["export-remote"])
    assert ready["failed_items"] == 1
    archive = _archive(analyst.get(ready["download_url"]))
    # The task's custom media shows on each of its segments: read once, listed on each.
    rows = {r["index"]: r for r in _manifest(archive)}
    refused = rows["0"]
    assert refused["status"] == "failed" and refused["reason"] and not refused["file"]
    # A title planted in the data is written as text, not as a formula.
    assert refused["title"].startswith("'=")
    assert not [c for r in rows.values() for c in r.values() if c and c.startswith(FORMULA_START)]
    assert rows["1"]["status"] == "skipped" and not rows["1"]["file"]
    assert archive.namelist() == ["manifest.csv"]
    failed = [
        e
        for e in audit_of(fx.a.server, analyst.sid)
        if e["action"] == "media.export" and e["outcome"] == "failed"
    ]
    assert failed and failed[-1]["reason"] == refused["reason"]


def test_names_in_the_archive_never_leave_its_folder(fx: Fixture, analyst: Person) -> None:
    ready = _export(analyst, [fx.sneaky])
    archive = _archive(analyst.get(ready["download_url"]))
    for name in archive.namelist():
        assert not name.startswith("/") and ".." not in name.split("/"), name
        assert "\\" not in name
    rows = _manifest(archive)
    assert {r["status"] for r in rows} == {"exported"}
    (recording,) = {r["file"] for r in rows}
    assert recording in archive.namelist() and archive.read(recording) == WAV


def test_ids_out_of_scope_or_unknown_are_simply_not_there(fx: Fixture, analyst: Person) -> None:
    ready = _export(analyst, [fx.call, fx.other, "no-such-conversation", fx.call])
    assert ready["conversations"] == 1
    archive = _archive(analyst.get(ready["download_url"]))
    assert {r["conversation_id"] for r in _manifest(archive)} == {fx.call}


def test_a_scoped_person_exports_only_their_teams_conversations(fx: Fixture) -> None:
    from hindsight.domain.access import Scope

    scoped = person(
        fx.a.server,
        fx.a.account.sid,
        ["wfo.data_analyst"],
        name="scoped",
        scope=Scope(queues=("Somewhere else",)),
    )
    try:
        answer = scoped.post(EXPORTS, {"conversation_ids": [fx.call, fx.chat]})
        assert answer.status_code == 400, answer.text
        assert "None of these conversations" in answer.json()["message"]
    finally:
        scoped.close()


def test_a_whole_search_is_exported(fx: Fixture, analyst: Person) -> None:
    answer = analyst.http.post(
        EXPORTS,
        params={"q": "export-chat"},
        json={"all_matching": True},
        headers={"X-CSRF-Token": analyst.csrf or ""},
    )
    assert answer.status_code == 202, answer.text
    ready = _wait_ready(analyst, answer.json()["id"])
    assert ready["conversations"] == 1
    archive = _archive(analyst.get(ready["download_url"]))
    assert {r["conversation_id"] for r in _manifest(archive)} == {fx.chat}


def test_a_search_finding_more_than_the_cap_is_refused(
    fx: Fixture, analyst: Person, server: RunningServer
) -> None:
    exports = server.runtime.services.exports
    kept = exports._options
    exports._options = dataclasses.replace(kept, max_conversations=2)
    try:
        answer = analyst.post(EXPORTS, {"all_matching": True})
        assert answer.status_code == 400, answer.text
        assert "more than 2 conversations" in answer.json()["message"]
    finally:
        exports._options = kept


def test_people_without_the_export_right_are_refused(fx: Fixture) -> None:
    leader = person(fx.a.server, fx.a.account.sid, ["wfo.team_leader"], name="leader")
    try:
        answer = leader.post(EXPORTS, {"conversation_ids": [fx.call]})
        assert answer.status_code == 403, answer.text
        denied = [
            e for e in audit_of(fx.a.server, leader.sid) if e["action"] == "media.export.request"
        ]
        assert denied and denied[-1]["outcome"] == "denied"
    finally:
        leader.close()


def test_someone_elses_export_is_not_found(fx: Fixture, analyst: Person) -> None:
    ready = _export(analyst, [fx.call])
    colleague = person(fx.a.server, fx.a.account.sid, ["wfo.data_analyst"], name="colleague")
    try:
        for path in (ready["url"], ready["download_url"]):
            assert colleague.get(path).status_code == 404
        # Another account's credentials do not find it either.
        other = httpx.get(f"{fx.b.server.base_url}{ready['url']}", auth=fx.b.auth, timeout=30)
        assert other.status_code == 404
        assert analyst.get(f"{EXPORTS}/ME{'0' * 32}").status_code == 404
        # Still there for the one who asked.
        assert analyst.get(ready["download_url"]).status_code == 200
    finally:
        colleague.close()


def test_missing_credentials_are_refused(fx: Fixture) -> None:
    base = fx.a.server.base_url
    assert httpx.post(f"{base}{EXPORTS}", json={"conversation_ids": [fx.call]}).status_code == 401
    assert httpx.get(f"{base}{EXPORTS}/ME{'0' * 32}").status_code == 401


def test_an_integration_exports_with_the_account_credentials(fx: Fixture) -> None:
    base = fx.a.server.base_url
    answer = httpx.post(f"{base}{EXPORTS}", json={"conversation_ids": [fx.call]}, auth=fx.a.auth)
    assert answer.status_code == 202, answer.text
    url = answer.headers["location"]

    def ready() -> dict[str, Any] | None:
        body = httpx.get(f"{base}{url}", auth=fx.a.auth, timeout=30).json()
        return body if body["status"] == "ready" else None

    done = wait_for(ready, "the export ready", timeout=60)
    assert httpx.get(f"{base}{done['download_url']}", auth=fx.a.auth, timeout=30).status_code == 200


BAD_BODIES = {
    "empty-selection": {"conversation_ids": []},
    "not-a-list": {"conversation_ids": "export-call"},
    "numbers": {"conversation_ids": [1, 2]},
    "empty-id": {"conversation_ids": [""]},
    "nul": {"conversation_ids": ["export\x00call"]},
    "overlong-id": {"conversation_ids": ["x" * 300]},
    "too-many": {"conversation_ids": [f"c{i}" for i in range(1001)]},
    "both": {"conversation_ids": ["export-call"], "all_matching": True},
    "neither": {},
    "all-matching-false": {"all_matching": False},
    "all-matching-text": {"all_matching": "yes"},
    "unknown-field": {"conversation_ids": ["export-call"], "format": "tar"},
    "unknown-only": {"conversation_ids": ["no-such-one", "nor-this"]},
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES)
def test_bad_requests_are_clear_400s(fx: Fixture, analyst: Person, body: dict[str, Any]) -> None:
    answer = analyst.post(EXPORTS, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"]


def test_malformed_bodies_and_parameters_are_400s(fx: Fixture, analyst: Person) -> None:
    headers = {"X-CSRF-Token": analyst.csrf or "", "Content-Type": "application/json"}
    for raw in (b"{", b"[]", b"null", b"\xff"):
        answer = analyst.http.post(EXPORTS, content=raw, headers=headers)
        assert answer.status_code == 400, (raw, answer.text)
    answer = analyst.http.post(
        EXPORTS, params={"bogus": "1"}, json={"all_matching": True}, headers=headers
    )
    assert answer.status_code == 400
    answer = analyst.http.post(
        EXPORTS, params={"q": "call"}, json={"conversation_ids": ["export-call"]}, headers=headers
    )
    assert answer.status_code == 400
