"""Known Agent Routing through the official client: a workflow target's `known_worker_sid` or
`known_worker_friendly_name` is an expression on the task naming the one worker to offer it to."""

from __future__ import annotations

import json

import pytest
from twilio.rest import Client

from tests.api.helpers_routing import Floor, floor
from tests.support.twilio_errors import twilio_error


@pytest.fixture
def f(client: Client) -> Floor:
    f = floor(client, "Known agents")
    # Ann has been idle longest: without a known-worker rule she is offered every task.
    f.ann = f.worker("Ann")
    f.ben = f.worker("Ben")
    f.cai = f.worker("Cai")
    return f


def _known(f: Floor, queue_sid: str, timeout: int = 3600, **rule: str):
    """The known worker first (for `timeout` seconds), then anyone in the queue."""
    return f.workflow(
        "Last agent",
        filters=[
            {
                "expression": "1==1",
                "targets": [
                    {"queue": queue_sid, "timeout": timeout, **rule},
                    {"queue": queue_sid},
                ],
            }
        ],
    )


def test_known_worker_sid_offers_the_task_to_the_worker_the_task_names(f: Floor) -> None:
    everyone = f.queue("Everyone")
    workflow = _known(f, everyone.sid, known_worker_sid="task.agent_sid")
    task = f.task(workflow.sid, agent_sid=f.cai.sid)
    reservation = f.pending_one(task.sid)
    assert reservation.worker_sid == f.cai.sid


def test_known_worker_friendly_name_offers_the_task_to_the_worker_so_named(f: Floor) -> None:
    everyone = f.queue("Everyone")
    workflow = _known(f, everyone.sid, known_worker_friendly_name="task.preferred.agent")
    task = f.task(workflow.sid, preferred={"agent": "Ben"})
    reservation = f.pending_one(task.sid)
    assert reservation.worker_name == "Ben"


def test_a_task_naming_nobody_waits_out_the_target_then_moves_on(f: Floor) -> None:
    everyone = f.queue("Everyone")
    workflow = _known(f, everyone.sid, timeout=1, known_worker_sid="task.agent_sid")
    task = f.task(workflow.sid, agent_sid="WK" + "0" * 32)
    # Nobody is offered it in the known-worker target; after its timeout the next target
    # offers it to whoever is idle longest.
    f.wait_task_events(task.sid, "workflow.target-matched", count=2)
    assert f.pending_one(task.sid).worker_sid == f.ann.sid
    reservations = f.reservations(task.sid)
    assert [r.worker_sid for r in reservations] == [f.ann.sid]


def test_the_known_worker_must_be_in_the_targets_queue(f: Floor) -> None:
    juniors = f.queue("Juniors", target_workers="level == 'junior'")
    f.dee = f.worker("Dee", level="junior")
    workflow = _known(f, juniors.sid, timeout=1, known_worker_sid="task.agent_sid")
    task = f.task(workflow.sid, agent_sid=f.cai.sid)  # Cai is not a junior
    f.wait_task_events(task.sid, "workflow.target-matched", count=2)
    assert f.pending_one(task.sid).worker_sid == f.dee.sid


def test_a_literal_worker_sid_still_works(f: Floor) -> None:
    everyone = f.queue("Everyone")
    workflow = _known(f, everyone.sid, known_worker_sid=f.ben.sid)
    assert f.pending_one(f.task(workflow.sid).sid).worker_sid == f.ben.sid


@pytest.mark.parametrize(
    "rule",
    [
        {"known_worker_sid": "task.agent_sid", "known_worker_friendly_name": "task.name"},
        {"known_worker_sid": "task.agent_sid == 'x'"},
        {"known_worker_friendly_name": ""},
        {"known_worker_sid": 7},
    ],
)
def test_malformed_known_worker_rules_are_refused(f: Floor, rule) -> None:
    everyone = f.queue("Everyone")
    document = {
        "task_routing": {
            "filters": [{"expression": "1==1", "targets": [{"queue": everyone.sid, **rule}]}]
        }
    }
    with twilio_error(400, 20001, "known_worker"):
        f.api.workflows.create(friendly_name="Bad", configuration=json.dumps(document))
