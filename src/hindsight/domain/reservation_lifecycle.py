"""The reservation state machine.

    pending ──accept──> accepted ──wrap──> wrapping ──complete──> completed
       │                    └──────────complete──────────────────────^
       ├──reject──> rejected
       ├──(timer)──> timeout
       ├──(task canceled)──> canceled
       └──(another worker accepted)──> rescinded

A worker answers a pending reservation (accept, reject) and later wraps or completes it through
the Reservations resources; the other endings are made by routing itself.
"""

from __future__ import annotations

from enum import StrEnum

from hindsight.domain.errors import InvalidParameter


class ReservationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TIMEOUT = "timeout"
    CANCELED = "canceled"
    RESCINDED = "rescinded"
    WRAPPING = "wrapping"
    COMPLETED = "completed"


# Reservations that hold a worker's capacity on their channel.
HOLDING = frozenset(
    {ReservationStatus.PENDING, ReservationStatus.ACCEPTED, ReservationStatus.WRAPPING}
)

_BY_WORKER: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    ReservationStatus.ACCEPTED: frozenset({ReservationStatus.PENDING}),
    ReservationStatus.REJECTED: frozenset({ReservationStatus.PENDING}),
    ReservationStatus.WRAPPING: frozenset({ReservationStatus.ACCEPTED}),
    ReservationStatus.COMPLETED: frozenset(
        {ReservationStatus.ACCEPTED, ReservationStatus.WRAPPING}
    ),
}

EVENT_FOR_STATUS: dict[ReservationStatus, str] = {
    ReservationStatus.ACCEPTED: "reservation.accepted",
    ReservationStatus.REJECTED: "reservation.rejected",
    ReservationStatus.TIMEOUT: "reservation.timeout",
    ReservationStatus.CANCELED: "reservation.canceled",
    ReservationStatus.RESCINDED: "reservation.rescinded",
    ReservationStatus.WRAPPING: "reservation.wrapup",
    ReservationStatus.COMPLETED: "reservation.completed",
}


def parse_status(value: str) -> ReservationStatus:
    try:
        return ReservationStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in ReservationStatus)
        raise InvalidParameter(
            f"ReservationStatus must be one of {allowed}; got {value!r}"
        ) from None


def check_worker_transition(
    reservation_sid: str, current: str, requested: ReservationStatus
) -> None:
    """Raise unless a worker may move a reservation from `current` to `requested`."""
    allowed_from = _BY_WORKER.get(requested)
    if allowed_from is None:
        settable = ", ".join(sorted(s.value for s in _BY_WORKER))
        raise InvalidParameter(
            f"ReservationStatus can be set to {settable}; '{requested.value}' is set by routing"
        )
    if ReservationStatus(current) not in allowed_from:
        expected = ", ".join(sorted(s.value for s in allowed_from))
        raise InvalidParameter(
            f"Reservation {reservation_sid} not in expected state [{expected}] and cannot be "
            f"updated to [{requested.value}]: it is {current}"
        )
