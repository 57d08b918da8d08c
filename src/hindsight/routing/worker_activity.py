"""Moving a worker to another activity: by the worker, or by routing (reserved, assigned,
timed out). Either way the worker's status clock restarts and worker.activity.update is logged."""

from __future__ import annotations

from sqlalchemy import Connection

from hindsight.domain import events as ev
from hindsight.store import workers as store
from hindsight.store.activities import ActivityRecord
from hindsight.store.workers import WorkerRecord


def move_worker(
    conn: Connection, workspace_sid: str, worker: WorkerRecord, activity: ActivityRecord, now: int
) -> tuple[WorkerRecord, ev.NewEvent]:
    """Put `worker` in `activity`; returns the updated worker and the event to append."""
    store.update_worker(
        conn,
        worker.sid,
        {
            "activity_sid": activity.sid,
            "date_status_changed": now,
            "version": worker.version + 1,
            "date_updated": now,
        },
    )
    after = store.get(conn, workspace_sid, worker.sid)
    if after is None:  # updated just above, in this transaction
        raise LookupError(f"Worker {worker.sid} vanished while changing activity")
    event = ev.NewEvent(
        "worker.activity.update",
        worker.sid,
        f"Worker {after.friendly_name} updated to {after.activity_name} Activity",
        {
            **ev.worker_fields(after._mapping),
            **ev.worker_activity_change_fields(
                worker.activity_sid, worker.activity_name, worker.date_status_changed, now
            ),
        },
    )
    return after, event
