"""Throttling wrong passwords without letting anyone lock anyone else out.

Wrong passwords count per user *and client* (the address a sign-in comes from): a flood from
one place locks that place out of that user, for a delay that doubles with each lock-out
(`lockout_ms`, then twice that, ... up to `max_lockout_ms`), and the user still signs in from
anywhere else. Guessing spread over many clients is caught by the user-wide count kept with
the user (`user_lock`), which spares the client the user last signed in from.

A throttled attempt is refused before its password is hashed, so a flood costs no argon2 work;
and only the first one of a lock-out is audited on its own, the others are counted and the count
goes with the next attempt that is not refused, so a flood costs no audit write per request.
For a user who exists, the per-client counts and locks are kept with the user in the database
(`ClientFailures`), so every process serving it sees the same lock: N processes do not give a
guesser N times the attempts. For names that match no one there is nothing to protect, and
their counts stay in memory, bounded (least recently used entries go first), per process; so
do the counts of attempts being checked right now and of refusals not yet reported.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

_MAX_KEYS = 50_000


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    lockout_ms: int = 15 * 60_000
    max_lockout_ms: int = 24 * 3_600_000
    # Wrong passwords for one user from all clients together before the user-wide lock.
    user_failures: int = 20

    def delay_ms(self, lockouts: int) -> int:
        """How long the `lockouts`-th lock-out in a row lasts."""
        doubling = min(max(lockouts, 1) - 1, 40)
        return min(self.lockout_ms << doubling, self.max_lockout_ms)


@dataclass(frozen=True)
class Lockout:
    """A lock that a failure has just started: until when, and the how-many-th in a row."""

    until_ms: int
    lockouts: int


@dataclass(frozen=True)
class ClientFailures:
    """Wrong passwords for one user from one client since its last success or lock-out."""

    failures: int = 0
    lockouts: int = 0
    locked_until_ms: int = 0

    def locked(self, now_ms: int) -> bool:
        return self.locked_until_ms > now_ms

    def after_failure(
        self, policy: ThrottlePolicy, now_ms: int
    ) -> tuple[ClientFailures, Lockout | None]:
        """The counts after one more wrong password, and the lock-out it starts, if any."""
        failures = self.failures + 1
        if failures < policy.max_failures:
            return ClientFailures(failures, self.lockouts, self.locked_until_ms), None
        lockouts = self.lockouts + 1
        until = now_ms + policy.delay_ms(lockouts)
        return ClientFailures(0, lockouts, until), Lockout(until, lockouts)


@dataclass
class _Entry:
    counts: ClientFailures = ClientFailures()
    refused: int = 0  # attempts refused while locked, not yet reported
    in_flight: int = 0  # attempts whose password is being checked now


class LoginThrottle:
    """Wrong-password counts and locks per (user name, client)."""

    def __init__(self, policy: ThrottlePolicy, max_keys: int = _MAX_KEYS) -> None:
        self.policy = policy
        self._max_keys = max_keys
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    def locked_until(self, username: str, client: str, now_ms: int) -> int | None:
        entry = self._entries.get((username, client))
        if entry is None or not entry.counts.locked(now_ms):
            return None
        return entry.counts.locked_until_ms

    def _entry(self, username: str, client: str) -> _Entry:
        key = (username, client)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
            if len(self._entries) > self._max_keys:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return entry

    def try_begin(
        self, username: str, client: str, now_ms: int, stored: ClientFailures | None = None
    ) -> bool:
        """Let an attempt check its password, unless the client is locked out or enough
        attempts are being checked already to lock it (a burst of concurrent guesses gets
        `max_failures` checks, not one per request). `stored`: the counts the database keeps
        for a user who exists (they replace the ones in memory). Pair with `finish`."""
        entry = self._entry(username, client)
        counts = stored if stored is not None else entry.counts
        if counts.locked(now_ms):
            return False
        if counts.failures + entry.in_flight >= self.policy.max_failures:
            return False
        entry.in_flight += 1
        return True

    def finish(self, username: str, client: str) -> None:
        entry = self._entries.get((username, client))
        if entry is not None and entry.in_flight > 0:
            entry.in_flight -= 1

    def refused(self, username: str, client: str) -> int:
        """Count an attempt refused by a lock; returns how many so far (1: audit this one)."""
        entry = self._entry(username, client)
        entry.refused += 1
        return entry.refused

    def take_refused(self, username: str, client: str) -> int:
        """How many refused attempts were not reported yet; the count starts again."""
        entry = self._entries.get((username, client))
        if entry is None:
            return 0
        count, entry.refused = entry.refused, 0
        return count

    def failed(self, username: str, client: str, now_ms: int) -> Lockout | None:
        """Count a wrong password for a name kept in memory; returns the lock-out it starts."""
        entry = self._entry(username, client)
        entry.counts, lockout = entry.counts.after_failure(self.policy, now_ms)
        return lockout

    def succeeded(self, username: str, client: str) -> None:
        entry = self._entries.get((username, client))
        if entry is not None:
            entry.counts = ClientFailures()


def user_lock(policy: ThrottlePolicy, failures: int, now_ms: int) -> Lockout | None:
    """The user-wide lock that the `failures`-th wrong password in a row (from any client)
    starts: first at `user_failures`, then again every `max_failures` more, each longer."""
    beyond = failures - policy.user_failures
    if beyond < 0 or beyond % policy.max_failures:
        return None
    lockouts = beyond // policy.max_failures + 1
    return Lockout(now_ms + policy.delay_ms(lockouts), lockouts)
