"""A flood of wrong passwords: what it does to the API's latency, and to the person attacked.

    benchmarks/run-login-flood                    # 20 s of flood per scenario
    benchmarks/run-login-flood --seconds 5 --flooders 32

Hindsight runs in its own process on SQLite, with the per-address sign-in rate limit off (an
attacker spread over many addresses gets past it anyway). A measuring client reads one
workspace through the Twilio API, one request after another, and the median and p99 of that
latency are printed: with no flood, then while `--flooders` connections post wrong passwords
as fast as they can, (a) all for the admin's name (a lock-out attempt) and (b) each for a new
user name (argon2 work on every attempt). Halfway through each, the admin signs in from the
address they last signed in from (127.0.0.9, not the flood's), which is printed too: 200 means
the flood did not lock them out; 429 answers to the flood are sign-ins refused because too many
were waiting for a password check.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.servers import ACCOUNT_SID, AUTH_TOKEN, hindsight

ADMIN_PASSWORD = "benchmark admin password"


async def _measure(base: str, workspace: str, stop: asyncio.Event) -> list[float]:
    samples = []
    async with httpx.AsyncClient(base_url=base, auth=(ACCOUNT_SID, AUTH_TOKEN)) as http:
        while not stop.is_set():
            started = time.perf_counter()
            response = await http.get(f"/v1/Workspaces/{workspace}")
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    return samples


async def _flood(base: str, same_user: bool, stop: asyncio.Event, busy: list[int]) -> int:
    sent = 0
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while not stop.is_set():
            name = "admin" if same_user else f"nobody-{secrets.token_hex(4)}"
            response = await http.post(
                "/api/v1/session", json={"username": name, "password": "wrong password!!"}
            )
            sent += 1
            busy[0] += response.status_code == 429
    return sent


async def _victim_signs_in(base: str) -> tuple[int, float]:
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.9")
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=60) as http:
        started = time.perf_counter()
        response = await http.post(
            "/api/v1/session", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        return response.status_code, (time.perf_counter() - started) * 1000


async def _scenario(
    base: str, workspace: str, flooders: int, seconds: float, mode: str | None
) -> None:
    stop = asyncio.Event()
    measuring = asyncio.create_task(_measure(base, workspace, stop))
    busy = [0]
    flooding = [
        asyncio.create_task(_flood(base, mode == "same-user", stop, busy))
        for _ in range(flooders if mode else 0)
    ]
    await asyncio.sleep(seconds / 2)
    victim = await _victim_signs_in(base)
    await asyncio.sleep(seconds / 2)
    stop.set()
    samples = await measuring
    sent = sum(await asyncio.gather(*flooding))
    p50 = statistics.median(samples)
    p99 = statistics.quantiles(samples, n=100)[98] if len(samples) >= 100 else max(samples)
    label = mode or "no flood"
    print(
        f"{label:<16} API p50 {p50:6.1f} ms  p99 {p99:7.1f} ms  "
        f"({len(samples)} reads, {sent / seconds:6.0f} wrong passwords/s, {busy[0]} answered 429)"
    )
    if victim is not None:
        print(
            f"{'':<16} the admin signing in from elsewhere: HTTP {victim[0]} in {victim[1]:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--flooders", type=int, default=16)
    args = parser.parse_args()
    os.environ["HINDSIGHT_RATE_LIMIT_LOGIN_PER_MINUTE"] = "0"
    os.environ["HINDSIGHT_BOOTSTRAP_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    with tempfile.TemporaryDirectory() as tmp, hindsight(Path(tmp), None) as base:
        workspace = httpx.post(
            f"{base}/v1/Workspaces",
            data={"FriendlyName": "Flooded"},
            auth=(ACCOUNT_SID, AUTH_TOKEN),
        ).json()["sid"]
        # Where the admin last signed in: a flood must not keep them out of there.
        assert asyncio.run(_victim_signs_in(base))[0] == 200
        for mode in (None, "same-user", "many-users"):
            asyncio.run(_scenario(base, workspace, args.flooders, args.seconds, mode))


if __name__ == "__main__":
    main()
