"""quality management: categories, questions, questionnaires, assessments and comments

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qm_answer_sets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_qm_answer_sets_account_sid_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qm_answer_sets")),
    )
    op.create_index(
        op.f("ix_qm_answer_sets_account_sid_sort"),
        "qm_answer_sets",
        ["account_sid", "sort"],
        unique=False,
    )
    op.create_table(
        "qm_categories",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_qm_categories_account_sid_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_qm_categories")),
    )
    op.create_index(
        op.f("ix_qm_categories_account_sid_date_created_sid"),
        "qm_categories",
        ["account_sid", "date_created", "sid"],
        unique=False,
    )
    op.create_table(
        "qm_comments",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("segment_id", sa.String(length=34), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.Column("tag_name", sa.Text(), nullable=False),
        sa.Column("offset_seconds", sa.Float(), nullable=True),
        sa.Column("message_index", sa.Integer(), nullable=True),
        sa.Column("author_type", sa.String(length=16), nullable=False),
        sa.Column("author_sid", sa.String(length=34), nullable=False),
        sa.Column("author_name", sa.Text(), nullable=True),
        sa.Column("author_email", sa.Text(), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_qm_comments_account_sid_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_qm_comments")),
    )
    op.create_index(
        op.f("ix_qm_comments_account_sid_agent_id_date_created_sid"),
        "qm_comments",
        ["account_sid", "agent_id", "date_created", "sid"],
        unique=False,
    )
    op.create_index(
        op.f("ix_qm_comments_account_sid_conversation_id"),
        "qm_comments",
        ["account_sid", "conversation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_qm_comments_account_sid_segment_id_date_created_sid"),
        "qm_comments",
        ["account_sid", "segment_id", "date_created", "sid"],
        unique=False,
    )
    op.create_table(
        "qm_questionnaires",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_qm_questionnaires_account_sid_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_qm_questionnaires")),
    )
    op.create_index(
        op.f("ix_qm_questionnaires_account_sid_date_created_sid"),
        "qm_questionnaires",
        ["account_sid", "date_created", "sid"],
        unique=False,
    )
    op.create_table(
        "qm_questions",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("category_sid", sa.String(length=34), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("answer_set_id", sa.String(length=36), nullable=False),
        sa.Column("allow_na", sa.Boolean(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_qm_questions_account_sid_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_sid"],
            ["qm_categories.sid"],
            name=op.f("fk_qm_questions_category_sid_qm_categories"),
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_qm_questions")),
    )
    op.create_index(
        op.f("ix_qm_questions_account_sid_date_created_sid"),
        "qm_questions",
        ["account_sid", "date_created", "sid"],
        unique=False,
    )
    op.create_index(
        op.f("ix_qm_questions_category_sid"), "qm_questions", ["category_sid"], unique=False
    )
    op.create_table(
        "qm_reviews",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("segment_id", sa.String(length=34), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("agent_name", sa.Text(), nullable=True),
        sa.Column("queue_name", sa.Text(), nullable=True),
        sa.Column("questionnaire_sid", sa.String(length=34), nullable=False),
        sa.Column("author_type", sa.String(length=16), nullable=False),
        sa.Column("author_sid", sa.String(length=34), nullable=False),
        sa.Column("author_name", sa.Text(), nullable=True),
        sa.Column("author_email", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("submitted_ms", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_ms", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_qm_reviews_account_sid_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_sid"],
            ["qm_questionnaires.sid"],
            name=op.f("fk_qm_reviews_questionnaire_sid_qm_questionnaires"),
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_qm_reviews")),
        sa.UniqueConstraint(
            "account_sid",
            "segment_id",
            "questionnaire_sid",
            "author_sid",
            name=op.f("uq_qm_reviews_account_sid_segment_id_questionnaire_sid_author_sid"),
        ),
    )
    op.create_index(
        op.f("ix_qm_reviews_account_sid_conversation_id_status"),
        "qm_reviews",
        ["account_sid", "conversation_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_qm_reviews_account_sid_status_submitted_ms"),
        "qm_reviews",
        ["account_sid", "status", "submitted_ms"],
        unique=False,
    )
    op.create_table(
        "qm_assessments",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("review_sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("segment_id", sa.String(length=34), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("questionnaire_sid", sa.String(length=34), nullable=False),
        sa.Column("question_sid", sa.String(length=34), nullable=False),
        sa.Column("question_name", sa.Text(), nullable=False),
        sa.Column("category_sid", sa.String(length=34), nullable=False),
        sa.Column("category_name", sa.Text(), nullable=False),
        sa.Column("answer_id", sa.String(length=36), nullable=False),
        sa.Column("answer_text", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("offset_seconds", sa.Float(), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_sid"],
            ["qm_reviews.sid"],
            name=op.f("fk_qm_assessments_review_sid_qm_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_qm_assessments")),
        sa.UniqueConstraint(
            "review_sid", "question_sid", name=op.f("uq_qm_assessments_review_sid_question_sid")
        ),
    )
    op.create_index(
        op.f("ix_qm_assessments_account_sid_date_created_sid"),
        "qm_assessments",
        ["account_sid", "date_created", "sid"],
        unique=False,
    )
    op.create_index(
        op.f("ix_qm_assessments_account_sid_segment_id_date_created_sid"),
        "qm_assessments",
        ["account_sid", "segment_id", "date_created", "sid"],
        unique=False,
    )
    op.create_table(
        "qm_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("review_sid", sa.String(length=34), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("actor_sid", sa.String(length=34), nullable=True),
        sa.Column("actor_name", sa.Text(), nullable=True),
        sa.Column("change", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_sid"],
            ["qm_reviews.sid"],
            name=op.f("fk_qm_changes_review_sid_qm_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qm_changes")),
    )
    op.create_index(
        op.f("ix_qm_changes_review_sid_id"), "qm_changes", ["review_sid", "id"], unique=False
    )
    op.create_table(
        "qm_questionnaire_questions",
        sa.Column("questionnaire_sid", sa.String(length=34), nullable=False),
        sa.Column("question_sid", sa.String(length=34), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_sid"],
            ["qm_questions.sid"],
            name=op.f("fk_qm_questionnaire_questions_question_sid_qm_questions"),
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_sid"],
            ["qm_questionnaires.sid"],
            name=op.f("fk_qm_questionnaire_questions_questionnaire_sid_qm_questionnaires"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "questionnaire_sid", "question_sid", name=op.f("pk_qm_questionnaire_questions")
        ),
    )
    op.create_index(
        op.f("ix_qm_questionnaire_questions_question_sid"),
        "qm_questionnaire_questions",
        ["question_sid"],
        unique=False,
    )

    op.create_table(
        "qm_settings",
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("agents_see_assessments", sa.Boolean(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_qm_settings_account_sid_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_sid", name=op.f("pk_qm_settings")),
    )
    op.create_table(
        "qm_agent_links",
        sa.Column("user_sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_sid"],
            ["users.sid"],
            name=op.f("fk_qm_agent_links_user_sid_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_sid", name=op.f("pk_qm_agent_links")),
    )
    op.create_index(
        op.f("ix_qm_agent_links_account_sid_agent_id"),
        "qm_agent_links",
        ["account_sid", "agent_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_qm_agent_links_account_sid_agent_id"), table_name="qm_agent_links")
    op.drop_table("qm_agent_links")
    op.drop_table("qm_settings")
    op.drop_index(
        op.f("ix_qm_questionnaire_questions_question_sid"), table_name="qm_questionnaire_questions"
    )
    op.drop_table("qm_questionnaire_questions")
    op.drop_index(op.f("ix_qm_changes_review_sid_id"), table_name="qm_changes")
    op.drop_table("qm_changes")
    op.drop_index(
        op.f("ix_qm_assessments_account_sid_segment_id_date_created_sid"),
        table_name="qm_assessments",
    )
    op.drop_index(
        op.f("ix_qm_assessments_account_sid_date_created_sid"), table_name="qm_assessments"
    )
    op.drop_table("qm_assessments")
    op.drop_index(op.f("ix_qm_reviews_account_sid_status_submitted_ms"), table_name="qm_reviews")
    op.drop_index(op.f("ix_qm_reviews_account_sid_conversation_id_status"), table_name="qm_reviews")
    op.drop_table("qm_reviews")
    op.drop_index(op.f("ix_qm_questions_category_sid"), table_name="qm_questions")
    op.drop_index(op.f("ix_qm_questions_account_sid_date_created_sid"), table_name="qm_questions")
    op.drop_table("qm_questions")
    op.drop_index(
        op.f("ix_qm_questionnaires_account_sid_date_created_sid"), table_name="qm_questionnaires"
    )
    op.drop_table("qm_questionnaires")
    op.drop_index(
        op.f("ix_qm_comments_account_sid_segment_id_date_created_sid"), table_name="qm_comments"
    )
    op.drop_index(op.f("ix_qm_comments_account_sid_conversation_id"), table_name="qm_comments")
    op.drop_index(
        op.f("ix_qm_comments_account_sid_agent_id_date_created_sid"), table_name="qm_comments"
    )
    op.drop_table("qm_comments")
    op.drop_index(op.f("ix_qm_categories_account_sid_date_created_sid"), table_name="qm_categories")
    op.drop_table("qm_categories")
    op.drop_index(op.f("ix_qm_answer_sets_account_sid_sort"), table_name="qm_answer_sets")
    op.drop_table("qm_answer_sets")
