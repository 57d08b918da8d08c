"""What agents may read of their own assessments: the account's setting, the person-to-agent
links, and the reads and acknowledgements themselves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from hindsight.store.quality.assessments import (
    CommentRecord,
    ReviewRecord,
    read_comment,
    read_review,
)
from hindsight.store.schema import qm_agent_links, qm_comments, qm_reviews, qm_settings

SHOWN = 200


def agents_see_assessments(conn: Connection, account_sid: str) -> bool:
    query = select(qm_settings.c.agents_see_assessments).where(
        qm_settings.c.account_sid == account_sid
    )
    return bool(conn.execute(query).scalar())


def save_setting(conn: Connection, account_sid: str, values: dict[str, Any]) -> None:
    changed = conn.execute(
        update(qm_settings).where(qm_settings.c.account_sid == account_sid).values(**values)
    )
    if changed.rowcount == 0:
        conn.execute(insert(qm_settings).values(account_sid=account_sid, **values))


def agent_of(conn: Connection, account_sid: str, user_sid: str) -> str | None:
    query = select(qm_agent_links.c.agent_id).where(
        qm_agent_links.c.account_sid == account_sid, qm_agent_links.c.user_sid == user_sid
    )
    return conn.execute(query).scalar()


def link(conn: Connection, account_sid: str, user_sid: str, agent_id: str | None) -> None:
    conn.execute(delete(qm_agent_links).where(qm_agent_links.c.user_sid == user_sid))
    if agent_id is not None:
        conn.execute(
            insert(qm_agent_links).values(
                user_sid=user_sid, account_sid=account_sid, agent_id=agent_id
            )
        )


def reviews_of_agent(conn: Connection, account_sid: str, agent_id: str) -> list[ReviewRecord]:
    query = (
        select(qm_reviews)
        .where(
            qm_reviews.c.account_sid == account_sid,
            qm_reviews.c.agent_id == agent_id,
            qm_reviews.c.status == "submitted",
        )
        .order_by(qm_reviews.c.submitted_ms.desc(), qm_reviews.c.sid.desc())
        .limit(SHOWN)
    )
    return [read_review(row) for row in conn.execute(query)]


def comments_on(
    conn: Connection, account_sid: str, segment_ids: Sequence[str]
) -> list[CommentRecord]:
    if not segment_ids:
        return []
    query = (
        select(qm_comments)
        .where(
            qm_comments.c.account_sid == account_sid,
            qm_comments.c.segment_id.in_(list(segment_ids)),
        )
        .order_by(qm_comments.c.segment_id, qm_comments.c.offset_seconds, qm_comments.c.sid)
    )
    return [read_comment(row) for row in conn.execute(query)]


def acknowledge(conn: Connection, sid: str, now_ms: int) -> None:
    conn.execute(
        update(qm_reviews)
        .where(qm_reviews.c.sid == sid, qm_reviews.c.acknowledged_ms.is_(None))
        .values(acknowledged_ms=now_ms)
    )
