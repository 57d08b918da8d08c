"""`hindsight retention` as an operator runs it, on both stores: the policy, holds, and sweeps
that keep what is held and delete the rest."""

from __future__ import annotations

import time

from tests.cli.test_people_cli import run, sql, store  # noqa: F401 - `store` is a fixture

DAY_MS = 86_400_000


def _ok(env: dict[str, str], *args: str) -> str:
    result = run(env, "retention", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _account(env: dict[str, str]) -> str:
    created = run(env, "accounts", "create", "Clinic")
    assert created.returncode == 0, created.stdout + created.stderr
    (sid,) = [w for w in created.stdout.split() if w.startswith("AC") and len(w) == 34]
    return sid


def _finished_conversation(env: dict[str, str], account_sid: str, conversation_id: str) -> None:
    """A projected conversation that ended ten days ago (as the projector writes it)."""
    ended = int(time.time() * 1000) - 10 * DAY_MS
    sql(env)(
        "INSERT INTO conversations (account_sid, workspace_sid, conversation_id, start_ms, "
        "end_ms, segment_count, abandoned, handled, in_progress, has_media, queue_time, "
        "talk_time, wrap_up_time, handling_time, abandon_time, attributes, search_text, "
        f"updated_ms) VALUES ('{account_sid}', 'WS{'0' * 32}', '{conversation_id}', "
        f"{ended - 60_000}, {ended}, 1, false, true, false, false, 0, 60, 0, 60, 0, '{{}}', "
        f"'', {ended})"
    )


def test_policy_holds_and_sweeps_from_the_command_line(store: dict[str, str]) -> None:  # noqa: F811
    # Each command is a new process (seconds on a loaded machine): few, each checking much.
    account = _account(store)
    shown = _ok(store, "policy", "--conversations", "5", "--recordings", "30")
    assert "Conversations: 5 days" in shown
    assert "Recordings:    30 days (in effect: 5 days)" in shown
    assert "Transcripts:   for ever (in effect: 5 days)" in shown

    for conversation_id in ("kept-by-hold", "expired"):
        _finished_conversation(store, account, conversation_id)
    missing = run(store, "retention", "hold", "no-such", "--reason", "Case 9")
    assert missing.returncode == 1 and "No conversation 'no-such'" in missing.stdout
    assert "On hold: kept-by-hold (Case 9)" in _ok(
        store, "hold", "kept-by-hold", "--reason", "Case 9"
    )

    assert "Would delete 1 conversations" in _ok(store, "run", "--dry-run")
    swept = _ok(store, "run")
    assert "Deleted 1 conversations" in swept and "1 conversations on hold were kept" in swept

    assert "Released: kept-by-hold" in _ok(store, "release", "kept-by-hold")
    assert "Deleted 1 conversations" in _ok(store, "run")

    # Back to keeping everything: 0 means for ever.
    assert "Conversations: for ever" in _ok(store, "policy", "--conversations", "0")
