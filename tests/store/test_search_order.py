"""Text search pages in the list's order on both stores, whatever happened to the matches:
starts that move (SQLite: the full-text row gets a new key), conversations sharing a start
millisecond, retention deletes, a scope that hides most matches and a person who may not
open transcripts. The lists are compared with the order computed here."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, insert, select, text, update

from hindsight.domain.paging import PageRequest
from hindsight.insights.filters import ConversationFilters
from hindsight.insights.queries import ConversationSort, search_page
from hindsight.store import insights_queries, migrate, retention, timeline_search
from hindsight.store.database import Database, DatabaseOptions
from hindsight.store.keyset import key_of
from hindsight.store.schema import (
    conversation_scopes,
    conversations,
    search_documents,
    search_transcript_links,
    search_transcripts,
)
from hindsight.store.search import index as search_index
from hindsight.store.search import timeline

ACCOUNT = "AC" + "1" * 32
OTHER = "AC" + "2" * 32
T0 = 1_700_000_000_000


def _conversation(account: str, cid: str, start_ms: int) -> dict[str, Any]:
    return {
        "account_sid": account,
        "workspace_sid": "WS" + "0" * 32,
        "conversation_id": cid,
        "start_ms": start_ms,
        "segment_count": 1,
        "abandoned": False,
        "handled": True,
        "in_progress": False,
        "has_media": False,
        "queue_time": 1,
        "talk_time": 1,
        "wrap_up_time": 1,
        "handling_time": 2,
        "abandon_time": 0,
        "attributes": "{}",
        "search_text": "",
        "updated_ms": start_ms,
    }


def _seed(
    db: Database,
    account: str,
    cid: str,
    start_ms: int,
    document: str = "",
    transcript: str | None = None,
    tag: str = "team:a",
) -> None:
    """A conversation, its scope tag, its document and (if given) one linked transcript."""

    def write(conn: Connection) -> None:
        conn.execute(insert(conversations), [_conversation(account, cid, start_ms)])
        conn.execute(
            insert(conversation_scopes),
            [{"account_sid": account, "conversation_id": cid, "tag": tag}],
        )
        conn.execute(
            insert(search_documents),
            [{"account_sid": account, "conversation_id": cid, "body": document}],
        )
        if transcript is not None:
            chat = "CH" + cid.rjust(32, "0")
            conn.execute(
                insert(search_transcripts),
                [{"account_sid": account, "chat_sid": chat, "body": transcript}],
            )
            conn.execute(
                insert(search_transcript_links),
                [{"account_sid": account, "conversation_id": cid, "chat_sid": chat}],
            )

    db.write_sync(write)


def _listed(
    db: Database,
    filters: ConversationFilters,
    size: int,
    descending: bool = True,
    scope: tuple[str, ...] | None = None,
) -> list[str]:
    """Every page of the search, forward through the list, then the same list read backward
    from its end (both must agree)."""
    sort = ConversationSort("start", descending)
    found: list[Any] = []
    request = PageRequest(size)
    while True:
        result = db.read_sync(
            lambda conn, request=request: search_page(conn, ACCOUNT, filters, scope, sort, request)
        )
        found.extend(result.rows)
        if not result.has_next:
            break
        request = PageRequest(size, after=key_of(result.rows[-1], sort.keys))
    backward: list[Any] = []
    if found:
        request = PageRequest(size, before=key_of(found[-1], sort.keys))
        while True:
            result = db.read_sync(
                lambda conn, request=request: search_page(
                    conn, ACCOUNT, filters, scope, sort, request
                )
            )
            backward[:0] = result.rows
            if not result.has_previous:
                break
            request = PageRequest(size, before=key_of(result.rows[0], sort.keys))
        assert [r.conversation_id for r in backward] == [r.conversation_id for r in found[:-1]]
    return [r.conversation_id for r in found]


def _expected(db: Database, ids: set[str], descending: bool = True) -> list[str]:
    c = conversations.c
    rows = db.read_sync(
        lambda conn: list(
            conn.execute(
                select(c.conversation_id, c.start_ms, c.id).where(
                    c.account_sid == ACCOUNT, c.conversation_id.in_(sorted(ids))
                )
            )
        )
    )
    rows.sort(key=lambda r: (r.start_ms, r.id), reverse=descending)
    return [r.conversation_id for r in rows]


def _total(db: Database, filters: ConversationFilters, scope: Any = None) -> int:
    return db.read_sync(lambda conn: insights_queries.count(conn, ACCOUNT, filters, scope))


def _keys_follow_starts(db: Database) -> None:
    """SQLite: every conversation's full-text key lies in its start's millisecond."""
    if db.write_engine.dialect.name != "sqlite":
        return
    rows = db.read_sync(
        lambda conn: list(
            conn.execute(
                text(
                    f"SELECT s.list_key, c.start_ms FROM {timeline.TABLE} s JOIN conversations c"
                    " ON c.account_sid = s.account_sid AND c.conversation_id = s.conversation_id"
                )
            )
        )
    )
    assert rows and all(key >> 20 == start for key, start in rows)
    counted = db.read_sync(
        lambda conn: conn.execute(text(f"SELECT count(*) FROM {timeline.TABLE}")).scalar_one()
    )
    assert counted == db.read_sync(
        lambda conn: conn.execute(text("SELECT count(*) FROM conversations")).scalar_one()
    )


WORD = ConversationFilters(text="parcel", search_transcripts=True)


@pytest.fixture(params=[False, True], ids=["walked", "few"])
def few(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both ways a page is read: past FEW matches (walked, in batches of a page and one on
    SQLite) and by id (few)."""
    if not request.param:
        monkeypatch.setattr(search_index, "FEW", 0)
        monkeypatch.setattr(timeline_search, "FIRST", 1)
    return bool(request.param)


