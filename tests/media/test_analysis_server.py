"""End to end through a running server, on SQLite and PostgreSQL: request over HTTP, the
server's worker computes, the result (and a job still pending) survives a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hindsight.media.analysis import url_media_key
from tests.media.test_analysis import EXPECTED, known_conversation
from tests.support.media_server import MediaServer
from tests.support.server import RunningServer, start_server
from tests.support.waiting import wait_for, wait_until_steady

API = "/api/v1/insights/media-analyses"
SETTINGS = {"media_fetch_allow": "127.0.0.1/32"}


@pytest.fixture(scope="module")
def media() -> Iterator[MediaServer]:
    server = MediaServer(files={"call.wav": known_conversation()})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def place(database_url: str, tmp_path: Path) -> tuple[Path, str]:
    """A data dir and a database of the test's own (on PostgreSQL too): a server of the
    session sharing the database would take jobs it cannot unseal with its own key."""
    return tmp_path, database_url


def client(server: RunningServer, account) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, auth=(account.sid, account.auth_token), timeout=10
    )


def analysed(http: httpx.Client, key: str, seconds: float = 30) -> dict:
    """The analysis of `key` once it is done (tests/support/waiting.py polls for it)."""

    def done() -> dict | None:
        body = http.get(f"{API}/{key}").json()
        return body if body["status"] == "done" else None

    return wait_for(done, f"the analysis of {key} to be done", seconds, interval=0.1)


def test_the_server_analyses_a_recording_and_keeps_it_across_a_restart(place, media):
    data_dir, url = place
    recording = media.url("/file/call.wav?e2e-" + data_dir.name)
    key = url_media_key(recording)
    server = start_server(data_dir, url, **SETTINGS)
    try:
        account = server.new_account()
        with client(server, account) as http:
            answer = http.post(API, json={"url": recording, "channels": ["customer", "others"]})
            assert answer.status_code == 202, answer.text
            assert answer.json()["media_key"] == key
            assert answer.json()["status"] in ("pending", "running", "done")
            assert answer.headers["Cache-Control"] == "no-store"
            done = analysed(http, key)
            assert done["status"] == "done", done
            assert done["measures"] == EXPECTED
            assert done["peaks"]["channels"] == 2
            again = http.post(API, json={"url": recording})
            assert again.status_code == 202 and again.json()["status"] == "done"
            # Other accounts and anonymous callers see nothing.
            stranger = server.new_account("stranger")
            with client(server, stranger) as other:
                assert other.get(f"{API}/{key}").status_code == 404
            assert httpx.get(f"{server.base_url}{API}/{key}").status_code == 401
    finally:
        server.stop()
    restarted = start_server(data_dir, url, **SETTINGS)
    try:
        with client(restarted, account) as http:
            kept = http.get(f"{API}/{key}").json()
        assert kept == done
    finally:
        restarted.stop()
    assert media.hits("/file/call.wav?e2e-" + data_dir.name) == 1


def test_a_pending_job_survives_a_restart(place, media):
    data_dir, url = place
    recording = media.url("/file/call.wav?pending-" + data_dir.name)
    key = url_media_key(recording)
    idle = start_server(data_dir, url, run_media_analysis=False, **SETTINGS)
    try:
        account = idle.new_account()
        with client(idle, account) as http:
            assert http.post(API, json={"url": recording}).status_code == 202
            # Nothing analyses it here: it stays pending.
            status = wait_until_steady(
                lambda: http.get(f"{API}/{key}").json()["status"], "the job's status"
            )
            assert status == "pending"
    finally:
        idle.stop()
    working = start_server(data_dir, url, **SETTINGS)
    try:
        with client(working, account) as http:
            done = analysed(http, key)
        assert done["status"] == "done" and done["measures"] == EXPECTED
        assert done["attempts"] == 1
    finally:
        working.stop()


def test_bad_requests_get_twilio_style_errors(place):
    data_dir, url = place
    server = start_server(data_dir, url, **SETTINGS)
    try:
        account = server.new_account()
        with client(server, account) as http:
            for body in (
                b"not json",
                b"[]",
                b'{"url": 5}',
                b'{"url": "ftp://example.com/a.wav"}',
                b'{"url": "http://example.com/a.wav", "channels": "customer"}',
                b'{"url": "http://example.com/a.wav", "extra": 1}',
            ):
                answer = http.post(API, content=body)
                assert answer.status_code == 400, (body[:60], answer.text)
                assert answer.json()["code"] == 20001
            # A body over the JSON limit is refused for its size, before it is read as JSON.
            oversize = http.post(
                API, content=b'{"url": "http://example.com/' + b"a" * 20_000 + b'"}'
            )
            assert oversize.status_code == 413, oversize.text
            assert oversize.json()["code"] == 20413
            assert http.get(f"{API}/url:{'0' * 64}").status_code == 404
        assert httpx.post(f"{server.base_url}{API}", json={"url": "http://x/"}).status_code == 401
    finally:
        server.stop()
