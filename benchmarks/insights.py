"""Insights: projection throughput and lag, and conversation search and detail latency over
a million conversations, on SQLite and PostgreSQL.

    benchmarks/run-insights                          # 1,000,000 conversations, both stores
    benchmarks/run-insights --conversations 100000 --store sqlite
    benchmarks/run-insights --only projection --days 475 --store sqlite --profile

* Projection throughput: a month of simulated traffic (demo/simulation.py, about 105
  conversations a day) appended to a workspace's log, then projected from scratch by
  `Projector.catch_up`: events per second. `--only projection` runs just this, `--profile`
  prints where the rebuild's time goes (cProfile).
* Lag: the same traffic posted live through the Twilio ingest API at a steady rate; for each
  conversation, the time from its last event to the projection's write of it.
* Search and detail: conversations and segments generated straight into the projection tables
  (generating a million through the log would take hours), then the Insights service's search
  (with each kind of filter) and conversation detail, timed in-process: p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import json
import pstats
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, insert, select

from benchmarks.api_throughput import drop_postgres, postgres_url
from hindsight.app import build_runtime
from hindsight.demo import simulation
from hindsight.demo.runner import (
    DemoSource,
    cloud_event,
    new_identity,
    post_batches,
    post_events,
)
from hindsight.domain.access import Scope, Viewer
from hindsight.domain.paging import PageRequest
from hindsight.domain.segments import segment_id
from hindsight.domain.signature import compute_signature
from hindsight.eventlog.twilio_sources import EVENT_STREAMS_PATH
from hindsight.insights import projector as projector_module
from hindsight.insights.filters import ConversationFilters
from hindsight.insights.queries import ConversationSort
from hindsight.settings import Settings
from hindsight.store import insights as insights_store
from hindsight.store.schema import conversation_scopes, conversations, events, segments

QUEUES = ("Sales", "Support", "Billing", "Chat Support", "Retention", "Technical")
AGENTS = tuple(f"Agent {n:03d}" for n in range(200))
DAY_MS = 86_400_000


def report(label: str, timings: list[float]) -> None:
    print(f"  {label:<34} p50 {pct(timings, 50):7.2f} ms  p99 {pct(timings, 99):8.2f} ms")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# --- projection ---------------------------------------------------------------------------------


def projection_throughput(
    runtime: Any, account_sid: str, days: int, profile: bool, kept: Path | None = None
) -> None:
    """Ingest the traffic (unless `kept` already holds it), then time a rebuild from the log."""
    marker = kept / "projection-log.json" if kept is not None else None
    if marker is not None and marker.exists():
        logged = json.loads(marker.read_text())
        days, ingest = logged["days"], f"the log of {logged['events']:,} events reused"
    else:
        ingest = ingest_traffic(runtime, account_sid, days, served=marker is None)
        if marker is not None:
            count = runtime.db.read_sync(
                lambda c: c.execute(select(func.count()).select_from(events)).scalar_one()
            )
            marker.write_text(json.dumps({"days": days, "events": count}))
    runtime.db.write_sync(projector_module.reset)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    applied = asyncio.run(runtime.projector.catch_up())
    if profiler is not None:
        profiler.disable()
    elapsed = time.perf_counter() - started
    projected = runtime.db.read_sync(
        lambda c: c.execute(select(func.count()).select_from(conversations)).scalar_one()
    )
    print(
        f"projection: {applied:,} events ({days} days, {projected:,} conversations) rebuilt in"
        f" {elapsed:.1f} s: {applied / elapsed:,.0f} events/s, {projected / elapsed:,.0f}"
        f" conversations/s  ({ingest})" + ("  [under cProfile]" if profiler is not None else "")
    )
    if profiler is not None:
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)


def ingest_traffic(runtime: Any, account_sid: str, days: int, served: bool = True) -> str:
    twilio_account, token, workspace = new_identity()
    source = runtime.twilio_sources.add(account_sid, twilio_account, token, "bench")
    generated = list(simulation.week(twilio_account, workspace, int(time.time() * 1000), days))
    # The events arrive through the ingest API (Event Streams batches), as from Twilio; then
    # the projection is forgotten and rebuilt from the log, which is what is timed.
    identity = DemoSource(source.sid, twilio_account, token, workspace)
    started = time.perf_counter()
    if served:
        with _served(runtime) as base:
            post_batches(base, identity, generated)
            posted = time.perf_counter() - started
            _wait_projected(runtime, workspace, len(generated), timeout=3600)
        return f"ingest API took them at {len(generated) / posted:,.0f} events/s"
    asyncio.run(_ingest_in_process(runtime, identity, generated))
    posted = time.perf_counter() - started
    return f"ingested in process at {len(generated) / posted:,.0f} events/s"


async def _ingest_in_process(
    runtime: Any, identity: DemoSource, generated: list[dict[str, str]]
) -> None:
    """The Event Streams webhook's own service, without HTTP or a live projector: quicker to
    fill a large log that is then rebuilt."""
    url = "http://bench.invalid" + EVENT_STREAMS_PATH.format(source=identity.source_sid)
    for start in range(0, len(generated), 1000):
        body = orjson.dumps([cloud_event(form) for form in generated[start : start + 1000]])
        signed = f"{url}?bodySHA256={hashlib.sha256(body).hexdigest()}"
        signature = compute_signature(identity.auth_token, signed, {})
        await runtime.ingest.event_streams(identity.source_sid, signed, body, signature)


def projection_lag(runtime: Any, account_sid: str, rate: float, count: int) -> None:
    twilio_account, token, workspace = new_identity()
    source = runtime.twilio_sources.add(account_sid, twilio_account, token, "lag")
    identity = DemoSource(source.sid, twilio_account, token, workspace)
    now = int(time.time() * 1000)
    generated = list(simulation.week(twilio_account, workspace, now, days=2, seed=11))[:count]
    with _served(runtime) as base:
        for form in generated:
            started = time.monotonic()
            stamped = {**form, "TimestampMs": str(int(time.time() * 1000))}
            stamped["Timestamp"] = str(int(stamped["TimestampMs"]) // 1000)
            post_events(base, identity, [stamped])
            time.sleep(max(0.0, 1 / rate - (time.monotonic() - started)))
        _wait_projected(runtime, workspace, len(generated))

    def lags(conn: Any) -> list[int]:
        last_event = (
            select(
                segments.c.conversation_id,
                func.max(segments.c.updated_ms).label("projected"),
            )
            .where(segments.c.workspace_sid == workspace, segments.c.conversation_id.is_not(None))
            .group_by(segments.c.conversation_id)
            .subquery()
        )
        rows = conn.execute(select(last_event.c.projected, last_event.c.conversation_id))
        stamps = {
            row.resource_sid: row.event_date_ms
            for row in conn.execute(
                select(events.c.resource_sid, events.c.event_date_ms).where(
                    events.c.workspace_sid == workspace,
                    events.c.event_type.in_(("task.completed", "task.canceled")),
                )
            )
        }
        out = []
        for projected, conversation in rows:
            if conversation in stamps:
                out.append(projected - stamps[conversation])
        return out

    measured = runtime.db.read_sync(lags)
    print(
        f"projection lag at {rate:.0f} events/s through the ingest API: completing event to"
        f" conversation written: p50 {pct(measured, 50):.0f} ms, p99 {pct(measured, 99):.0f} ms"
        f" over {len(measured)} conversations"
    )


def _wait_projected(runtime: Any, workspace: str, count: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if runtime.db.read_sync(lambda c: insights_store.position(c, workspace)) >= count:
            return
        time.sleep(0.1)
    raise RuntimeError("the projection did not catch up")


class _served:
    def __init__(self, runtime: Any) -> None:
        from hindsight.cli.main import _background_server

        self._start = lambda: _background_server(runtime)

    def __enter__(self) -> str:
        self._server = self._start()
        return self._server.base_url

    def __exit__(self, *_exc: object) -> None:
        self._server.stop()


# --- a million conversations -------------------------------------------------------------------


def generate(runtime: Any, account_sid: str, workspace: str, total: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    end = int(time.time() * 1000)
    batch_conversations: list[dict] = []
    batch_segments: list[dict] = []
    media = orjson.dumps(
        [
            {
                "type": "VoiceRecording",
                "url": "https://r.example.org/x.wav",
                "display": "player",
                "index": 0,
                "playable": True,
            }
        ]
    ).decode()

    def flush() -> None:
        rows_c, rows_s = list(batch_conversations), list(batch_segments)
        batch_conversations.clear()
        batch_segments.clear()
        tags = [
            {
                "account_sid": account_sid,
                "conversation_id": c["conversation_id"],
                "tag": f"team:{c['queue'].lower()}",
            }
            for c in rows_c
        ]

        def unit(conn: Any) -> None:
            conn.execute(insert(conversations), rows_c)
            conn.execute(insert(segments), rows_s)
            conn.execute(insert(conversation_scopes), tags)

        runtime.db.write_sync(unit)

    started = time.perf_counter()
    for n in range(total):
        conversation = f"WT{n:032x}"
        start = end - rng.randint(0, 90 * DAY_MS)
        queue, agent = rng.choice(QUEUES), rng.choice(AGENTS)
        abandoned = rng.random() < 0.08
        tier = rng.choice(("gold", "silver", "bronze"))
        attributes = {
            "queue": queue,
            "conversation_attribute_1": tier,
            "channel": "voice",
            "outcome": "resolved",
        }
        wait, talk, wrap = rng.randint(2, 300), rng.randint(30, 900), rng.randint(5, 120)
        kinds = [("Queue", None, 0)] + ([] if abandoned else [("Conversation", agent, talk)])
        for i, (kind, who, seconds) in enumerate(kinds):
            batch_segments.append(
                {
                    "segment_id": segment_id(conversation, str(i)),
                    "account_sid": account_sid,
                    "workspace_sid": workspace,
                    "conversation_id": conversation,
                    "kind": kind,
                    "task_sid": conversation,
                    "reservation_sid": None,
                    "worker_sid": None,
                    "agent_name": who,
                    "queue_sid": None,
                    "queue_name": queue,
                    "channel": "voice",
                    "workflow": "Main",
                    "direction": "inbound",
                    "activity": None,
                    "start_ms": start + i * wait * 1000,
                    "end_ms": start + (wait + seconds + wrap) * 1000,
                    "queue_time": wait,
                    "ring_time": 3,
                    "talk_time": seconds,
                    "wrap_up_time": wrap if who else 0,
                    "hold_time": 0,
                    "abandon_time": wait if abandoned else 0,
                    "handling_time": seconds + wrap if who else 0,
                    "activity_time": 0,
                    "abandoned": "Yes" if abandoned else "No",
                    "abandoned_phase": None,
                    "outcome": "resolved",
                    "handling_team_id": None,
                    "handling_team_name": queue,
                    "customer_key": f"address:+1555{n % 100000:07d}",
                    "attributes": json.dumps(attributes),
                    "measures": "{}",
                    "customer": "{}",
                    "media": media,
                    "media_level": "task",
                    "opens_externally": False,
                    "media_late_ms": None,
                    "ignored": "[]",
                    "raw_attributes": "{}",
                    "worker_attributes": None,
                    "updated_ms": end,
                }
            )
        batch_conversations.append(
            {
                "account_sid": account_sid,
                "workspace_sid": workspace,
                "conversation_id": conversation,
                "start_ms": start,
                "end_ms": start + (wait + talk + wrap) * 1000,
                "segment_count": len(kinds),
                "queue": queue,
                "agent": None if abandoned else agent,
                "channel": "voice",
                "direction": "inbound",
                "outcome": "resolved",
                "abandoned": abandoned,
                "handled": not abandoned,
                "in_progress": False,
                "has_media": True,
                "queue_time": wait,
                "talk_time": 0 if abandoned else talk,
                "wrap_up_time": 0 if abandoned else wrap,
                "handling_time": 0 if abandoned else talk + wrap,
                "abandon_time": wait if abandoned else 0,
                "customer_key": f"address:+1555{n % 100000:07d}",
                "handling_team": queue,
                "attributes": json.dumps(attributes),
                "search_text": f"{queue} {tier} voice resolved".lower(),
                "updated_ms": end,
            }
        )
        if len(batch_conversations) >= 5_000:
            flush()
    if batch_conversations:
        flush()
    print(f"generated {total:,} conversations in {time.perf_counter() - started:.0f} s")


def time_queries(runtime: Any, caller: Viewer, total: int, rounds: int = 100) -> None:
    service = runtime.services.insights
    week_ago = int(time.time() * 1000) - 7 * DAY_MS
    cases = {
        "newest first, no filter": ConversationFilters(),
        "last 7 days": ConversationFilters(start_ms=week_ago),
        "queue": ConversationFilters(queue="Billing"),
        "agent": ConversationFilters(agent="Agent 042"),
        "abandoned": ConversationFilters(abandoned=True),
        "attribute": ConversationFilters(attributes=(("conversation_attribute_1", "gold"),)),
        "free text": ConversationFilters(text="gold"),
    }
    rng = random.Random(2)
    # A team leader limited to one team: every search also checks the conversation's teams.
    scoped = Viewer(
        account_sid=caller.account_sid,
        actor_type="user",
        actor_sid="US" + "b" * 32,
        name="bench lead",
        roles=("wfo.team_leader",),
        permissions=caller.permissions,
        scope=Scope(teams=("Billing",)),
    )

    async def measure() -> None:
        for label, filters in cases.items():
            timings = []
            for _ in range(rounds):
                started = time.perf_counter()
                await service.search(caller, filters, ConversationSort(), PageRequest(size=50))
                timings.append((time.perf_counter() - started) * 1000)
            report(f"search {label}", timings)
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            await service.search(scoped, ConversationFilters(), ConversationSort(), PageRequest(50))
            timings.append((time.perf_counter() - started) * 1000)
        report("search, scoped to one team", timings)
        timings = []
        for _ in range(rounds * 5):
            conversation = f"WT{rng.randrange(total):032x}"
            started = time.perf_counter()
            await service.conversation(caller, conversation)
            timings.append((time.perf_counter() - started) * 1000)
        report("conversation detail", timings)

    asyncio.run(measure())


def time_pages(runtime: Any, account_sid: str, total: int, rounds: int = 50) -> None:
    """The conversations page and the conversation screen as a signed-in person gets them:
    server time to the whole HTML (the pages' scripts then ask for media links)."""
    import httpx

    from hindsight.audit.trail import operator

    create = runtime.services.users.create(
        operator(account_sid), "bench-lead", ("wfo.full_access",), password="bench password 123"
    )
    asyncio.run(create)
    rng = random.Random(3)
    with _served(runtime) as base, httpx.Client(base_url=base, timeout=60) as http:
        signed = http.post(
            "/api/v1/session", json={"username": "bench-lead", "password": "bench password 123"}
        )
        signed.raise_for_status()
        for label, path in (
            ("page: conversations, last 7 days", lambda: "/conversations?range=7d"),
            ("page: conversations, all time", lambda: "/conversations?range=all"),
            ("page: one conversation", lambda: f"/conversations/WT{rng.randrange(total):032x}"),
        ):
            timings = []
            for _ in range(rounds):
                started = time.perf_counter()
                response = http.get(path())
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
            report(label, timings)


def run_store(
    store: str,
    total: int,
    month_days: int,
    only: str | None = None,
    profile: bool = False,
    kept: Path | None = None,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = postgres_url() if store == "postgres" else None
        try:
            data_dir = kept if kept is not None else Path(tmp)
            runtime = build_runtime(Settings(data_dir=data_dir, database_url=database_url))
            account = runtime.services.accounts.create_account("bench")
            caller = Viewer.service(account.sid, account.sid, "127.0.0.1")
            print(f"[{store}]")
            projection_throughput(runtime, account.sid, month_days, profile, kept)
            if only == "projection":
                runtime.close()
                return
            projection_lag(runtime, account.sid, rate=100, count=2000)
            generate(runtime, account.sid, "WS" + "e" * 32, total)
            if store == "postgres":
                # Statistics as autovacuum keeps them on a live database: right after a bulk
                # load the planner still believes the tables are empty.
                with runtime.db.write_engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
            time_queries(runtime, caller, total)
            time_pages(runtime, account.sid, total)
            runtime.close()
        finally:
            if database_url:
                drop_postgres(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30, help="days of traffic to project")
    parser.add_argument("--store", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument("--only", choices=("projection",), help="run only this measurement")
    parser.add_argument("--profile", action="store_true", help="cProfile the projection rebuild")
    parser.add_argument(
        "--keep",
        type=Path,
        help="with --only projection --store sqlite: a data directory kept between runs; the"
        " first ingests the traffic, later ones rebuild the same log (to compare versions)",
    )
    args = parser.parse_args()
    if args.keep is not None and (args.only != "projection" or args.store != "sqlite"):
        parser.error("--keep needs --only projection --store sqlite")
    for store in ("sqlite", "postgres") if args.store == "all" else (args.store,):
        run_store(store, args.conversations, args.days, args.only, args.profile, args.keep)


if __name__ == "__main__":
    main()