def _narrowed(db: Database, filters: ConversationFilters) -> ConversationFilters:
    within = db.read_sync(lambda conn: insights_queries.matching_few(conn, ACCOUNT, filters))
    return filters if within is None else replace(filters, within=within)


def test_a_moved_start_moves_the_match_in_the_list(db: Database, few: bool) -> None:
    # Five matches, two of them sharing a millisecond, and a non-match between them.
    for n, start in enumerate((T0 + 5, T0 + 1, T0 + 3, T0 + 3, T0 + 9)):
        _seed(db, ACCOUNT, f"c{n}", start, transcript=f"visitor: my parcel {n}")
    _seed(db, ACCOUNT, "quiet", T0 + 4, document="nothing here")
    _seed(db, OTHER, "theirs", T0 + 8, transcript="my parcel too")
    matching = {f"c{n}" for n in range(5)}
    for size in (1, 2, 50):
        assert _listed(db, _narrowed(db, WORD), size) == _expected(db, matching)
        assert _listed(db, _narrowed(db, WORD), size, descending=False) == _expected(
            db, matching, descending=False
        )
    # The oldest moves to the newest place, then into the shared millisecond after the
    # conversations already holding it (a later key, an earlier row id), and so does the
    # first: that millisecond's keys are now in the reverse order of its row ids.
    for cid, moved in (("c1", T0 + 20), ("c1", T0 + 3), ("c0", T0 + 3)):
        db.write_sync(
            lambda conn, cid=cid, moved=moved: conn.execute(
                update(conversations)
                .where(conversations.c.conversation_id == cid)
                .values(start_ms=moved)
            )
        )
        for size in (1, 2, 50):
            assert _listed(db, _narrowed(db, WORD), size) == _expected(db, matching)
            assert _listed(db, _narrowed(db, WORD), size, descending=False) == _expected(
                db, matching, descending=False
            )
        _keys_follow_starts(db)
    assert _expected(db, {"c0", "c1", "c2", "c3"}) == ["c3", "c2", "c1", "c0"]
    period = replace(WORD, start_ms=T0 + 3, end_ms=T0 + 6)
    assert _listed(db, _narrowed(db, period), 1) == ["c3", "c2", "c1", "c0"]
    assert _total(db, period) == 4


