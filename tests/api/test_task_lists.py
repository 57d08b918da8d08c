"""Listing tasks: filters, ordering and keyset paging."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from twilio.rest import Client

from tests.api.helpers_tasks import (
    add_workflow,
    assert_twilio_error,
    force_status,
    only_queue,
    only_workflow,
    set_task_columns,
    ws_api,
)
from tests.support.server import RunningServer
from tests.support.twilio_errors import twilio_error


@pytest.fixture
def api(client: Client, fifo: Any) -> Any:
    return ws_api(client, fifo.sid)


def _create_many(raw: httpx.Client, workspace_sid: str, count: int, **params: str) -> list[str]:
    """Create `count` tasks concurrently over HTTP; their SIDs in no particular order."""

    def one(_: int) -> str:
        response = raw.post(f"/v1/Workspaces/{workspace_sid}/Tasks", data=params)
        assert response.status_code == 201, response.text
        return response.json()["sid"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def _sids(tasks: Any) -> list[str]:
    return [t.sid for t in tasks]


def _walk(first_page: Any, between: Callable[[int], None] = lambda _: None) -> list[list[str]]:
    """Follow next_page_url from `first_page`; `between(n)` runs after page n is read."""
    pages = []
    page: Any = first_page
    while page is not None:
        pages.append(_sids(page))
        between(len(pages) - 1)
        page = page.next_page()
    return pages


def _token(page: Any) -> str:
    (token,) = parse_qs(urlsplit(page.next_page_url).query)["PageToken"]
    return token


def _forge(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload).encode()
    return "PT" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- paging ------------------------------------------------------------------------------------


def test_paging_visits_every_task_exactly_once(raw: httpx.Client, api: Any, fifo: Any) -> None:
    created = _create_many(raw, fifo.sid, 255)

    pages = _walk(api.tasks.page(page_size=50))

    assert [len(p) for p in pages] == [50, 50, 50, 50, 50, 5]
    seen = [sid for page in pages for sid in page]
    assert sorted(seen) == sorted(created)


def test_list_follows_every_page(raw: httpx.Client, api: Any, fifo: Any) -> None:
    created = _create_many(raw, fifo.sid, 120)

    assert sorted(_sids(api.tasks.list(page_size=50))) == sorted(created)


def test_paging_stays_exact_while_tasks_are_added_between_pages(
    raw: httpx.Client, api: Any, fifo: Any
) -> None:
    original = set(_create_many(raw, fifo.sid, 250))
    added: list[str] = []

    pages = _walk(
        api.tasks.page(page_size=50),
        lambda _n: added.extend(_create_many(raw, fifo.sid, 5)),
    )

    seen = [sid for page in pages for sid in page]
    assert len(seen) == len(set(seen)), "a task was listed twice"
    assert original <= set(seen), "a task was skipped"
    # Tasks created later sort after the cursor, so all but the last batch are reached.
    assert set(added[:-5]) <= set(seen)


def test_paging_by_priority_neither_repeats_nor_skips_when_tasks_sort_before_the_cursor(
    raw: httpx.Client, api: Any, fifo: Any
) -> None:
    original = set(_create_many(raw, fifo.sid, 150, Priority="10"))
    ahead: list[str] = []
    behind: list[str] = []

    def insert(_n: int) -> None:
        ahead.extend(_create_many(raw, fifo.sid, 10, Priority="100"))
        behind.extend(_create_many(raw, fifo.sid, 10, Priority="1"))

    pages = _walk(api.tasks.page(page_size=50, ordering="Priority:desc"), insert)

    seen = [sid for page in pages for sid in page]
    assert len(seen) == len(set(seen)), "a task was listed twice"
    assert original <= set(seen), "a task was skipped"
    assert not set(ahead) & set(seen), "tasks inserted before the cursor shifted the pages"
    assert set(behind[:-10]) <= set(seen)


def test_paging_stays_exact_while_seen_tasks_are_deleted(
    raw: httpx.Client, api: Any, fifo: Any
) -> None:
    created = set(_create_many(raw, fifo.sid, 120))
    pages: list[list[str]] = []

    def delete_seen(n: int) -> None:
        for sid in pages[n][:20]:
            api.tasks(sid).delete()

    page: Any = api.tasks.page(page_size=30)
    while page is not None:
        pages.append(_sids(page))
        delete_seen(len(pages) - 1)
        page = page.next_page()

    seen = [sid for p in pages for sid in p]
    assert sorted(seen) == sorted(created)


def test_previous_page_returns_the_page_before(raw: httpx.Client, api: Any, fifo: Any) -> None:
    _create_many(raw, fifo.sid, 25)
    first = api.tasks.page(page_size=10)
    second = first.next_page()

    back = second.previous_page()

    assert _sids(back) == _sids(first)
    assert not set(_sids(first)) & set(_sids(second))


def test_first_page_has_no_previous_and_last_page_has_no_next(
    raw: httpx.Client, api: Any, fifo: Any
) -> None:
    _create_many(raw, fifo.sid, 15)
    first = api.tasks.page(page_size=10)
    last = first.next_page()

    assert first.previous_page_url is None
    assert last.next_page_url is None
    assert len(_sids(last)) == 5


def test_previous_page_from_the_third_page_returns_the_second(
    raw: httpx.Client, api: Any, fifo: Any
) -> None:
    _create_many(raw, fifo.sid, 30, Priority="3")
    first = api.tasks.page(page_size=10, ordering="Priority:desc")
    second = first.next_page()
    third = second.next_page()

    assert _sids(third.previous_page()) == _sids(second)


def test_filters_apply_on_every_page(raw: httpx.Client, api: Any, fifo: Any) -> None:
    wanted = _create_many(raw, fifo.sid, 60, Priority="2")
    _create_many(raw, fifo.sid, 60, Priority="1")

    pages = _walk(api.tasks.page(priority=2, page_size=25))

    assert [len(p) for p in pages] == [25, 25, 10]
    assert sorted(sid for p in pages for sid in p) == sorted(wanted)


@pytest.mark.parametrize("size", [0, 1001])
def test_page_size_out_of_bounds_is_refused(api: Any, size: int) -> None:
    with twilio_error(400, 20001, "PageSize"):
        api.tasks.page(page_size=size)


# --- page tokens -------------------------------------------------------------------------------


def test_page_token_of_another_ordering_is_refused(raw: httpx.Client, api: Any, fifo: Any) -> None:
    _create_many(raw, fifo.sid, 5)
    token = _token(api.tasks.page(page_size=2, ordering="Priority:desc"))

    with twilio_error(400, 20001, "PageToken"):
        api.tasks.page(page_size=2, ordering="Priority:asc", page_token=token)


def test_page_token_of_the_default_ordering_is_refused_with_an_explicit_one(
    raw: httpx.Client, api: Any, fifo: Any
) -> None:
    _create_many(raw, fifo.sid, 5)
    token = _token(api.tasks.page(page_size=2))

    with twilio_error(400, 20001, "PageToken"):
        api.tasks.page(page_size=2, ordering="DateCreated:asc", page_token=token)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3],
        lambda t: t[:2] + "!" + t[3:],
        lambda t: "PA" + t[2:],
        lambda t: t + "AAAA",
        lambda t: "PT",
    ],
    ids=["truncated", "bad-character", "wrong-prefix", "extended", "empty-body"],
)
def test_tampered_page_token_is_refused(
    raw: httpx.Client, api: Any, fifo: Any, mangle: Callable[[str], str]
) -> None:
    _create_many(raw, fifo.sid, 5)
    token = _token(api.tasks.page(page_size=2))

    with twilio_error(400, 20001, "PageToken"):
        api.tasks.page(page_size=2, page_token=mangle(token))


@pytest.mark.parametrize(
    "key",
    [["yesterday", "WT" + "0" * 32], [10**30, "WT" + "0" * 32], [1, 2], [1.5, "WT1"], [None, "x"]],
    ids=["text-for-a-date", "huge-number", "number-for-a-sid", "float", "null"],
)
def test_forged_page_token_with_values_of_the_wrong_type_is_refused(
    api: Any, key: list[Any]
) -> None:
    token = _forge({"d": "a", "k": key, "o": ""})

    with twilio_error(400, 20001, "PageToken"):
        api.tasks.page(page_size=2, page_token=token)


def test_forged_page_token_beyond_the_priority_range_is_refused(api: Any) -> None:
    token = _forge({"d": "a", "k": [2**31, "WT" + "0" * 32], "o": "Priority:desc"})

    with twilio_error(400, 20001, "PageToken"):
        api.tasks.page(page_size=2, ordering="Priority:desc", page_token=token)


# --- filters -----------------------------------------------------------------------------------


def test_priority_filter_lists_only_that_priority(api: Any) -> None:
    wanted = {api.tasks.create(priority=2).sid, api.tasks.create(priority=2).sid}
    api.tasks.create(priority=1)
    api.tasks.create(priority=3)

    assert set(_sids(api.tasks.list(priority=2))) == wanted


@pytest.mark.parametrize("priority", [-1, 2**31])
def test_priority_filter_out_of_range_is_refused(api: Any, priority: int) -> None:
    with twilio_error(400, 20001, "Priority"):
        api.tasks.list(priority=priority)


def test_assignment_status_filter_with_one_status(server: RunningServer, api: Any) -> None:
    pending = api.tasks.create().sid
    canceled = api.tasks.create().sid
    api.tasks(canceled).update(assignment_status="canceled", reason="x")
    assigned = api.tasks.create().sid
    force_status(server, assigned, "assigned")

    assert _sids(api.tasks.list(assignment_status=["pending"])) == [pending]
    assert _sids(api.tasks.list(assignment_status=["assigned"])) == [assigned]


def test_assignment_status_filter_with_several_statuses(server: RunningServer, api: Any) -> None:
    pending = api.tasks.create().sid
    reserved = api.tasks.create().sid
    force_status(server, reserved, "reserved")
    canceled = api.tasks.create().sid
    api.tasks(canceled).update(assignment_status="canceled", reason="x")

    listed = api.tasks.list(assignment_status=["pending", "reserved"])

    assert set(_sids(listed)) == {pending, reserved}


def test_assignment_status_filter_accepts_a_comma_separated_value(
    raw: httpx.Client, api: Any, fifo: Any
) -> None:
    pending = api.tasks.create().sid
    canceled = api.tasks.create().sid
    api.tasks(canceled).update(assignment_status="canceled", reason="x")
    canceled_too = api.tasks.create().sid
    api.tasks(canceled_too).update(assignment_status="canceled", reason="y")
    api.tasks.create()

    response = raw.get(
        f"/v1/Workspaces/{fifo.sid}/Tasks", params={"AssignmentStatus": "canceled,reserved"}
    )

    assert response.status_code == 200, response.text
    assert {t["sid"] for t in response.json()["tasks"]} == {canceled, canceled_too}
    assert pending not in {t["sid"] for t in response.json()["tasks"]}


def test_unknown_assignment_status_filter_is_refused(api: Any) -> None:
    with twilio_error(400, 20001, "AssignmentStatus"):
        api.tasks.list(assignment_status=["pending", "lost"])


def test_workflow_filters_by_sid_and_by_name(api: Any) -> None:
    first = only_workflow(api)
    second = add_workflow(api, "Escalations", only_queue(api).sid)
    in_first = api.tasks.create(workflow_sid=first.sid).sid
    in_second = api.tasks.create(workflow_sid=second.sid).sid

    assert _sids(api.tasks.list(workflow_sid=second.sid)) == [in_second]
    assert _sids(api.tasks.list(workflow_sid=first.sid)) == [in_first]
    assert _sids(api.tasks.list(workflow_name="Escalations")) == [in_second]


def test_task_queue_filters_by_sid_and_by_name(api: Any) -> None:
    sample = only_queue(api)
    other = api.task_queues.create(friendly_name="Spanish", target_workers="1==1")
    in_sample = api.tasks.create(task_queue_sid=sample.sid).sid
    in_other = api.tasks.create(task_queue_sid=other.sid).sid
    # The workspace's workflow sends every task to the sample queue as the task is created.
    routed = api.tasks.create().sid

    assert _sids(api.tasks.list(task_queue_sid=other.sid)) == [in_other]
    assert sorted(_sids(api.tasks.list(task_queue_sid=sample.sid))) == sorted([in_sample, routed])
    assert sorted(_sids(api.tasks.list(task_queue_name=sample.friendly_name))) == sorted(
        [in_sample, routed]
    )
    assert _sids(api.tasks.list(task_queue_name="Spanish")) == [in_other]


def test_evaluate_task_attributes_filters_by_expression(api: Any) -> None:
    urgent_call = api.tasks.create(attributes='{"type": "call", "priority": 5}').sid
    api.tasks.create(attributes='{"type": "call", "priority": 1}')
    api.tasks.create(attributes='{"type": "chat", "priority": 9}')
    api.tasks.create(attributes="{}")

    listed = api.tasks.list(evaluate_task_attributes='type == "call" AND priority > 2')

    assert _sids(listed) == [urgent_call]


def test_evaluate_task_attributes_reaches_nested_attributes(api: Any) -> None:
    spanish = api.tasks.create(attributes='{"customer": {"languages": ["es", "en"]}}').sid
    api.tasks.create(attributes='{"customer": {"languages": ["en"]}}')

    assert _sids(api.tasks.list(evaluate_task_attributes='customer.languages HAS "es"')) == [
        spanish
    ]


def test_evaluate_task_attributes_pages_through_many_non_matching_tasks(
    raw: httpx.Client, api: Any, fifo: Any
) -> None:
    _create_many(raw, fifo.sid, 150, Attributes='{"type": "chat"}')
    calls = set(_create_many(raw, fifo.sid, 12, Attributes='{"type": "call"}'))
    _create_many(raw, fifo.sid, 150, Attributes='{"type": "chat"}')

    pages = _walk(api.tasks.page(evaluate_task_attributes='type == "call"', page_size=5))

    assert [len(p) for p in pages] == [5, 5, 2]
    assert {sid for p in pages for sid in p} == calls


def test_invalid_expression_is_refused(api: Any) -> None:
    with twilio_error(400, 20001):
        api.tasks.list(evaluate_task_attributes='type == "call" AND')


def test_routing_target_filter(api: Any) -> None:
    worker = api.workers.create(friendly_name="alice")
    targeted = api.tasks.create(routing_target=worker.sid).sid
    api.tasks.create()

    assert _sids(api.tasks.list(routing_target=worker.sid)) == [targeted]


def test_has_addons_filter(server: RunningServer, api: Any) -> None:
    with_addons = api.tasks.create().sid
    set_task_columns(server, with_addons, addons='{"sentiment": {"score": 1}}')
    plain = api.tasks.create().sid

    assert _sids(api.tasks.list(has_addons=True)) == [with_addons]
    assert _sids(api.tasks.list(has_addons=False)) == [plain]


def test_filters_combine_with_and(server: RunningServer, api: Any) -> None:
    match = api.tasks.create(priority=4, attributes='{"type": "call"}').sid
    api.tasks.create(priority=4, attributes='{"type": "chat"}')
    api.tasks.create(priority=5, attributes='{"type": "call"}')
    other = api.tasks.create(priority=4, attributes='{"type": "call"}').sid
    api.tasks(other).update(assignment_status="canceled", reason="x")

    listed = api.tasks.list(
        priority=4, assignment_status=["pending"], evaluate_task_attributes='type == "call"'
    )

    assert _sids(listed) == [match]


def test_filters_that_match_nothing_give_an_empty_list(api: Any) -> None:
    api.tasks.create(priority=1)

    assert api.tasks.list(priority=2) == []
    assert api.tasks.list(workflow_name="No such workflow") == []


# --- ordering ----------------------------------------------------------------------------------

_BASE = datetime(2024, 3, 1, tzinfo=UTC)
# (priority, seconds after _BASE for date_created, days before _BASE for virtual_start_time)
_SHAPES = [(2, 30, 4), (5, 10, 1), (2, 50, 6), (9, 20, 3), (5, 40, 2), (0, 0, 5)]


@pytest.fixture
def shaped(server: RunningServer, api: Any) -> list[Any]:
    """Six tasks with known priorities, creation times and virtual start times."""
    for priority, created_after, started_before in _SHAPES:
        task = api.tasks.create(
            priority=priority, virtual_start_time=_BASE - timedelta(days=started_before)
        )
        created = int((_BASE + timedelta(seconds=created_after)).timestamp() * 1000)
        set_task_columns(server, task.sid, date_created=created)
    return api.tasks.list()


_FIELDS: dict[str, Callable[[Any], float]] = {
    "Priority": lambda t: t.priority,
    "DateCreated": lambda t: t.date_created.timestamp(),
    "VirtualStartTime": lambda t: t.virtual_start_time.timestamp(),
}


def _expected(tasks: list[Any], ordering: str) -> list[str]:
    """The order `ordering` asks for, ties broken by SID as the server documents."""
    ordered = sorted(tasks, key=lambda t: t.sid)
    for part in reversed(ordering.split(",")):
        field, direction = part.split(":")
        ordered.sort(key=_FIELDS[field], reverse=direction == "desc")
    return _sids(ordered)


def test_default_order_is_date_created_ascending(api: Any, shaped: list[Any]) -> None:
    assert _sids(shaped) == _expected(shaped, "DateCreated:asc")
    assert [t.priority for t in shaped] == [0, 5, 9, 2, 5, 2]


@pytest.mark.parametrize(
    "ordering",
    [
        "Priority:asc",
        "Priority:desc",
        "DateCreated:asc",
        "DateCreated:desc",
        "VirtualStartTime:asc",
        "VirtualStartTime:desc",
        "Priority:desc,DateCreated:asc",
        "Priority:asc,DateCreated:desc",
        "Priority:desc,VirtualStartTime:desc",
        "VirtualStartTime:asc,Priority:desc",
    ],
)
def test_ordering_sorts_by_the_named_attributes(api: Any, shaped: list[Any], ordering: str) -> None:
    assert _sids(api.tasks.list(ordering=ordering)) == _expected(shaped, ordering)


@pytest.mark.parametrize(
    "ordering", ["Priority:desc,DateCreated:asc", "VirtualStartTime:desc", "Priority:asc"]
)
def test_ordering_holds_across_pages(api: Any, shaped: list[Any], ordering: str) -> None:
    pages = _walk(api.tasks.page(ordering=ordering, page_size=4))

    assert [len(p) for p in pages] == [4, 2]
    assert [sid for p in pages for sid in p] == _expected(shaped, ordering)


@pytest.mark.parametrize(
    "ordering", ["DateCreated:asc,VirtualStartTime:asc", "VirtualStartTime:desc,DateCreated:asc"]
)
def test_ordering_cannot_combine_date_created_and_virtual_start_time(
    api: Any, ordering: str
) -> None:
    with twilio_error(400, 20001, "DateCreated", "VirtualStartTime"):
        api.tasks.list(ordering=ordering)


@pytest.mark.parametrize(
    "ordering",
    [
        "Age:asc",
        "Priority:up",
        "priority:asc",
        "Priority:desc,Priority:asc",
        "Priority:desc;DateCreated:asc",
        "Priority:asc:desc",
        ",",
    ],
)
def test_junk_ordering_is_refused(api: Any, ordering: str) -> None:
    with twilio_error(400, 20001, "Ordering"):
        api.tasks.list(ordering=ordering)


def test_list_of_another_accounts_workspace_is_not_found(
    server: RunningServer, fifo: Any, api: Any
) -> None:
    api.tasks.create()
    other = server.new_account("stranger")

    with httpx.Client(base_url=server.base_url, auth=(other.sid, other.auth_token)) as raw:
        response = raw.get(f"/v1/Workspaces/{fifo.sid}/Tasks")

    assert_twilio_error(response, 404, 20404)
