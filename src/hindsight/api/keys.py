"""API keys, at Twilio's address: /2010-04-01/Accounts/{AC}/Keys.json (RFC 2822 dates).

Only the account's Auth Token may manage keys; the secret is shown once, at creation.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import kit, wire
from hindsight.api.forms import or_none
from hindsight.api.routes import Routes
from hindsight.auth.accounts import ApiKeyRecord
from hindsight.domain.errors import InvalidParameter, NotFound
from hindsight.domain.sids import Prefix, is_sid
from hindsight.domain.timefmt import rfc2822

router = Routes()
BASE = "/2010-04-01/Accounts/{account}/Keys"


def _account(request: Request, account: str) -> str:
    principal = wire.principal(request)
    if account != principal.account_sid:
        # Another account's keys do not exist as far as this caller can tell.
        raise NotFound(f"The requested resource /Accounts/{account}/Keys was not found")
    return account


def _key_sid(sid: str) -> str:
    sid = sid.removesuffix(".json")
    if not is_sid(sid, Prefix.API_KEY):
        raise NotFound(f"The requested resource /Keys/{sid} was not found")
    return sid


def _render(row: ApiKeyRecord, secret: str | None = None) -> dict[str, Any]:
    body = {
        "sid": row.sid,
        "friendly_name": row.friendly_name,
        "date_created": rfc2822(row.date_created),
        "date_updated": rfc2822(row.date_updated),
    }
    if secret is not None:
        body["secret"] = secret
    return body


@router.post(BASE + ".json")
async def create(request: Request, account: str) -> Response:
    _account(request, account)
    params = await wire.body_params(request, ("FriendlyName", "KeyType", "Policy"))
    if or_none(params.text("KeyType")) not in (None, "standard") or "Policy" in params:
        raise InvalidParameter("Only standard API keys are supported: omit KeyType and Policy")
    issued = await kit.services(request).accounts.create_api_key(
        wire.principal(request), or_none(params.text("FriendlyName"))
    )
    return wire.json_response(_render(issued.row, issued.secret), 201)


@router.get(BASE + ".json")
async def list_(request: Request, account: str) -> Response:
    _account(request, account)
    rows = await kit.services(request).accounts.list_api_keys(wire.principal(request))
    uri = f"/2010-04-01/Accounts/{account}/Keys.json"
    return wire.json_response(
        {
            "keys": [_render(r) for r in rows],
            "first_page_uri": f"{uri}?PageSize=50&Page=0",
            "end": max(0, len(rows) - 1),
            "previous_page_uri": None,
            "uri": f"{uri}?PageSize=50&Page=0",
            "page_size": 50,
            "start": 0,
            "next_page_uri": None,
            "page": 0,
        }
    )


@router.get(BASE + "/{sid}")
async def fetch(request: Request, account: str, sid: str) -> Response:
    _account(request, account)
    row = await kit.services(request).accounts.fetch_api_key(wire.principal(request), _key_sid(sid))
    return wire.json_response(_render(row))


@router.post(BASE + "/{sid}")
async def update(request: Request, account: str, sid: str) -> Response:
    _account(request, account)
    params = await wire.body_params(request, ("FriendlyName",))
    row = await kit.services(request).accounts.rename_api_key(
        wire.principal(request), _key_sid(sid), params.required("FriendlyName")
    )
    return wire.json_response(_render(row))


@router.delete(BASE + "/{sid}")
async def delete(request: Request, account: str, sid: str) -> Response:
    _account(request, account)
    await kit.services(request).accounts.delete_api_key(wire.principal(request), _key_sid(sid))
    return wire.no_content()
