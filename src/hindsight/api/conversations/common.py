"""What the Conversations route modules share: the service, headers, refused parameters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from starlette.requests import Request

from hindsight.api import kit, wire
from hindsight.api.forms import Params
from hindsight.api.taskrouter.common import caller, list_response
from hindsight.chat.service import ChatService
from hindsight.domain.chat import ChatError
from hindsight.domain.unset import Unset

# Twilio's Conversations lists allow at most 100 items per page.
MAX_PAGE_SIZE = 100
WEBHOOK_HEADER = "x-twilio-webhook-enabled"
NULL = "null"

# Parameters of Twilio's spec that Hindsight refuses, and why (so none is silently dropped).
TIMERS = "Hindsight runs no conversation timers; set State instead"
EMAIL = "Hindsight holds no e-mail channel"
REFUSED_FOR_CONVERSATIONS: Mapping[str, str] = {
    "Timers.Inactive": TIMERS,
    "Timers.Closed": TIMERS,
    "Bindings.Email.Address": EMAIL,
    "Bindings.Email.Name": EMAIL,
}
CONTENT = "Hindsight renders no Content templates; send the text in Body"
REFUSED_FOR_MESSAGES: Mapping[str, str] = {
    "ContentSid": CONTENT,
    "ContentVariables": CONTENT,
    "Subject": "Subject belongs to e-mail conversations, which Hindsight does not hold",
}


def chat(request: Request) -> ChatService:
    return kit.services(request).chat


def check_webhook_header(request: Request) -> None:
    """X-Twilio-Webhook-Enabled is accepted (`true` or `false`); Hindsight sends no
    Conversations webhooks either way."""
    value = request.headers.get(WEBHOOK_HEADER)
    if value is not None and value not in ("true", "false"):
        raise ChatError(f"X-Twilio-Webhook-Enabled must be true or false, got {value!r}")


async def write_params(
    request: Request, allowed: Iterable[str], refused: Mapping[str, str] | None = None
) -> Params:
    """The form body of a write, after the webhook header; a refused parameter is a 400."""
    check_webhook_header(request)
    refused = refused or {}
    params = await wire.body_params(request, (*allowed, *refused))
    for name, reason in refused.items():
        if name in params:
            raise ChatError(f"{name} is not supported: {reason}")
    return params


def nullable_text(params: Params, name: str) -> str | Unset | None:
    """A text parameter where Twilio's `null` removes the value."""
    value = params.text(name)
    if isinstance(value, str) and value == NULL:
        return None
    return value


def nullable_integer(params: Params, name: str) -> int | Unset | None:
    value = params.text(name)
    if isinstance(value, str) and value.strip() in ("", NULL):
        return None
    return params.integer(name, minimum=0)


def nullable_date(params: Params, name: str) -> int | Unset | None:
    value = params.text(name)
    if isinstance(value, str) and value.strip() in ("", NULL):
        return None
    return params.date(name)


__all__ = [
    "MAX_PAGE_SIZE",
    "REFUSED_FOR_CONVERSATIONS",
    "REFUSED_FOR_MESSAGES",
    "caller",
    "chat",
    "check_webhook_header",
    "list_response",
    "nullable_date",
    "nullable_integer",
    "nullable_text",
    "write_params",
]
