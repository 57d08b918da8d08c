"""Routing: latency from task created to reservation created, and tasks routed per second,
with 1,000 workers and 10,000 pending tasks in the workspace.

    benchmarks/run-routing             # SQLite
    benchmarks/run-routing --postgres  # PostgreSQL
    benchmarks/run-routing --profile   # SQLite, and where the routing passes spent their time
    benchmarks/run-routing --workers 300 --backlog 2000 --steady 300 --burst 1500  # smaller

The sizes are options so that a paired comparison (main beside a branch, on a shared machine)
stays short; the figures quoted in benchmarks/README.md use the defaults unless they say not.

Latencies come from the event log: the gap between each task's `task.created` and its
`reservation.created` event, both stamped by the server's clock (milliseconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pstats
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

from benchmarks.api_throughput import AUTH, FORM, drop_postgres, postgres_url
from benchmarks.loadgen import build_request, run_load
from benchmarks.servers import ACCOUNT_SID, AUTH_TOKEN, hindsight


@dataclass(frozen=True)
class Sizes:
    workers: int = 1_000  # available, capacity 50 each
    backlog: int = 10_000  # pending in a queue none of them serves
    steady: int = 1_000  # tasks arriving at 100/s, for the latency
    burst: int = 5_000  # tasks created 16 at a time, for the throughput


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


class Workspace:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=60)
        self.base = base
        self.sid = self.post("/v1/Workspaces", FriendlyName="routing bench")["sid"]
        activities = self.get("Activities")["activities"]
        self.available = next(a["sid"] for a in activities if a["friendly_name"] == "Available")

    def post(self, path: str, **form: str) -> dict:
        response = self.http.post(path, data=form)
        response.raise_for_status()
        return response.json()

    def get(self, resource: str, **query: str) -> dict:
        response = self.http.get(f"/v1/Workspaces/{self.sid}/{resource}", params=query)
        response.raise_for_status()
        return response.json()

    def resource(self, resource: str, **form: str) -> dict:
        return self.post(f"/v1/Workspaces/{self.sid}/{resource}", **form)

    def events(self, event_type: str) -> list[dict]:
        out: list[dict] = []
        url: str | None = f"/v1/Workspaces/{self.sid}/Events"
        params: dict | None = {"EventType": event_type, "Minutes": "600", "PageSize": "1000"}
        while url:
            page = self.http.get(url, params=params).json()
            out += page["events"]
            url, params = page["meta"]["next_page_url"], None
        return out


def setup(ws: Workspace, sizes: Sizes) -> tuple[str, str, str]:
    """Queues, a workflow, the available workers and a backlog of tasks they don't serve."""
    served = ws.resource("TaskQueues", FriendlyName="Served", TargetWorkers="team == 'a'")["sid"]
    backlog = ws.resource("TaskQueues", FriendlyName="Backlog", TargetWorkers="team == 'z'")["sid"]
    config = {
        "task_routing": {
            "filters": [{"expression": "kind == 'backlog'", "targets": [{"queue": backlog}]}],
            "default_filter": {"queue": served},
        }
    }
    # Nobody answers reservations here, so they must not time out during the run.
    workflow = ws.resource(
        "Workflows",
        FriendlyName="Main",
        Configuration=json.dumps(config),
        TaskReservationTimeout="86400",
    )
    url = f"{ws.base}/v1/Workspaces/{ws.sid}/Tasks"

    def backlog_task(i: int) -> bytes:
        attributes = json.dumps({"kind": "backlog", "n": i})
        body = urlencode({"Attributes": attributes, "WorkflowSid": workflow["sid"]})
        return build_request("POST", url, AUTH, body.encode(), FORM)

    asyncio.run(run_load(url, backlog_task, 16, sizes.backlog))
    for i in range(sizes.workers):
        worker = ws.resource(
            "Workers", FriendlyName=f"agent-{i}", Attributes=json.dumps({"team": "a", "n": i})
        )
        ws.resource(f"Workers/{worker['sid']}/Channels/default", Capacity="50")
        ws.resource(f"Workers/{worker['sid']}", ActivitySid=ws.available)
    return workflow["sid"], served, url


