"""Routing reads workers and waiting tasks a page at a time: what lies past a page still counts.

A pass reads the workers with room in the order they are offered work, a page at a time, only
as far as it needs; these scenarios put the qualifying workers past the first pages.
"""

from __future__ import annotations

import pytest
from twilio.rest import Client

from tests.api.helpers_routing import Floor, floor

# More than one page of workers (routing reads them 32 at a time).
OTHERS = 40


@pytest.fixture
def f(client: Client) -> Floor:
    return floor(client)


def test_a_worker_past_the_first_pages_of_idle_workers_is_found(f: Floor) -> None:
    billing = f.queue("Billing", target_workers="team == 'billing'")
    ping = f.queue("Ping", target_workers="team == 'ping'")
    to_ping = {"filter_friendly_name": "Ping", "expression": "kind == 'ping'"}
    workflow = f.workflow(
        "All", filters=[{**to_ping, "targets": [{"queue": ping.sid}]}], default_queue=billing.sid
    )
    # Longest idle first: these never-reserved workers, created first, come first in the order.
    for i in range(OTHERS):
        f.worker(f"Sales {i}", team="sales")
    first = f.worker("Billing 1", team="billing")
    second = f.worker("Billing 2", team="billing")
    # The router follows the log in order: once this later task is offered, every worker's
    # arrival has been routed, so the next task is routed by its queue, not by an arrival.
    f.worker("Pinger", team="ping")
    f.pending_one(f.task(workflow.sid, kind="ping").sid)

    one = f.task(workflow.sid)
    assert f.pending_one(one.sid).worker_sid == first.sid
    # The first now holds its one slot: the next task goes to the other.
    two = f.task(workflow.sid)
    assert f.pending_one(two.sid).worker_sid == second.sid


def test_an_update_that_makes_a_waiting_task_qualify_routes_it(f: Floor) -> None:
    # Only task.updated says the task changed: it stays in the same workflow step.
    queue = f.queue("Everyone")
    target = {"queue": queue.sid, "expression": "worker.team == task.kind"}
    filters = [{"filter_friendly_name": "All", "expression": "1==1", "targets": [target]}]
    workflow = f.workflow("By team", filters=filters)
    agent = f.worker("Agent", team="billing")
    task = f.task(workflow.sid, kind="sales")
    assert f.status(task.sid) == "pending"

    f.api.tasks(task.sid).update(attributes='{"kind": "billing"}')

    assert f.pending_one(task.sid).worker_sid == agent.sid
