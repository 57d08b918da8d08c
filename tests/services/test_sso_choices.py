"""Which single sign-on the sign-in page offers: never a list of the organisations a
deployment serves. With one account its provider is offered; with several, only the account
the browser asked for (its sign-in link) and only while its single sign-on is enabled."""

from __future__ import annotations

import asyncio

from hindsight.app import Runtime
from hindsight.domain.access import Scope, Viewer
from hindsight.store.sso import SsoProviderRecord

NOWHERE = "AC" + "0" * 32


def _enable(runtime: Runtime, name: str, enabled: bool = True) -> str:
    account = runtime.services.accounts.create_account(name)
    admin = Viewer.person(
        account_sid=account.sid,
        user_sid="US" + "1" * 32,
        name="admin",
        roles=["admin"],
        scope=Scope(),
        ip=None,
        session_id=None,
    )
    document = {
        "enabled": enabled,
        "display_name": f"{name} IdP",
        "issuer": "https://idp.example",
        "client_id": "hindsight",
    }
    asyncio.run(runtime.services.sso.config.save(admin, document))
    return account.sid


def _offered(runtime: Runtime, asked: str | None) -> list[str]:
    choices: list[SsoProviderRecord] = asyncio.run(
        runtime.services.sso.config.sign_in_choices(asked)
    )
    return [choice.display_name for choice in choices]


def test_one_account_offers_its_provider_without_being_asked(runtime: Runtime) -> None:
    only = _enable(runtime, "Only")
    assert _offered(runtime, None) == ["Only IdP"]
    assert _offered(runtime, only) == ["Only IdP"]


def test_several_accounts_offer_only_the_one_asked_for(runtime: Runtime) -> None:
    first = _enable(runtime, "First")
    second = _enable(runtime, "Second")
    assert _offered(runtime, None) == []
    assert _offered(runtime, first) == ["First IdP"]
    assert _offered(runtime, second) == ["Second IdP"]
    assert _offered(runtime, NOWHERE) == []


def test_a_disabled_provider_is_offered_like_one_that_does_not_exist(runtime: Runtime) -> None:
    _enable(runtime, "On")
    off = _enable(runtime, "Off", enabled=False)
    assert _offered(runtime, off) == _offered(runtime, NOWHERE) == []
