"""`hindsight twilio-sources` as an operator runs it: connect a Twilio account, give Twilio the
printed URLs, and its events arrive."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import httpx
import pytest

from tests.cli.test_cli import SID, TOKEN, Served, _env, _hindsight
from tests.support.twilio_ingest import load_call, sign_form

SOURCE = re.compile(r"Twilio source (IS[0-9a-f]{32})")
CALLBACK_URL = re.compile(r"EventCallbackUrl[^:]*:\s+(\S+)")
SINK_URL = re.compile(r"Event Streams webhook sink destination:\s+(\S+)")
PUBLIC = "https://hindsight.example.com"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _account(env: dict[str, str], name: str = "Support") -> tuple[str, str]:
    created = _hindsight("accounts", "create", name, env=env)
    assert created.returncode == 0, created.stderr
    return SID.search(created.stdout).group(1), TOKEN.search(created.stdout).group(1)


def test_add_list_and_remove_a_source(data_dir: Path) -> None:
    env = _env(data_dir, HINDSIGHT_PUBLIC_URL=PUBLIC + "/")
    account_sid, _ = _account(env)
    twilio_account, twilio_token = "AC" + secrets.token_hex(16), secrets.token_hex(16)

    added = _hindsight(
        "twilio-sources", "add", twilio_account, env={**env, "TWILIO_AUTH_TOKEN": twilio_token}
    )
    assert added.returncode == 0, added.stdout + added.stderr
    source = SOURCE.search(added.stdout).group(1)
    assert account_sid in added.stdout and twilio_account in added.stdout
    assert CALLBACK_URL.search(added.stdout).group(1) == (
        f"{PUBLIC}/ingest/twilio/{source}/taskrouter"
    )
    assert SINK_URL.search(added.stdout).group(1) == (
        f"{PUBLIC}/ingest/twilio/{source}/event-streams"
    )
    assert twilio_token not in added.stdout + added.stderr
    assert "HINDSIGHT_PUBLIC_URL is not set" not in added.stdout

    listed = _hindsight("twilio-sources", "list", env=env)
    assert listed.returncode == 0
    assert source in listed.stdout and twilio_account in listed.stdout
    assert f"{PUBLIC}/ingest/twilio/{source}/taskrouter" in listed.stdout
    assert twilio_token not in listed.stdout
    assert twilio_token.encode() not in (data_dir / "hindsight.db").read_bytes()

    again = _hindsight(
        "twilio-sources", "add", twilio_account, env={**env, "TWILIO_AUTH_TOKEN": twilio_token}
    )
    assert again.returncode == 1 and "already feeds" in again.stdout

    removed = _hindsight("twilio-sources", "remove", source, env=env)
    assert removed.returncode == 0 and source in removed.stdout
    assert "No Twilio sources" in _hindsight("twilio-sources", "list", env=env).stdout
    gone = _hindsight("twilio-sources", "remove", source, env=env)
    assert gone.returncode == 1 and "No Twilio source" in gone.stdout


@pytest.mark.parametrize(
    ("twilio_account", "token", "complaint"),
    [
        ("AC123", "0123456789abcdef0123456789abcdef", "Account SID"),
        ("AC" + "1" * 32, "not-a-token", "Auth Token"),
    ],
)
def test_bad_credentials_are_refused_cleanly(
    data_dir: Path, twilio_account: str, token: str, complaint: str
) -> None:
    env = _env(data_dir)
    _account(env)
    result = _hindsight(
        "twilio-sources", "add", twilio_account, env={**env, "TWILIO_AUTH_TOKEN": token}
    )
    assert result.returncode == 1
    assert complaint in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_with_several_accounts_the_receiving_one_must_be_named(data_dir: Path) -> None:
    env = {**_env(data_dir), "TWILIO_AUTH_TOKEN": secrets.token_hex(16)}
    _account(env, "First")
    second, _ = _account(env, "Second")
    twilio_account = "AC" + secrets.token_hex(16)
    unnamed = _hindsight("twilio-sources", "add", twilio_account, env=env)
    assert unnamed.returncode == 1 and "--account" in unnamed.stdout
    named = _hindsight("twilio-sources", "add", twilio_account, "--account", second, env=env)
    assert named.returncode == 0, named.stdout
    assert second in named.stdout
    assert "HINDSIGHT_PUBLIC_URL is not set" in named.stdout


def test_twilio_posts_to_the_printed_url_and_the_account_reads_the_event(data_dir: Path) -> None:
    served = Served(_env(data_dir))
    try:
        env = _env(data_dir, HINDSIGHT_PORT=str(served.port))
        account_sid, account_token = _account(env)
        call = load_call()
        twilio_token = secrets.token_hex(16)
        added = _hindsight(
            "twilio-sources",
            "add",
            call.twilio_account_sid,
            "--account",
            account_sid,
            env={**env, "TWILIO_AUTH_TOKEN": twilio_token},
        )
        assert added.returncode == 0, added.stdout
        url = CALLBACK_URL.search(added.stdout).group(1)
        assert url.startswith(served.base)

        response = httpx.post(
            url,
            data=call.first,
            headers={"X-Twilio-Signature": sign_form(twilio_token, url, call.first)},
            timeout=10,
        )
        assert response.status_code == 204, response.text
        events = httpx.get(
            f"{served.base}/v1/Workspaces/{call.workspace_sid}/Events",
            params={"StartDate": "2025-03-01T00:00:00Z"},
            auth=(account_sid, account_token),
            timeout=10,
        ).json()["events"]
        assert [e["sid"] for e in events] == [call.first["Sid"]]
    finally:
        served.stop()
