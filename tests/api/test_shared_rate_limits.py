"""Rate limits hold across processes: two servers on one database share the counts, so a
client cannot have the limit once per process. (Each server here is a process's worth of
Hindsight: its own app, limiters and connections; they meet only in the database.)"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hindsight.store.schema import rate_limit_windows
from tests.conftest import BACKENDS, database_url_for
from tests.support.people import PASSWORD, audit_of, person
from tests.support.server import OffsetClock, RunningServer, start_server
from tests.support.waiting import wait_for


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_share_the_sign_in_limit(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = database_url_for(backend, tmp_path, request)
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    # The login limit counts per clock minute; a test straddling two minutes would see two.
    # Both processes read one clock, started a second into a minute.
    clock = OffsetClock()
    clock.to_next_minute()
    first = start_server(tmp_path / "one", url, clock, rate_limit_login_per_minute=3)
    second = start_server(tmp_path / "two", url, clock, rate_limit_login_per_minute=3)
    try:
        attempt = {"username": "nobody", "password": "wrong"}
        on_first = [
            httpx.post(f"{first.base_url}/api/v1/session", json=attempt, timeout=30).status_code
            for _ in range(3)
        ]
        assert on_first == [401, 401, 401]

        def shared(hits: int) -> bool:
            query = select(rate_limit_windows.c.hits).where(
                rate_limit_windows.c.key.startswith("login:")
            )
            return first.runtime.db.read_sync(lambda conn: conn.execute(query).scalar()) == hits

        # Each process adds its counts to the shared ones and learns the totals of the keys it
        # has seen every 0.1 s, so the second process admits this address once more (it has
        # not seen it yet: a process may overshoot by what it admits in one flush)...
        wait_for(lambda: shared(3), "the first process sharing its counts", timeout=5)
        own = httpx.post(f"{second.base_url}/api/v1/session", json=attempt, timeout=30)
        assert own.status_code == 401
        # ... and then refuses it, one attempt into its own allowance of three.
        wait_for(lambda: shared(4), "the second process sharing its count", timeout=5)
        refused = httpx.post(f"{second.base_url}/api/v1/session", json=attempt, timeout=30)
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["code"] == 20429
    finally:
        second.stop()
        first.stop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_share_a_clients_lock_out(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = database_url_for(backend, tmp_path, request)
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    limits = {
        "login_max_failures": 3,
        "login_user_max_failures": 50,
        "login_lockout_minutes": 30,
        "rate_limit_login_per_minute": 0,
    }
    first = start_server(tmp_path / "one", url, **limits)
    second = start_server(tmp_path / "two", url, **limits)
    account = first.new_account("shared lock-out")
    victim = person(first, account.sid, ["wfo.full_access"], name="victim", login=False)
    try:

        def sign_in(server: RunningServer, address: str, password: str) -> int:
            with httpx.Client(
                base_url=server.base_url,
                transport=httpx.HTTPTransport(local_address=address),
                timeout=30,
            ) as client:
                answer = {"username": victim.username, "password": password}
                return client.post("/api/v1/session", json=answer).status_code

        # Three wrong passwords from one address, spread over both processes: one lock-out.
        for server in (first, second, first):
            assert sign_in(server, "127.0.0.41", "wrong password") == 401
        for server in (first, second):
            assert sign_in(server, "127.0.0.41", PASSWORD) == 401
        # The user still signs in from elsewhere, through either process.
        assert sign_in(second, "127.0.0.42", PASSWORD) == 200
        lockouts = [r for r in audit_of(first, victim.sid) if r["action"] == "auth.lockout"]
        assert [(r["detail"]["scope"], r["detail"]["client"]) for r in lockouts] == [
            ("client", "127.0.0.41")
        ]
    finally:
        victim.close()
        second.stop()
        first.stop()
