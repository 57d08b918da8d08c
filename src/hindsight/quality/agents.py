"""Agents reading their own assessments: a common QA practice, off unless an admin turns it on.

An admin links a person (usually with only the `agent` role, which opens nothing else) to the
agent id their segments carry, and enables the setting for the account; that person then reads
their submitted assessments and the comments on those segments, read-only, and acknowledges
them. Nothing else of the conversation (media, attributes) is shown to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from hindsight.audit.trail import AuditTrail
from hindsight.domain.access import Viewer
from hindsight.domain.clock import Clock
from hindsight.domain.errors import Forbidden, InvalidParameter, NotFound
from hindsight.domain.permissions import Permission
from hindsight.quality.assessments import build_reviews
from hindsight.quality.records import Comment, Review
from hindsight.store import users as user_store
from hindsight.store.database import Database
from hindsight.store.quality import agents as store
from hindsight.store.quality import assessments as assessment_store

MAX_AGENT_ID = 200


@dataclass(frozen=True)
class MyAssessments:
    agent_id: str
    reviews: tuple[Review, ...]
    comments: tuple[Comment, ...]


class AgentViews:
    def __init__(self, db: Database, clock: Clock, audit: AuditTrail) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    async def setting(self, viewer: Viewer) -> bool:
        await self._audit.require(viewer, Permission.MANAGE_USERS, "quality.settings.read")
        return await self._db.read(
            lambda conn: store.agents_see_assessments(conn, viewer.account_sid)
        )

    async def set_setting(self, viewer: Viewer, enabled: bool) -> bool:
        await self._audit.require(viewer, Permission.MANAGE_USERS, "quality.settings.update")
        values = {
            "agents_see_assessments": enabled,
            "updated_ms": self._clock.now_ms(),
            "updated_by": viewer.name,
        }

        def unit(conn: Connection) -> bool:
            store.save_setting(conn, viewer.account_sid, values)
            self._audit.record_in(
                conn,
                viewer,
                "quality.settings.update",
                detail={"agents_see_assessments": enabled},
            )
            return enabled

        return await self._db.write(unit)

    async def link(self, viewer: Viewer, user_sid: str, agent_id: str | None) -> None:
        """Say which agent a person is (None: no longer one)."""
        await self._audit.require(
            viewer,
            Permission.MANAGE_USERS,
            "quality.agent_link",
            object_type="user",
            object_id=user_sid,
        )
        if agent_id is not None and not 0 < len(agent_id.strip()) <= MAX_AGENT_ID:
            raise InvalidParameter(f"agent_id is 1 to {MAX_AGENT_ID} characters")

        def unit(conn: Connection) -> None:
            user = user_store.get_user(conn, user_sid)
            if user is None or user.account_sid != viewer.account_sid:
                raise NotFound(f"No user {user_sid[:40]!r} in this account")
            store.link(conn, viewer.account_sid, user_sid, agent_id.strip() if agent_id else None)
            self._audit.record_in(
                conn,
                viewer,
                "quality.agent_link",
                object_type="user",
                object_id=user_sid,
                detail={"agent_id": agent_id},
            )

        await self._db.write(unit)

    def _my_agent(self, conn: Connection, viewer: Viewer) -> str:
        if not viewer.is_person:
            raise Forbidden("This is for people signed in to Hindsight")
        if not store.agents_see_assessments(conn, viewer.account_sid):
            raise Forbidden("Agents reading their assessments is not enabled in this account")
        agent = store.agent_of(conn, viewer.account_sid, viewer.actor_sid)
        if agent is None:
            raise Forbidden("You are not linked to an agent; ask an administrator")
        return agent

    async def mine(self, viewer: Viewer) -> MyAssessments:
        def unit(conn: Connection) -> MyAssessments:
            agent = self._my_agent(conn, viewer)
            rows = store.reviews_of_agent(conn, viewer.account_sid, agent)
            reviews = build_reviews(conn, viewer.account_sid, rows)
            comments = store.comments_on(conn, viewer.account_sid, [r.segment_id for r in rows])
            return MyAssessments(agent, tuple(reviews), tuple(Comment.of(c) for c in comments))

        try:
            found = await self._db.read(unit)
        except Forbidden as refused:
            await self._audit.record(
                viewer, "quality.mine", outcome="denied", reason=refused.message
            )
            raise
        await self._audit.record(
            viewer,
            "quality.mine",
            detail={"agent_id": found.agent_id, "reviews": len(found.reviews)},
        )
        return found

    async def acknowledge(self, viewer: Viewer, review_sid: str) -> None:
        def unit(conn: Connection) -> None:
            agent = self._my_agent(conn, viewer)
            review = assessment_store.get_review(conn, viewer.account_sid, review_sid)
            if review is None or review.agent_id != agent or review.status != "submitted":
                raise NotFound(f"No assessment {review_sid[:40]!r} of yours")
            store.acknowledge(conn, review_sid, self._clock.now_ms())
            self._audit.record_in(
                conn, viewer, "quality.acknowledge", object_type="qm_review", object_id=review_sid
            )

        await self._db.write(unit)
