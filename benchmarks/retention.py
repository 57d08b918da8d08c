"""Retention: how fast a sweep deletes expired conversations, recordings and transcripts, on
SQLite and PostgreSQL.

    benchmarks/run-retention                                   # 20,000 conversations, both stores
    benchmarks/run-retention --conversations 5000 --store sqlite

Each conversation is written as the projection and the event log hold one: a conversation row,
two segments, a scope tag, a finished task with its reservation, the task's projection track
and eight events; one in ten has a recording (a 32 KiB file and its analysis) and one in ten
a chat transcript of ten messages. Two thirds are old enough to expire, one in a hundred of
those is on legal hold. Then a dry run and a real sweep, timed: items per second. The sweep
runs in the server's process as the schedule runs it, one transaction per batch, each
deletion with its audit record.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from benchmarks.api_throughput import drop_postgres, postgres_url
from hindsight.app import build_runtime
from hindsight.audit.trail import Actor
from hindsight.domain.segments import segment_id
from hindsight.domain.sids import Prefix, new_sid
from hindsight.settings import Settings
from hindsight.store.schema import (
    activities,
    chat_conversations,
    chat_messages,
    conversation_scopes,
    conversations,
    events,
    legal_holds,
    media_analyses,
    projection_tasks,
    recordings,
    reservations,
    segments,
    tasks,
    workers,
    workspaces,
)

DAY_MS = 86_400_000
EVENTS_PER_TASK = 8
BLOB = b"\0" * 32 * 1024


def _segment(
    account: str, workspace: str, conversation: str, task: str, kind: str, at: int
) -> dict:
    return {
        "segment_id": segment_id(conversation, kind),
        "account_sid": account,
        "workspace_sid": workspace,
        "conversation_id": conversation,
        "kind": kind,
        "task_sid": task,
        "reservation_sid": None,
        "worker_sid": None,
        "agent_name": "Agent 1",
        "queue_sid": None,
        "queue_name": "Support",
        "channel": "voice",
        "workflow": "Main",
        "direction": "inbound",
        "activity": None,
        "start_ms": at,
        "end_ms": at + 60_000,
        "queue_time": 5,
        "ring_time": 3,
        "talk_time": 60,
        "wrap_up_time": 10,
        "hold_time": 0,
        "abandon_time": 0,
        "handling_time": 70,
        "activity_time": 0,
        "abandoned": "No",
        "abandoned_phase": None,
        "outcome": "resolved",
        "handling_team_id": None,
        "handling_team_name": "Support",
        "customer_key": None,
        "attributes": "{}",
        "measures": "{}",
        "customer": "{}",
        "media": "[]",
        "media_level": "default",
        "opens_externally": False,
        "media_late_ms": None,
        "ignored": "[]",
        "raw_attributes": "{}",
        "worker_attributes": None,
        "updated_ms": at,
    }


class Generator:
    """Writes conversations as the projection, TaskRouter and the log keep them."""

    def __init__(self, runtime: Any, account: str) -> None:
        self.runtime = runtime
        self.account = account
        self.workspace = new_sid(Prefix.WORKSPACE)
        self.worker = new_sid(Prefix.WORKER)
        self.seq = 0
        self.blobs = runtime.settings.data_dir / "recordings" / account
        self.blobs.mkdir(parents=True, exist_ok=True)

    def setup(self, now: int) -> None:
        dates = {"date_created": now, "date_updated": now}
        account, workspace = self.account, self.workspace
        activity = new_sid(Prefix.ACTIVITY)

        def unit(conn: Any) -> None:
            conn.execute(
                insert(workspaces),
                {
                    "sid": workspace,
                    "account_sid": account,
                    "friendly_name": "Bench",
                    "event_seq": 0,
                    "prioritize_queue_order": "FIFO",
                    "multi_task_enabled": True,
                    **dates,
                },
            )
            conn.execute(
                insert(activities),
                {
                    "sid": activity,
                    "account_sid": account,
                    "workspace_sid": workspace,
                    "friendly_name": "Offline",
                    "available": False,
                    **dates,
                },
            )
            conn.execute(
                insert(workers),
                {
                    "sid": self.worker,
                    "account_sid": account,
                    "workspace_sid": workspace,
                    "friendly_name": "Agent 1",
                    "attributes": "{}",
                    "activity_sid": activity,
                    "date_status_changed": now,
                    "version": 0,
                    **dates,
                },
            )

        self.runtime.db.write_sync(unit)

    def batch(self, first: int, count: int, ended: int, every: int = 10) -> None:
        rows: dict[str, list[dict]] = {
            name: []
            for name in (
                "conversations",
                "segments",
                "scopes",
                "tasks",
                "reservations",
                "tracks",
                "events",
                "recordings",
                "analyses",
                "chats",
                "messages",
            )
        }
        account, workspace = self.account, self.workspace
        for n in range(first, first + count):
            conversation = f"bench-{n:08d}"
            task = new_sid(Prefix.TASK)
            at = ended - 120_000
            dates = {"date_created": at, "date_updated": ended}
            rows["conversations"].append(
                {
                    "account_sid": account,
                    "workspace_sid": workspace,
                    "conversation_id": conversation,
                    "start_ms": at,
                    "end_ms": ended,
                    "segment_count": 2,
                    "queue": "Support",
                    "agent": "Agent 1",
                    "channel": "voice",
                    "direction": "inbound",
                    "outcome": "resolved",
                    "abandoned": False,
                    "handled": True,
                    "in_progress": False,
                    "has_media": False,
                    "queue_time": 5,
                    "talk_time": 60,
                    "wrap_up_time": 10,
                    "handling_time": 70,
                    "abandon_time": 0,
                    "customer_key": None,
                    "handling_team": "Support",
                    "attributes": "{}",
                    "search_text": "support",
                    "updated_ms": ended,
                }
            )
            for kind in ("Queue", "Conversation"):
                rows["segments"].append(_segment(account, workspace, conversation, task, kind, at))
            rows["scopes"].append(
                {"account_sid": account, "conversation_id": conversation, "tag": "team:support"}
            )
            rows["tasks"].append(
                {
                    "sid": task,
                    "account_sid": account,
                    "workspace_sid": workspace,
                    "attributes": "{}",
                    "assignment_status": "completed",
                    "priority": 0,
                    "reason": "done",
                    "timeout": 86400,
                    "task_channel_sid": "TC" + "0" * 32,
                    "virtual_start_time": at,
                    "addons": "{}",
                    "version": 3,
                    **dates,
                }
            )
            rows["reservations"].append(
                {
                    "sid": new_sid(Prefix.RESERVATION),
                    "account_sid": account,
                    "workspace_sid": workspace,
                    "task_sid": task,
                    "worker_sid": self.worker,
                    "task_channel_sid": "TC" + "0" * 32,
                    "reservation_status": "completed",
                    "version": 2,
                    **dates,
                }
            )
            rows["tracks"].append(
                {
                    "task_sid": task,
                    "account_sid": account,
                    "workspace_sid": workspace,
                    "conversation_id": conversation,
                    "track": "{}",
                }
            )
            for k in range(EVENTS_PER_TASK):
                self.seq += 1
                rows["events"].append(
                    {
                        "sid": new_sid(Prefix.EVENT),
                        "account_sid": account,
                        "workspace_sid": workspace,
                        "seq": self.seq,
                        "event_type": "task.updated",
                        "resource_type": "task",
                        "resource_sid": task,
                        "description": "bench",
                        "event_data": f'{{"task_sid": "{task}"}}',
                        "event_date_ms": at + k,
                        "source": "api",
                        "task_sid": task,
                    }
                )
            if n % every == 0:
                sid = new_sid(Prefix.RECORDING)
                (self.blobs / sid).write_bytes(BLOB)
                rows["recordings"].append(
                    {
                        "sid": sid,
                        "account_sid": account,
                        "workspace_sid": workspace,
                        "task_sid": task,
                        "blob_key": f"{account}/{sid}",
                        "format": "wav",
                        "content_type": "audio/wav",
                        "size": len(BLOB),
                        "sha256": "0" * 64,
                        "duration_ms": 1000,
                        "channels": 2,
                        "channel_map": '["customer", "agent"]',
                        "sample_rate": 8000,
                        "date_created": at,
                        "date_updated": at,
                    }
                )
                rows["analyses"].append(
                    {
                        "account_sid": account,
                        "media_key": f"recording:{sid}",
                        "source_sealed": "",
                        "status": "done",
                        "attempts": 1,
                        "next_attempt_ms": 0,
                        "lease_until_ms": 0,
                        "peaks": "[]",
                        "date_created": at,
                        "date_updated": at,
                    }
                )
            if n % every == 1:
                chat = new_sid(Prefix.CONVERSATION)
                rows["chats"].append(
                    {
                        "sid": chat,
                        "account_sid": account,
                        "attributes": "{}",
                        "state": "closed",
                        "next_message_index": 10,
                        "date_created": at,
                        "date_updated": at,
                    }
                )
                for index in range(10):
                    rows["messages"].append(
                        {
                            "sid": new_sid(Prefix.MESSAGE),
                            "account_sid": account,
                            "conversation_sid": chat,
                            "message_index": index,
                            "author": "visitor",
                            "body": "hello " * 10,
                            "attributes": "{}",
                            "date_created": at,
                            "date_updated": at,
                        }
                    )
        tables = {
            "conversations": conversations,
            "segments": segments,
            "scopes": conversation_scopes,
            "tasks": tasks,
            "reservations": reservations,
            "tracks": projection_tasks,
            "events": events,
            "recordings": recordings,
            "analyses": media_analyses,
            "chats": chat_conversations,
            "messages": chat_messages,
        }
        workspace_seq = self.seq

        def unit(conn: Any) -> None:
            for name, table in tables.items():
                if rows[name]:
                    conn.execute(insert(table), rows[name])
            conn.execute(
                workspaces.update()
                .where(workspaces.c.sid == workspace)
                .values(event_seq=workspace_seq)
            )

        self.runtime.db.write_sync(unit)


def _count(runtime: Any, table: Any) -> int:
    return runtime.db.read_sync(
        lambda conn: conn.execute(select(func.count()).select_from(table)).scalar_one()
    )


def run_store(store: str, total: int, batch_size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = postgres_url() if store == "postgres" else None
        try:
            settings = Settings(
                data_dir=Path(tmp),
                database_url=database_url,
                retention_batch_size=batch_size,
                retention_interval_minutes=0,
            )
            runtime = build_runtime(settings)
            account = runtime.services.accounts.create_account("bench").sid
            print(f"[{store}] {total:,} conversations, batches of {batch_size}")
            now = int(time.time() * 1000)
            generator = Generator(runtime, account)
            generator.setup(now)
            expired = total * 2 // 3
            started = time.perf_counter()
            for first in range(0, total, 100):
                count = min(100, total - first)
                ended = now - (400 if first < expired else 10) * DAY_MS
                generator.batch(first, count, ended)
            print(f"  generated in {time.perf_counter() - started:.0f} s")
            if store == "postgres":
                # Statistics as autovacuum keeps them on a live database; right after a bulk
                # load the planner still thinks the tables are empty and scans whole accounts.
                with runtime.db.write_engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
            held = [f"bench-{n:08d}" for n in range(0, expired, 100)]
            runtime.db.write_sync(
                lambda conn: conn.execute(
                    insert(legal_holds),
                    [
                        {
                            "account_sid": account,
                            "conversation_id": c,
                            "reason": "bench",
                            "placed_ms": now,
                        }
                        for c in held
                    ],
                )
            )
            service = runtime.services.retention
            policy = asyncio.run(
                service.set_policy(
                    Actor("cli", None, "bench", account_sid=account), {"conversation_days": 365}
                )
            ).policy
            before = {t.name: _count(runtime, t) for t in (events, recordings, chat_messages)}

            for dry in (True, False):
                started = time.perf_counter()
                report = asyncio.run(service.sweep(account, policy, trigger="bench", dry_run=dry))
                seconds = time.perf_counter() - started
                items = report.conversations + report.recordings + report.transcripts
                label = "dry run" if dry else "sweep"
                print(
                    f"  {label:<8} {seconds:7.1f} s: {report.conversations:,} conversations, "
                    f"{report.recordings:,} recordings, {report.transcripts:,} transcripts "
                    f"({items / seconds:,.0f} items/s; {report.conversations / seconds:,.0f} "
                    f"conversations/s); {len(held)} held"
                )
            after = {t.name: _count(runtime, t) for t in (events, recordings, chat_messages)}
            print(
                "  rows left: "
                + ", ".join(f"{name} {before[name]:,} -> {after[name]:,}" for name in before)
            )
            runtime.close()
        finally:
            if database_url:
                drop_postgres(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--store", choices=("sqlite", "postgres", "all"), default="all")
    args = parser.parse_args()
    for store in ("sqlite", "postgres") if args.store == "all" else (args.store,):
        run_store(store, args.conversations, args.batch_size)


if __name__ == "__main__":
    main()
