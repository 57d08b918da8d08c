"""routing: reservations, workflow steps and timers on tasks, load counters, router cursors

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("step_filter", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("step_target", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("step_due_ms", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("timeout_at_ms", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_tasks_queue_waiting",
        "tasks",
        ["task_queue_sid", "assignment_status", "priority", "virtual_start_time"],
    )
    op.create_index("ix_tasks_timeout_at_ms", "tasks", ["timeout_at_ms"])
    op.create_index("ix_tasks_step_due_ms", "tasks", ["step_due_ms"])
    with op.batch_alter_table("workers") as batch:
        batch.add_column(
            sa.Column("last_reserved_ms", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("holding", sa.Integer(), nullable=False, server_default="0"))
    op.create_index(
        "ix_workers_idle", "workers", ["workspace_sid", "last_reserved_ms", "date_created", "sid"]
    )
    with op.batch_alter_table("worker_channels") as batch:
        batch.add_column(
            sa.Column("assigned_tasks", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "reservations",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("workspace_sid", sa.String(length=34), nullable=False),
        sa.Column("task_sid", sa.String(length=34), nullable=False),
        sa.Column("worker_sid", sa.String(length=34), nullable=False),
        sa.Column("task_channel_sid", sa.String(length=34), nullable=False),
        sa.Column("task_queue_sid", sa.String(length=34), nullable=True),
        sa.Column("workflow_sid", sa.String(length=34), nullable=True),
        sa.Column("reservation_status", sa.String(length=16), nullable=False),
        sa.Column("timeout_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_sid"],
            ["tasks.sid"],
            name=op.f("fk_reservations_task_sid_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_sid"],
            ["workers.sid"],
            name=op.f("fk_reservations_worker_sid_workers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_sid"],
            ["workspaces.sid"],
            name=op.f("fk_reservations_workspace_sid_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_reservations")),
    )
    op.create_index(
        "ix_reservations_task_sid_reservation_status",
        "reservations",
        ["task_sid", "reservation_status"],
    )
    op.create_index(
        "ix_reservations_worker_sid_reservation_status",
        "reservations",
        ["worker_sid", "reservation_status"],
    )
    op.create_index("ix_reservations_timeout_at_ms", "reservations", ["timeout_at_ms"])
    op.create_table(
        "router_cursors",
        sa.Column("workspace_sid", sa.String(length=34), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_sid", name=op.f("pk_router_cursors")),
    )


def downgrade() -> None:
    op.drop_table("router_cursors")
    op.drop_index("ix_reservations_timeout_at_ms", table_name="reservations")
    op.drop_index("ix_reservations_worker_sid_reservation_status", table_name="reservations")
    op.drop_index("ix_reservations_task_sid_reservation_status", table_name="reservations")
    op.drop_table("reservations")
    with op.batch_alter_table("worker_channels") as batch:
        batch.drop_column("assigned_tasks")
    op.drop_index("ix_workers_idle", table_name="workers")
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("holding")
        batch.drop_column("last_reserved_ms")
    op.drop_index("ix_tasks_step_due_ms", table_name="tasks")
    op.drop_index("ix_tasks_timeout_at_ms", table_name="tasks")
    op.drop_index("ix_tasks_queue_waiting", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("timeout_at_ms")
        batch.drop_column("step_due_ms")
        batch.drop_column("step_target")
        batch.drop_column("step_filter")
