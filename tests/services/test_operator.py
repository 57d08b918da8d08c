"""The operator at the server's machine (the CLI) and a signed-in person use the same service
methods: a person is checked for the permission and bounded to their account; the operator
acts in the account it names, or across accounts where a method allows it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from hindsight.app import Runtime
from hindsight.audit.trail import SYSTEM, operator
from hindsight.auth.users import UserChanges
from hindsight.domain.access import PermissionDenied, Scope, Viewer
from hindsight.domain.errors import InvalidParameter, NotFound
from hindsight.store.schema import audit_records

T = TypeVar("T")
PASSWORD = "correct horse battery staple"


def _run(work: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(work)


def _person(account_sid: str, roles: tuple[str, ...]) -> Viewer:
    return Viewer.person(
        account_sid=account_sid,
        user_sid="US" + "1" * 32,
        name="someone",
        roles=roles,
        scope=Scope(),
        ip="10.0.0.2",
        session_id=None,
    )


def _two_accounts(runtime: Runtime) -> tuple[str, str]:
    accounts = runtime.services.accounts
    return accounts.create_account("One").sid, accounts.create_account("Two").sid


def test_the_operator_creates_in_the_account_it_names_and_lists_every_account(runtime) -> None:
    one, two = _two_accounts(runtime)
    users = runtime.services.users
    ana = _run(users.create(operator(one), "ana", ["admin"], password=PASSWORD)).row
    bea = _run(users.create(operator(two), "bea", ["agent"], password=PASSWORD)).row
    assert (ana.account_sid, bea.account_sid) == (one, two)
    assert {u.username for u in _run(users.list(operator(None)))} == {"ana", "bea"}
    assert [u.username for u in _run(users.list(operator(one)))] == ["ana"]
    # A person sees their own account's users only, whatever the operator could see.
    assert [u.username for u in _run(users.list(_person(two, ("admin",))))] == ["bea"]


def test_the_operator_must_name_an_account_to_create_someone_or_set_a_policy(runtime) -> None:
    _two_accounts(runtime)
    with pytest.raises(InvalidParameter):
        _run(runtime.services.users.create(operator(None), "ana", ["admin"], password=PASSWORD))
    with pytest.raises(InvalidParameter):
        _run(runtime.services.retention.set_policy(operator(None), {"conversation_days": 30}))
    assert _run(runtime.services.users.list(operator(None))) == []


def test_a_person_without_the_permission_is_refused_and_the_refusal_recorded(runtime) -> None:
    one, _ = _two_accounts(runtime)
    agent = _person(one, ("agent",))
    with pytest.raises(PermissionDenied):
        _run(runtime.services.users.create(agent, "ana", ["admin"], password=PASSWORD))
    with pytest.raises(PermissionDenied):
        _run(runtime.services.retention.policy(agent))
    refused = runtime.db.read_sync(
        lambda conn: [
            (r.action, r.outcome)
            for r in conn.execute(select(audit_records).order_by(audit_records.c.seq))
        ]
    )
    assert refused == [("user.create", "denied"), ("retention.policy.read", "denied")]
    assert _run(runtime.services.users.list(operator(None))) == []


def test_a_person_cannot_reach_another_accounts_user_the_operator_can(runtime) -> None:
    one, two = _two_accounts(runtime)
    users = runtime.services.users
    bea = _run(users.create(operator(two), "bea", ["agent"], password=PASSWORD)).row
    admin_of_one = _person(one, ("admin",))
    with pytest.raises(NotFound):
        _run(users.update(admin_of_one, bea.sid, UserChanges(status="disabled")))
    found = _run(users.find("bea"))
    changed = _run(users.update(SYSTEM, found.sid, UserChanges(status="disabled")))
    assert changed.status == "disabled"
    with pytest.raises(NotFound):
        _run(users.find("nobody"))
