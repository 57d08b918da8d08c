"""Call recordings Hindsight holds (/api/v1/recordings): upload, list, fetch, stream, delete.

On both stores, against a real server; the audio is made by tests/support/audio.py.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from tests.api.helpers_recordings import Tenant, random_sid, tenant
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support import audio
from tests.support.server import RunningServer, start_server

CALL_SID = random_sid("CA")
STEREO = audio.wav(2.0)


@pytest.fixture(scope="module")
def a(server: RunningServer) -> Tenant:
    t = tenant(server, "recordings-a")
    t.handle({"type": "call"})
    t.handle({"type": "call"})
    return t


@pytest.fixture(scope="module")
def b(server: RunningServer) -> Tenant:
    t = tenant(server, "recordings-b")
    t.handle({"type": "call"})
    return t


@pytest.fixture(scope="module")
def held(a: Tenant) -> dict[str, Any]:
    """A stereo WAV linked to A's first task and its reservation."""
    first = a.tasks[0]
    return a.created(
        STEREO,
        task_sid=first.task_sid,
        reservation_sid=first.reservation_sid,
        title="Inbound call",
        start_time="2024-05-01T10:00:00Z",
    )


def error(response: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["status"] == status and isinstance(body["code"], int), body
    assert body["more_info"].startswith("https://www.twilio.com/docs/errors/")
    for fragment in fragments:
        assert fragment in body["message"], body
    assert response.headers["cache-control"] == "no-store"
    return body


# --- upload ---------------------------------------------------------------------------------


def test_upload_stores_the_file_and_describes_it(a: Tenant, held: dict[str, Any]) -> None:
    first = a.tasks[0]
    assert held["sid"].startswith("RE") and len(held["sid"]) == 34
    assert held["account_sid"] == a.account.sid
    assert held["workspace_sid"] == a.workspace_sid
    assert held["links"] == {
        "task_sid": first.task_sid,
        "reservation_sid": first.reservation_sid,
        "call_sid": None,
    }
    assert held["content_type"] == "audio/wav"
    assert held["size"] == len(STEREO)
    assert held["sha256"] == hashlib.sha256(STEREO).hexdigest()
    assert held["duration"] == 2.0
    assert (held["channels"], held["sample_rate"]) == (2, 8000)
    assert held["channel_map"] == ["customer", "others"]
    assert held["start_time"] == "2024-05-01T10:00:00.000Z"
    assert held["title"] == "Inbound call"
    assert held["media_url"] == f"{a.url()}/{held['sid']}/media"
    stored = a.server.runtime.settings.data_dir / "recordings" / a.account.sid / held["sid"]
    assert stored.read_bytes() == STEREO
    fetched = a.get(f"/{held['sid']}")
    assert fetched.status_code == 200 and fetched.headers["cache-control"] == "no-store"
    assert fetched.json() == held


def test_upload_answers_201_with_location(a: Tenant) -> None:
    response = a.upload(audio.wav(0.5, channels=1), call_sid=random_sid("CA"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{a.url()}/{body['sid']}"
    assert body["channel_map"] == ["mixed"]
    assert body["workspace_sid"] is None
    assert body["start_time"] is None


@pytest.mark.parametrize(
    ("data", "content_type", "duration", "channels", "rate"),
    [
        (audio.mp3(100), "audio/mpeg", audio.mp3_duration_ms(100) / 1000, 2, 44100),
        (
            audio.mp3(40, stereo=False, id3=False),
            "audio/mpeg",
            audio.mp3_duration_ms(40) / 1000,
            1,
            44100,
        ),
        (audio.opus(3.0), "audio/ogg", audio.opus_duration_ms(audio.opus(3.0)) / 1000, 2, 48000),
        (audio.wav(1.25, rate=16000, width=3), "audio/wav", 1.25, 2, 16000),
    ],
    ids=["mp3-id3-stereo", "mp3-mono", "ogg-opus", "wav-24bit"],
)
def test_formats_are_judged_by_their_bytes(
    a: Tenant, data: bytes, content_type: str, duration: float, channels: int, rate: int
) -> None:
    # The client's Content-Type and file name say text; the bytes decide.
    body = a.created(data, filename="notes.txt", content_type="text/plain", call_sid=CALL_SID)
    assert body["content_type"] == content_type
    assert body["duration"] == duration
    assert (body["channels"], body["sample_rate"]) == (channels, rate)
    assert body["size"] == len(data)
    media = a.get(f"/{body['sid']}/media")
    assert media.status_code == 200
    assert media.headers["content-type"] == content_type
    assert media.content == data


def test_upload_takes_channel_names_and_epoch_start_time(a: Tenant) -> None:
    body = a.created(
        STEREO,
        call_sid=random_sid("CA"),
        channels='["agent", "customer"]',
        start_time="1574350320000",
        workspace_sid=a.workspace_sid,
    )
    assert body["channel_map"] == ["agent", "customer"]
    assert body["start_time"] == "2019-11-21T15:32:00.000Z"
    assert body["workspace_sid"] == a.workspace_sid


def test_a_reservation_alone_links_to_its_workspace(a: Tenant) -> None:
    second = a.tasks[1]
    body = a.created(STEREO, reservation_sid=second.reservation_sid)
    assert body["links"]["reservation_sid"] == second.reservation_sid
    assert body["links"]["task_sid"] is None
    assert body["workspace_sid"] == a.workspace_sid


def test_a_deleted_task_can_still_be_linked(a: Tenant) -> None:
    """The task's row is gone; its event log still says it was the account's."""
    handled = a.handle({"type": "call"})
    a.floor.api.tasks(handled.task_sid).delete()
    body = a.created(audio.wav(0.2), task_sid=handled.task_sid)
    assert body["workspace_sid"] == a.workspace_sid


# --- bad uploads: refused, and nothing stored -------------------------------------------------

TEXT = b"This is a transcript, not a recording.\n" * 20
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
JSON_WAV = b'{"type": "VoiceRecording", "url": "https://example.com/x.wav"}' * 3
WAV_CUT = STEREO[: len(STEREO) // 2]
MP3 = audio.mp3(20)
OGG = audio.opus(1.0)


def _bad_uploads(a: Tenant, b: Tenant) -> list[tuple[str, dict[str, Any], int, str]]:
    task = a.tasks[0].task_sid
    other = a.tasks[1]
    return [
        ("text named .wav", {"data": TEXT}, 415, "looks like text"),
        ("png", {"data": PNG, "filename": "call.png"}, 415, "PNG"),
        ("json named .wav", {"data": JSON_WAV, "content_type": "audio/wav"}, 415, "JSON"),
        ("riff but not wave", {"data": b"RIFF\x10\x00\x00\x00AVI LIST" + bytes(80)}, 415, "RIFF"),
        ("wav cut short", {"data": WAV_CUT}, 400, "cut short"),
        ("wav header only", {"data": STEREO[:30]}, 400, "WAV"),
        ("mp3 cut in its id3 header", {"data": MP3[:7]}, 400, "ID3"),
        ("mp3 cut in its id3 tag", {"data": MP3[:40]}, 400, "ID3 tag"),
        ("mp3 cut in a frame header", {"data": MP3[: len(MP3) - 415]}, 400, "frame header"),
        ("mp3 cut in a frame", {"data": MP3[:-100]}, 400, "cut short"),
        ("ogg cut in a page header", {"data": OGG[:60]}, 400, "header of page"),
        ("ogg cut in a page", {"data": OGG[:-10]}, 400, "Ogg"),
        ("ogg without opus", {"data": OGG[:28] + b"\x01vorbis" + OGG[35:]}, 415, "Opus"),
        ("empty file", {"data": b""}, 400, "empty"),
        ("no link", {"data": STEREO, "links": {}}, 400, "task_sid, reservation_sid or call_sid"),
        ("bad task sid", {"data": STEREO, "links": {"task_sid": "WT123"}}, 400, "task_sid"),
        (
            "task sid of another kind",
            {"data": STEREO, "links": {"task_sid": random_sid("WR")}},
            400,
            "task_sid",
        ),
        ("bad call sid", {"data": STEREO, "links": {"call_sid": "CAnothex"}}, 400, "call_sid"),
        (
            "bad reservation sid",
            {"data": STEREO, "links": {"reservation_sid": "WRx"}},
            400,
            "reservation_sid",
        ),
        (
            "bad workspace sid",
            {"data": STEREO, "links": {"task_sid": task, "workspace_sid": "WS1"}},
            400,
            "workspace_sid",
        ),
        (
            "unknown task",
            {"data": STEREO, "links": {"task_sid": random_sid("WT")}},
            400,
            "not a task of this account",
        ),
        (
            "another account's task",
            {"data": STEREO, "links": {"task_sid": b.tasks[0].task_sid}},
            400,
            "not a task of this account",
        ),
        (
            "another account's reservation",
            {"data": STEREO, "links": {"reservation_sid": b.tasks[0].reservation_sid}},
            400,
            "not a reservation of this account",
        ),
        (
            "reservation of another task",
            {"data": STEREO, "links": {"task_sid": task, "reservation_sid": other.reservation_sid}},
            400,
            "not a reservation of task",
        ),
        (
            "another workspace",
            {"data": STEREO, "links": {"task_sid": task, "workspace_sid": b.workspace_sid}},
            400,
            "workspace_sid",
        ),
        (
            "unknown workspace",
            {"data": STEREO, "links": {"call_sid": CALL_SID, "workspace_sid": random_sid("WS")}},
            400,
            "not a workspace of this account",
        ),
        (
            "channels not json",
            {"data": STEREO, "links": {"call_sid": CALL_SID, "channels": "customer,agent"}},
            400,
            "channels",
        ),
        (
            "channels of the wrong count",
            {"data": STEREO, "links": {"call_sid": CALL_SID, "channels": '["customer"]'}},
            400,
            "file has 2",
        ),
        (
            "channel names not text",
            {"data": STEREO, "links": {"call_sid": CALL_SID, "channels": "[1, 2]"}},
            400,
            "channels",
        ),
        (
            "bad start time",
            {"data": STEREO, "links": {"call_sid": CALL_SID, "start_time": "yesterday"}},
            400,
            "start_time",
        ),
        (
            "start time out of range",
            {"data": STEREO, "links": {"call_sid": CALL_SID, "start_time": "1800-01-01T00:00:00Z"}},
            400,
            "start_time",
        ),
        (
            "title too long",
            {"data": STEREO, "links": {"call_sid": CALL_SID, "title": "x" * 300}},
            400,
            "title",
        ),
        (
            "unknown field",
            {"data": STEREO, "links": {"call_sid": CALL_SID, "colour": "blue"}},
            400,
            "Unknown form field",
        ),
    ]


@pytest.fixture(scope="module")
def bad_uploads(a: Tenant, b: Tenant) -> dict[str, tuple[dict[str, Any], int, str]]:
    return {name: (spec, status, fragment) for name, spec, status, fragment in _bad_uploads(a, b)}


BAD_CASES = [
    "text named .wav",
    "png",
    "json named .wav",
    "riff but not wave",
    "wav cut short",
    "wav header only",
    "mp3 cut in its id3 header",
    "mp3 cut in its id3 tag",
    "mp3 cut in a frame header",
    "mp3 cut in a frame",
    "ogg cut in a page header",
    "ogg cut in a page",
    "ogg without opus",
    "empty file",
    "no link",
    "bad task sid",
    "task sid of another kind",
    "bad call sid",
    "bad reservation sid",
    "bad workspace sid",
    "unknown task",
    "another account's task",
    "another account's reservation",
    "reservation of another task",
    "another workspace",
    "unknown workspace",
    "channels not json",
    "channels of the wrong count",
    "channel names not text",
    "bad start time",
    "start time out of range",
    "title too long",
    "unknown field",
]


def test_every_bad_case_is_listed(a: Tenant, b: Tenant) -> None:
    assert sorted(BAD_CASES) == sorted(name for name, *_ in _bad_uploads(a, b))


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_uploads_are_refused_and_store_nothing(
    a: Tenant, bad_uploads: dict[str, tuple[dict[str, Any], int, str]], case: str
) -> None:
    spec, status, fragment = bad_uploads[case]
    links = spec.get("links", {"task_sid": a.tasks[0].task_sid})
    files, rows = a.files(), a.rows()
    response = a.upload(
        spec["data"],
        filename=spec.get("filename", "call.wav"),
        content_type=spec.get("content_type", "audio/wav"),
        **links,
    )
    error(response, status, fragment)
    assert a.files() == files
    assert a.rows() == rows


def _raw_post(a: Tenant, body: bytes, content_type: str) -> httpx.Response:
    return httpx.post(
        a.url(), content=body, headers={"Content-Type": content_type}, auth=a.auth, timeout=30
    )


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "xyzzy") -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += (
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
        )
    return out + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        (b'{"task_sid": "x"}', "application/json", "multipart/form-data"),
        (
            _multipart([("call_sid", None, CALL_SID.encode())]),
            "multipart/form-data; boundary=xyzzy",
            "part named 'file'",
        ),
        (
            _multipart(
                [
                    ("file", "a.wav", STEREO),
                    ("file", "b.wav", STEREO),
                    ("call_sid", None, CALL_SID.encode()),
                ]
            ),
            "multipart/form-data; boundary=xyzzy",
            "not several",
        ),
        (
            _multipart([("file", "a.wav", STEREO), ("call_sid", None, CALL_SID.encode())])[:-12],
            "multipart/form-data; boundary=xyzzy",
            "closing boundary",
        ),
        (
            _multipart([("file", "a.wav", STEREO), ("call_sid", None, CALL_SID.encode())]),
            "multipart/form-data",
            "boundary",
        ),
        (
            _multipart(
                [
                    ("file", "a.wav", STEREO),
                    ("call_sid", None, CALL_SID.encode()),
                    ("call_sid", None, CALL_SID.encode()),
                ]
            ),
            "multipart/form-data; boundary=xyzzy",
            "more than once",
        ),
        (
            _multipart([("file", "a.wav", STEREO), ("title", None, b"\xff\xfe")]),
            "multipart/form-data; boundary=xyzzy",
            "UTF-8",
        ),
    ],
    ids=[
        "not-multipart",
        "no-file",
        "two-files",
        "unterminated",
        "no-boundary",
        "field-twice",
        "not-utf8",
    ],
)
def test_malformed_forms_are_refused_and_store_nothing(
    a: Tenant, body: bytes, content_type: str, fragment: str
) -> None:
    files, rows = a.files(), a.rows()
    error(_raw_post(a, body, content_type), 400, fragment)
    assert a.files() == files
    assert a.rows() == rows


def test_upload_needs_credentials(a: Tenant) -> None:
    files, rows = a.files(), a.rows()
    anonymous = httpx.post(a.url(), files={"file": ("a.wav", STEREO)}, data={"call_sid": CALL_SID})
    error(anonymous, 401)
    wrong = httpx.post(
        a.url(),
        files={"file": ("a.wav", STEREO)},
        data={"call_sid": CALL_SID},
        auth=(a.account.sid, "0" * 32),
    )
    error(wrong, 401)
    assert a.files() == files
    assert a.rows() == rows


# --- the size limit ----------------------------------------------------------------------------

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def small(
    server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """A server of the same backend whose recordings may be 64 KiB at most."""
    data_dir = tmp_path_factory.mktemp("small-recordings")
    name = None
    if server.backend == "sqlite":  # type: ignore[attr-defined]
        url = f"sqlite:///{data_dir / 'hindsight.db'}"
    else:
        name = f"hindsight_rec_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    running = start_server(data_dir, url, max_recording_bytes=LIMIT, run_projector=False)
    try:
        yield running
    finally:
        running.stop()
        if name is not None:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def s(small: RunningServer) -> Tenant:
    return tenant(small, "recordings-small")


def _wav_of_size(size: int) -> bytes:
    data = audio.wav(1.0, rate=8000, channels=1, width=1)  # 8044 bytes
    frames = size - 44
    header = bytearray(data[:44])
    header[4:8] = (size - 8).to_bytes(4, "little")
    header[40:44] = frames.to_bytes(4, "little")
    return bytes(header) + (data[44:] * (frames // 8000 + 1))[:frames]


def test_a_file_at_the_limit_is_taken(s: Tenant) -> None:
    body = s.created(_wav_of_size(LIMIT), call_sid=CALL_SID)
    assert body["size"] == LIMIT


def test_a_file_over_the_limit_is_refused_and_nothing_stored(s: Tenant) -> None:
    files, rows = s.files(), s.rows()
    error(s.upload(_wav_of_size(LIMIT + 1), call_sid=CALL_SID), 413, str(LIMIT))
    assert (s.files(), s.rows()) == (files, rows)


def test_a_declared_length_far_over_the_limit_is_refused_before_reading(s: Tenant) -> None:
    files, rows = s.files(), s.rows()
    error(s.upload(_wav_of_size(LIMIT * 3), call_sid=CALL_SID), 413, "limit")
    assert (s.files(), s.rows()) == (files, rows)


def test_a_chunked_upload_stops_at_the_limit(s: Tenant) -> None:
    """No Content-Length: the server counts the file's bytes as they come."""
    form = _multipart(
        [("call_sid", None, CALL_SID.encode()), ("file", "big.wav", _wav_of_size(LIMIT * 4))]
    )
    sent = []

    def body() -> Iterator[bytes]:
        for start in range(0, len(form), 4096):
            sent.append(start)
            yield form[start : start + 4096]

    files, rows = s.files(), s.rows()
    response = httpx.post(
        s.url(),
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=xyzzy"},
        auth=s.auth,
        timeout=30,
    )
    error(response, 413, "limit")
    assert (s.files(), s.rows()) == (files, rows)


# --- list -------------------------------------------------------------------------------------


def test_list_filters_and_pages(a: Tenant) -> None:
    call = random_sid("CA")
    made = [a.created(audio.wav(0.1 * (n + 1)), call_sid=call)["sid"] for n in range(5)]
    found: list[str] = []
    token = None
    while True:
        params: dict[str, Any] = {"call_sid": call, "page_size": 2}
        if token:
            params["page_token"] = token
        page = a.get("", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["recordings"]) <= 2
        found += [r["sid"] for r in body["recordings"]]
        token = body["meta"]["next_page_token"]
        if token is None:
            break
        assert body["meta"]["next_page_url"].startswith("/api/v1/recordings?")
    assert found == list(reversed(made))


def test_list_by_task_and_reservation(a: Tenant, held: dict[str, Any]) -> None:
    first = a.tasks[0]
    by_task = a.get("", params={"task_sid": first.task_sid}).json()["recordings"]
    assert held["sid"] in [r["sid"] for r in by_task]
    assert all(r["links"]["task_sid"] == first.task_sid for r in by_task)
    by_reservation = a.get("", params={"reservation_sid": first.reservation_sid}).json()
    assert [r["sid"] for r in by_reservation["recordings"]] == [held["sid"]]
    none = a.get("", params={"task_sid": random_sid("WT")}).json()
    assert none["recordings"] == [] and none["meta"]["next_page_token"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"task_sid": "WT1"},
        {"reservation_sid": "WT" + "1" * 32},
        {"call_sid": "CA" + "z" * 32},
        {"colour": "blue"},
        {"page_size": "0"},
        {"page_size": "1001"},
        {"page_token": "PTnotatoken"},
    ],
)
def test_list_refuses_bad_parameters(a: Tenant, params: dict[str, str]) -> None:
    error(a.get("", params=params), 400)


def test_another_account_sees_none_of_them(a: Tenant, b: Tenant, held: dict[str, Any]) -> None:
    assert b.get("").json()["recordings"] == []
    assert b.get("", params={"task_sid": a.tasks[0].task_sid}).json()["recordings"] == []
    for path in (f"/{held['sid']}", f"/{held['sid']}/media"):
        error(b.get(path), 404)
    head = httpx.head(b.url(f"/{held['sid']}/media"), auth=b.auth)
    assert head.status_code == 404
    error(httpx.delete(b.url(f"/{held['sid']}"), auth=b.auth), 404)
    assert a.get(f"/{held['sid']}").status_code == 200


@pytest.mark.parametrize("sid", ["RE" + "0" * 32, "RE123", "WT" + "0" * 32, "..%2F..%2Fsecret.key"])
def test_unknown_recordings_are_not_found(a: Tenant, sid: str) -> None:
    error(a.get(f"/{sid}"), 404)
    error(a.get(f"/{sid}/media"), 404)
    error(a.get(f"/{sid}/media", headers={"Range": "bytes=0-1"}), 404)
    error(httpx.delete(a.url(f"/{sid}"), auth=a.auth), 404)


def test_reading_needs_credentials(a: Tenant, held: dict[str, Any]) -> None:
    for path in ("", f"/{held['sid']}", f"/{held['sid']}/media"):
        error(httpx.get(a.url(path)), 401)


# --- streaming with ranges --------------------------------------------------------------------


def media(a: Tenant, sid: str, **headers: str) -> httpx.Response:
    return a.get(f"/{sid}/media", headers=headers)


def test_the_whole_file_streams_with_its_headers(a: Tenant, held: dict[str, Any]) -> None:
    response = media(a, held["sid"])
    assert response.status_code == 200
    assert response.content == STEREO
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-length"] == str(len(STEREO))
    assert response.headers["etag"] == f'"{held["sha256"]}"'
    assert "content-range" not in response.headers


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=100-199", 100, 199),
        ("bytes=0-0", 0, 0),
        ("bytes=-100", len(STEREO) - 100, len(STEREO) - 1),
        ("bytes=30000-", 30000, len(STEREO) - 1),
        ("bytes=40000-999999999", 40000, len(STEREO) - 1),
        ("bytes=-999999999", 0, len(STEREO) - 1),
        (f"bytes={len(STEREO) - 1}-", len(STEREO) - 1, len(STEREO) - 1),
        ("bytes=0-99999999999999999999999", 0, len(STEREO) - 1),
    ],
)
def test_one_range_is_partial_content_exact_to_the_byte(
    a: Tenant, held: dict[str, Any], header: str, start: int, end: int
) -> None:
    response = media(a, held["sid"], Range=header)
    assert response.status_code == 206, response.content[:300]
    assert response.content == STEREO[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(STEREO)}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "header", [f"bytes={len(STEREO)}-", f"bytes={len(STEREO) + 10}-{len(STEREO) + 20}", "bytes=-0"]
)
def test_a_range_past_the_end_is_416(a: Tenant, held: dict[str, Any], header: str) -> None:
    response = media(a, held["sid"], Range=header)
    error(response, 416)
    assert response.headers["content-range"] == f"bytes */{len(STEREO)}"


