"""Quality management at scale: listing a conversation's assessments and the quality report,
on SQLite and PostgreSQL.

    benchmarks/run-quality                                        # 1,000,000 conversations
    benchmarks/run-quality --conversations 200000 --store sqlite

Writes conversations as the projection holds them, and for one in ten a submitted assessment
(three answers in two categories) and a comment: 100,000 assessments for a million
conversations, by 200 agents in 10 queues with 3 questionnaires over 90 days. Then times, in
the server's process and through the services (permission check and audit record included):

* the conversation screen's quality read (assessments with scores and history, comments);
* Twilio's `GET /Insights/QualityManagement/Assessments?SegmentId=` (a page of 50);
* the quality report over the last 30 days by agent, queue, questionnaire, category and day,
  and by agent over all time;
* a conversation search for assessed conversations (first page of 50).

The report reads the daily totals (store/quality/daily_totals.py), rebuilt once after the
rows are written (timed). Prints p50 and p95 of each, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from benchmarks.api_throughput import drop_postgres, postgres_url
from hindsight.app import build_runtime
from hindsight.domain.access import Viewer
from hindsight.domain.paging import PageRequest
from hindsight.insights.filters import ConversationFilters
from hindsight.insights.queries import ConversationSort
from hindsight.quality.reports import ReportFilters
from hindsight.settings import Settings
from hindsight.store.quality import daily_totals
from hindsight.store.quality.search import QualityFilter
from hindsight.store.schema import (
    conversations,
    qm_assessments,
    qm_comments,
    qm_questionnaires,
    qm_reviews,
)

DAY_MS = 86_400_000
BATCH = 10_000
AGENTS = 200
QUEUES = 10
QUESTIONNAIRES = [f"GM{n:032x}" for n in range(1, 4)]


def _conversation(account: str, n: int, at: int) -> dict[str, Any]:
    return {
        "account_sid": account,
        "workspace_sid": "WS" + "0" * 32,
        "conversation_id": f"bench-{n:08d}",
        "start_ms": at,
        "end_ms": at + 300_000,
        "segment_count": 2,
        "queue": f"Queue {n % QUEUES}",
        "agent": f"Agent {n % AGENTS}",
        "channel": "voice",
        "direction": "inbound",
        "outcome": "resolved",
        "abandoned": False,
        "handled": True,
        "in_progress": False,
        "has_media": True,
        "queue_time": 5,
        "talk_time": 240,
        "wrap_up_time": 30,
        "handling_time": 270,
        "abandon_time": 0,
        "customer_key": None,
        "handling_team": "Support",
        "attributes": "{}",
        "search_text": "support",
        "updated_ms": at,
    }


def _assessed(account: str, n: int, at: int, rows: dict[str, list[dict[str, Any]]]) -> None:
    review = f"QR{n:032x}"
    segment = f"SG{n:032x}"
    agent = f"WK{n % AGENTS:032x}"
    questionnaire = QUESTIONNAIRES[n % len(QUESTIONNAIRES)]
    scores = [random.choice((0.0, 50.0, 100.0)) for _ in range(3)]
    common = {"account_sid": account, "segment_id": segment, "agent_id": agent}
    rows["reviews"].append(
        {
            **common,
            "sid": review,
            "conversation_id": f"bench-{n:08d}",
            "agent_name": f"Agent {n % AGENTS}",
            "queue_name": f"Queue {n % QUEUES}",
            "questionnaire_sid": questionnaire,
            "author_type": "user",
            "author_sid": "US" + "1" * 32,
            "author_name": "QA lead",
            "author_email": None,
            "status": "submitted",
            "score": round(sum(scores) / 3, 2),
            "submitted_ms": at + DAY_MS,
            "acknowledged_ms": None,
            "version": 1,
            "date_created": at + DAY_MS,
            "date_updated": at + DAY_MS,
        }
    )
    for q, score in enumerate(scores):
        rows["answers"].append(
            {
                **common,
                "sid": f"FM{n * 4 + q:032x}",
                "review_sid": review,
                "questionnaire_sid": questionnaire,
                "question_sid": f"GE{q:032x}",
                "question_name": f"Question {q}",
                "category_sid": f"FY{q % 2:032x}",
                "category_name": ("Greeting", "Resolution")[q % 2],
                "answer_id": "a",
                "answer_text": str(score),
                "score": score,
                "max_score": 100.0,
                "offset_seconds": 10.0 * q,
                "date_created": at + DAY_MS,
                "date_updated": at + DAY_MS,
            }
        )
    rows["comments"].append(
        {
            **common,
            "sid": f"FM{n * 4 + 3:032x}",
            "conversation_id": f"bench-{n:08d}",
            "comment": "Good opening",
            "tag_id": "t",
            "tag_name": "Good",
            "offset_seconds": 12.5,
            "message_index": None,
            "author_type": "user",
            "author_sid": "US" + "1" * 32,
            "author_name": "QA lead",
            "author_email": None,
            "date_created": at + DAY_MS,
            "date_updated": at + DAY_MS,
        }
    )


def generate(runtime: Any, account: str, total: int, now: int) -> None:
    def questionnaires(conn: Any) -> None:
        conn.execute(
            insert(qm_questionnaires),
            [
                {
                    "sid": sid,
                    "account_sid": account,
                    "name": f"Questionnaire {i}",
                    "description": "",
                    "active": True,
                    "date_created": now,
                    "date_updated": now,
                }
                for i, sid in enumerate(QUESTIONNAIRES)
            ],
        )

    runtime.db.write_sync(questionnaires)
    span = 90 * DAY_MS
    for first in range(0, total, BATCH):
        rows: dict[str, list[dict[str, Any]]] = {
            "conversations": [],
            "reviews": [],
            "answers": [],
            "comments": [],
        }
        for n in range(first, min(first + BATCH, total)):
            at = now - span + (n * span) // total
            rows["conversations"].append(_conversation(account, n, at))
            if n % 10 == 0:
                _assessed(account, n, at, rows)

        def unit(conn: Any, rows: dict[str, list[dict[str, Any]]] = rows) -> None:
            for name, table in (
                ("conversations", conversations),
                ("reviews", qm_reviews),
                ("answers", qm_assessments),
                ("comments", qm_comments),
            ):
                if rows[name]:
                    conn.execute(insert(table), rows[name])

        runtime.db.write_sync(unit)


async def _time(label: str, runs: int, call: Callable[[int], Awaitable[Any]]) -> None:
    seconds = []
    for i in range(runs):
        started = time.perf_counter()
        await call(i)
        seconds.append((time.perf_counter() - started) * 1000)
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))]
    print(f"  {label:<52} p50 {statistics.median(seconds):7.1f} ms   p95 {p95:7.1f} ms")


async def measure(runtime: Any, account: str, total: int, now: int) -> None:
    services = runtime.services
    viewer = Viewer.service(account, account)
    assessed = [n for n in range(0, total, 10)]
    picks = [random.choice(assessed) for _ in range(300)]
    await _time(
        "conversation screen: assessments + comments",
        len(picks),
        lambda i: services.quality.assessments.conversation(viewer, f"bench-{picks[i]:08d}"),
    )
    await _time(
        "Twilio Assessments?SegmentId= (page of 50)",
        len(picks),
        lambda i: services.quality.assessments.list(
            viewer, f"SG{picks[i]:032x}", PageRequest(size=50)
        ),
    )
    month = ReportFilters(start_ms=now - 30 * DAY_MS)
    for group_by in ("agent", "queue", "questionnaire", "category", "day"):
        await _time(
            f"report by {group_by}, last 30 days",
            20,
            lambda _i, g=group_by: services.quality.reports.report(viewer, month, g),
        )
    await _time(
        "report by agent, all time",
        20,
        lambda _i: services.quality.reports.report(viewer, ReportFilters(), "agent"),
    )
    search = ConversationFilters(quality=QualityFilter(assessed=True))
    await _time(
        "search: assessed conversations, first page of 50",
        20,
        lambda _i: services.insights.search(viewer, search, ConversationSort(), PageRequest(50)),
    )


def run_store(store: str, total: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = postgres_url() if store == "postgres" else None
        try:
            settings = Settings(
                data_dir=Path(tmp),
                database_url=database_url,
                retention_interval_minutes=0,
            )
            runtime = build_runtime(settings)
            account = runtime.services.accounts.create_account("bench").sid
            now = int(time.time() * 1000)
            started = time.perf_counter()
            generate(runtime, account, total, now)
            print(
                f"[{store}] {total:,} conversations, {total // 10:,} assessments "
                f"({3 * total // 10:,} answers, {total // 10:,} comments): generated in "
                f"{time.perf_counter() - started:.0f} s"
            )
            # Written around the services, so the report's daily totals are built as the
            # migration builds them for an existing database.
            started = time.perf_counter()
            runtime.db.write_sync(daily_totals.rebuild)
            print(f"[{store}] daily totals rebuilt in {time.perf_counter() - started:.1f} s")
            if store == "postgres":
                # Statistics as autovacuum keeps them on a live database.
                with runtime.db.write_engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
            asyncio.run(measure(runtime, account, total, now))
            runtime.close()
        finally:
            if database_url:
                drop_postgres(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--store", choices=("sqlite", "postgres", "all"), default="all")
    args = parser.parse_args()
    random.seed(7)
    for store in ("sqlite", "postgres") if args.store == "all" else (args.store,):
        run_store(store, args.conversations)


if __name__ == "__main__":
    main()
