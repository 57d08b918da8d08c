"""Quality pages: the questionnaire editor and the quality report (with "sample for review").

Their data comes from `/api/v1/quality/…` through the same services as the JSON API (same
permission checks, scope and audit); the pages are shells a script fills.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from hindsight.api import identity
from hindsight.auth.sessions import ActiveSession
from hindsight.domain.access import PermissionDenied
from hindsight.domain.errors import Forbidden
from hindsight.domain.paging import PageRequest
from hindsight.domain.permissions import Permission
from hindsight.quality.http.common import quality
from hindsight.quality.http.routes import drill_value, report_filters, sample_period
from hindsight.web.page_kit import page_context, signed_in_page
from hindsight.web.render import day_label, render

router = APIRouter(include_in_schema=False)


@router.get("/quality/questionnaires")
async def questionnaires_page(request: Request) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        if not session.viewer.can(Permission.QUESTIONNAIRES):
            raise PermissionDenied(Permission.QUESTIONNAIRES)
        return render("questionnaires.html", page_context(request, session))

    return await signed_in_page(request, build)


_GROUP_NAMES = (
    ("agent", "Agent"),
    ("queue", "Queue"),
    ("questionnaire", "Questionnaire"),
    ("category", "Category"),
    ("day", "Day"),
)


def _period(request: Request) -> list[tuple[str, str]]:
    return [
        (k, request.query_params[k])
        for k in ("from", "to", "questionnaire_sid")
        if request.query_params.get(k)
    ]


@router.get("/quality/report")
async def report_page(request: Request) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        viewer = session.viewer
        feature = quality(request)
        group_by = request.query_params.get("group_by", "agent")
        filters = report_filters(request)
        found = await feature.reports.report(viewer, filters, group_by)
        questionnaires = await feature.catalogue.questionnaires(viewer, True, PageRequest(size=200))
        period = _period(request)
        rows = [
            {
                "label": _label(group_by, r.group, r.label),
                "assessments": r.assessments,
                "average": r.average,
                "href": "/quality/assessed?"
                + urlencode(
                    [
                        ("group_by", group_by),
                        ("value", "" if r.group is None else str(r.group)),
                        *period,
                    ]
                ),
            }
            for r in found.rows
        ]
        return render(
            "quality_report.html",
            page_context(
                request,
                session,
                group_by=group_by,
                groups=_GROUP_NAMES,
                rows=rows,
                total=found.total,
                questionnaires=questionnaires.items,
                query=dict(request.query_params),
                csv_href="/api/v1/quality/report.csv?"
                + urlencode([("group_by", group_by), *period]),
            ),
        )

    return await signed_in_page(request, build)


def _label(group_by: str, group: object, label: str | None) -> str:
    if group_by == "day" and isinstance(group, int):
        return day_label(group)
    return label or "(none)"


@router.get("/quality/assessed")
async def assessed_page(request: Request) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        group_by = request.query_params.get("group_by") or None
        raw = request.query_params.get("value")
        value = drill_value(group_by, raw if raw else None)
        found = await quality(request).reports.assessed(
            session.viewer, report_filters(request), group_by, value
        )
        return render(
            "quality_assessed.html",
            page_context(request, session, assessed=found, group_by=group_by, value=raw),
        )

    return await signed_in_page(request, build)


@router.get("/quality/sample")
async def sample_page(request: Request) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        services = identity.services(request)
        start, end, per_agent = sample_period(request, services.clock.now_ms())
        found = await services.quality.reports.sample(session.viewer, start, end, per_agent)
        return render(
            "quality_sample.html",
            page_context(request, session, sample=found, start=start, end=end, per_agent=per_agent),
        )

    return await signed_in_page(request, build)


@router.get("/quality/mine")
async def mine_page(request: Request) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        found = await quality(request).agents.mine(session.viewer)
        comments: dict[str, list[Any]] = {}
        for comment in found.comments:
            comments.setdefault(comment.segment_id, []).append(comment)
        return render(
            "quality_mine.html",
            page_context(request, session, reviews=found.reviews, comments=comments),
        )

    return await signed_in_page(request, build)


@router.post("/quality/mine/{review_sid}/acknowledge")
async def acknowledge_page(request: Request, review_sid: str) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        form = await request.form()
        sent = form.get("csrf")
        if sent != session.csrf_token or not identity.same_origin(request):
            raise Forbidden("Acknowledgement refused: reload the page and try again")
        await quality(request).agents.acknowledge(session.viewer, review_sid)
        return RedirectResponse("/quality/mine", status_code=303)

    return await signed_in_page(request, build)
