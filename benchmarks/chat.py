"""Chat transcripts: message create over HTTP (one busy conversation, and messages spread over
many), a 100-message page, and `ChatService.transcript()` of a 1,000-message conversation.

    benchmarks/run-chat                  # SQLite and PostgreSQL
    benchmarks/run-chat --quick          # fewer requests
    benchmarks/run-chat --backend sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from benchmarks.api_throughput import AUTH, FORM, drop_postgres, measure, postgres_url, report
from benchmarks.loadgen import LoadResult, build_request
from benchmarks.servers import ACCOUNT_SID, AUTH_TOKEN, hindsight
from hindsight.app import build_runtime
from hindsight.settings import Settings

CONVERSATIONS = 50
TRANSCRIPT_MESSAGES = 1000


def setup(base: str) -> tuple[list[str], str]:
    """Conversations to write to, and one holding a 1,000-message transcript."""
    with httpx.Client(base_url=base, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=30) as http:
        sids = []
        for n in range(CONVERSATIONS):
            response = http.post("/v1/Conversations", data={"FriendlyName": f"chat {n}"})
            response.raise_for_status()
            sids.append(response.json()["sid"])
        long = http.post("/v1/Conversations", data={"UniqueName": "long"}).json()["sid"]
        for identity in ("visitor", "alice"):
            http.post(f"/v1/Conversations/{long}/Participants", data={"Identity": identity})
        for n in range(TRANSCRIPT_MESSAGES):
            author = "visitor" if n % 2 else "alice"
            response = http.post(
                f"/v1/Conversations/{long}/Messages",
                data={"Author": author, "Body": f"line {n} " + "x" * 80},
            )
            response.raise_for_status()
    return sids, long


def message_create(base: str, sids: list[str]):
    def make(i: int) -> bytes:
        url = f"{base}/v1/Conversations/{sids[i % len(sids)]}/Messages"
        body = urlencode({"Author": "visitor", "Body": f"message {i} " + "x" * 80}).encode()
        return build_request("POST", url, AUTH, body, FORM)

    return base, make


def message_page(base: str, sid: str):
    url = f"{base}/v1/Conversations/{sid}/Messages?PageSize=100"

    def make(_i: int) -> bytes:
        return build_request("GET", url, AUTH)

    return base, make


def time_transcripts(data_dir: Path, database_url: str | None, sid: str, runs: int) -> list[float]:
    settings = Settings(data_dir=data_dir, database_url=database_url, run_projector=False)
    runtime = build_runtime(settings)
    try:
        chat = runtime.services.chat
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            held = asyncio.run(chat.transcript(ACCOUNT_SID, sid))
            timings.append((time.perf_counter() - start) * 1000)
            assert held is not None and len(held.messages) == TRANSCRIPT_MESSAGES
        return timings
    finally:
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests per run")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    args = parser.parse_args()
    total = 1000 if args.quick else 4000
    summary: dict[str, dict[int, LoadResult]] = {}
    transcripts: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        backends = ("sqlite", "postgres") if args.backend == "all" else (args.backend,)
        for backend in backends:
            database_url = postgres_url() if backend == "postgres" else None
            try:
                with hindsight(root / backend, database_url) as base:
                    sids, long = setup(base)
                    url, make = message_create(base, sids[:1])
                    summary[f"{backend} message create, 1 chat"] = measure(url, make, total)
                    url, make = message_create(base, sids)
                    summary[f"{backend} message create, 50 chats"] = measure(url, make, total)
                    url, make = message_page(base, long)
                    summary[f"{backend} 100-message page"] = measure(url, make, total // 4)
                    transcripts[backend] = time_transcripts(root / backend, database_url, long, 20)
            finally:
                if database_url:
                    drop_postgres(database_url)
    print()
    for label, results in summary.items():
        report(label, results)
    for backend, timings in transcripts.items():
        print(
            f"{backend} transcript() of {TRANSCRIPT_MESSAGES} messages: "
            f"median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms (20 runs)"
        )


if __name__ == "__main__":
    main()