def wait_until_routed(ws: Workspace, queue: str, timeout: float = 600) -> float:
    """Seconds until no task waits in `queue` (one cheap request per check)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        waiting = ws.get("Tasks", AssignmentStatus="pending", TaskQueueSid=queue, PageSize="1")
        if not waiting["tasks"]:
            return time.monotonic() - started
        time.sleep(0.05)
    raise RuntimeError("tasks are still waiting")


def measure(base: str, sizes: Sizes) -> None:
    ws = Workspace(base)
    workflow, served, url = setup(ws, sizes)

    def task(i: int) -> bytes:
        attributes = json.dumps({"kind": "call", "n": i})
        body = urlencode({"Attributes": attributes, "WorkflowSid": workflow})
        return build_request("POST", url, AUTH, body.encode(), FORM)

    async def steady(count: int, rate: float) -> None:
        for i in range(count):
            started = time.monotonic()
            await run_load(url, lambda _n, i=i: task(i), 1, 1)
            await asyncio.sleep(max(0.0, 1 / rate - (time.monotonic() - started)))

    # Latency: tasks arriving at a steady 100/s, each routed to some free worker.
    asyncio.run(steady(sizes.steady, 100))
    wait_until_routed(ws, served)
    created = {e["resource_sid"]: e["event_date_ms"] for e in ws.events("task.created")}
    reserved = {
        e["event_data"]["task_sid"]: e["event_date_ms"] for e in ws.events("reservation.created")
    }
    latencies = [reserved[t] - created[t] for t in reserved]
    p50, p99 = _percentile(latencies, 50), _percentile(latencies, 99)
    print(
        f"routing latency (task.created -> reservation.created), {len(latencies)} tasks at"
        f" 100/s, {sizes.workers} workers, {sizes.backlog} pending: p50 {p50:.0f} ms,"
        f" p99 {p99:.0f} ms"
    )

    # Throughput: a burst of 5,000 tasks as fast as the API takes them.
    started = time.monotonic()
    asyncio.run(run_load(url, lambda i: task(sizes.steady + i), 16, sizes.burst))
    created_in = time.monotonic() - started
    elapsed = created_in + wait_until_routed(ws, served)
    print(
        f"routing throughput: {sizes.burst:,} tasks created in {created_in:.1f} s, all reserved"
        f" after {elapsed:.1f} s: {sizes.burst / elapsed:.0f} tasks routed/s"
    )


def print_profile(path: Path) -> None:
    """The routing passes' share of the server's time, and where inside them it went.

    Routing runs in `hindsight serve`'s background process, whose profile this reads. On
    SQLite the routing units run on the event loop's thread, which cProfile sees; on
    PostgreSQL they run on worker threads it does not, hence SQLite only.
    """
    stats = pstats.Stats(str(path))
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in entries.values())
    units = [
        (ct, nc)
        for (file, _line, name), (_cc, nc, _tt, ct, _callers) in entries.items()
        if file.endswith("routing/router.py") and name == "unit"
    ]
    unit_time = sum(ct for ct, _nc in units)
    unit_calls = sum(nc for _ct, nc in units)
    print(
        f"profile: server CPU {total:.1f} s; routing units {unit_calls}, {unit_time:.1f} s"
        f" ({100 * unit_time / max(total, 1e-9):.0f} %),"
        f" {1000 * unit_time / max(unit_calls, 1):.2f} ms each"
    )
    print("inside routing (cumulative time, top 15):")
    stats.sort_stats("cumulative").print_stats(r"routing/engine|store/(tasks|workers|reserv)", 15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--profile", action="store_true", help="SQLite only")
    defaults = Sizes()
    for name in ("workers", "backlog", "steady", "burst"):
        parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
    args = parser.parse_args()
    sizes = Sizes(args.workers, args.backlog, args.steady, args.burst)
    with tempfile.TemporaryDirectory() as tmp:
        database_url = postgres_url() if args.postgres else None
        profile = Path(tmp) / "profiles" if args.profile and not args.postgres else None
        try:
            with hindsight(Path(tmp), database_url, profile=profile) as base:
                measure(base, sizes)
        finally:
            if database_url:
                drop_postgres(database_url)
        if profile is not None:
            print_profile(profile / "background.prof")


if __name__ == "__main__":
    main()
