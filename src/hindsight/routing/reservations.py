"""Reservations through the API: fetch and list (per task or per worker), and the worker's
answers: accept, reject, wrap up, complete."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from hindsight.domain.errors import InvalidParameter, PreconditionFailed
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.reservation_lifecycle import (
    ReservationStatus,
    check_worker_transition,
    parse_status,
)
from hindsight.routing.base import RoutingService, child_or_404, emit, workspace_or_404
from hindsight.service_base import Caller
from hindsight.store import activities as activity_store
from hindsight.store import reservations as store
from hindsight.store import tasks as task_store
from hindsight.store import workers as worker_store
from hindsight.store.keyset import fetch_page
from hindsight.store.reservations import ReservationRecord as ReservationRecord

# Instructions that accept a reservation. Hindsight does no telephony: the call-handling
# instructions are taken as the worker taking the task, which is what they mean for routing.
_ACCEPTING_INSTRUCTIONS = {"accept", "conference", "dequeue", "call", "redirect"}
SORT = store.SORT


@dataclass(frozen=True)
class Parent:
    """The resource a reservation is reached through: a task or a worker."""

    task_sid: str | None = None
    worker_sid: str | None = None

    def path(self, ws: str) -> str:
        if self.task_sid:
            return f"/Workspaces/{ws}/Tasks/{self.task_sid}/Reservations"
        return f"/Workspaces/{ws}/Workers/{self.worker_sid}/Reservations"


@dataclass(frozen=True)
class Answer:
    status: str | None = None
    instruction: str | None = None
    worker_activity_sid: str | None = None


def _parent_or_404(conn: Connection, ws: str, parent: Parent) -> None:
    if parent.task_sid:
        child_or_404(
            task_store.get(conn, ws, parent.task_sid), f"/Workspaces/{ws}/Tasks/{parent.task_sid}"
        )
    else:
        child_or_404(
            worker_store.get(conn, ws, parent.worker_sid or ""),
            f"/Workspaces/{ws}/Workers/{parent.worker_sid}",
        )


def _in_parent(conn: Connection, ws: str, parent: Parent, sid: str) -> ReservationRecord:
    _parent_or_404(conn, ws, parent)
    reservation = store.get(conn, sid)
    belongs = (
        reservation is not None
        and reservation.workspace_sid == ws
        and (
            reservation.task_sid == parent.task_sid
            if parent.task_sid
            else reservation.worker_sid == parent.worker_sid
        )
    )
    return child_or_404(reservation if belongs else None, f"{parent.path(ws)}/{sid}")


def _locked(conn: Connection, ws: str, parent: Parent, sid: str) -> ReservationRecord:
    """The reservation as it is once its task is locked. Answers, routing and timers all lock
    the task first; a reservation read before that lock may already have been accepted by a
    concurrent answer (two accepts would both pass the status check and both assign the task)."""
    seen = _in_parent(conn, ws, parent, sid)
    task_store.get(conn, ws, seen.task_sid, for_update=True)
    return _in_parent(conn, ws, parent, sid)


def requested_status(answer: Answer) -> ReservationStatus:
    if answer.status and answer.instruction:
        raise InvalidParameter("Give either ReservationStatus or Instruction, not both")
    if answer.instruction:
        if answer.instruction == "reject":
            return ReservationStatus.REJECTED
        if answer.instruction in _ACCEPTING_INSTRUCTIONS:
            return ReservationStatus.ACCEPTED
        raise InvalidParameter(
            f"Instruction must be one of accept, reject, conference, dequeue, call, redirect; "
            f"got {answer.instruction!r}"
        )
    if not answer.status:
        raise InvalidParameter("Give ReservationStatus (or an Instruction) to update a reservation")
    return parse_status(answer.status)


class ReservationService(RoutingService):
    async def fetch(self, caller: Caller, ws: str, parent: Parent, sid: str) -> ReservationRecord:
        def unit(conn: Connection) -> ReservationRecord:
            workspace_or_404(conn, caller, ws)
            return _in_parent(conn, ws, parent, sid)

        return await self._read(unit)

    async def list(
        self,
        caller: Caller,
        ws: str,
        parent: Parent,
        status: str | None,
        worker_sid: str | None,
        page: PageRequest,
    ) -> PageResult[ReservationRecord]:
        if status is not None:
            parse_status(status)
        query = store.list_query(ws, parent.task_sid, parent.worker_sid or worker_sid, status)

        def unit(conn: Connection) -> PageResult[ReservationRecord]:
            workspace_or_404(conn, caller, ws)
            _parent_or_404(conn, ws, parent)
            return fetch_page(conn, query, SORT, page, read=store.record)

        return await self._scan(unit)

    async def update(
        self,
        caller: Caller,
        ws: str,
        parent: Parent,
        sid: str,
        answer: Answer,
        if_match: int | None,
    ) -> ReservationRecord:
        status = requested_status(answer)
        now = self._clock.now_ms()

        def unit(conn: Connection) -> ReservationRecord:
            workspace = workspace_or_404(conn, caller, ws)
            reservation = _locked(conn, ws, parent, sid)
            if if_match is not None and reservation.version != if_match:
                raise PreconditionFailed(
                    f"Reservation {sid} is at version {reservation.version}, not {if_match}; "
                    "nothing was changed"
                )
            check_worker_transition(sid, reservation.reservation_status, status)
            if answer.worker_activity_sid is not None and (
                activity_store.get(conn, ws, answer.worker_activity_sid) is None
            ):
                raise InvalidParameter(
                    f"WorkerActivitySid {answer.worker_activity_sid} is not an Activity of "
                    f"workspace {ws}"
                )
            events = self._engine.answer(
                conn, workspace, reservation, status, now, answer.worker_activity_sid
            )
            emit(conn, workspace, caller, now, *events)
            return child_or_404(store.get(conn, sid), f"{parent.path(ws)}/{sid}")

        return await self._write(ws, unit)
