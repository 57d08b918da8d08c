"""`hindsight serve` runs HTTP workers and a background process, supervised; several servers
on one PostgreSQL database share the work without breaking routing's invariants.

These start real `hindsight serve` processes, as an operator would, and drive them with the
official `twilio` client.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import signal
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, select

from hindsight.store.database import normalise_url
from hindsight.store.schema import leases, projection_tasks, reservations, tasks
from tests.api.helpers_routing import floor
from tests.conftest import POSTGRES_ADMIN_URL
from tests.processes.served import Credentials, serve
from tests.support.twilio_client import client_for
from tests.support.waiting import wait_for, wait_until_steady


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name = f"hindsight_serve_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _routed_floor(client: Any, workers: int) -> tuple[Any, str]:
    room = floor(client, name=f"Serve {secrets.token_hex(2)}")
    queue = room.queue("Everyone")
    workflow = room.workflow("All", default_queue=queue.sid)
    for n in range(workers):
        room.worker(f"agent-{n}")
    return room, workflow.sid


def _reserved(room: Any, task_sid: str) -> Any:
    return wait_for(
        lambda: room.reservations(task_sid, reservation_status="pending"),
        f"a reservation of {task_sid}",
        timeout=60,
    )


def test_serve_runs_workers_and_a_background_process_and_revives_what_dies(
    tmp_path: Path,
) -> None:
    credentials = Credentials.new()
    served = serve(
        tmp_path / "host",
        f"sqlite:///{tmp_path / 'host' / 'hindsight.db'}",
        credentials,
        "--workers",
        "2",
    )
    try:
        children = served.children()
        assert len(children) == 3, served.log_text()  # web-1, web-2, background
        client = client_for(served.base_url, credentials.account_sid, credentials.auth_token)
        room, workflow = _routed_floor(client, workers=1)
        # Routing happens in the background process, woken across processes by the commit.
        first = room.task(workflow, n=1)
        assert _reserved(room, first.sid)[0].task_sid == first.sid

        # One log names every process; a worker may still be starting up (its first line not
        # written yet) when another has already served the task above.
        names = ("[web-1]", "[web-2]", "[background]", "holding the background lease")
        wait_for(lambda: all(n in served.log_text() for n in names), "every process's lines", 60)

        os.kill(children["background"], signal.SIGKILL)
        wait_for(lambda: "exited with code -9" in served.log_text(), "the supervisor noticing", 30)
        # A new background process takes the work up again: the next task is routed too
        # (the first worker is busy with the first task, so make room for it).
        room.answer(_reserved(room, first.sid)[0], reservation_status="rejected")
        second = room.task(workflow, n=2)
        assert _reserved(room, second.sid)[0].task_sid == second.sid
        wait_for(lambda: len(served.children()) == 3, "three children again", 60)
    finally:
        code = served.stop()
    assert code == 0, served.log_text()
    assert served.children() == {}


@pytest.mark.postgres
def test_three_servers_on_one_postgresql_database_keep_routing_invariants_and_miss_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    credentials = Credentials.new()
    servers = [
        serve(tmp_path / f"host-{n}", postgres_url, credentials, lease_seconds="3")
        for n in range(3)
    ]
    try:
        clients = [
            client_for(s.base_url, credentials.account_sid, credentials.auth_token) for s in servers
        ]
        room, workflow = _routed_floor(clients[0], workers=4)
        rooms = [dataclasses.replace(room, client=c) for c in clients]

        def create(n: int) -> str:
            target = rooms[n % len(rooms)]
            return target.task(workflow, n=n).sid

        def churn(n: int) -> None:
            # Attribute updates race routing's own writes to the same tasks.
            target = rooms[n % len(rooms)]
            target.api.tasks(created[n % len(created)]).update(
                attributes=json.dumps({"n": n, "touched": True})
            )

        with ThreadPoolExecutor(12) as pool:
            created = list(pool.map(create, range(60)))
            list(pool.map(churn, range(60)))

        engine = create_engine(normalise_url(postgres_url))
        try:

            def projected() -> bool:
                with engine.connect() as conn:
                    rows = conn.execute(select(projection_tasks.c.task_sid)).scalars().all()
                return set(created) <= set(rows)

            # Every task reached the projection: whoever followed the log skipped nothing.
            wait_for(projected, "every task projected", timeout=90)
            # Four workers of capacity one: four tasks reserved, the rest waiting.
            wait_for(lambda: len(_pending(engine)) == 4, "four pending reservations", 60)
            # Routing has settled: nothing more is offered over a second.
            pending = list(
                wait_until_steady(
                    lambda: frozenset(_pending(engine)),
                    "the pending reservations",
                    timeout=30,
                    interval=1.0,
                )
            )
            per_task_worker = Counter((r.task_sid, r.worker_sid) for r in pending)
            assert max(per_task_worker.values()) == 1
            per_worker = Counter(r.worker_sid for r in pending)
            assert max(per_worker.values()) == 1, per_worker
            with engine.connect() as conn:
                holders = conn.execute(select(leases.c.owner)).scalars().all()
                statuses = Counter(
                    conn.execute(
                        select(tasks.c.assignment_status).where(tasks.c.sid.in_(created))
                    ).scalars()
                )
            assert len(holders) == 1
            assert statuses == {"reserved": 4, "pending": 56}
            holding = [s for s in servers if "holding the background lease" in s.log_text()]
            assert len(holding) == 1

            # The holder's whole host goes away: another server takes the work over once
            # the lease lapses, and routing goes on.
            holder = holding[0]
            os.killpg(holder.process.pid, signal.SIGKILL)
            holder.process.wait(30)
            survivor = rooms[servers.index(next(s for s in servers if s is not holder))]
            reserved = {r.task_sid for r in pending}
            survivor.answer(
                _reserved(survivor, next(iter(reserved)))[0], reservation_status="rejected"
            )
            wait_for(
                lambda: any(
                    "holding the background lease" in s.log_text()
                    for s in servers
                    if s is not holder
                ),
                "another server taking the lease",
                60,
            )
            wait_for(lambda: len(_pending(engine)) == 4, "routing going on", 60)
        finally:
            engine.dispose()
    finally:
        for s in servers:
            s.stop()


def _pending(engine: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(reservations.c.task_sid, reservations.c.worker_sid).where(
                    reservations.c.reservation_status == "pending"
                )
            )
        )
