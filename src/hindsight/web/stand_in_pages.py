"""Stand-in pages for the demo's Embedded, Referenced and Raw media: what a CRM record, a case,
a ticket and a QA tool would show, served by Hindsight itself so the demo works with no
network. They hold no data (the reference in the URL is all they repeat) and need no sign-in,
as the third-party pages they stand in for would not be Hindsight's to protect.
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.responses import HTMLResponse

from hindsight.domain.errors import NotFound
from hindsight.domain.own_site import own_site_url
from hindsight.web.render import environment

router = APIRouter(include_in_schema=False)

PATH = "/demo/pages/{kind}/{reference}"
# What each kind of page is, as the demo's media titles name it.
KINDS = {
    "crm": ("Customer record", "CRM"),
    "case": ("Case", "Case management"),
    "ticket": ("Ticket", "Help desk"),
    "qa": ("QA review", "Quality assurance"),
}
_REFERENCE = re.compile(r"[A-Za-z0-9-]{1,40}")
# Framed by Hindsight's own conversation screen only; no script, no outside resource.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; "
        "base-uri 'none'; form-action 'none'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}


def stand_in_url(kind: str, reference: str) -> str:
    """The own-site URL of a stand-in page, for media attributes (no host or port in it)."""
    if kind not in KINDS or not _REFERENCE.fullmatch(reference):
        raise ValueError(f"no stand-in page {kind}/{reference}")
    return own_site_url(PATH.format(kind=kind, reference=reference))


@router.get(PATH)
async def stand_in_page(kind: str, reference: str) -> HTMLResponse:
    if kind not in KINDS or not _REFERENCE.fullmatch(reference):
        raise NotFound(f"No stand-in page {kind}/{reference[:40]}")
    title, tool = KINDS[kind]
    html = environment.get_template("stand_in.html").render(
        title=title, tool=tool, reference=reference, kind=kind
    )
    return HTMLResponse(html, headers=_HEADERS)
