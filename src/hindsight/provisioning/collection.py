"""What SCIM Users and Groups share: reading, listing, and changing a resource.

RFC 7644 §3.5: a PUT replaces the resource with the document given; a PATCH applies its
operations to the resource as the server shows it, and the result is stored as a PUT of it
would be; a write naming a version (If-Match) changes nothing unless it is the current one.
Each kind says how it is read, shown, stored and removed; the rules live here once.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import Connection

from hindsight.audit.trail import Actor, AuditTrail
from hindsight.domain.clock import Clock
from hindsight.domain.scim import patch as scim_patch
from hindsight.domain.scim.attributes import Attr, clean
from hindsight.domain.scim.errors import not_found
from hindsight.domain.sids import Prefix, is_sid
from hindsight.provisioning.mapping import MappingRules
from hindsight.provisioning.resources import Page, check_if_match, page_of
from hindsight.provisioning.tokens import provisioner
from hindsight.store.database import Database
from hindsight.store.scim import ScimToken

T = TypeVar("T")


class Versioned(Protocol):
    @property
    def sid(self) -> str: ...

    @property
    def account_sid(self) -> str: ...

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=Versioned)


@dataclass(frozen=True)
class ScimKind:
    attrs: tuple[Attr, ...]
    schema: str
    noun: str  # of the audit actions: scim.<noun>_replace, scim.<noun>_patch
    label: str  # of the resource type: "No <label> …"
    prefix: Prefix  # of its SIDs


class ScimCollection(abc.ABC, Generic[R]):
    """One kind of SCIM resource of an account (R: its stored record)."""

    kind: ClassVar[ScimKind]

    def __init__(
        self, db: Database, clock: Clock, audit: AuditTrail, mapping: MappingRules
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._mapping = mapping

    # --- what each kind says ------------------------------------------------------------------

    @abc.abstractmethod
    def _get(self, conn: Connection, account_sid: str, sid: str) -> R | None: ...

    @abc.abstractmethod
    def _all(self, conn: Connection, account_sid: str) -> list[R]: ...

    @abc.abstractmethod
    def resource(self, record: R, base: str, /) -> dict[str, Any]:
        """The record as the SCIM resource a client reads (`base`: the SCIM root URL)."""

    @abc.abstractmethod
    async def create(self, token: ScimToken, document: Mapping[str, Any], ip: str | None) -> R: ...

    @abc.abstractmethod
    def _store(
        self, conn: Connection, current: R, attributes: dict[str, Any], who: Actor, action: str
    ) -> R:
        """Replace `current` with these (clean) attributes, audited as `action` by `who`."""

    @abc.abstractmethod
    def _remove(self, conn: Connection, current: R, who: Actor) -> None: ...

    def _patched(self, current: R, changed: Mapping[str, Any]) -> dict[str, Any]:
        """The attributes a PATCH leaves, from the resource it changed."""
        return clean(self.kind.attrs, self.kind.schema, changed)

    async def _write(self, unit: Callable[[Connection], T]) -> T:
        return await self._db.write(unit)

    # --- reading ------------------------------------------------------------------------------

    def _find(self, conn: Connection, account_sid: str, sid: str) -> R:
        # Another account's resource is "not found": a token never learns it exists.
        found = self._get(conn, account_sid, sid) if is_sid(sid, self.kind.prefix) else None
        if found is None:
            raise not_found(f"No {self.kind.label} {sid[:40]}")
        return found

    async def list(
        self, token: ScimToken, base: str, filter_text: str | None, start: int, count: int
    ) -> Page:
        records = await self._db.read(lambda conn: self._all(conn, token.account_sid))
        documents = [self.resource(r, base) for r in records]
        # Filtering in Python: an account holds thousands of people, not millions, and every
        # filter SCIM allows then behaves the same on SQLite and PostgreSQL.
        return await asyncio.to_thread(
            page_of, documents, filter_text, self.kind.attrs, self.kind.schema, start, count
        )

    async def get(self, token: ScimToken, sid: str) -> R:
        return await self._db.read(lambda conn: self._find(conn, token.account_sid, sid))

    # --- changing -----------------------------------------------------------------------------

    async def replace(
        self,
        token: ScimToken,
        sid: str,
        document: Mapping[str, Any],
        ip: str | None,
        if_match: str | None = None,
    ) -> R:
        attributes = clean(self.kind.attrs, self.kind.schema, document)
        who = provisioner(token, ip)

        def unit(conn: Connection) -> R:
            current = self._find(conn, token.account_sid, sid)
            check_if_match(current.version, if_match)
            return self._store(conn, current, attributes, who, f"scim.{self.kind.noun}_replace")

        return await self._write(unit)

    async def patch(
        self,
        token: ScimToken,
        sid: str,
        document: Mapping[str, Any],
        base: str,
        ip: str | None,
        if_match: str | None = None,
    ) -> R:
        operations = scim_patch.parse_operations(document, self.kind.attrs, self.kind.schema)
        who = provisioner(token, ip)

        def unit(conn: Connection) -> R:
            current = self._find(conn, token.account_sid, sid)
            resource = self.resource(current, base)
            changed = scim_patch.apply(resource, operations, self.kind.attrs, self.kind.schema)
            attributes = self._patched(current, changed)
            check_if_match(current.version, if_match)
            return self._store(conn, current, attributes, who, f"scim.{self.kind.noun}_patch")

        return await self._write(unit)

    async def delete(
        self, token: ScimToken, sid: str, ip: str | None, if_match: str | None = None
    ) -> None:
        who = provisioner(token, ip)

        def unit(conn: Connection) -> None:
            current = self._find(conn, token.account_sid, sid)
            check_if_match(current.version, if_match)
            self._remove(conn, current, who)

        await self._write(unit)
