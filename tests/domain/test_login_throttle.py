"""Wrong passwords lock a client out of a user, for longer each time; never the user."""

from __future__ import annotations

from hindsight.domain.login_throttle import LoginThrottle, ThrottlePolicy, user_lock

POLICY = ThrottlePolicy(max_failures=3, lockout_ms=1000, max_lockout_ms=5000, user_failures=9)


def _fail(throttle: LoginThrottle, times: int, now: int, client: str = "10.0.0.1"):
    results = [throttle.failed("ana", client, now) for _ in range(times)]
    return results[-1], results[:-1]


def test_a_client_is_locked_after_max_failures_and_only_that_client():
    throttle = LoginThrottle(POLICY)
    lockout, before = _fail(throttle, 3, now=0)
    assert before == [None, None]
    assert lockout is not None and (lockout.until_ms, lockout.lockouts) == (1000, 1)
    assert throttle.locked_until("ana", "10.0.0.1", 999) == 1000
    assert throttle.locked_until("ana", "10.0.0.1", 1000) is None
    assert throttle.locked_until("ana", "10.0.0.2", 500) is None
    assert throttle.locked_until("ben", "10.0.0.1", 500) is None


def test_each_lockout_in_a_row_lasts_twice_as_long_up_to_the_cap():
    throttle = LoginThrottle(POLICY)
    now, lengths = 0, []
    for _ in range(5):
        lockout, _ = _fail(throttle, 3, now)
        lengths.append(lockout.until_ms - now)
        now = lockout.until_ms
    assert lengths == [1000, 2000, 4000, 5000, 5000]


def test_a_success_forgets_the_clients_failures():
    throttle = LoginThrottle(POLICY)
    _fail(throttle, 3, now=0)
    throttle.succeeded("ana", "10.0.0.1")
    assert throttle.locked_until("ana", "10.0.0.1", 1) is None
    lockout, _ = _fail(throttle, 3, now=10)
    assert lockout.lockouts == 1


def test_memory_is_bounded_by_dropping_the_least_recently_used():
    throttle = LoginThrottle(POLICY, max_keys=2)
    for client in ("a", "b", "c"):
        _fail(throttle, 3, now=0, client=client)
    assert throttle.locked_until("ana", "a", 1) is None
    assert throttle.locked_until("ana", "c", 1) == 1000


def test_the_user_wide_lock_starts_at_user_failures_then_every_max_failures():
    starts = {n: user_lock(POLICY, n, 0) for n in range(1, 19)}
    assert [n for n, lock in starts.items() if lock is not None] == [9, 12, 15, 18]
    assert [starts[n].until_ms for n in (9, 12, 15, 18)] == [1000, 2000, 4000, 5000]


def test_refusals_while_locked_are_counted_until_reported():
    throttle = LoginThrottle(POLICY)
    _fail(throttle, 3, now=0)
    assert [throttle.refused("ana", "10.0.0.1") for _ in range(4)] == [1, 2, 3, 4]
    assert throttle.take_refused("ana", "10.0.0.1") == 4
    assert throttle.take_refused("ana", "10.0.0.1") == 0
    assert throttle.refused("ana", "10.0.0.1") == 1  # the next lock-out's first is audited
    assert throttle.take_refused("ben", "10.0.0.1") == 0


def test_a_burst_of_concurrent_guesses_gets_max_failures_checks():
    throttle = LoginThrottle(POLICY)
    begun = [throttle.try_begin("ana", "10.0.0.1", 0) for _ in range(5)]
    assert begun == [True, True, True, False, False]
    throttle.finish("ana", "10.0.0.1")
    assert throttle.try_begin("ana", "10.0.0.1", 0)
    assert throttle.try_begin("ana", "10.0.0.2", 0)  # another client is not held back
    for _ in range(3):
        throttle.finish("ana", "10.0.0.1")
    lockout, _ = _fail(throttle, 3, now=0)
    assert lockout is not None and not throttle.try_begin("ana", "10.0.0.1", 10)
