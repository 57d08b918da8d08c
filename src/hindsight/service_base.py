"""What every service shares: its dependencies, the caller of a use case, database access.

TaskRouter, insights, media, chat and quality services are built on these; the TaskRouter-only
parts (workspace scoping, read-only mirrors, event emission) are in routing/base.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Connection

from hindsight.auth.accounts import Principal
from hindsight.domain.addresses import AddressRules
from hindsight.domain.clock import Clock
from hindsight.domain.events import Actor
from hindsight.eventlog.append import Origin
from hindsight.eventlog.notify import LogNotifier
from hindsight.routing.engine import RoutingEngine
from hindsight.store.database import Database

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    max_attributes_bytes: int = 16 * 1024


@dataclass(frozen=True)
class Caller:
    """The authenticated principal of a request, and where it came from."""

    principal: Principal
    ip: str | None = None

    @property
    def account_sid(self) -> str:
        return self.principal.account_sid

    def origin(self) -> Origin:
        kind = "api_key" if self.principal.uses_api_key else "account"
        return Origin(
            actor=Actor(actor_type=kind, actor_sid=self.principal.credential_sid),
            source="api",
            ip=self.ip,
        )


@dataclass
class Deps:
    """What the composition root gives every service."""

    db: Database
    clock: Clock
    notifier: LogNotifier
    limits: Limits
    engine: RoutingEngine = field(default_factory=RoutingEngine)
    # Where EventCallbackUrls may point (the deployment's receivers; SSRF rules).
    callback_rules: AddressRules = field(default_factory=AddressRules)


class Service:
    """A service reading through the shared database: short reads inline, long ones off-loop."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._db = deps.db
        self._clock = deps.clock
        self._engine = deps.engine

    async def _read(self, fn: Callable[[Connection], T]) -> T:
        return await self._db.read(fn)

    async def _scan(self, fn: Callable[[Connection], T]) -> T:
        """A read that may take long (a list page): off the event loop."""
        return await self._db.scan(fn)
