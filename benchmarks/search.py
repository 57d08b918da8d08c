"""Conversation search at scale: full-text (transcripts, attributes), customer lookup and
measure-sorted lists, on SQLite and PostgreSQL; and what the index upkeep costs the projector.

    benchmarks/run-search                                     # 1,000,000 conversations, both
    benchmarks/run-search --conversations 100000 --store sqlite

* Data: conversations generated straight into the projection and search tables (as the
  projector and chat service would leave them): each with a conversation row, a scope tag,
  a search document (attributes, a media title, the customer), customer keys (name words,
  phone), and a chat transcript of `--messages` messages (`author: text` lines) linked to it.
  Message words are drawn from a 5,000-word vocabulary with Zipf-like frequencies, plus one
  order number per conversation (a rare word).
* Queries: the Insights service's `search` in-process, first page of 50, p50/p95/p99.
* Pick lists: the five lists (queue, agent, team, outcome, channel) as the search form asks
  for them, for the whole account and for a person scoped to one team; the generated
  conversations' entries are counted into `search_pick_values` as the projector would.
* Projector upkeep: a month of simulated traffic projected from the log with and without
  `prepare_index` and the pick-list counts (events per second each, and the ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg
from sqlalchemy import insert

from benchmarks.api_throughput import POSTGRES_ADMIN, drop_postgres, postgres_url
from benchmarks.insights import AGENTS, DAY_MS, QUEUES, _served, _wait_projected, pct
from hindsight.app import build_runtime
from hindsight.demo import simulation
from hindsight.demo.runner import DemoSource, new_identity, post_events
from hindsight.domain.access import Scope, Viewer
from hindsight.domain.paging import PageRequest
from hindsight.domain.search import customer as customer_keys
from hindsight.domain.search.pick_lists import fold
from hindsight.insights import projector as projector_module
from hindsight.insights.filters import ConversationFilters
from hindsight.insights.queries import ConversationSort
from hindsight.settings import Settings
from hindsight.store import insights_queries
from hindsight.store.pipeline import Statements
from hindsight.store.schema import (
    conversation_scopes,
    conversations,
    search_customer_keys,
    search_documents,
    search_pick_values,
    search_transcript_links,
    search_transcripts,
)
from hindsight.store.search import index as search_index

VOCABULARY = 5_000
FIRST = ("Jane", "Omar", "Li", "Maria", "Ken", "Aisha", "Tom", "Sofia", "Ravi", "Emma")
LAST = tuple(f"Surname{n:04d}" for n in range(3_000))
BATCH = 5_000


def report(label: str, timings: list[float]) -> None:
    print(
        f"  {label:<44} p50 {pct(timings, 50):7.2f}  p95 {pct(timings, 95):7.2f}"
        f"  p99 {pct(timings, 99):7.2f} ms"
    )


def _word(n: int) -> str:
    return f"w{n}x"  # distinct from every real word and order number


class Words:
    """Zipf-like draws from the vocabulary (rank r drawn with weight 1/r)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        weights = [1 / (r + 1) for r in range(VOCABULARY)]
        total = sum(weights)
        self.words = [_word(r) for r in range(VOCABULARY)]
        self.cumulative: list[float] = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cumulative.append(acc)

    def sentence(self, length: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.cumulative, k=length))


# Each table's columns in the order the generator yields its rows.
COLUMNS: dict[Any, tuple[str, ...]] = {
    conversations: (
        "id", "account_sid", "workspace_sid", "conversation_id", "start_ms", "end_ms",
        "segment_count", "queue", "agent", "channel", "direction", "outcome", "abandoned",
        "handled", "in_progress", "has_media", "queue_time", "talk_time", "wrap_up_time",
        "handling_time", "abandon_time", "customer_key", "handling_team", "attributes",
        "search_text", "updated_ms",
    ),
    conversation_scopes: ("account_sid", "conversation_id", "tag"),
    search_documents: ("account_sid", "conversation_id", "body", "customer"),
    search_transcripts: ("account_sid", "chat_sid", "body"),
    search_transcript_links: ("account_sid", "conversation_id", "chat_sid"),
    search_customer_keys: ("account_sid", "conversation_id", "value", "start_ms", "row_id"),
}  # fmt: skip
# Conversations per transaction while building (large: the build is one writer, unshared).
CHUNK = 25_000


