"""The quality report's daily totals stay equal to a direct computation over the assessments
after random sequences of creates, submissions, edits, rescoring, scope changes and deletions,
on both stores; the report (whole days from the totals, the period's edges directly) equals the
figures computed here in Python from the rows themselves, for every grouping, with and without
a scope and filters; and a rebuild finds what the incremental upkeep kept."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import select

from hindsight.store import accounts, insights
from hindsight.store.database import Database
from hindsight.store.quality import assessments, catalogue, daily_totals
from hindsight.store.quality import reports as store
from hindsight.store.quality.reports import GROUPINGS, ReportFilters
from hindsight.store.schema import (
    conversation_scopes,
    qm_assessments,
    qm_daily_category_totals,
    qm_daily_totals,
    qm_questionnaires,
    qm_reviews,
)
from tests.support.rows import account_row

ACCOUNTS = ("AC" + "1" * 32, "AC" + "9" * 32)
DAY_MS = 86_400_000
NOW = 1_700_000_000_000 - 1_700_000_000_000 % DAY_MS
QUESTIONNAIRES = ("GM" + "3" * 32, "GM" + "4" * 32)
CATEGORIES = ("Greeting", "Resolution", "Tone")
TAGS = ("team:A", "team:B", "queue:Sales")
AGENTS = (("WK" + "a" * 32, "Alice"), ("WK" + "b" * 32, "Bob"), ("WK" + "c" * 32, None))
QUEUES = ("Sales", "Support", None)


def _seed_catalogue(conn: Any) -> None:
    for account in ACCOUNTS:
        accounts.insert_account(conn, account_row(account, NOW))
    for i, sid in enumerate(QUESTIONNAIRES):
        catalogue.insert_questionnaire(
            conn,
            {
                "sid": sid,
                "account_sid": ACCOUNTS[0],
                "name": f"Questionnaire {i}",
                "description": "",
                "active": True,
                "date_created": NOW,
                "date_updated": NOW,
            },
        )


class World:
    """Random changes through the store's own write functions (those the services call)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = 0
        self.reviews: list[tuple[str, str]] = []  # (account, sid)
        self.answers: list[str] = []
        self.conversations: dict[str, set[str]] = {}  # conversation -> its account's ... tags

    def _moment(self) -> int:
        return NOW - self.rng.randrange(0, 6 * DAY_MS)

    def create(self, conn: Any) -> None:
        rng = self.rng
        self.n += 1
        account = ACCOUNTS[0] if rng.random() < 0.85 else ACCOUNTS[1]
        conversation = f"conv-{rng.randrange(12)}"
        agent, agent_name = rng.choice(AGENTS)
        sid = f"QR{self.n:032x}"
        submitted = rng.random() < 0.7
        at = self._moment()
        assessments.insert_review(
            conn,
            {
                "sid": sid,
                "account_sid": account,
                "segment_id": f"SG{self.n:032x}",
                "conversation_id": conversation,
                "agent_id": agent,
                "agent_name": agent_name,
                "queue_name": rng.choice(QUEUES),
                "questionnaire_sid": rng.choice(QUESTIONNAIRES),
                "author_type": "user",
                "author_sid": "US" + "4" * 32,
                "author_name": "QA",
                "author_email": None,
                "status": "submitted" if submitted else "draft",
                "score": rng.choice((None, 0.0, 33.3, 50.0, 100.0)) if submitted else None,
                "submitted_ms": at if submitted else None,
                "acknowledged_ms": None,
                "version": 1,
                "date_created": at,
                "date_updated": at,
            },
        )
        self.reviews.append((account, sid))
        for q in range(rng.randrange(1, 4)):
            self.add_answer(conn, account, sid, q)

    def add_answer(self, conn: Any, account: str, review: str, q: int) -> None:
        rng = self.rng
        self.n += 1
        answer = f"FM{self.n:032x}"
        assessments.insert_assessment(
            conn,
            {
                "sid": answer,
                "review_sid": review,
                "account_sid": account,
                "segment_id": "SG" + "0" * 32,
                "agent_id": "WK" + "0" * 32,
                "questionnaire_sid": QUESTIONNAIRES[0],
                "question_sid": f"GE{q:032x}",
                "question_name": f"Question {q}",
                "category_sid": "FY" + "6" * 32,
                "category_name": rng.choice(CATEGORIES),
                "answer_id": "a",
                "answer_text": "x",
                "score": rng.choice((None, 0.0, 1.0, 2.5, 5.0)),
                "max_score": rng.choice((1.0, 5.0)),
                "offset_seconds": None,
                "date_created": NOW,
                "date_updated": NOW,
            },
        )
        self.answers.append(answer)

    def step(self, conn: Any) -> None:
        rng = self.rng
        action = rng.choice(
            ("create", "create", "submit", "rescore", "answer", "retag", "delete", "add")
        )
        if action == "create" or not self.reviews:
            self.create(conn)
        elif action == "submit":
            _account, sid = rng.choice(self.reviews)
            at = self._moment() + rng.randrange(DAY_MS)  # edits can move it across days
            assessments.update_review(
                conn, sid, {"status": "submitted", "submitted_ms": at, "score": 75.0}
            )
        elif action == "rescore":
            _account, sid = rng.choice(self.reviews)
            assessments.update_review(conn, sid, {"score": rng.choice((None, 10.0, 90.0))})
        elif action == "answer" and self.answers:
            assessments.update_assessment(
                conn,
                rng.choice(self.answers),
                {"score": rng.choice((None, 0.0, 4.0)), "category_name": rng.choice(CATEGORIES)},
            )
        elif action == "add":
            account, sid = rng.choice(self.reviews)
            self.add_answer(conn, account, sid, 10 + self.n)
        elif action == "retag":
            account = rng.choice(ACCOUNTS)
            conversation = f"conv-{rng.randrange(12)}"
            tags = {t for t in TAGS if rng.random() < 0.4}
            insights.save_scope_tags(conn, account, conversation, tags)
        elif action == "delete":
            account = rng.choice(ACCOUNTS)
            gone = [f"conv-{rng.randrange(12)}"]
            assessments.delete_for_conversations(conn, account, gone)
            self.reviews = [
                (a, s)
                for a, s in self.reviews
                if conn.execute(select(qm_reviews.c.sid).where(qm_reviews.c.sid == s)).first()
            ]
            present = set(conn.execute(select(qm_assessments.c.sid)).scalars())
            self.answers = [a for a in self.answers if a in present]


