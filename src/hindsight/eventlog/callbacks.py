"""Delivering events to each workspace's EventCallbackUrl, as TaskRouter does.

Each event is POSTed form-encoded and signed with `X-Twilio-Signature` (the account's Auth
Token). Delivery is in log order per workspace, at least once (a receiver should deduplicate by
`Sid`), and never on the request path: a background task follows the log. A failed delivery is
retried with exponential back-off, holding back the workspace's later events so order is kept;
after the configured number of attempts the event is skipped and the failure recorded.
Several server processes can run deliverers: a lease on each workspace's cursor keeps them from
sending the same event twice.

A callback URL is chosen by whoever holds the account's credentials, so delivery goes through
the media fetcher's address rules (media/fetch.py, domain/addresses.py): loopback, private and
link-local receivers are refused unless the deployment allows them (`allow_private`, or host
names and CIDR ranges in `allow`), the name is resolved once and the connection pinned to the
checked address, and no redirect is followed. A refusal is a failed delivery like any other:
retried (DNS answers change), and the last error is shown on the workspace.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

from hindsight.domain.addresses import AddressRules
from hindsight.domain.clock import Clock
from hindsight.domain.events import callback_form, passes_filter
from hindsight.domain.signature import compute_signature
from hindsight.eventlog.notify import LogNotifier, WakeUp
from hindsight.media.fetch import FetchError, FetchOptions, FetchRefused, SafeFetcher
from hindsight.store import callbacks as store
from hindsight.store import events as event_store
from hindsight.store.callbacks import CallbackTarget
from hindsight.store.database import Database

log = logging.getLogger(__name__)

_BATCH = 100
_LEASE_MS = 60_000
_MAX_BACKOFF_S = 300
_POLL_SECONDS = 1.0
_PARALLEL_WORKSPACES = 8
_COALESCE_SECONDS = 0.005


@dataclass(frozen=True)
class CallbackOptions:
    timeout_seconds: float = 15.0
    max_attempts: int = 10
    rules: AddressRules = field(default_factory=AddressRules)

    def fetch_options(self) -> FetchOptions:
        return FetchOptions(
            allow_private=self.rules.allow_private,
            allow=self.rules.allow,
            connect_timeout_seconds=self.timeout_seconds,
            read_timeout_seconds=self.timeout_seconds,
            total_timeout_seconds=self.timeout_seconds,
            max_redirects=0,
        )


def backoff_seconds(attempts: int) -> int:
    return min(2 ** max(0, attempts - 1), _MAX_BACKOFF_S)


class CallbackDeliverer:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifier: LogNotifier,
        unseal_token: Callable[[CallbackTarget], str],
        options: CallbackOptions,
        fetcher: SafeFetcher | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._unseal = unseal_token
        self._options = options
        self._owner = f"deliverer-{secrets.token_hex(6)}"
        self._wake = WakeUp()
        notifier.subscribe(self._wake)
        self._fetcher = fetcher or SafeFetcher(options.fetch_options())
        self._limit = asyncio.Semaphore(_PARALLEL_WORKSPACES)
        self._watched: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        next_poll = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_poll:
                    # A full pass: refreshes which workspaces have callbacks, and catches
                    # retries that fell due and events appended by other processes.
                    self._watched = set(await self._db.read(store.workspaces_with_callbacks))
                    next_poll = time.monotonic() + _POLL_SECONDS
                await self.deliver_due()
            except Exception:
                log.exception("event callback delivery pass failed")
            await self._wait_for_work(stop, next_poll)

    async def _wait_for_work(self, stop: asyncio.Event, next_poll: float) -> None:
        """Sleep until the next poll, or until a workspace with a callback URL changes.

        Most writes happen in workspaces without one; waking for those would run a query on
        the event loop for every write.
        """
        while not stop.is_set():
            remaining = next_poll - time.monotonic()
            if remaining <= 0:
                return
            changed = await self._wake.wait(remaining)
            if changed & self._watched:
                await asyncio.sleep(_COALESCE_SECONDS)  # let a burst of writes land together
                return

    async def deliver_due(self) -> None:
        now = self._clock.now_ms()
        workspaces = await self._db.read(lambda conn: store.due(conn, now, 100))
        await asyncio.gather(*(self._drain_guarded(ws) for ws in workspaces))

    async def _drain_guarded(self, workspace_sid: str) -> None:
        async with self._limit:
            try:
                await self._drain(workspace_sid)
            except Exception:
                log.exception("event callback delivery failed for %s", workspace_sid)
                await self._db.write(lambda conn: store.release(conn, workspace_sid, self._owner))

    async def _drain(self, workspace_sid: str) -> None:
        owner = self._owner
        while True:
            now = self._clock.now_ms()
            cursor = await self._db.write(
                lambda conn, now=now: store.claim(conn, workspace_sid, owner, now, now + _LEASE_MS)
            )
            if cursor is None:
                return
            after = cursor.delivered_seq
            target, batch = await self._db.read(
                lambda conn, after=after: (
                    store.target(conn, workspace_sid),
                    event_store.follow(conn, self._db.horizon, workspace_sid, after, _BATCH),
                )
            )
            if target is None or not target.event_callback_url or not batch:
                await self._db.write(lambda conn: store.release(conn, workspace_sid, owner))
                return
            url = target.event_callback_url
            delivered, failure = await self._send_batch(target, url, batch)
            if delivered is not None:
                await self._db.write(
                    lambda conn, seq=delivered: store.advance(conn, workspace_sid, owner, seq)
                )
            if failure is not None:
                failed_event, error = failure
                # Attempts count failures of the event now at the head of the queue.
                attempts = 1 if delivered is not None else cursor.attempts + 1
                await self._fail(workspace_sid, attempts, failed_event, error)
                return
            if len(batch) < _BATCH:
                await self._db.write(lambda conn: store.release(conn, workspace_sid, owner))
                return

    async def _send_batch(
        self, target: CallbackTarget, url: str, batch: list[Any]
    ) -> tuple[int | None, tuple[Any, str] | None]:
        """Send events in order until one fails.

        `url` is the target's, known to be set. Returns the seq of the last event done with
        (sent, or filtered out) and, if one failed, that event and the error.
        """
        token = self._unseal(target)
        delivered: int | None = None
        for event in batch:
            if passes_filter(target.events_filter, event.event_type):
                error = await self._post(url, token, event)
                if error is not None:
                    return delivered, (event, error)
            delivered = event.seq
        return delivered, None

    async def _post(self, url: str, token: str, event: Any) -> str | None:
        form = callback_form(
            sid=event.sid,
            event_type=event.event_type,
            account_sid=event.account_sid,
            workspace_sid=event.workspace_sid,
            description=event.description,
            resource_type=event.resource_type,
            resource_sid=event.resource_sid,
            event_ms=event.event_date_ms,
            data=orjson.loads(event.event_data),
        )
        headers = {
            "X-Twilio-Signature": compute_signature(token, url, form),
            "User-Agent": "Hindsight-TaskRouter-Events/1.0",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        try:
            status = await self._fetcher.post(url, urlencode(form).encode(), headers)
        except FetchRefused as refused:
            # The account holder sees that it was refused, not what an internal name
            # resolves to (which would make callbacks a DNS oracle for the private network).
            log.warning("event callback to %s refused: %s", url, refused)
            return (
                "refused: the URL's address is one callbacks may not reach (loopback, "
                "private or link-local; see HINDSIGHT_CALLBACK_ALLOW)"
            )
        except FetchError as exc:
            return f"{type(exc).__name__}: {exc}"
        if not 200 <= status < 300:
            return f"HTTP {status}"
        return None

    async def _fail(self, workspace_sid: str, attempts: int, event: Any, error: str) -> None:
        owner = self._owner
        now = self._clock.now_ms()
        if attempts >= self._options.max_attempts:
            # Give up on this event so one dead receiver cannot stall the workspace forever.
            log.warning(
                "dropping event %s for %s after %d attempts: %s",
                event.sid,
                workspace_sid,
                attempts,
                error,
            )

            def skip(conn: Any) -> None:
                store.advance(conn, workspace_sid, owner, event.seq)
                store.record_failure(
                    conn, workspace_sid, owner, 0, now, f"gave up on {event.sid}: {error}"
                )
                store.release(conn, workspace_sid, owner)

            await self._db.write(skip)
            return
        retry_at = now + backoff_seconds(attempts) * 1000

        def record(conn: Any) -> None:
            store.record_failure(conn, workspace_sid, owner, attempts, retry_at, error)
            store.release(conn, workspace_sid, owner)

        await self._db.write(record)