@dataclass(frozen=True)
class Built:
    """A generated data set, kept between runs (its account and the instant it ends at)."""

    account_sid: str
    end_ms: int
    conversations: int
    messages: int
    text: bool
    seconds: float


class Rows:
    """One chunk of generated rows, as tuples in COLUMNS order."""

    def __init__(self) -> None:
        self.tables: dict[Any, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}
        self.picks: Counter[tuple[str, str, str]] = Counter()


def _chunk(
    rng: random.Random, words: Words, account_sid: str, end: int, first: int, last: int,
    messages: int, text: bool,
) -> Rows:  # fmt: skip
    out = Rows()
    workspace = "WS" + "e" * 32
    for n in range(first, last):
        cid = f"WT{n:032x}"
        chat = f"CH{n:032x}"
        start = end - rng.randint(0, 90 * DAY_MS)
        queue, agent = rng.choice(QUEUES), rng.choice(AGENTS)
        wait, talk, wrap = rng.randint(2, 300), rng.randint(30, 900), rng.randint(5, 120)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        phone = f"+1555{n % 10_000_000:07d}"
        attributes = {"queue": queue, "conversation_attribute_1": rng.choice(("gold", "silver"))}
        out.tables[conversations].append(
            (
                n + 1, account_sid, workspace, cid, start, start + (wait + talk + wrap) * 1000, 2,
                queue, agent, "chat", "inbound", "resolved", False, True, False, True, wait,
                talk, wrap, talk + wrap, 0, f"phone:{phone}", queue,
                orjson.dumps(attributes).decode(), "", end,
            )
        )  # fmt: skip
        out.tables[conversation_scopes].append((account_sid, cid, f"team:{queue}"))
        for facet, value in (
            ("queue", queue),
            ("agent", agent),
            ("team", queue),
            ("outcome", "resolved"),
            ("channel", "chat"),
        ):
            out.picks[(facet, value, f"team:{queue.lower()}")] += 1
        if not text:
            continue
        body = "\n".join([*attributes.values(), "Web chat", name, phone])
        out.tables[search_documents].append((account_sid, cid, body, name))
        lines = [
            f"{'visitor' if i % 2 == 0 else agent}: {words.sentence(rng.randint(4, 16))}"
            for i in range(messages)
        ]
        lines[0] += f" order ord{n:07d}"
        out.tables[search_transcripts].append((account_sid, chat, "\n".join(lines)))
        out.tables[search_transcript_links].append((account_sid, cid, chat))
        for key in customer_keys.stored_keys({"name": name, "phone": phone}, []):
            out.tables[search_customer_keys].append((account_sid, cid, key, start, n + 1))
    return out


def _write_sqlite(conn: Any, rows: Rows) -> None:
    for target, values in rows.tables.items():
        if values:
            names = COLUMNS[target]
            marks = ", ".join("?" * len(names))
            conn.exec_driver_sql(
                f"INSERT INTO {target.name} ({', '.join(names)}) VALUES ({marks})", values
            )


def _write_postgres(conn: Any, rows: Rows) -> None:
    cursor = conn.connection.driver_connection.cursor()
    for target, values in rows.tables.items():
        if values:
            with cursor.copy(
                f"COPY {target.name} ({', '.join(COLUMNS[target])}) FROM STDIN"
            ) as copy:
                for row in values:
                    copy.write_row(row)


def _full_text_indexes(conn: Any) -> list[tuple[str, str]]:
    """PostgreSQL's GIN indexes (name, definition): dropped for the load, built after it
    (one sorted build instead of a million insertions into the posting lists)."""
    return [
        (r[0], r[1])
        for r in conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexdef LIKE '%%USING gin%%'"
        )
    ]


