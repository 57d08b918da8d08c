"""Concurrent writers: no lost update, versions and the event log in commit order."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.api.helpers_tasks import (
    ENTERED_WORKFLOW,
    WORKFLOW_ROUTING,
    header,
    logged_events,
    ws_api,
)
from tests.support.server import RunningServer
from tests.support.twilio_client import client_for

WRITERS = 20
T = TypeVar("T")

WORKSPACE_NAME = "Concurrency"  # the `fifo` fixture's workspace


@pytest.fixture
def task(client: Client, fifo: Any) -> Any:
    return ws_api(client, fifo.sid).tasks.create(attributes="{}")


def _all_at_once(count: int, work: Callable[[int], T]) -> list[T]:
    """Run `work(i)` for i in range(count) on as many threads, released together."""
    start = threading.Barrier(count)

    def run(i: int) -> T:
        start.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _own_api(server: RunningServer, account: Any, workspace_sid: str) -> Any:
    """A workspace context on a client of its own: one HTTP session per thread."""
    return ws_api(client_for(server.base_url, account.sid, account.auth_token), workspace_sid)


def _version(etag: str | None) -> int:
    assert etag is not None
    return int(etag.strip('"'))


def _add_contribution_with_if_match(api: Any, task_sid: str, writer: int) -> int:
    """Read-modify-write of the attributes, retried on 412; returns the number of retries."""
    retries = 0
    while True:
        current = api.tasks(task_sid).fetch_with_http_info()
        attributes = json.loads(current.data.attributes)
        attributes[f"writer-{writer}"] = writer
        try:
            api.tasks(task_sid).update(
                if_match=header(current.headers, "ETag"), attributes=json.dumps(attributes)
            )
            return retries
        except TwilioRestException as error:
            assert (error.status, error.code) == (412, 20412), error.msg
            retries += 1
            assert retries < 500, "a writer never got its turn"


def test_read_modify_write_with_if_match_loses_no_update(
    server: RunningServer, account: Any, client: Client, fifo: Any, task: Any
) -> None:
    apis = [_own_api(server, account, fifo.sid) for _ in range(WRITERS)]

    retries = _all_at_once(WRITERS, lambda i: _add_contribution_with_if_match(apis[i], task.sid, i))

    final = json.loads(ws_api(client, fifo.sid).tasks(task.sid).fetch().attributes)
    assert final == {f"writer-{i}": i for i in range(WRITERS)}
    assert sum(retries) > 0, "the writers never collided, so nothing was tested"


def test_read_modify_write_advances_the_version_once_per_writer(
    server: RunningServer, account: Any, client: Client, fifo: Any, task: Any
) -> None:
    apis = [_own_api(server, account, fifo.sid) for _ in range(WRITERS)]

    _all_at_once(WRITERS, lambda i: _add_contribution_with_if_match(apis[i], task.sid, i))

    response = ws_api(client, fifo.sid).tasks(task.sid).fetch_with_http_info()
    assert _version(header(response.headers, "ETag")) == WRITERS


def test_concurrent_updates_without_if_match_all_succeed(
    server: RunningServer, account: Any, client: Client, fifo: Any, task: Any
) -> None:
    apis = [_own_api(server, account, fifo.sid) for _ in range(WRITERS)]

    results = _all_at_once(
        WRITERS,
        lambda i: apis[i].tasks(task.sid).update_with_http_info(attributes=json.dumps({"w": i})),
    )

    assert [r.status_code for r in results] == [200] * WRITERS
    versions = sorted(_version(header(r.headers, "ETag")) for r in results)
    assert versions == list(range(1, WRITERS + 1))
    final = ws_api(client, fifo.sid).tasks(task.sid).fetch_with_http_info()
    assert _version(header(final.headers, "ETag")) == WRITERS


def test_last_committed_update_is_the_one_that_stays(
    server: RunningServer, account: Any, client: Client, fifo: Any, task: Any
) -> None:
    apis = [_own_api(server, account, fifo.sid) for _ in range(WRITERS)]

    results = _all_at_once(
        WRITERS,
        lambda i: apis[i].tasks(task.sid).update_with_http_info(attributes=json.dumps({"w": i})),
    )

    last = max(results, key=lambda r: _version(header(r.headers, "ETag")))
    assert ws_api(client, fifo.sid).tasks(task.sid).fetch().attributes == last.data.attributes


def test_concurrent_updates_append_one_event_each_in_commit_order(
    server: RunningServer, account: Any, fifo: Any, task: Any
) -> None:
    apis = [_own_api(server, account, fifo.sid) for _ in range(WRITERS)]

    _all_at_once(
        WRITERS,
        lambda i: apis[i].tasks(task.sid).update(attributes=json.dumps({"w": i})),
    )

    updates = [e for e in logged_events(server, fifo.sid) if e.event_type == "task.updated"]
    assert len(updates) == WRITERS
    # The version is taken under the task's row lock, so seq order is commit order exactly
    # when the versions read 1, 2, ... in seq order.
    assert [int(json.loads(e.event_data)["task_version"]) for e in updates] == list(
        range(1, WRITERS + 1)
    )


def test_event_log_has_no_gaps_or_duplicates_under_concurrent_writes(
    server: RunningServer, account: Any, client: Client, fifo: Any, task: Any
) -> None:
    before = len(logged_events(server, fifo.sid))
    apis = [_own_api(server, account, fifo.sid) for _ in range(WRITERS)]

    def work(i: int) -> None:
        if i % 2:
            apis[i].tasks.create(attributes=json.dumps({"n": i}))
        else:
            apis[i].tasks(task.sid).update(priority=i + 1)

    _all_at_once(WRITERS, work)

    log = logged_events(server, fifo.sid)
    # (Positions come from one counter shared by every workspace; that followers never skip
    # one under concurrent writers is tested in tests/store/test_event_horizon.py.)
    assert len({e.sid for e in log}) == len(log)
    # One event per writer; each created task was also routed into its workflow's queue, in
    # the creating transaction (those events are routing's doing, not the writers').
    caused = [e for e in log[before:] if e.source == "api"]
    assert sorted(e.event_type for e in caused) == sorted(
        ["task.created"] * (WRITERS // 2) + ["task.updated"] * (WRITERS // 2)
    )
    routed = [e for e in log[before:] if e.source == "routing"]
    assert sorted(e.event_type for e in routed) == sorted(WORKFLOW_ROUTING * (WRITERS // 2))
    assert len(log) == before + len(caused) + len(routed)
    # Routing runs in the creating transaction, so nothing lands between a creation and it.
    for at, event in enumerate(log):
        if event.event_type == "task.created":
            run = log[at : at + len(ENTERED_WORKFLOW)]
            assert [e.event_type for e in run] == ENTERED_WORKFLOW
            assert {e.task_sid for e in run} == {event.task_sid}
    assert len({e.sid for e in log}) == len(log)
    listed = ws_api(client, fifo.sid).events.list(page_size=7)
    assert [e.sid for e in listed] == [e.sid for e in reversed(log)]


def test_concurrent_creates_make_distinct_tasks_each_with_one_event(
    server: RunningServer, account: Any, client: Client, fifo: Any
) -> None:
    apis = [_own_api(server, account, fifo.sid) for _ in range(WRITERS)]

    created = _all_at_once(WRITERS, lambda i: apis[i].tasks.create(priority=i).sid)

    api = ws_api(client, fifo.sid)
    assert sorted(t.sid for t in api.tasks.list()) == sorted(created)
    created_events = api.events.list(event_type="task.created")
    assert sorted(e.resource_sid for e in created_events) == sorted(created)


def test_concurrent_cancels_of_one_task_append_one_canceled_event_per_success(
    server: RunningServer, account: Any, client: Client, fifo: Any, task: Any
) -> None:
    apis = [_own_api(server, account, fifo.sid) for _ in range(WRITERS)]

    def cancel(i: int) -> int:
        try:
            apis[i].tasks(task.sid).update(assignment_status="canceled", reason=f"by {i}")
        except TwilioRestException as error:
            return error.status
        return 200

    statuses = _all_at_once(WRITERS, cancel)

    assert statuses.count(200) == 1, statuses
    assert set(statuses) == {200, 400}
    canceled = ws_api(client, fifo.sid).events.list(event_type="task.canceled")
    assert len(canceled) == 1
    winner = statuses.index(200)
    assert canceled[0].event_data["task_canceled_reason"] == f"by {winner}"
