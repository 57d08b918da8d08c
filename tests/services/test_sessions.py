"""Sign-in sessions, as the session service decides them: who a cookie stands for, and when it
stops standing for anyone (idle, absolute lifetime, signed out, user disabled)."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from hindsight.app import Runtime
from hindsight.audit.trail import SYSTEM, operator
from hindsight.auth.sessions import MAX_TOKEN_LENGTH, StartedSession
from hindsight.auth.users import UserChanges
from hindsight.domain.clock import ManualClock
from hindsight.store.users import UserRecord

PASSWORD = "correct horse battery staple"


def _user(runtime: Runtime, name: str = "ana") -> UserRecord:
    account = runtime.services.accounts.create_account(f"Sessions {secrets.token_hex(2)}")
    create = runtime.services.users.create(
        operator(account.sid), name, ["wfo.team_leader"], password=PASSWORD, full_name="Ana Lima"
    )
    issued = asyncio.run(create)
    return issued.row


def _start(runtime: Runtime, user: UserRecord) -> StartedSession:
    return asyncio.run(runtime.services.sessions.start(user, "10.0.0.7", "pytest"))


def _resolve(runtime: Runtime, token: str | None):
    return asyncio.run(runtime.services.sessions.resolve(token, "10.0.0.7"))


def test_a_session_stands_for_its_user(runtime: Runtime) -> None:
    user = _user(runtime)
    started = _start(runtime, user)
    active = _resolve(runtime, started.token)
    assert active is not None
    assert isinstance(active.user, UserRecord) and active.user == user
    assert active.viewer.account_sid == user.account_sid
    assert active.viewer.actor_sid == user.sid
    assert active.viewer.name == "Ana Lima"
    assert active.csrf_token == started.csrf_token
    assert active.expires_ms == started.expires_ms


def test_an_idle_session_ends_and_use_keeps_it_alive(runtime: Runtime, clock: ManualClock) -> None:
    policy = runtime.services.sessions.policy
    started = _start(runtime, _user(runtime))
    # Used just before the idle limit each time: it lives on past several idle periods.
    for _ in range(3):
        clock.advance(policy.idle_ms / 1000 - 1)
        assert _resolve(runtime, started.token) is not None
    clock.advance(policy.idle_ms / 1000)
    assert _resolve(runtime, started.token) is None


def test_a_session_ends_at_its_absolute_lifetime_however_busy(
    runtime: Runtime, clock: ManualClock
) -> None:
    policy = runtime.services.sessions.policy
    started = _start(runtime, _user(runtime))
    step = policy.idle_ms / 1000 / 2
    while clock.now_ms() + step * 1000 < started.expires_ms:
        clock.advance(step)
        assert _resolve(runtime, started.token) is not None
    clock.advance(step)
    assert clock.now_ms() >= started.expires_ms
    assert _resolve(runtime, started.token) is None


def test_signing_out_ends_only_that_session(runtime: Runtime) -> None:
    user = _user(runtime)
    first, second = _start(runtime, user), _start(runtime, user)
    viewer = _resolve(runtime, first.token).viewer
    asyncio.run(runtime.services.sessions.end(first.token, viewer))
    assert _resolve(runtime, first.token) is None
    assert _resolve(runtime, second.token) is not None


def test_a_disabled_user_has_no_session(runtime: Runtime) -> None:
    user = _user(runtime)
    started = _start(runtime, user)
    asyncio.run(runtime.services.users.update(SYSTEM, user.sid, UserChanges(status="disabled")))
    assert _resolve(runtime, started.token) is None


@pytest.mark.parametrize(
    "token", [None, "", "not-a-token", "x" * (MAX_TOKEN_LENGTH + 1), "\x00", "é" * 40]
)
def test_a_token_that_names_no_session_resolves_to_no_one(runtime: Runtime, token) -> None:
    _start(runtime, _user(runtime))
    assert _resolve(runtime, token) is None
