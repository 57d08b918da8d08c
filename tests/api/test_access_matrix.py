"""The authorization matrix: every role by every operation by own team / other team / other
account, through HTTP as a signed-in person, on both stores. Each case asserts the answer
(allowed, 403 for a missing permission, 404 for what the person may not know exists) and the
audit record it left, allowed or denied.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hindsight.domain.access import Scope
from hindsight.domain.permissions import ROLES, Permission
from tests.api.helpers_insights import Dataset, build
from tests.support.people import Person, audit_of, person
from tests.support.server import RunningServer

SEARCH = "/api/v1/insights/conversations"
ALL_ROLES = sorted(ROLES)
SALES = {"conv-1", "conv-4"}  # conversations that passed through the Sales queue (team)


@pytest.fixture(scope="module")
def data(server: RunningServer) -> Dataset:
    return build(server)


@dataclass(frozen=True)
class Target:
    """A conversation, and a segment of it that has media."""

    conversation: str
    task: str
    segment: str
    media_index: int


def _target(data: Dataset, party: Any, conversation: str) -> Target:
    body = httpx.get(
        f"{data.server.base_url}{SEARCH}/{conversation}", auth=party.auth, timeout=30
    ).json()
    segment = next(s for s in body["segments"] if s["media"])
    return Target(conversation, segment["task_sid"], segment["segment_id"], 0)


@pytest.fixture(scope="module")
def targets(data: Dataset) -> dict[str, Target]:
    b_conversation = "conv-b"
    return {
        "own": _target(data, data.a, "conv-1"),  # Sales
        "other_team": _target(data, data.a, "conv-2"),  # Support only
        "other_account": _target(data, data.b, b_conversation),
    }


@pytest.fixture(scope="module")
def people(data: Dataset) -> Iterator[dict[str, Person]]:
    crowd = {
        role: person(data.server, data.a.account.sid, (role,), name=role.replace(".", "-"))
        for role in ALL_ROLES
    }
    # A team leader limited to the Sales team: the other team's conversations do not exist.
    crowd["scoped"] = person(
        data.server,
        data.a.account.sid,
        ("wfo.team_leader",),
        name="sales-lead",
        scope=Scope(teams=("Sales",)),
    )
    yield crowd
    for who in crowd.values():
        who.close()


def _permissions(who: str) -> frozenset[Permission]:
    return ROLES["wfo.team_leader" if who == "scoped" else who]


def _expected(who: str, permission: Permission, target: str) -> int:
    if permission not in _permissions(who):
        return 403
    if target == "other_account" or (who == "scoped" and target == "other_team"):
        return 404
    return 200


# --- object operations -------------------------------------------------------------------------


def _view(who: Person, t: Target) -> httpx.Response:
    return who.get(f"{SEARCH}/{t.conversation}")


def _drilldown(who: Person, t: Target) -> httpx.Response:
    return who.get("/api/v1/insights/drilldown", task_sid=t.task)


def _mint(who: Person, t: Target) -> httpx.Response:
    return who.post("/api/v1/media/links", {"segment_id": t.segment, "index": t.media_index})


OBJECT_OPERATIONS: dict[str, tuple[Permission, Callable[[Person, Target], httpx.Response], str]] = {
    "view": (Permission.VIEW, _view, "conversation.view"),
    "drilldown": (Permission.VIEW, _drilldown, "conversation.drilldown"),
    "mint media link": (Permission.PLAY, _mint, "media.link"),
}


@pytest.mark.parametrize("operation", sorted(OBJECT_OPERATIONS))
@pytest.mark.parametrize("target", ["own", "other_team", "other_account"])
@pytest.mark.parametrize("who", [*ALL_ROLES, "scoped"])
def test_object_operation(
    people: dict[str, Person], targets: dict[str, Target], who: str, target: str, operation: str
) -> None:
    permission, call, action = OBJECT_OPERATIONS[operation]
    actor = people[who]
    before = len(audit_of(actor.server, actor.sid))

    response = call(actor, targets[target])

    expected = _expected(who, permission, target)
    ok = 201 if operation == "mint media link" else 200
    assert response.status_code == (ok if expected == 200 else expected), response.text
    records = audit_of(actor.server, actor.sid)[before:]
    assert [r["action"] for r in records] == [action], records
    record = records[0]
    assert record["outcome"] == ("allowed" if expected == 200 else "denied")
    assert record["actor_type"] == "user" and record["account_sid"] == actor_account(actor)
    assert record["roles"] == (["wfo.team_leader"] if who == "scoped" else [who])
    if expected == 404:
        # The person learns nothing: not the conversation, not whose it is.
        body = response.json()
        assert body["status"] == 404 and "conv-b" not in response.text.replace(
            targets[target].conversation, ""
        )


def actor_account(who: Person) -> str:
    return who.server.call(who.server.runtime.services.users.find(who.sid)).account_sid


# --- list operations: what is outside the scope is absent ---------------------------------------


def _search_ids(who: Person) -> httpx.Response:
    return who.get(SEARCH, page_size=100)


def _aggregate(who: Person) -> httpx.Response:
    return who.get("/api/v1/insights/aggregates", group_by="queue")


def _export(who: Person) -> httpx.Response:
    return who.get("/api/v1/insights/conversations.csv")


def _users(who: Person) -> httpx.Response:
    return who.get("/api/v1/users")


def _audit(who: Person) -> httpx.Response:
    return who.get("/api/v1/audit")


LIST_OPERATIONS: dict[str, tuple[Permission, Callable[[Person], httpx.Response], str]] = {
    "search": (Permission.SEARCH, _search_ids, "conversation.search"),
    "aggregate": (Permission.DASHBOARDS, _aggregate, "report.aggregate"),
    "export": (Permission.EXPORT, _export, "conversation.export"),
    "list users": (Permission.MANAGE_USERS, _users, "user.list"),
    "read audit": (Permission.READ_AUDIT, _audit, "audit.search"),
}


def _listed(operation: str, response: httpx.Response) -> set[str] | None:
    if operation == "search":
        return {c["conversation_id"] for c in response.json()["conversations"]}
    if operation == "export":
        return {row["conversation_id"] for row in csv.DictReader(io.StringIO(response.text))}
    return None


@pytest.mark.parametrize("operation", sorted(LIST_OPERATIONS))
@pytest.mark.parametrize("who", [*ALL_ROLES, "scoped"])
def test_list_operation(people: dict[str, Person], who: str, operation: str) -> None:
    permission, call, action = LIST_OPERATIONS[operation]
    actor = people[who]
    before = len(audit_of(actor.server, actor.sid))

    response = call(actor)

    allowed = permission in _permissions(who)
    assert response.status_code == (200 if allowed else 403), response.text
    records = audit_of(actor.server, actor.sid)[before:]
    if allowed and operation == "list users":
        assert records == []  # listing colleagues is not personal data of customers
    else:
        assert [r["action"] for r in records] == [action]
        assert records[0]["outcome"] == ("allowed" if allowed else "denied")
    if not allowed:
        return
    listed = _listed(operation, response)
    if listed is not None:
        assert "conv-b" not in listed  # never another account's
        if who == "scoped":
            assert listed == SALES
        else:
            assert listed >= {"conv-1", "conv-2", "conv-3", "conv-4"}
    if operation == "aggregate":
        total = response.json()["total"]["volume"]
        assert total == (len(SALES) if who == "scoped" else 5)
        assert "zebra" not in response.text


def test_a_scoped_persons_drilldown_into_the_other_team_by_reservation_is_404(
    data: Dataset, people: dict[str, Person]
) -> None:
    reservation = data.a.reservations["conv-2"]
    response = people["scoped"].get("/api/v1/insights/drilldown", reservation_sid=reservation)
    assert response.status_code == 404
    assert "conv-2" not in response.text


def test_people_never_receive_media_urls(data: Dataset, people: dict[str, Person]) -> None:
    full = people["wfo.full_access"]
    for conversation in ("conv-1", "conv-2", "conv-4"):
        body = full.get(f"{SEARCH}/{conversation}").json()
        for segment in body["segments"]:
            assert segment["external_url"] is None
            for item in segment["media"]:
                assert "url" not in item or item["url"] is None
                assert "url_provider" not in item or item["url_provider"] is None
        assert "example.com" not in str(body)
    raw_first = full.get("/api/v1/insights/drilldown", task_sid=data.a.tasks["conv-1"]).json()
    assert raw_first["action"] == "open_externally"
    assert raw_first["url"] is None and raw_first["media_index"] == 0


def test_integrations_keep_seeing_urls(data: Dataset) -> None:
    body = data.ok(f"{SEARCH}/conv-1")
    urls = [m.get("url") for s in body["segments"] for m in s["media"]]
    assert any(u and u.startswith("https://") for u in urls)
