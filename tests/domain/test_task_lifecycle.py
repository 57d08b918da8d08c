from __future__ import annotations

import itertools

import pytest

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.task_lifecycle import (
    EVENT_FOR_STATUS,
    TaskStatus,
    check_api_transition,
    check_routing_transition,
    parse_status,
)

S = TaskStatus
API_ALLOWED = {
    (S.PENDING, S.CANCELED),
    (S.RESERVED, S.CANCELED),
    (S.ASSIGNED, S.WRAPPING),
    (S.ASSIGNED, S.COMPLETED),
    (S.WRAPPING, S.COMPLETED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_the_api_allows_exactly_cancel_wrap_and_complete(current, target):
    if (current, target) in API_ALLOWED:
        check_api_transition(current, target)
    else:
        with pytest.raises(InvalidParameter):
            check_api_transition(current, target)


def test_routing_reserves_accepts_and_returns_tasks():
    check_routing_transition(S.PENDING, S.RESERVED)
    check_routing_transition(S.RESERVED, S.PENDING)
    check_routing_transition(S.RESERVED, S.ASSIGNED)
    with pytest.raises(InvalidParameter):
        check_routing_transition(S.COMPLETED, S.PENDING)


def test_each_api_transition_has_twilios_event():
    assert EVENT_FOR_STATUS == {
        S.CANCELED: "task.canceled",
        S.WRAPPING: "task.wrapup",
        S.COMPLETED: "task.completed",
    }


def test_unknown_status_names_the_choices():
    with pytest.raises(InvalidParameter, match="pending, reserved"):
        parse_status("done")
