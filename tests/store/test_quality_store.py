"""Quality rows in the store: a conversation deleted by retention takes its assessments,
their history and its comments with it; other conversations keep theirs."""

from __future__ import annotations

from sqlalchemy import select

from hindsight.store import accounts, retention
from hindsight.store.database import Database
from hindsight.store.quality import assessments, catalogue
from hindsight.store.schema import qm_assessments, qm_changes, qm_comments, qm_reviews
from tests.support.rows import account_row

ACCOUNT = "AC" + "1" * 32
NOW = 1_700_000_000_000


def _seed(conn, conversation: str, n: int) -> None:
    review = f"QR{n:032x}"
    assessments.insert_review(
        conn,
        {
            "sid": review,
            "account_sid": ACCOUNT,
            "segment_id": f"SG{n:032x}",
            "conversation_id": conversation,
            "agent_id": "WK" + "2" * 32,
            "agent_name": "Alice",
            "queue_name": "Sales",
            "questionnaire_sid": "GM" + "3" * 32,
            "author_type": "user",
            "author_sid": "US" + "4" * 32,
            "author_name": "QA",
            "author_email": None,
            "status": "submitted",
            "score": 50.0,
            "submitted_ms": NOW,
            "acknowledged_ms": None,
            "version": 1,
            "date_created": NOW,
            "date_updated": NOW,
        },
    )
    assessments.insert_assessment(
        conn,
        {
            "sid": f"FM{n:032x}",
            "review_sid": review,
            "account_sid": ACCOUNT,
            "segment_id": f"SG{n:032x}",
            "agent_id": "WK" + "2" * 32,
            "questionnaire_sid": "GM" + "3" * 32,
            "question_sid": "GE" + "5" * 32,
            "question_name": "Greeted?",
            "category_sid": "FY" + "6" * 32,
            "category_name": "Greeting",
            "answer_id": "a",
            "answer_text": "Yes",
            "score": 100.0,
            "max_score": 100.0,
            "offset_seconds": 1.5,
            "date_created": NOW,
            "date_updated": NOW,
        },
    )
    assessments.add_changes(
        conn,
        [
            {
                "account_sid": ACCOUNT,
                "review_sid": review,
                "at_ms": NOW,
                "actor_sid": None,
                "actor_name": "QA",
                "change": "{}",
            }
        ],
    )
    assessments.insert_comment(
        conn,
        {
            "sid": f"FM{n + 100:032x}",
            "account_sid": ACCOUNT,
            "segment_id": f"SG{n:032x}",
            "conversation_id": conversation,
            "agent_id": "WK" + "2" * 32,
            "comment": "Nice",
            "tag_id": "t",
            "tag_name": "Good",
            "offset_seconds": 2.0,
            "message_index": None,
            "author_type": "user",
            "author_sid": "US" + "4" * 32,
            "author_name": "QA",
            "author_email": None,
            "date_created": NOW,
            "date_updated": NOW,
        },
    )


def test_retention_deletes_a_conversations_quality_rows(db: Database) -> None:
    def seed(conn) -> None:
        accounts.insert_account(conn, account_row(ACCOUNT, NOW))
        catalogue.insert_questionnaire(
            conn,
            {
                "sid": "GM" + "3" * 32,
                "account_sid": ACCOUNT,
                "name": "Q",
                "description": "",
                "active": True,
                "date_created": NOW,
                "date_updated": NOW,
            },
        )
        _seed(conn, "gone", 1)
        _seed(conn, "kept", 2)

    db.write_sync(seed)
    db.write_sync(lambda conn: retention.delete_conversations(conn, ACCOUNT, ["gone"], []))

    def left(conn) -> dict[str, list[str]]:
        return {
            "reviews": list(conn.execute(select(qm_reviews.c.conversation_id)).scalars()),
            "answers": list(conn.execute(select(qm_assessments.c.review_sid)).scalars()),
            "changes": list(conn.execute(select(qm_changes.c.review_sid)).scalars()),
            "comments": list(conn.execute(select(qm_comments.c.conversation_id)).scalars()),
        }

    assert db.read_sync(left) == {
        "reviews": ["kept"],
        "answers": [f"QR{2:032x}"],
        "changes": [f"QR{2:032x}"],
        "comments": ["kept"],
    }
