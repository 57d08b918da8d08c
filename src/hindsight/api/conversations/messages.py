"""/v1/Conversations/{ConversationSid}/Messages[/{Sid}]"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.conversations import render
from hindsight.api.conversations.common import (
    MAX_PAGE_SIZE,
    REFUSED_FOR_MESSAGES,
    caller,
    chat,
    list_response,
    write_params,
)
from hindsight.api.forms import Params
from hindsight.api.routes import Routes
from hindsight.chat.service import MessageChanges, message_order
from hindsight.domain.chat import ORDERS
from hindsight.domain.sids import Prefix

router = Routes()
BASE = "/v1/Conversations/{conversation}/Messages"
_UPDATABLE = ("Author", "Body", "DateCreated", "DateUpdated", "Attributes")


def _changes(params: Params) -> MessageChanges:
    return MessageChanges(
        author=params.text("Author"),
        body=params.text("Body"),
        attributes=params.text("Attributes"),
        media_sid=params.sid("MediaSid", Prefix.MEDIA),
        date_created=params.date("DateCreated"),
        date_updated=params.date("DateUpdated"),
    )


@router.post(BASE)
async def create(request: Request, conversation: str) -> Response:
    params = await write_params(request, (*_UPDATABLE, "MediaSid"), REFUSED_FOR_MESSAGES)
    row = await chat(request).create_message(caller(request), conversation, _changes(params))
    return wire.json_response(render.message(wire.base_url(request), row), 201)


@router.get(BASE)
async def list_(request: Request, conversation: str) -> Response:
    params = wire.query_params(request, ("Order", *paging.PAGING_PARAMS))
    order = params.choice("Order", ORDERS)
    order = order if isinstance(order, str) else "asc"
    keys = message_order(order)
    page = paging.parse(params, keys, order, max_size=MAX_PAGE_SIZE)
    result = await chat(request).list_messages(caller(request), conversation, order, page.request)
    base = wire.base_url(request)
    return list_response(request, "messages", result, keys, page, lambda r: render.message(base, r))


@router.get(BASE + "/{sid}")
async def fetch(request: Request, conversation: str, sid: str) -> Response:
    wire.query_params(request, ())
    row = await chat(request).fetch_message(caller(request), conversation, sid)
    return wire.json_response(render.message(wire.base_url(request), row))


@router.post(BASE + "/{sid}")
async def update(request: Request, conversation: str, sid: str) -> Response:
    params = await write_params(request, _UPDATABLE, {"Subject": REFUSED_FOR_MESSAGES["Subject"]})
    row = await chat(request).update_message(caller(request), conversation, sid, _changes(params))
    return wire.json_response(render.message(wire.base_url(request), row))


@router.delete(BASE + "/{sid}")
async def delete(request: Request, conversation: str, sid: str) -> Response:
    await write_params(request, ())
    await chat(request).delete_message(caller(request), conversation, sid)
    return wire.no_content()
