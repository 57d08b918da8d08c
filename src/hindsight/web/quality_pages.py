"""Quality pages: the questionnaire editor and the quality report (with "sample for review").

Their data comes from `/api/v1/quality/…` through the same services as the JSON API (same
permission checks, scope and audit); the pages are shells a script fills.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from hindsight.auth.sessions import ActiveSession
from hindsight.domain.access import PermissionDenied
from hindsight.domain.permissions import Permission
from hindsight.web.pages import _context, _page
from hindsight.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/quality/questionnaires")
async def questionnaires_page(request: Request) -> Response:
    async def build(request: Request, session: ActiveSession) -> Response:
        if not session.viewer.can(Permission.QUESTIONNAIRES):
            raise PermissionDenied(Permission.QUESTIONNAIRES)
        return render("questionnaires.html", _context(request, session))

    return await _page(request, build)
