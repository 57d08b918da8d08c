"""routing by index: a task's waiting place per channel, one pending offer per task and worker

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_PENDING = sa.text("reservation_status = 'pending'")
_WAITING = sa.text("assignment_status = 'pending'")

# Pending reservations that repeat an earlier one of the same task and worker (left by the
# race this revision closes): all but the oldest of each pair.
_DUPLICATES = sa.text(
    """
    SELECT r.sid, r.worker_sid, r.task_channel_sid FROM reservations r
    WHERE r.reservation_status = 'pending' AND EXISTS (
        SELECT 1 FROM reservations o
        WHERE o.task_sid = r.task_sid AND o.worker_sid = r.worker_sid
          AND o.reservation_status = 'pending'
          AND (o.date_created < r.date_created
               OR (o.date_created = r.date_created AND o.sid < r.sid))
    )
    """
)


def _cancel_duplicates() -> None:
    """Cancel repeated pending offers and give their workers the room they held back, so the
    unique index can be built over a database that once raced."""
    conn = op.get_bind()
    for sid, worker_sid, channel_sid in conn.execute(_DUPLICATES).all():
        conn.execute(
            sa.text(
                "UPDATE reservations SET reservation_status = 'canceled', timeout_at_ms = NULL,"
                " version = version + 1 WHERE sid = :sid"
            ),
            {"sid": sid},
        )
        conn.execute(
            sa.text(
                "UPDATE worker_channels SET assigned_tasks = assigned_tasks - 1"
                " WHERE worker_sid = :worker AND task_channel_sid = :channel"
                " AND assigned_tasks > 0"
            ),
            {"worker": worker_sid, "channel": channel_sid},
        )
        conn.execute(
            sa.text("UPDATE workers SET holding = holding - 1 WHERE sid = :worker AND holding > 0"),
            {"worker": worker_sid},
        )


def upgrade() -> None:
    _cancel_duplicates()
    op.create_index(
        "uq_reservations_pending_task_worker",
        "reservations",
        ["task_sid", "worker_sid"],
        unique=True,
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )
    op.create_index(
        "ix_tasks_waiting_on_channel",
        "tasks",
        [
            "task_queue_sid",
            "task_channel_sid",
            sa.text("priority DESC"),
            "virtual_start_time",
            "sid",
        ],
        sqlite_where=_WAITING,
        postgresql_where=_WAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_waiting_on_channel", table_name="tasks")
    op.drop_index("uq_reservations_pending_task_worker", table_name="reservations")