# --- the figures computed here, from the rows ---------------------------------------------------


def _expected(
    conn: Any, account: str, filters: ReportFilters, group_by: str, scope: tuple[str, ...] | None
) -> dict[Any, tuple[int, float | None]]:
    tags: dict[str, set[str]] = defaultdict(set)
    for row in conn.execute(
        select(conversation_scopes).where(conversation_scopes.c.account_sid == account)
    ):
        tags[row.conversation_id].add(row.tag)
    names = dict(conn.execute(select(qm_questionnaires.c.sid, qm_questionnaires.c.name)).all())
    kept = []
    for r in conn.execute(select(qm_reviews).where(qm_reviews.c.account_sid == account)):
        if r.status != "submitted":
            continue
        if filters.start_ms is not None and r.submitted_ms < filters.start_ms:
            continue
        if filters.end_ms is not None and r.submitted_ms >= filters.end_ms:
            continue
        if filters.agent_id is not None and r.agent_id != filters.agent_id:
            continue
        if filters.queue is not None and r.queue_name != filters.queue:
            continue
        if (
            filters.questionnaire_sid is not None
            and r.questionnaire_sid != filters.questionnaire_sid
        ):
            continue
        if scope is not None and not tags[r.conversation_id] & set(scope):
            continue
        kept.append(r)
    out: dict[Any, tuple[int, float | None]] = {}
    if group_by == "category":
        sums: dict[str, list[Any]] = defaultdict(lambda: [set(), 0.0, 0.0])
        sids = {r.sid for r in kept}
        for a in conn.execute(select(qm_assessments)):
            if a.review_sid not in sids:
                continue
            entry = sums[a.category_name]
            entry[0].add(a.review_sid)
            if a.score is not None:
                entry[1] += a.score
                entry[2] += a.max_score
        for name, (reviews, got, best) in sums.items():
            out[name] = (len(reviews), round(100 * got / best, 2) if best else None)
        return out
    groups: dict[Any, list[Any]] = defaultdict(list)
    for r in kept:
        key = {
            "agent": r.agent_id,
            "queue": r.queue_name,
            "questionnaire": r.questionnaire_sid,
            "day": r.submitted_ms - r.submitted_ms % DAY_MS,
            "total": None,
        }[group_by]
        groups[key].append(r)
    for key, rows in groups.items():
        scores = [r.score for r in rows if r.score is not None]
        average = round(sum(scores) / len(scores), 2) if scores else None
        out[key] = (len(rows), average)
    del names
    return out


