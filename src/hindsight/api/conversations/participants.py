"""/v1/Conversations/{ConversationSid}/Participants[/{Sid}] (a SID, or the identity)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.conversations import render
from hindsight.api.conversations.common import (
    MAX_PAGE_SIZE,
    caller,
    chat,
    list_response,
    nullable_date,
    nullable_integer,
    nullable_text,
    write_params,
)
from hindsight.api.forms import Params
from hindsight.api.routes import Routes
from hindsight.chat.service import PARTICIPANT_ORDER, ParticipantChanges
from hindsight.domain.sids import Prefix

router = Routes()
BASE = "/v1/Conversations/{conversation}/Participants"
_COMMON = (
    "Identity",
    "MessagingBinding.ProxyAddress",
    "MessagingBinding.ProjectedAddress",
    "DateCreated",
    "DateUpdated",
    "Attributes",
    "RoleSid",
)
_CREATE = (*_COMMON, "MessagingBinding.Address")
_UPDATE = (*_COMMON, "LastReadMessageIndex", "LastReadTimestamp")


def _changes(params: Params) -> ParticipantChanges:
    return ParticipantChanges(
        identity=params.text("Identity"),
        address=params.text("MessagingBinding.Address"),
        proxy_address=nullable_text(params, "MessagingBinding.ProxyAddress"),
        projected_address=nullable_text(params, "MessagingBinding.ProjectedAddress"),
        attributes=params.text("Attributes"),
        role_sid=params.sid("RoleSid", Prefix.ROLE),
        last_read_message_index=nullable_integer(params, "LastReadMessageIndex"),
        last_read_timestamp=nullable_date(params, "LastReadTimestamp"),
        date_created=params.date("DateCreated"),
        date_updated=params.date("DateUpdated"),
    )


@router.post(BASE)
async def create(request: Request, conversation: str) -> Response:
    params = await write_params(request, _CREATE)
    row = await chat(request).create_participant(caller(request), conversation, _changes(params))
    return wire.json_response(render.participant(wire.base_url(request), row), 201)


@router.get(BASE)
async def list_(request: Request, conversation: str) -> Response:
    params = wire.query_params(request, paging.PAGING_PARAMS)
    page = paging.parse(params, PARTICIPANT_ORDER, max_size=MAX_PAGE_SIZE)
    result = await chat(request).list_participants(caller(request), conversation, page.request)
    base = wire.base_url(request)
    return list_response(
        request,
        "participants",
        result,
        PARTICIPANT_ORDER,
        page,
        lambda r: render.participant(base, r),
    )


@router.get(BASE + "/{sid}")
async def fetch(request: Request, conversation: str, sid: str) -> Response:
    wire.query_params(request, ())
    row = await chat(request).fetch_participant(caller(request), conversation, sid)
    return wire.json_response(render.participant(wire.base_url(request), row))


@router.post(BASE + "/{sid}")
async def update(request: Request, conversation: str, sid: str) -> Response:
    params = await write_params(request, _UPDATE)
    row = await chat(request).update_participant(
        caller(request), conversation, sid, _changes(params)
    )
    return wire.json_response(render.participant(wire.base_url(request), row))


@router.delete(BASE + "/{sid}")
async def delete(request: Request, conversation: str, sid: str) -> Response:
    await write_params(request, ())
    await chat(request).delete_participant(caller(request), conversation, sid)
    return wire.no_content()
