"""Two answers to one reservation at the same moment (a double click in the agent's desktop and a
retried request, or two hosts) on PostgreSQL, where nothing but row locks serialises them.

The task's row is held locked from outside while both accepts arrive, so both have read the
reservation as pending and both wait on the same lock; then it is released. Exactly one accept
may win: the other must see, under the lock, that the reservation is no longer pending.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from twilio.base.exceptions import TwilioRestException

from tests.api.helpers_routing import floor, wait_for
from tests.support.server import start_server
from tests.support.twilio_client import client_for

pytestmark = pytest.mark.usefixtures("postgres_database")


def _waiting_on_locks(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return int(row[0]) if row else 0


def test_two_accepts_of_one_reservation_assign_the_task_once(
    tmp_path: Path, postgres_database: str
) -> None:
    server = start_server(tmp_path, postgres_database)
    try:
        account = server.new_account()
        client = client_for(server.base_url, account.sid, account.auth_token)
        f = floor(client, name="Double accept")
        queue = f.queue("Everyone")
        workflow = f.workflow("Everyone", default_queue=queue.sid)
        f.worker("Alice")
        task = f.task(workflow.sid, type="call")
        reservation = f.pending_one(task.sid)

        results: list[Any] = []

        def accept() -> None:
            try:
                results.append(f.answer(reservation, reservation_status="accepted"))
            except TwilioRestException as error:
                results.append(error)

        with (
            psycopg.connect(postgres_database) as holder,
            psycopg.connect(postgres_database, autocommit=True) as watcher,
        ):
            holder.execute("SELECT sid FROM tasks WHERE sid = %s FOR UPDATE", (task.sid,))
            threads = [threading.Thread(target=accept) for _ in range(2)]
            for thread in threads:
                thread.start()
            wait_for(lambda: _waiting_on_locks(watcher) >= 2, "both accepts waiting on the task")
            holder.rollback()
            for thread in threads:
                thread.join(timeout=30)

        refused = [r for r in results if isinstance(r, TwilioRestException)]
        accepted = [r for r in results if not isinstance(r, TwilioRestException)]
        assert len(accepted) == 1 and accepted[0].reservation_status == "accepted"
        assert len(refused) == 1 and refused[0].status == 400
        assert "it is accepted" in refused[0].msg
        assert f.task_event_types(task.sid).count("reservation.accepted") == 1
        assert f.status(task.sid) == "assigned"
    finally:
        server.stop()