def generate(
    runtime: Any, account_sid: str, total: int, messages: int, seed: int = 1, text: bool = True
) -> Built:
    """`text=False` writes the conversation rows and scope tags only (what sorted lists read).
    Rows go straight into the projected and search tables, CHUNK conversations a transaction
    (SQLite: executemany with the FTS5 triggers; PostgreSQL: COPY, GIN indexes built after)."""
    rng = random.Random(seed)
    words = Words(rng)
    end = int(time.time() * 1000)
    postgres = runtime.db.write_engine.dialect.name == "postgresql"
    gin: list[tuple[str, str]] = []
    if postgres:

        def drop(conn: Any) -> list[tuple[str, str]]:
            found = _full_text_indexes(conn)
            for name, _definition in found:
                conn.exec_driver_sql(f"DROP INDEX {name}")
            return found

        gin = runtime.db.write_sync(drop)
    write = _write_postgres if postgres else _write_sqlite
    picks: Counter[tuple[str, str, str]] = Counter()
    started = time.perf_counter()
    for first in range(0, total, CHUNK):
        rows = _chunk(
            rng, words, account_sid, end, first, min(total, first + CHUNK), messages, text
        )
        picks.update(rows.picks)
        runtime.db.write_sync(lambda conn, rows=rows: write(conn, rows))
        done = min(total, first + CHUNK)
        print(
            f"  {done:,} conversations written, {time.perf_counter() - started:.0f} s", flush=True
        )
    pick_rows = [
        {
            "account_sid": account_sid,
            "facet": facet,
            "tag": tag,
            "value": value,
            "folded": fold(value),
            "uses": uses,
        }
        for (facet, value, tag), uses in picks.items()
    ]
    runtime.db.write_sync(lambda conn: conn.execute(insert(search_pick_values), pick_rows))
    if postgres:
        with runtime.db.write_engine.connect() as conn:
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            # The rows' ids were written (customer keys copy them): the sequence moves past.
            auto.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('conversations', 'id'),"
                " (SELECT max(id) FROM conversations))"
            )
            auto.exec_driver_sql("SET maintenance_work_mem = '1GB'")
            for _name, definition in gin:
                auto.exec_driver_sql(definition)
            auto.exec_driver_sql("VACUUM ANALYZE")
    else:
        runtime.db.write_sync(lambda conn: conn.exec_driver_sql("ANALYZE"))
    elapsed = time.perf_counter() - started
    texts = (
        f", {total:,} transcripts of {messages} messages ({total * messages:,} messages)"
        if text
        else " (no search text)"
    )
    print(f"generated {total:,} conversations{texts} in {elapsed:.0f} s")
    return Built(account_sid, end, total, messages, text, elapsed)