@pytest.mark.parametrize(
    "header",
    [
        "bytes=abc",
        "bytes=5-2",
        "items=0-10",
        "bytes=",
        "bytes=-",
        "bytes=0-1,5-6",
        "bytes=1-2, 3-4",
    ],
)
def test_ranges_not_served_as_ranges_give_the_whole_file(
    a: Tenant, held: dict[str, Any], header: str
) -> None:
    """Malformed, other units and multiple ranges: ignored (RFC 9110 allows it), 200 whole."""
    response = media(a, held["sid"], Range=header)
    assert response.status_code == 200
    assert response.content == STEREO
    assert "content-range" not in response.headers


def test_if_range_honours_the_range_only_for_the_current_file(
    a: Tenant, held: dict[str, Any]
) -> None:
    current = f'"{held["sha256"]}"'
    same = media(a, held["sid"], Range="bytes=10-19", **{"If-Range": current})
    assert (same.status_code, same.content) == (206, STEREO[10:20])
    modified = media(a, held["sid"]).headers["last-modified"]
    by_date = media(a, held["sid"], Range="bytes=10-19", **{"If-Range": modified})
    assert by_date.status_code == 206
    for stale in ('"0000"', f"W/{current}", "Mon, 01 Jan 2001 00:00:00 GMT"):
        other = media(a, held["sid"], Range="bytes=10-19", **{"If-Range": stale})
        assert (other.status_code, other.content) == (200, STEREO)


