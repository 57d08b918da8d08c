"""A flood of wrong passwords locks out the place it comes from, not the user; it costs no
password hashing once throttled; spread over many clients it locks the user everywhere except
where they last signed in; every lock-out is audited. Clients differ by source address
(127.0.0.x on the loopback interface)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import BACKENDS, database_url_for
from tests.support.people import PASSWORD, audit_of, person
from tests.support.server import RunningServer, start_server

WRONG = "wrong password, wrong password"


@pytest.fixture(scope="module", params=BACKENDS)
def guarded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp(f"lockout-{request.param}")
    running = start_server(
        data_dir,
        database_url_for(request.param, data_dir, request),
        login_max_failures=3,
        login_user_max_failures=6,
        login_lockout_minutes=30,
        rate_limit_login_per_minute=0,
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def victim(guarded: RunningServer):
    account = guarded.new_account("lockout")
    who = person(guarded, account.sid, ["wfo.full_access"], name="victim", login=False)
    yield who
    who.close()


@pytest.fixture
def clients(guarded: RunningServer) -> Iterator[dict[str, httpx.Client]]:
    opened: dict[str, httpx.Client] = {}

    class From(dict):
        def __missing__(self, address: str) -> httpx.Client:
            opened[address] = httpx.Client(
                base_url=guarded.base_url,
                transport=httpx.HTTPTransport(local_address=address),
                timeout=60,
            )
            return opened[address]

    yield From()
    for client in opened.values():
        client.close()


def _sign_in(client: httpx.Client, username: str, password: str) -> int:
    return client.post(
        "/api/v1/session", json={"username": username, "password": password}
    ).status_code


def _logins(server: RunningServer, sid: str) -> list[dict]:
    return [r for r in audit_of(server, sid) if r["action"] == "auth.login"]


def test_a_flood_from_one_client_locks_that_client_out_not_the_user(guarded, victim, clients):
    attacker = clients["127.0.0.2"]
    for _ in range(12):
        assert _sign_in(attacker, victim.username, WRONG) == 401
    # Locked there, even with the right password ...
    assert _sign_in(attacker, victim.username, PASSWORD) == 401
    # ... and nowhere else.
    assert _sign_in(clients["127.0.0.3"], victim.username, PASSWORD) == 200

    logins = _logins(guarded, victim.sid)
    # Three checked passwords; of the ten refused while locked only the first is a record of
    # its own (a flood is not an audit write per request); then the sign-in from elsewhere.
    assert [r["reason"] for r in logins] == [
        *["wrong password"] * 3,
        "user locked after repeated failures",
        None,
    ]
    # Refused before hashing: the flood cost three argon2 checks, not thirteen.
    assert logins[3]["detail"] == {"password_checked": False}
    assert (logins[-1]["outcome"], logins[-1]["ip"]) == ("allowed", "127.0.0.3")
    lockouts = [r for r in audit_of(guarded, victim.sid) if r["action"] == "auth.lockout"]
    assert len(lockouts) == 1
    assert lockouts[0]["detail"]["scope"] == "client"
    assert lockouts[0]["detail"]["client"] == "127.0.0.2"
    assert lockouts[0]["outcome"] == "denied"


def test_guessing_from_many_clients_locks_the_user_except_where_they_last_signed_in(
    guarded, victim, clients
):
    home = clients["127.0.0.5"]
    assert _sign_in(home, victim.username, PASSWORD) == 200
    for address in ("127.0.0.20", "127.0.0.21"):
        for _ in range(3):
            assert _sign_in(clients[address], victim.username, WRONG) == 401
    # Six wrong passwords from two places: the user is locked for a new place ...
    assert _sign_in(clients["127.0.0.22"], victim.username, PASSWORD) == 401
    last = _logins(guarded, victim.sid)[-1]
    assert last["reason"] == "user locked after repeated failures from many clients"
    assert last["detail"] == {"password_checked": False}
    # ... but not where they last signed in.
    assert _sign_in(home, victim.username, PASSWORD) == 200
    lockouts = [r for r in audit_of(guarded, victim.sid) if r["action"] == "auth.lockout"]
    assert [r["detail"]["scope"] for r in lockouts] == ["client", "client", "user"]


def test_unknown_user_names_are_throttled_too(guarded, clients):
    prober = clients["127.0.0.30"]
    for _ in range(3):
        assert _sign_in(prober, "nobody-here", WRONG) == 401
    records = guarded.runtime.db.read_sync(
        lambda conn: [
            r
            for r in conn.exec_driver_sql(
                "select reason, detail from audit_records where actor_name = 'nobody-here' "
                "and action = 'auth.lockout'"
            )
        ]
    )
    assert len(records) == 1


def test_sign_ins_past_the_hashing_queue_are_refused_busy_but_not_the_usual_place(tmp_path):
    """Deterministic: the argon2 lane is held, eight attempts queue behind it, the ninth is
    refused at once (429) while the user's usual place still gets its own lane."""
    import asyncio

    from hindsight.app import build_runtime
    from hindsight.audit.trail import operator
    from hindsight.auth.users import SignInBusy
    from hindsight.settings import Settings

    runtime = build_runtime(
        Settings(
            data_dir=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'h.db'}",
            login_hash_concurrency=1,
        )
    )
    try:
        account = runtime.services.accounts.create_account("busy")
        users = runtime.services.users
        asyncio.run(users.create(operator(account.sid), "ana", ["admin"], password=PASSWORD))

        async def scenario() -> None:
            ana = await users.authenticate("ana", PASSWORD, "10.0.0.1")  # her usual place
            await runtime.services.sessions.start(ana, "10.0.0.1", "test")  # as the API does
            async with users._hashing:  # a long password check in progress
                queued = [
                    asyncio.create_task(users.authenticate(f"guess{n}", WRONG, f"10.1.0.{n}"))
                    for n in range(8)
                ]

                async def all_queued() -> None:
                    while users._waiting < 8:
                        await asyncio.sleep(0.01)

                await asyncio.wait_for(all_queued(), 60)
                with pytest.raises(SignInBusy) as busy:
                    await users.authenticate("guess9", WRONG, "10.1.0.9")
                assert busy.value.status == 429
                assert (await users.authenticate("ana", PASSWORD, "10.0.0.1")).sid == ana.sid
            outcomes = await asyncio.gather(*queued, return_exceptions=True)
            assert all(type(o).__name__ == "Unauthenticated" for o in outcomes)

        asyncio.run(scenario())
    finally:
        runtime.close()