def test_retention_deletes_take_the_matches_with_them(db: Database, few: bool) -> None:
    for n in range(6):
        _seed(db, ACCOUNT, f"c{n}", T0 + n, document=f"parcel {n}", transcript="tracking")
    db.write_sync(lambda conn: retention.delete_conversations(conn, ACCOUNT, ["c1", "c4"], []))
    kept = {"c0", "c2", "c3", "c5"}
    assert _listed(db, _narrowed(db, WORD), 2) == _expected(db, kept)
    tracking = replace(WORD, text="tracking")
    assert _listed(db, _narrowed(db, tracking), 3) == _expected(db, kept)
    assert _total(db, WORD) == 4
    _keys_follow_starts(db)
    # A conversation seeded again under a deleted id is found once, at its new start.
    _seed(db, ACCOUNT, "c1", T0 + 100, document="parcel again")
    assert _listed(db, _narrowed(db, WORD), 2) == _expected(db, kept | {"c1"})
    _keys_follow_starts(db)


def test_a_scoped_person_pages_and_counts_only_in_scope(db: Database, few: bool) -> None:
    """Most matches are out of scope (a batch of matches holds few of the page): the pages
    hold exactly the scoped matches, in order, and so does the total."""
    for n in range(240):
        tag = "team:a" if n % 12 == 0 else "team:b"
        _seed(db, ACCOUNT, f"c{n:03d}", T0 + n // 3, transcript=f"parcel {n}", tag=tag)
    scope = ("team:a",)
    inside = {f"c{n:03d}" for n in range(0, 240, 12)}
    assert _listed(db, _narrowed(db, WORD), 3, scope=scope) == _expected(db, inside)
    assert _total(db, WORD, scope) == len(inside)
    assert _listed(db, _narrowed(db, WORD), 7) == _expected(db, {f"c{n:03d}" for n in range(240)})


def test_without_transcript_rights_only_the_document_matches(db: Database, few: bool) -> None:
    _seed(db, ACCOUNT, "doc", T0 + 1, document="Platinum parcel", transcript="hello")
    _seed(db, ACCOUNT, "chat", T0 + 2, document="Gold", transcript="my parcel, tracking 7781")
    closed = ConversationFilters(text="parcel", search_transcripts=False)
    assert _listed(db, _narrowed(db, closed), 1) == ["doc"]
    assert _listed(db, _narrowed(db, WORD), 1) == ["chat", "doc"]
    for words in ("tracking", '"tracking 7781"', "track", "parcel tracking"):
        hidden = replace(closed, text=words)
        assert _listed(db, _narrowed(db, hidden), 1) == []
        assert _total(db, hidden) == 0
        assert _listed(db, _narrowed(db, replace(WORD, text=words)), 1) == ["chat"]
    assert _total(db, closed) == 1 and _total(db, WORD) == 2


def _migrate(database_url: str, revision: str, down: bool = False) -> Database:
    database = Database(DatabaseOptions(url=database_url))
    config = migrate._config()
    with database.write_engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)
    return database


def test_the_migration_fills_the_index_from_existing_rows(database_url: str) -> None:
    db = _migrate(database_url, "0025")
    try:
        for n, start in enumerate((T0 + 2, T0 + 1, T0 + 2, T0 + 7)):
            _seed(db, ACCOUNT, f"c{n}", start, document=f"Gold {n}", transcript="my parcel")
        _seed(db, ACCOUNT, "quiet", T0 + 3, document="Gold")
    finally:
        db.close()
    db = _migrate(database_url, "head")
    try:
        _keys_follow_starts(db)
        matching = {"c0", "c1", "c2", "c3"}
        assert _listed(db, WORD, 1) == _expected(db, matching)
        closed = replace(WORD, search_transcripts=False)
        assert _listed(db, replace(closed, text="gold"), 2) == _expected(db, matching | {"quiet"})
        assert _listed(db, closed, 2) == []
    finally:
        db.close()
    if not database_url.startswith("sqlite"):
        return
    db = _migrate(database_url, "0025", down=True)
    try:  # the per-table indexes are back, filled
        found = db.read_sync(
            lambda conn: conn.execute(
                text(
                    "SELECT count(*) FROM search_transcripts_fts WHERE search_transcripts_fts"
                    " MATCH 'parcel'"
                )
            ).scalar_one()
        )
        assert found == 4
    finally:
        db.close()