def time_searches(
    runtime: Any,
    caller: Viewer,
    built: Built,
    rounds: int,
    sorts_only: bool = False,
    compare_walk: bool = False,
    only: tuple[str, ...] = (),
    compare_sizing: bool = False,
) -> None:
    """`only`: time just the cases whose label holds one of these words (all without)."""
    service = runtime.services.insights

    def wanted(label: str) -> bool:
        return not only or any(word in label for word in only)

    rng = random.Random(5)
    total = built.conversations
    now = built.end_ms
    month = ConversationFilters(start_ms=now - 31 * DAY_MS, end_ms=now)
    scoped = Viewer(
        account_sid=caller.account_sid,
        actor_type="user",
        actor_sid="US" + "b" * 32,
        name="bench lead",
        roles=("wfo.team_leader",),
        permissions=caller.permissions,
        scope=Scope(teams=("Billing",)),
    )
    cases: dict[str, Any] = {
        "q: an order number (1 match)": lambda: ConversationFilters(
            text=f"ord{rng.randrange(total):07d}"
        ),
        "q: a rare word (rank ~4000)": lambda: ConversationFilters(
            text=_word(rng.randrange(3_500, 4_500))
        ),
        "q: a mid word (rank ~300)": lambda: ConversationFilters(
            text=_word(rng.randrange(250, 350))
        ),
        "q: a common word (rank ~10)": lambda: ConversationFilters(
            text=_word(rng.randrange(5, 15))
        ),
        "q: two words": lambda: ConversationFilters(
            text=f"{_word(rng.randrange(50, 100))} {_word(rng.randrange(1000, 2000))}"
        ),
        'q: a "phrase"': lambda: ConversationFilters(
            text=f'"{_word(rng.randrange(0, 5))} {_word(rng.randrange(0, 5))}"'
        ),
        "q: a surname (document)": lambda: ConversationFilters(text=rng.choice(LAST)),
        "q: common word, last 31 days": lambda: ConversationFilters(
            start_ms=month.start_ms, end_ms=month.end_ms, text=_word(rng.randrange(5, 15))
        ),
        "customer: phone, typed (555) 0xx-xxxx": lambda: ConversationFilters(
            customer=_typed_phone(rng.randrange(min(total, 10_000_000)))
        ),
        "customer: surname": lambda: ConversationFilters(customer=rng.choice(LAST)),
        "outcome typed in lower case, 31 days": lambda: ConversationFilters(
            start_ms=month.start_ms, end_ms=month.end_ms, outcome="RESOLVED".lower()
        ),
    }
    sorts = {
        f"31 days, sorted by {field}": (month, ConversationSort(field=field))
        for field in ("start", "talk_time", "handling_time", "queue_time")
    }

    async def one(viewer: Viewer, filters: Any, sort: ConversationSort) -> float:
        started = time.perf_counter()
        result = await service.search(viewer, filters, sort, PageRequest(size=50))
        await service.annotations(viewer, filters, result.rows)
        return (time.perf_counter() - started) * 1000

    async def measure_sorts() -> None:
        # Sorts interleaved round by round, so a change in the machine's load hits them alike.
        first_pages: dict[str, list[float]] = {label: [] for label in sorts}
        for _ in range(rounds):
            for label, (filters, sort) in sorts.items():
                first_pages[label].append(await one(caller, filters, sort))
        by_start = pct(first_pages["31 days, sorted by start"], 95)
        for label, timings in first_pages.items():
            report(label, timings)
            print(f"    p95 / sorted by start: {pct(timings, 95) / by_start:.2f}")
        for label, (filters, sort) in sorts.items():
            report(
                f"{label}, descending page 2",
                await _second_pages(service, caller, filters, sort, rounds),
            )

    async def compare_strategies(label: str, make: Any) -> None:
        """The same queries as the search does them and as before issue 16's walk sizing
        and customer windows, alternating (same load for both)."""
        timings: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(rounds):
            filters = make()
            for current in (True, False):
                with nullcontext() if current else _previous_strategy():
                    timings[current].append(await one(caller, filters, ConversationSort()))
        report(label, timings[True])
        report("  (same, as before: walk 1,000 / every customer row)", timings[False])

    async def measure() -> None:
        if sorts_only:
            await measure_sorts()
            return
        for label, make in cases.items():
            if not wanted(label):
                continue
            if compare_sizing and any(w in label for w in SIZED_CASES):
                await compare_strategies(label, make)
                continue
            if not compare_walk or "common word" not in label:  # the walk's cases
                report(
                    label, [await one(caller, make(), ConversationSort()) for _ in range(rounds)]
                )
                continue
            # The same queries with and without the walk, alternating (same load for both).
            walking = insights_queries.WALKING_DIALECTS
            timings: dict[bool, list[float]] = {True: [], False: []}
            for _ in range(rounds):
                filters = make()
                for walk in (True, False):
                    insights_queries.WALKING_DIALECTS = walking if walk else frozenset()
                    try:
                        timings[walk].append(await one(caller, filters, ConversationSort()))
                    finally:
                        insights_queries.WALKING_DIALECTS = walking
            report(label, timings[True])
            report("  (same, reading every match)", timings[False])
        # The total stops at TOTAL_CAP ("more than 10,000"); a scoped person's total of a
        # common word reads matches until ten thousand of them are in the scope.
        for label, viewer, make in (
            ("total: an order number", caller, cases["q: an order number (1 match)"]),
            ("total: a common word", caller, cases["q: a common word (rank ~10)"]),
            ("total: a mid word", caller, cases["q: a mid word (rank ~300)"]),
            (
                "total: a common word, scoped to one team",
                scoped,
                cases["q: a common word (rank ~10)"],
            ),
            ("total: a common word, last 31 days", caller, cases["q: common word, last 31 days"]),
        ):
            if not wanted(label):
                continue
            timings = []
            for _ in range(min(rounds, 10)):
                started = time.perf_counter()
                await service.count(viewer, make())
                timings.append((time.perf_counter() - started) * 1000)
            report(label, timings)
        if wanted("q: mid word, scoped to one team"):
            report(
                "q: mid word, scoped to one team",
                [
                    await one(
                        scoped,
                        ConversationFilters(text=_word(rng.randrange(250, 350))),
                        ConversationSort(),
                    )
                    for _ in range(rounds)
                ],
            )
        for label, (filters, sort) in sorts.items():
            if not wanted(label):
                continue
            report(label, [await one(caller, filters, sort) for _ in range(rounds)])
            report(
                f"{label}, descending page 2",
                await _second_pages(service, caller, filters, sort, rounds),
            )

        for label, viewer in (("pick lists (5), whole account", caller), ("scoped", scoped)):
            if not wanted("pick lists"):
                continue
            timings = []
            for _ in range(rounds):
                started = time.perf_counter()
                await service.pick_lists(viewer)
                timings.append((time.perf_counter() - started) * 1000)
            report(label if viewer is caller else "pick lists (5), scoped to one team", timings)

    asyncio.run(measure())