def _reported(
    conn: Any, account: str, filters: ReportFilters, group_by: str, scope: tuple[str, ...] | None
) -> dict[Any, tuple[int, float | None]]:
    if group_by == "total":
        rows = [store.total(conn, account, filters, scope)]
        rows = [r for r in rows if r.assessments]
    else:
        rows = store.grouped(conn, account, filters, group_by, scope)
    return {
        r.group: (
            r.assessments,
            round(r.numerator / r.denominator, 2) if r.denominator else None,
        )
        for r in rows
    }


def _close(got: dict[Any, Any], want: dict[Any, Any]) -> bool:
    if set(got) != set(want):
        return False
    for key, (count, average) in want.items():
        other_count, other_average = got[key]
        if count != other_count or (average is None) != (other_average is None):
            return False
        if average is not None and abs(average - other_average) > 0.011:
            return False
    return True


def _stored(conn: Any) -> dict[str, dict[tuple[Any, ...], tuple[float, ...]]]:
    out = {}
    for table, sums in (
        (qm_daily_totals, ("assessments", "scored", "score_sum")),
        (qm_daily_category_totals, ("assessments", "points", "possible")),
    ):
        keys = [c for c in table.c if c.name not in sums]
        out[table.name] = {
            tuple(row[: len(keys)]): tuple(round(float(v), 6) for v in row[len(keys) :])
            for row in conn.execute(select(*keys, *(table.c[s] for s in sums)))
        }
    return out


PERIODS = (
    ReportFilters(),
    ReportFilters(start_ms=NOW - 3 * DAY_MS),
    ReportFilters(start_ms=NOW - 4 * DAY_MS + 3_600_000, end_ms=NOW - DAY_MS + 7_200_000),
    ReportFilters(start_ms=NOW - 2 * DAY_MS + 1000, end_ms=NOW - 2 * DAY_MS + 50_000_000),
    ReportFilters(end_ms=NOW - 2 * DAY_MS - 5),
    ReportFilters(queue="Sales", agent_id=AGENTS[0][0]),
    ReportFilters(questionnaire_sid=QUESTIONNAIRES[1], start_ms=NOW - 5 * DAY_MS + 17),
)
SCOPES = (None, ("team:A",), ("team:B", "queue:Sales"), ("team:none",))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_daily_totals_equal_a_direct_computation_after_random_changes(
    db: Database, seed: int
) -> None:
    db.write_sync(_seed_catalogue)
    world = World(seed)
    for _round in range(4):
        for _ in range(25):
            db.write_sync(world.step)

        def check(conn: Any) -> list[str]:
            wrong = []
            for account in ACCOUNTS:
                for filters in PERIODS:
                    for scope in SCOPES:
                        for group_by in (*GROUPINGS, "total"):
                            want = _expected(conn, account, filters, group_by, scope)
                            got = _reported(conn, account, filters, group_by, scope)
                            if not _close(got, want):
                                wrong.append(
                                    f"{account} {filters} {scope} {group_by}: {got} != {want}"
                                )
            return wrong

        assert db.read_sync(check) == []
        kept = db.read_sync(_stored)
        assert any(kept.values()), "the sequence submitted nothing: the test would prove nothing"
        db.write_sync(daily_totals.rebuild)
        assert db.read_sync(_stored) == kept


def test_a_report_over_no_assessments_is_empty(db: Database) -> None:
    db.write_sync(_seed_catalogue)
    for group_by in GROUPINGS:
        rows = db.read_sync(
            lambda conn, g=group_by: store.grouped(conn, ACCOUNTS[0], ReportFilters(), g, None)
        )
        assert rows == []
    whole = db.read_sync(lambda conn: store.total(conn, ACCOUNTS[0], ReportFilters(), None))
    assert whole.assessments == 0
