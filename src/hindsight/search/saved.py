"""Saved searches and hidden list columns: each person's own, kept on the server (so they
follow the person to any browser), every change audited in its own transaction."""

from __future__ import annotations

from sqlalchemy import Connection

from hindsight.audit.trail import AuditTrail
from hindsight.domain.access import Viewer
from hindsight.domain.clock import Clock
from hindsight.domain.errors import Conflict, Forbidden, InvalidParameter, NotFound
from hindsight.domain.permissions import Permission
from hindsight.domain.search import saved as rules
from hindsight.domain.sids import Prefix, is_sid, new_sid
from hindsight.store.database import Database
from hindsight.store.search import saved as store
from hindsight.store.search.saved import SavedSearch

# The conversation list's columns a person may hide (when it started always shows: it opens
# the conversation).
LIST_COLUMNS = (
    "customer",
    "channel",
    "direction",
    "queue",
    "agent",
    "outcome",
    "queue_time",
    "talk_time",
    "handling_time",
    "segments",
    "media",
)
_OBJECT = "saved_search"


def _person(viewer: Viewer) -> str:
    if not viewer.is_person:
        raise Forbidden("Saved searches belong to people signed in to Hindsight")
    viewer.require(Permission.SEARCH)
    return viewer.actor_sid


def _checked_sid(sid: str) -> str:
    if not is_sid(sid, Prefix.SAVED_SEARCH):
        raise NotFound("No such saved search")
    return sid


class SavedSearches:
    def __init__(self, db: Database, clock: Clock, audit: AuditTrail) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    async def list(self, viewer: Viewer) -> list[SavedSearch]:
        user = _person(viewer)
        return await self._db.read(lambda conn: store.of_person(conn, user))

    async def save(self, viewer: Viewer, name: object, query: object) -> SavedSearch:
        user = _person(viewer)
        now = self._clock.now_ms()
        search = SavedSearch(
            sid=new_sid(Prefix.SAVED_SEARCH),
            name=rules.clean_name(name),
            query=rules.clean_query(query),
            created_ms=now,
            updated_ms=now,
        )

        def unit(conn: Connection) -> SavedSearch:
            if store.named(conn, user, search.name) is not None:
                raise Conflict(f"You already have a saved search named {search.name!r}")
            if store.count_of(conn, user) >= rules.MAX_PER_PERSON:
                raise InvalidParameter(
                    f"At most {rules.MAX_PER_PERSON} saved searches: delete one first"
                )
            store.add(conn, viewer.account_sid, user, search)
            self._audit.record_in(
                conn, viewer, "saved_search.create", object_type=_OBJECT, object_id=search.sid
            )
            return search

        return await self._db.write(unit)

    async def rename(self, viewer: Viewer, sid: str, name: object) -> SavedSearch:
        user = _person(viewer)
        _checked_sid(sid)
        wanted = rules.clean_name(name)
        now = self._clock.now_ms()

        def unit(conn: Connection) -> SavedSearch:
            same = store.named(conn, user, wanted)
            if same is not None and same.sid != sid:
                raise Conflict(f"You already have a saved search named {wanted!r}")
            if not store.rename(conn, user, sid, wanted, now):
                raise NotFound("No such saved search")
            self._audit.record_in(
                conn, viewer, "saved_search.rename", object_type=_OBJECT, object_id=sid
            )
            found = store.one(conn, user, sid)
            assert found is not None
            return found

        return await self._db.write(unit)

    async def delete(self, viewer: Viewer, sid: str) -> None:
        user = _person(viewer)
        _checked_sid(sid)

        def unit(conn: Connection) -> None:
            if not store.remove(conn, user, sid):
                raise NotFound("No such saved search")
            self._audit.record_in(
                conn, viewer, "saved_search.delete", object_type=_OBJECT, object_id=sid
            )

        await self._db.write(unit)

    async def hidden_columns(self, viewer: Viewer) -> list[str]:
        if not viewer.is_person:
            return []
        user = viewer.actor_sid
        stored = await self._db.read(lambda conn: store.hidden_columns(conn, user))
        return [c for c in stored if c in LIST_COLUMNS]

    async def hide_columns(self, viewer: Viewer, columns: object) -> list[str]:
        user = _person(viewer)
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise InvalidParameter("hidden_columns must be a list of column names")
        unknown = sorted(set(columns) - set(LIST_COLUMNS))
        if unknown:
            raise InvalidParameter(
                f"Unknown column {unknown[0][:40]!r}; columns: {', '.join(LIST_COLUMNS)}"
            )
        hidden = [c for c in LIST_COLUMNS if c in columns]
        now = self._clock.now_ms()
        await self._db.write(lambda conn: store.save_hidden_columns(conn, user, hidden, now))
        return hidden
