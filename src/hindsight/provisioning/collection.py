"""What SCIM Users and Groups share: reading, listing, and the two ways of changing a resource.

RFC 7644 §3.5: a PUT replaces the resource with the document given; a PATCH applies its
operations to the resource as the server shows it, and the result is stored as a PUT of it
would be. Each kind says how it is found, shown and stored; the rules live here once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Connection

from hindsight.audit.trail import AuditTrail
from hindsight.domain.clock import Clock
from hindsight.domain.scim import patch as scim_patch
from hindsight.domain.scim.attributes import Attr, clean
from hindsight.provisioning.mapping import MappingRules
from hindsight.provisioning.resources import Page, page_of
from hindsight.store.database import Database
from hindsight.store.scim import ScimToken

T = TypeVar("T")
R = TypeVar("R")


class ScimCollection(Generic[R]):
    """One kind of SCIM resource of an account (R: its stored record)."""

    attrs: ClassVar[tuple[Attr, ...]]
    schema: ClassVar[str]
    # The noun of the audit actions: scim.<noun>_replace, scim.<noun>_patch.
    noun: ClassVar[str]

    def __init__(
        self, db: Database, clock: Clock, audit: AuditTrail, mapping: MappingRules
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._mapping = mapping

    # --- what each kind says ------------------------------------------------------------------

    def _find(self, conn: Connection, account_sid: str, sid: str) -> R:
        """The account's resource; another account's is "not found" (a token never learns it
        exists)."""
        raise NotImplementedError

    def _all(self, conn: Connection, account_sid: str) -> list[R]:
        raise NotImplementedError

    def resource(self, record: R, base: str) -> dict[str, Any]:
        """The record as the SCIM resource a client reads (`base`: the SCIM root URL)."""
        raise NotImplementedError

    async def create(self, token: ScimToken, document: Mapping[str, Any], ip: str | None) -> R:
        raise NotImplementedError

    async def delete(
        self, token: ScimToken, sid: str, ip: str | None, if_match: str | None = None
    ) -> None:
        raise NotImplementedError

    def _store(
        self,
        conn: Connection,
        token: ScimToken,
        sid: str,
        attributes: dict[str, Any],
        ip: str | None,
        action: str,
        if_match: str | None,
    ) -> R:
        """Replace the resource with these (clean) attributes, audited as `action`."""
        raise NotImplementedError

    def _patched(self, current: R, changed: Mapping[str, Any]) -> dict[str, Any]:
        """The attributes a PATCH leaves, from the resource it changed."""
        return clean(self.attrs, self.schema, changed)

    async def _write(self, unit: Callable[[Connection], T]) -> T:
        return await self._db.write(unit)

    # --- reading ------------------------------------------------------------------------------

    async def list(
        self, token: ScimToken, base: str, filter_text: str | None, start: int, count: int
    ) -> Page:
        records = await self._db.read(lambda conn: self._all(conn, token.account_sid))
        documents = [self.resource(r, base) for r in records]
        # Filtering in Python: an account holds thousands of people, not millions, and every
        # filter SCIM allows then behaves the same on SQLite and PostgreSQL.
        return await asyncio.to_thread(
            page_of, documents, filter_text, self.attrs, self.schema, start, count
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
        attributes = clean(self.attrs, self.schema, document)
        action = f"scim.{self.noun}_replace"
        return await self._write(
            lambda conn: self._store(conn, token, sid, attributes, ip, action, if_match)
        )

    async def patch(
        self,
        token: ScimToken,
        sid: str,
        document: Mapping[str, Any],
        base: str,
        ip: str | None,
        if_match: str | None = None,
    ) -> R:
        operations = scim_patch.parse_operations(document, self.attrs, self.schema)
        action = f"scim.{self.noun}_patch"

        def unit(conn: Connection) -> R:
            current = self._find(conn, token.account_sid, sid)
            resource = self.resource(current, base)
            changed = scim_patch.apply(resource, operations, self.attrs, self.schema)
            attributes = self._patched(current, changed)
            return self._store(conn, token, sid, attributes, ip, action, if_match)

        return await self._write(unit)