def test_head_gives_the_headers_without_the_body(a: Tenant, held: dict[str, Any]) -> None:
    whole = httpx.head(a.url(f"/{held['sid']}/media"), auth=a.auth)
    assert whole.status_code == 200 and whole.content == b""
    assert whole.headers["content-length"] == str(len(STEREO))
    assert whole.headers["accept-ranges"] == "bytes"
    part = httpx.head(a.url(f"/{held['sid']}/media"), auth=a.auth, headers={"Range": "bytes=-10"})
    assert part.status_code == 206 and part.content == b""
    assert (
        part.headers["content-range"] == f"bytes {len(STEREO) - 10}-{len(STEREO) - 1}/{len(STEREO)}"
    )


def test_a_long_read_streams_in_chunks(a: Tenant) -> None:
    long = audio.wav(30.0, rate=16000)  # about 1.9 MB
    body = a.created(long, call_sid=CALL_SID)
    with httpx.stream("GET", a.url(f"/{body['sid']}/media"), auth=a.auth) as response:
        chunks = list(response.iter_raw())
    assert b"".join(chunks) == long
    assert len(chunks) > 1


# --- delete -----------------------------------------------------------------------------------


def test_delete_removes_the_file_and_the_row(a: Tenant) -> None:
    body = a.created(audio.wav(0.3), call_sid=CALL_SID)
    path = a.server.runtime.settings.data_dir / "recordings" / a.account.sid / body["sid"]
    assert path.exists()
    rows = a.rows()
    response = httpx.delete(a.url(f"/{body['sid']}"), auth=a.auth)
    assert response.status_code == 204
    assert not path.exists()
    assert a.rows() == rows - 1
    error(a.get(f"/{body['sid']}"), 404)
    error(a.get(f"/{body['sid']}/media"), 404)
    error(httpx.delete(a.url(f"/{body['sid']}"), auth=a.auth), 404)
    error(httpx.delete(a.url(f"/{body['sid']}")), 401)


def test_openapi_documents_the_recordings_api(a: Tenant) -> None:
    spec = httpx.get(a.server.base_url + "/api/openapi.json", timeout=30).json()
    for path, methods in (
        ("/api/v1/recordings", {"get", "post"}),
        ("/api/v1/recordings/{sid}", {"get", "delete"}),
        ("/api/v1/recordings/{sid}/media", {"get", "head"}),
    ):
        assert methods <= set(spec["paths"][path]), spec["paths"].get(path)