async def _second_pages(
    service: Any, caller: Viewer, filters: Any, sort: ConversationSort, rounds: int
) -> list[float]:
    first = await service.search(caller, filters, sort, PageRequest(size=50))
    last = first.rows[-1]._mapping
    after = tuple(last[k.column] for k in sort.keys)
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        await service.search(caller, filters, sort, PageRequest(size=50, after=after))
        timings.append((time.perf_counter() - started) * 1000)
    return timings


# The cases `--compare-sizing` times both ways.
SIZED_CASES = ("mid word", "common word", "customer: surname")


@contextmanager
def _previous_strategy() -> Iterator[None]:
    """Searches as before the walk was sized to the planner's estimate and a customer's page
    drawn from windows: a fixed walk after the capped read (up to 4 x FEW expected), and a
    customer's page read from all their conversations."""
    saved = (
        insights_queries.walk_sizes,
        search_index.SURELY_MANY,
        insights_queries.CUSTOMER_WALKS,
    )
    insights_queries.walk_sizes = lambda _conn, _account, filters, _page: insights_queries.walks(
        filters
    )
    search_index.SURELY_MANY = 4 * search_index.FEW
    insights_queries.CUSTOMER_WALKS = ()
    try:
        yield
    finally:
        (
            insights_queries.walk_sizes,
            search_index.SURELY_MANY,
            insights_queries.CUSTOMER_WALKS,
        ) = saved


