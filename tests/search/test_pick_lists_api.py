"""Pick lists and case-insensitive named filters through the Insights API, on both stores:
values come from the data, a scoped person is offered only what they may see, and a value
typed in any case finds the conversations holding it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hindsight.domain.access import Scope
from tests.api.helpers_recordings import Tenant, tenant
from tests.api.helpers_routing import wait_for
from tests.support.people import Person, person
from tests.support.server import RunningServer

PICK = "/api/v1/insights/pick-lists"
SEARCH = "/api/v1/insights/conversations"


@dataclass
class Scene:
    shop: Tenant
    lead: Person
    scoped: Person
    ids: dict[str, str]

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(
            f"{self.shop.server.base_url}{path}", params=params, auth=self.shop.auth, timeout=30
        )

    def found(self, **params: Any) -> set[str]:
        response = self.get(SEARCH, **params)
        assert response.status_code == 200, response.text
        return {c["conversation_id"] for c in response.json()["conversations"]}


def _handle(shop: Tenant, agent: str, conversation: str, team: str, outcome: str) -> str:
    shop.floor.api.workers(shop.worker_sid).update(friendly_name=agent)
    handled = shop.handle(
        {
            "type": "call",
            "conversations": {"conversation_id": conversation, "handling_team_name": team},
        },
        complete=False,
    )
    # The reason a task is completed with is the conversation's outcome.
    tasks = shop.floor.api.tasks
    tasks(handled.task_sid).update(assignment_status="wrapping")
    tasks(handled.task_sid).update(assignment_status="completed", reason=outcome)
    return conversation


@pytest.fixture(scope="module")
def scene(server: RunningServer) -> Scene:
    shop = tenant(server, "picks")
    ids = {
        "east": _handle(shop, "Alice Archer", "pick-east", "Sales East", "Resolved"),
        "west": _handle(shop, "Zed Secret", "pick-west", "Support West", "Escalated"),
    }

    def projected() -> bool | None:
        response = httpx.get(f"{server.base_url}{SEARCH}", auth=shop.auth, timeout=30)
        found = {c["conversation_id"] for c in response.json()["conversations"]}
        return True if set(ids.values()) <= found else None

    wait_for(projected, "both conversations projected")
    lead = person(server, shop.account.sid, ("wfo.full_access",), name="lead")
    scoped = person(
        server,
        shop.account.sid,
        ("wfo.team_leader",),
        name="east-lead",
        scope=Scope(teams=("Sales East",)),
    )
    return Scene(shop, lead, scoped, ids)


def test_pick_lists_hold_the_values_of_the_data(scene: Scene) -> None:
    response = scene.get(PICK)
    assert response.status_code == 200, response.text
    lists = response.json()
    assert lists["queue"] == ["Calls"]
    assert lists["agent"] == ["Alice Archer", "Zed Secret"]
    assert lists["team"] == ["Sales East", "Support West"]
    assert lists["outcome"] == ["Escalated", "Resolved"]
    listed = scene.get(SEARCH).json()["conversations"]
    assert lists["channel"] == sorted({c["channel"] for c in listed}) != []
    assert response.headers["cache-control"] == "no-store"
    assert scene.lead.get(PICK).json() == lists


def test_a_scoped_person_is_offered_only_what_they_may_see(scene: Scene) -> None:
    lists = scene.scoped.get(PICK).json()
    assert lists["agent"] == ["Alice Archer"]
    assert lists["team"] == ["Sales East"]
    assert lists["outcome"] == ["Resolved"]
    assert "Zed Secret" not in str(lists) and "Support West" not in str(lists)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"team": "sales east"}, {"east"}),
        ({"team": "SUPPORT WEST"}, {"west"}),
        ({"agent": "alice archer"}, {"east"}),
        ({"agent": "Alice Archer"}, {"east"}),
        ({"outcome": "escalated"}, {"west"}),
        ({"queue": "calls"}, {"east", "west"}),
        ({"queue": "calls", "outcome": "RESOLVED"}, {"east"}),
        ({"agent": "alice"}, set()),  # a whole name, not a part of one
        ({"team": "nobody"}, set()),
    ],
)
def test_named_filters_match_whatever_the_case(
    scene: Scene, params: dict[str, str], expected: set[str]
) -> None:
    assert scene.found(**params) == {scene.ids[k] for k in expected}


def test_a_scoped_person_filtering_by_another_teams_agent_finds_nothing(scene: Scene) -> None:
    response = scene.scoped.get(SEARCH, agent="zed secret")
    assert response.status_code == 200
    assert response.json()["conversations"] == []
    assert {
        c["conversation_id"]
        for c in scene.scoped.get(SEARCH, agent="ALICE ARCHER").json()["conversations"]
    } == {scene.ids["east"]}


def test_aggregates_and_csv_take_the_same_named_filters(scene: Scene) -> None:
    total = scene.get("/api/v1/insights/aggregates", team="sales east", group_by="agent")
    assert total.status_code == 200, total.text
    assert total.json()["total"]["volume"] == 1
    csv = scene.get("/api/v1/insights/conversations.csv", outcome="escalated")
    assert csv.status_code == 200
    assert "pick-west" in csv.text and "pick-east" not in csv.text


def test_pick_lists_refuse_parameters_and_need_credentials(scene: Scene) -> None:
    assert scene.get(PICK, facet="queue").status_code == 400
    anonymous = httpx.get(f"{scene.shop.server.base_url}{PICK}", timeout=30)
    assert anonymous.status_code == 401
    assert scene.get(SEARCH, team="a\x00b").status_code == 400


def _recounted(server: RunningServer, account_sid: str) -> dict[tuple[str, str, str], int]:
    """The pick-list counts recomputed from the projection as it stands."""
    from collections import Counter

    from sqlalchemy import select

    from hindsight.domain.search import pick_lists as rules
    from hindsight.store.schema import conversations, segments

    def read(conn: Any) -> dict[tuple[str, str, str], int]:
        counts: Counter[tuple[str, str, str]] = Counter()
        summaries = {
            r.conversation_id: r._mapping
            for r in conn.execute(
                select(conversations).where(conversations.c.account_sid == account_sid)
            )
        }
        members: dict[str, list[Any]] = {}
        for row in conn.execute(
            select(segments).where(
                segments.c.account_sid == account_sid, segments.c.conversation_id.is_not(None)
            )
        ):
            members.setdefault(row.conversation_id, []).append(row._mapping)
        for conversation, rows in members.items():
            for entry in rules.contribution(summaries.get(conversation), rows):
                counts[entry] += 1
        return dict(counts)

    return server.runtime.db.read_sync(read)


def _stored(server: RunningServer, account_sid: str) -> dict[tuple[str, str, str], int]:
    from sqlalchemy import select

    from hindsight.store.schema import search_pick_values as t

    def read(conn: Any) -> dict[tuple[str, str, str], int]:
        rows = conn.execute(select(t).where(t.c.account_sid == account_sid))
        return {(r.facet, r.value, r.tag): r.uses for r in rows}

    return server.runtime.db.read_sync(read)


def test_counts_stay_exact_when_a_task_moves_to_another_conversation(
    server: RunningServer,
) -> None:
    shop = tenant(server, "moves")
    shop.floor.api.workers(shop.worker_sid).update(friendly_name="Mover")
    handled = shop.handle(
        {
            "type": "call",
            "conversations": {"conversation_id": "move-a", "handling_team_name": "Ants"},
        },
        complete=False,
    )
    tasks = shop.floor.api.tasks
    tasks(handled.task_sid).update(
        attributes='{"type": "call", "conversations": '
        '{"conversation_id": "move-b", "handling_team_name": "Bees"}}'
    )
    tasks(handled.task_sid).update(assignment_status="wrapping")
    tasks(handled.task_sid).update(assignment_status="completed", reason="moved")

    def settled() -> bool | None:
        response = httpx.get(f"{server.base_url}{PICK}", auth=shop.auth, timeout=30)
        return True if response.json()["outcome"] == ["moved"] else None

    wait_for(settled, "the moved conversation projected")
    lists = httpx.get(f"{server.base_url}{PICK}", auth=shop.auth, timeout=30).json()
    assert lists["team"] == ["Bees"]
    assert _stored(server, shop.account.sid) == _recounted(server, shop.account.sid)
