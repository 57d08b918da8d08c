"""The quality report: submitted assessments counted and averaged by agent, queue,
questionnaire, category or day, drilling down to the assessed conversations; its CSV export;
and "sample for review", which picks unassessed conversations per agent at random.

Within the viewer's scope, checked and audited like every read of conversation data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hindsight.audit.trail import AuditTrail
from hindsight.domain.access import Viewer
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.permissions import Permission
from hindsight.insights.queries import scope_of
from hindsight.store.database import Database
from hindsight.store.quality import reports as store
from hindsight.store.quality.reports import GROUPINGS, Assessed, ReportFilters, Sampled, Sums

MAX_ASSESSED = 500
MAX_PER_AGENT = 20
MAX_SAMPLE_DAYS = 93
DAY_MS = 86_400_000


@dataclass(frozen=True)
class ReportRow:
    group: Any
    label: str | None
    assessments: int
    average: float | None


@dataclass(frozen=True)
class QualityReport:
    group_by: str
    rows: list[ReportRow]
    total: ReportRow


def _average(sums: Sums) -> float | None:
    if not sums.denominator:
        return None  # nothing scored (all N/A)
    return round(sums.numerator / sums.denominator, 2)


def _row(row: Sums) -> ReportRow:
    label = row.label if row.label is None else str(row.label)
    return ReportRow(row.group, label, int(row.assessments), _average(row))


def _order(row: ReportRow) -> tuple[bool, Any]:
    return (row.group is None, row.group if row.group is not None else 0)


def _filters_detail(filters: ReportFilters) -> dict[str, Any]:
    return {k: v for k, v in filters.__dict__.items() if v is not None}


class QualityReports:
    def __init__(self, db: Database, audit: AuditTrail) -> None:
        self._db = db
        self._audit = audit

    async def report(self, viewer: Viewer, filters: ReportFilters, group_by: str) -> QualityReport:
        if group_by not in GROUPINGS:
            raise InvalidParameter(f"group_by must be one of {', '.join(GROUPINGS)}")
        await self._audit.require(viewer, Permission.DASHBOARDS, "quality.report")
        scope = scope_of(viewer)

        def unit(conn: Connection) -> QualityReport:
            sums = store.grouped(conn, viewer.account_sid, filters, group_by, scope)
            if group_by == "category":
                # An assessment answers in several categories: the total is counted apart.
                whole = store.total(conn, viewer.account_sid, filters, scope)
            else:
                # Every assessment is in exactly one agent, queue, questionnaire or day.
                whole = sum(sums, start=Sums(None, None, 0, 0.0, 0.0))
            total = ReportRow(None, "Total", int(whole.assessments), _average(whole))
            return QualityReport(group_by, sorted(map(_row, sums), key=_order), total)

        found = await self._db.scan(unit)
        await self._audit.record(
            viewer,
            "quality.report",
            detail={"group_by": group_by, "filters": _filters_detail(filters)},
        )
        return found

    async def assessed(
        self,
        viewer: Viewer,
        filters: ReportFilters,
        group_by: str | None,
        value: str | int | None,
    ) -> list[Assessed]:
        """The assessed conversations behind one row of the report (newest first)."""
        if group_by is not None and group_by not in GROUPINGS:
            raise InvalidParameter(f"group_by must be one of {', '.join(GROUPINGS)}")
        if group_by == "day" and not isinstance(value, int):
            raise InvalidParameter("A day is given as the epoch milliseconds of its start")
        await self._audit.require(viewer, Permission.SEARCH, "quality.assessed")
        scope = scope_of(viewer)
        rows = await self._db.scan(
            lambda conn: store.assessed(
                conn, viewer.account_sid, filters, scope, group_by, value, MAX_ASSESSED
            )
        )
        await self._audit.record(
            viewer,
            "quality.assessed",
            detail={"group_by": group_by, "returned": len(rows), **_filters_detail(filters)},
        )
        return rows

    async def start_export(self, viewer: Viewer, filters: ReportFilters, group_by: str) -> None:
        await self._audit.require(viewer, Permission.EXPORT, "quality.report.export")
        await self._audit.record(
            viewer,
            "quality.report.export",
            detail={"group_by": group_by, "filters": _filters_detail(filters)},
        )

    async def sample(
        self, viewer: Viewer, start_ms: int, end_ms: int, per_agent: int
    ) -> list[Sampled]:
        """Up to `per_agent` random unassessed conversations of each agent in the period."""
        if not 1 <= per_agent <= MAX_PER_AGENT:
            raise InvalidParameter(f"per_agent is between 1 and {MAX_PER_AGENT}")
        if end_ms <= start_ms or end_ms - start_ms > MAX_SAMPLE_DAYS * DAY_MS:
            raise InvalidParameter(f"The period is from before to, at most {MAX_SAMPLE_DAYS} days")
        await self._audit.require(viewer, Permission.ASSESS, "quality.sample")
        scope = scope_of(viewer)
        rows = await self._db.scan(
            lambda conn: store.unassessed_sample(
                conn, viewer.account_sid, start_ms, end_ms, per_agent, scope
            )
        )
        await self._audit.record(
            viewer,
            "quality.sample",
            detail={
                "per_agent": per_agent,
                "start_ms": start_ms,
                "end_ms": end_ms,
                "returned": len(rows),
            },
        )
        return rows


__all__ = [
    "GROUPINGS",
    "Assessed",
    "QualityReport",
    "QualityReports",
    "ReportFilters",
    "ReportRow",
    "Sampled",
]
