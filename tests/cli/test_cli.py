"""The `hindsight` command as an operator runs it: a real process, real HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port
from tests.support.waiting import wait_for

SID = re.compile(r"Account SID:\s+(AC[0-9a-f]{32})")
TOKEN = re.compile(r"Auth Token:\s+([0-9a-f]{32})")


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HINDSIGHT_")}
    return {**env, "HINDSIGHT_DATA_DIR": str(data_dir), "COLUMNS": "200", **extra}


def _hindsight(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hindsight.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


class Served:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hindsight.cli.main", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        # Generous: on a loaded 2-core machine starting Python and migrating takes a while.
        try:
            wait_for(self._healthy, "the server answering /healthz", timeout=90, interval=0.1)
        except AssertionError:
            self.stop()
            raise AssertionError("server did not start:\n" + self.output) from None

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
        self.output = self.process.communicate(timeout=30)[0]
        return self.output


def _authenticates(base: str, sid: str, token: str) -> bool:
    response = httpx.get(f"{base}/v1/Workspaces", auth=(sid, token), timeout=10)
    return response.status_code == 200


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_first_run_prints_credentials_once_and_they_work(data_dir):
    env = _env(data_dir)
    first = Served(env)
    try:
        pass
    finally:
        output = first.stop()
    sid, token = SID.search(output).group(1), TOKEN.search(output).group(1)
    assert "/v1/Workspaces" in output
    assert str(data_dir.resolve()) in output.replace("\n", "")
    assert re.search(r"Open http://127\.0\.0\.1:\d+/ and sign in as admin", output)
    password = re.search(r"Password \(shown only now\): (\S+)", output).group(1)

    second = Served(env)
    try:
        assert _authenticates(second.base, sid, token)
        assert not _authenticates(second.base, sid, "0" * 32)
        signed_in = httpx.post(
            f"{second.base}/api/v1/session",
            json={"username": "admin", "password": password},
            timeout=30,
        )
        assert signed_in.status_code == 200 and "admin" in signed_in.json()["user"]["roles"]
    finally:
        output = second.stop()
    assert token not in output and password not in output
    assert "first run" not in output and "sign in as" not in output


def test_the_token_is_not_stored_in_the_clear(data_dir):
    served = Served(_env(data_dir))
    token = TOKEN.search(served.stop()).group(1)
    database = (data_dir / "hindsight.db").read_bytes()
    assert token.encode() not in database
    assert (data_dir / "secret.key").stat().st_mode & 0o077 == 0


def test_bootstrap_account_from_the_environment_is_created_and_never_printed(data_dir):
    sid, token = "AC" + "1" * 32, "a" * 32
    env = _env(data_dir, HINDSIGHT_BOOTSTRAP_ACCOUNT_SID=sid, HINDSIGHT_BOOTSTRAP_AUTH_TOKEN=token)
    served = Served(env)
    try:
        assert _authenticates(served.base, sid, token)
    finally:
        output = served.stop()
    assert token not in output
    assert sid in output


@pytest.mark.parametrize(
    ("sid", "token"),
    [
        ("AC123", "a" * 32),
        ("AC" + "1" * 32, "not-hex-at-all-not-hex-at-all-00"),
        ("AC" + "1" * 32, ""),
    ],
)
def test_invalid_bootstrap_credentials_stop_the_server_with_a_message(data_dir, sid, token):
    env = _env(data_dir, HINDSIGHT_BOOTSTRAP_ACCOUNT_SID=sid, HINDSIGHT_BOOTSTRAP_AUTH_TOKEN=token)
    result = _hindsight("serve", "--port", str(free_port()), env=env)
    assert result.returncode != 0
    combined = result.stdout + result.stderr
    assert "BOOTSTRAP" in combined or "Account SID" in combined or "Auth Token" in combined
    assert "Traceback" not in combined


def test_accounts_create_list_and_rotate(data_dir):
    env = _env(data_dir)
    created = _hindsight("accounts", "create", "Second", env=env)
    assert created.returncode == 0, created.stderr
    sid, token = SID.search(created.stdout).group(1), TOKEN.search(created.stdout).group(1)

    listed = _hindsight("accounts", "list", env=env)
    assert sid in listed.stdout and "Second" in listed.stdout
    assert token not in listed.stdout

    rotated = _hindsight("accounts", "rotate", sid, env=env)
    assert rotated.returncode == 0
    new_token = re.search(r"([0-9a-f]{32})", rotated.stdout.split(":", 1)[1]).group(1)
    served = Served(env)
    try:
        assert _authenticates(served.base, sid, new_token)
        assert not _authenticates(served.base, sid, token)
    finally:
        served.stop()


def test_rotating_an_unknown_account_fails_cleanly(data_dir):
    result = _hindsight("accounts", "rotate", "AC" + "9" * 32, env=_env(data_dir))
    assert result.returncode == 1
    assert "No account" in result.stdout


def test_demo_loads_a_day_of_conversations_through_the_ingest_api(data_dir):
    env = _env(data_dir)
    assert _hindsight("accounts", "create", "Demo", env=env).returncode == 0

    # A weekday ending in the afternoon: the demo's traffic follows the clock (a trickle at
    # weekends, little at night), so "now" would make the count depend on when the test runs.
    result = _hindsight(
        "demo", "--days", "1", "--seed", "3", "--recordings", "2",
        "--until", "2026-12-03T17:00:00+00:00", env=env,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Loaded" in result.stdout and "still catching up" not in result.stdout
    import sqlite3

    db = sqlite3.connect(data_dir / "hindsight.db")
    kinds = dict(db.execute("select kind, count(*) from segments group by kind").fetchall())
    conversations, handled, abandoned, with_media = db.execute(
        "select count(*), sum(handled), sum(abandoned), sum(has_media) from conversations"
    ).fetchone()
    assert conversations > 20
    # A call never answered has no recording, so it may have no media at all.
    assert handled > 0 and abandoned >= 0 and with_media >= conversations - abandoned
    assert kinds["Queue"] >= conversations and kinds["Conversation"] >= handled
    media_types = {
        item["type"]
        for (document,) in db.execute("select media from segments where kind = 'Conversation'")
        for item in __import__("json").loads(document)
        if "type" in item
    }
    assert media_types == {"Raw", "Embedded", "Referenced", "VoiceRecording", "ChatTranscript"}
    # Chats got transcripts, and every answered call one of two recordings Hindsight holds.
    (recordings,) = db.execute("select count(*) from recordings").fetchone()
    (chats, messages) = db.execute(
        "select count(distinct conversation_sid), count(*) from chat_messages"
    ).fetchone()
    assert recordings == 2 and chats > 0 and messages >= 5 * chats
    held = db.execute(
        "select count(*) from segments where media like '%/api/v1/recordings/RE%'"
    ).fetchone()[0]
    (answered,) = db.execute(
        "select count(*) from segments where kind = 'Conversation' and channel = 'voice'"
    ).fetchone()
    assert held >= answered > 2
    assert "(2 distinct) held by Hindsight" in " ".join(result.stdout.split())