def _typed_phone(n: int) -> str:
    digits = f"555{n:07d}"
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def projector_upkeep(runtime: Any, account_sid: str, days: int, rounds: int = 3) -> None:
    """Simulated traffic, taken in through the ingest API, then projected from the log
    `rounds` times, the variants alternating: the search upkeep as it is, as it was before it
    skipped conversations whose searched inputs did not change, without pick-list counts, and
    with `prepare_index` replaced by nothing; best and median run of each."""
    twilio_account, token, workspace = new_identity()
    source = runtime.twilio_sources.add(account_sid, twilio_account, token, "upkeep")
    generated = list(simulation.week(twilio_account, workspace, int(time.time() * 1000), days))
    identity = DemoSource(source.sid, twilio_account, token, workspace)
    with _served(runtime) as base:
        post_events(base, identity, generated)
        _wait_projected(runtime, workspace, len(generated))
    original = projector_module.prepare_index
    picks = projector_module.PickListChanges
    inputs = projector_module.searched_inputs
    # (label, index hook, pick-list hook, what decides a conversation's entry is rebuilt)
    variants = (
        ("with search upkeep", original, picks, inputs),
        ("upkeep of every touched (before)", original, picks, _always_new),
        ("index, no pick lists", original, _NoPicks, inputs),
        ("without", _nothing, _NoPicks, inputs),
    )
    moved = projector_module.conversations_moved
    best: dict[str, float] = {}
    rates: dict[str, list[float]] = {}
    # This process's CPU per event: on SQLite, all the projector's work (the database runs in
    # the process), and unlike the rate hardly moved by other processes' load.
    cpu: dict[str, list[float]] = {}
    for _round in range(rounds):
        for label, hook, pick_hook, inputs_hook in variants:
            projector_module.prepare_index = hook
            projector_module.PickListChanges = pick_hook  # type: ignore[misc]
            projector_module.searched_inputs = inputs_hook
            if hook is _nothing:
                projector_module.conversations_moved = _nothing
            try:
                runtime.db.write_sync(projector_module.reset)
                started, cpu_started = time.perf_counter(), time.process_time()
                applied = asyncio.run(runtime.projector.catch_up())
                rate = applied / (time.perf_counter() - started)
                used = (time.process_time() - cpu_started) / applied * 1e6
            finally:
                projector_module.prepare_index = original
                projector_module.PickListChanges = picks  # type: ignore[misc]
                projector_module.searched_inputs = inputs
                projector_module.conversations_moved = moved
            best[label] = max(best.get(label, 0.0), rate)
            rates.setdefault(label, []).append(rate)
            cpu.setdefault(label, []).append(used)
    for label, rate in best.items():
        median = sorted(rates[label])[len(rates[label]) // 2]
        print(
            f"  projection {label:<34} {len(generated):,} events: best {rate:,.0f} events/s,"
            f" median {median:,.0f}; CPU {min(cpu[label]):,.0f} µs/event (least)"
        )
    least = {label: min(used) for label, used in cpu.items()}
    print(
        f"  by CPU, search upkeep keeps {least['without'] / least['with search upkeep']:.0%};"
        f" pick lists keep {least['index, no pick lists'] / least['with search upkeep']:.0%}"
        " of the indexed rate"
    )
    print(f"  search upkeep keeps {best['with search upkeep'] / best['without']:.0%} of it (best)")
    print(
        "  before this change it kept "
        f"{best['upkeep of every touched (before)'] / best['without']:.0%} (best)"
    )
    print(
        "  pick lists keep "
        f"{best['with search upkeep'] / best['index, no pick lists']:.0%} of the indexed rate"
    )


def _always_new(_members: Any) -> object:
    """Every touched conversation's entry rebuilt (what the projector did before)."""
    return object()


def _nothing(*_args: Any) -> Statements:
    return Statements(lambda _conn: None)


class _NoPicks:
    """The projector without pick-list counts (what it did before them)."""

    def rewritten(self, *_args: Any) -> None:
        return None

    def save(self, *_args: Any) -> None:
        return None


def _database_exists(url: str) -> bool:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return found is not None


@contextmanager
def prepared(
    store: str,
    root: Path,
    total: int,
    messages: int,
    text: bool,
    rebuild: bool,
    database: str | None = None,
) -> Iterator[tuple[Any, Built]]:
    """A runtime over the data set of this size, built on first use and kept under `root`
    (SQLite's file; PostgreSQL's database `hindsight_search_…`, or `database`) for the next
    runs."""
    name = f"{store}-{total}x{messages}{'' if text else '-rows'}"
    home = root / name
    meta = home / "built.json"
    database_url = None
    if store == "postgres":
        database = database or f"hindsight_search_{name[9:]}".replace("-", "_")
        database_url = f"{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{database}"
        if rebuild or not meta.exists() or not _database_exists(database_url):
            drop_postgres(database_url)
            shutil.rmtree(home, ignore_errors=True)
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{database_url.rsplit("/", 1)[1]}"')
    elif rebuild or not meta.exists():
        shutil.rmtree(home, ignore_errors=True)
    settings = Settings(data_dir=home, database_url=database_url, sqlite_synchronous="OFF")
    runtime = build_runtime(settings)
    try:
        if meta.exists():
            built = Built(**orjson.loads(meta.read_bytes()))
            print(f"[{store}] reusing {home} (built in {built.seconds:.0f} s)")
        else:
            print(f"[{store}] building {name} in {home}")
            account = runtime.services.accounts.create_account("bench")
            built = generate(runtime, account.sid, total, messages, text=text)
            meta.write_bytes(orjson.dumps(asdict(built)))
        yield runtime, built
    finally:
        runtime.close()


def upkeep_store(store: str, days: int, rounds: int) -> None:
    """The projector's upkeep run, on a fresh store of its own (it resets the projection)."""
    with tempfile.TemporaryDirectory() as tmp:
        database_url = postgres_url() if store == "postgres" else None
        try:
            runtime = build_runtime(Settings(data_dir=Path(tmp), database_url=database_url))
            account = runtime.services.accounts.create_account("bench")
            print(f"[{store}] projector upkeep, {days} days of traffic")
            projector_upkeep(runtime, account.sid, days, rounds)
            runtime.close()
        finally:
            if database_url:
                drop_postgres(database_url)


def run_store(store: str, args: argparse.Namespace) -> None:
    if args.days:
        upkeep_store(store, args.days, args.upkeep_rounds)
    if args.upkeep_only:
        return
    with prepared(
        store,
        args.data,
        args.conversations,
        args.messages,
        not args.sorts_only,
        args.rebuild,
        args.postgres_database,
    ) as (runtime, built):
        if args.build_only:
            return
        caller = Viewer.service(built.account_sid, built.account_sid, "127.0.0.1")
        time_searches(
            runtime,
            caller,
            built,
            args.rounds,
            args.sorts_only,
            args.compare_walk,
            tuple(args.only or ()),
            args.compare_sizing,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=5, help="chat messages per conversation")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--days", type=int, default=7, help="days of traffic for the upkeep run")
    parser.add_argument("--store", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument(
        "--sorts-only",
        action="store_true",
        help="write conversation rows only and time the 31-day sorted lists (interleaved, "
        "each sort's p95 against sorting by start)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(tempfile.gettempdir()) / "hindsight-search-bench",
        help="where built data sets are kept and reused (PostgreSQL: its databases' notes)",
    )
    parser.add_argument(
        "--postgres-database",
        help="the PostgreSQL data set's database (default hindsight_search_<N>x<M>): e.g. a copy "
        "made with CREATE DATABASE … TEMPLATE, with its built.json under --data",
    )
    parser.add_argument("--upkeep-rounds", type=int, default=3, help="rounds of each variant")
    parser.add_argument(
        "--compare-walk",
        action="store_true",
        help="time each search also without the walk (PostgreSQL), interleaved",
    )
    parser.add_argument(
        "--compare-sizing",
        action="store_true",
        help="time the mid / common word and surname cases also as before the walk sizing "
        "and customer windows (PostgreSQL walks; both stores' customers), interleaved",
    )
    parser.add_argument(
        "--only",
        action="append",
        help="time only the cases whose label holds this text (repeatable), e.g. 'customer'",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the data set anew")
    parser.add_argument("--build-only", action="store_true", help="build (or find) the data only")
    parser.add_argument(
        "--upkeep-only", action="store_true", help="only the projector upkeep run (--days)"
    )
    args = parser.parse_args()
    for store in ("sqlite", "postgres") if args.store == "all" else (args.store,):
        run_store(store, args)


if __name__ == "__main__":
    main()
