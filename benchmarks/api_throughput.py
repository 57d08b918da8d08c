"""Task create and task update over HTTP keep-alive: throughput and p50/p99 latency at
concurrency 1, 16 and 64, on SQLite and PostgreSQL, beside the bare Starlette ceiling.

    benchmarks/run                 # everything
    benchmarks/run --quick         # fewer requests
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import httpx
import psycopg

from benchmarks.loadgen import LoadResult, build_request, run_load
from benchmarks.servers import ACCOUNT_SID, AUTH_TOKEN, bare_starlette, hindsight

AUTH = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
FORM = "application/x-www-form-urlencoded"
POSTGRES_ADMIN = os.environ.get(
    "HINDSIGHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CONCURRENCY = (1, 16, 64)


def media_attributes(n: int) -> str:
    """Task attributes with a conversations.media list, as an integration writes after a call."""
    return json.dumps(
        {
            "type": "inbound",
            "conversations": {
                "conversation_id": f"conv-{n}",
                "media": [
                    {
                        "type": "VoiceRecording",
                        "url": f"https://media.example.org/recordings/RE{n:032x}.wav",
                        "start_time": 1_700_000_000_000 + n,
                        "channels": ["customer", "others"],
                        "title": "Call recording",
                    },
                    {"type": "ChatTranscript", "sid": f"CH{n:032x}"},
                    {
                        "type": "Referenced",
                        "url": "https://crm.example.org/case/1",
                        "title": "Case",
                    },
                ],
            },
        }
    )


def setup_workspace(base: str, tasks: int) -> tuple[str, list[str]]:
    auth = (ACCOUNT_SID, AUTH_TOKEN)
    with httpx.Client(base_url=base, auth=auth, timeout=30) as http:
        ws = http.post("/v1/Workspaces", data={"FriendlyName": "bench", "Template": "FIFO"})
        ws.raise_for_status()
        ws_sid = ws.json()["sid"]
        sids = []
        for i in range(tasks):
            response = http.post(
                f"/v1/Workspaces/{ws_sid}/Tasks", data={"Attributes": json.dumps({"n": i})}
            )
            response.raise_for_status()
            sids.append(response.json()["sid"])
    return ws_sid, sids


def task_create(base: str, ws: str):
    url = f"{base}/v1/Workspaces/{ws}/Tasks"

    def make(i: int) -> bytes:
        body = urlencode({"Attributes": media_attributes(i), "Priority": str(i % 10)}).encode()
        return build_request("POST", url, AUTH, body, FORM)

    return url, make


def task_update(base: str, ws: str, sids: list[str]):
    def make(i: int) -> bytes:
        url = f"{base}/v1/Workspaces/{ws}/Tasks/{sids[i % len(sids)]}"
        body = urlencode({"Attributes": media_attributes(i)}).encode()
        return build_request("POST", url, AUTH, body, FORM)

    return base, make


def bare_update(base: str, rows: int):
    def make(i: int) -> bytes:
        body = urlencode({"Attributes": media_attributes(i)}).encode()
        return build_request("POST", f"{base}/tasks/{i % rows}", AUTH, body, FORM)

    return base, make


def measure(url: str, make, total: int) -> dict[int, LoadResult]:
    results = {}
    for concurrency in CONCURRENCY:
        asyncio.run(run_load(url, make, concurrency, min(200, total)))  # warm up
        results[concurrency] = asyncio.run(run_load(url, make, concurrency, total))
    return results


def report(label: str, results: dict[int, LoadResult]) -> None:
    for concurrency, r in results.items():
        errors = f"  errors {r.errors} {r.statuses}" if r.errors else ""
        print(
            f"{label:<34} c={concurrency:<3} {r.throughput:8.0f} req/s   "
            f"p50 {r.percentile(50):6.2f} ms   p99 {r.percentile(99):7.2f} ms{errors}"
        )


def postgres_url() -> str:
    name = f"hindsight_bench_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests per run")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    args = parser.parse_args()
    total = 1000 if args.quick else 4000
    summary: dict[str, dict[int, LoadResult]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with bare_starlette(root) as base:
            url, make = bare_update(base, 10_000)
            summary["bare starlette update (ceiling)"] = measure(url, make, total)
        backends = ("sqlite", "postgres") if args.backend == "all" else (args.backend,)
        for backend in backends:
            database_url = postgres_url() if backend == "postgres" else None
            try:
                with hindsight(root / backend, database_url) as base:
                    ws, sids = setup_workspace(base, 1000)
                    url, make = task_create(base, ws)
                    summary[f"hindsight {backend} task create"] = measure(url, make, total)
                    url, make = task_update(base, ws, sids)
                    summary[f"hindsight {backend} task update"] = measure(url, make, total)
            finally:
                if database_url:
                    drop_postgres(database_url)
    print()
    for label, results in summary.items():
        report(label, results)
    ceiling = summary["bare starlette update (ceiling)"]
    for label, results in summary.items():
        if "update" in label and "bare" not in label:
            ratios = ", ".join(
                f"c={c}: {results[c].throughput / ceiling[c].throughput:.2f}" for c in CONCURRENCY
            )
            print(f"{label} / ceiling: {ratios}")


if __name__ == "__main__":
    main()
