"""quality report indexes: the report reads a period's assessments from an index alone

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f("ix_qm_reviews_account_sid_status_submitted_ms"), table_name="qm_reviews")
    op.create_index(
        "ix_qm_reviews_report",
        "qm_reviews",
        [
            "account_sid",
            "status",
            "submitted_ms",
            "agent_id",
            "queue_name",
            "questionnaire_sid",
            "score",
            "agent_name",
        ],
        unique=False,
    )
    op.create_index(
        op.f("ix_qm_assessments_review_sid_category_name_score_max_score"),
        "qm_assessments",
        ["review_sid", "category_name", "score", "max_score"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_qm_assessments_review_sid_category_name_score_max_score"),
        table_name="qm_assessments",
    )
    op.drop_index("ix_qm_reviews_report", table_name="qm_reviews")
    op.create_index(
        op.f("ix_qm_reviews_account_sid_status_submitted_ms"),
        "qm_reviews",
        ["account_sid", "status", "submitted_ms"],
        unique=False,
    )
