"""/v1/Conversations and /v1/Conversations/{Sid} (a SID or the conversation's unique name)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.conversations import render
from hindsight.api.conversations.common import (
    MAX_PAGE_SIZE,
    REFUSED_FOR_CONVERSATIONS,
    caller,
    chat,
    list_response,
    write_params,
)
from hindsight.api.forms import Params, or_none
from hindsight.api.routes import Routes
from hindsight.chat.service import ConversationChanges, conversation_order
from hindsight.domain.chat import STATES
from hindsight.domain.sids import Prefix

router = Routes()
BASE = "/v1/Conversations"
_WRITABLE = (
    "FriendlyName",
    "UniqueName",
    "DateCreated",
    "DateUpdated",
    "MessagingServiceSid",
    "Attributes",
    "State",
)
_DAY_MS = 86_400_000


def _changes(params: Params) -> ConversationChanges:
    return ConversationChanges(
        friendly_name=params.text("FriendlyName"),
        unique_name=params.text("UniqueName"),
        attributes=params.text("Attributes"),
        state=params.choice("State", STATES),
        messaging_service_sid=params.sid("MessagingServiceSid", Prefix.MESSAGING_SERVICE),
        date_created=params.date("DateCreated"),
        date_updated=params.date("DateUpdated"),
    )


def _end_date(params: Params) -> int | None:
    """EndDate includes the whole of a day given without a time, as Twilio documents."""
    end = or_none(params.date("EndDate"))
    text = params.text("EndDate")
    if end is not None and isinstance(text, str) and "T" not in text.upper():
        return end + _DAY_MS - 1
    return end


@router.post(BASE)
async def create(request: Request) -> Response:
    params = await write_params(request, _WRITABLE, REFUSED_FOR_CONVERSATIONS)
    row = await chat(request).create_conversation(caller(request), _changes(params))
    return wire.json_response(render.conversation(wire.base_url(request), row), 201)


@router.get(BASE)
async def list_(request: Request) -> Response:
    params = wire.query_params(request, ("StartDate", "EndDate", "State", *paging.PAGING_PARAMS))
    start, end = or_none(params.date("StartDate")), _end_date(params)
    keys = conversation_order(start is not None or end is not None)
    ordering = "newest" if start is not None or end is not None else "oldest"
    page = paging.parse(params, keys, ordering, max_size=MAX_PAGE_SIZE)
    result = await chat(request).list_conversations(
        caller(request), or_none(params.choice("State", STATES)), start, end, page.request
    )
    base = wire.base_url(request)
    return list_response(
        request, "conversations", result, keys, page, lambda r: render.conversation(base, r)
    )


@router.get(BASE + "/{sid}")
async def fetch(request: Request, sid: str) -> Response:
    wire.query_params(request, ())
    row = await chat(request).fetch_conversation(caller(request), sid)
    return wire.json_response(render.conversation(wire.base_url(request), row))


@router.post(BASE + "/{sid}")
async def update(request: Request, sid: str) -> Response:
    params = await write_params(request, _WRITABLE, REFUSED_FOR_CONVERSATIONS)
    row = await chat(request).update_conversation(caller(request), sid, _changes(params))
    return wire.json_response(render.conversation(wire.base_url(request), row))


@router.delete(BASE + "/{sid}")
async def delete(request: Request, sid: str) -> Response:
    await write_params(request, ())
    await chat(request).delete_conversation(caller(request), sid)
    return wire.no_content()
