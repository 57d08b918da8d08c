"""Conversations resources as JSON, with Twilio's field names, dates, `url` and `links`."""

from __future__ import annotations

import json
from typing import Any

from hindsight.chat.service import ChatConversation, ChatMessage, ChatParticipant
from hindsight.domain.chat import binding_type
from hindsight.domain.timefmt import iso8601


def conversation_url(base: str, sid: str) -> str:
    return f"{base}/v1/Conversations/{sid}"


def conversation(base: str, r: ChatConversation) -> dict[str, Any]:
    url = conversation_url(base, r.sid)
    return {
        "account_sid": r.account_sid,
        # Hindsight has no Conversations Services: every conversation is the account's own.
        "chat_service_sid": None,
        "messaging_service_sid": r.messaging_service_sid,
        "sid": r.sid,
        "friendly_name": r.friendly_name,
        "unique_name": r.unique_name,
        "attributes": r.attributes,
        "state": r.state,
        "date_created": iso8601(r.date_created),
        "date_updated": iso8601(r.date_updated),
        # No timers run here (Timers.* are refused), and no e-mail bindings are held.
        "timers": {},
        "bindings": {},
        "url": url,
        # Only the sub-resources Hindsight serves (no Webhooks, no Export).
        "links": {"participants": f"{url}/Participants", "messages": f"{url}/Messages"},
    }


def message(base: str, r: ChatMessage) -> dict[str, Any]:
    media = json.loads(r.media) if r.media else None
    return {
        "account_sid": r.account_sid,
        "conversation_sid": r.conversation_sid,
        "sid": r.sid,
        "index": r.message_index,
        "author": r.author,
        "body": r.body,
        # References only: Hindsight keeps the MediaSid it was given, not the file.
        "media": [{"sid": sid} for sid in media] if media else None,
        "attributes": r.attributes,
        "participant_sid": r.participant_sid,
        "date_created": iso8601(r.date_created),
        "date_updated": iso8601(r.date_updated),
        "url": f"{conversation_url(base, r.conversation_sid)}/Messages/{r.sid}",
        # Nothing is delivered from here: no receipts, no channel metadata.
        "delivery": None,
        "links": {},
        "content_sid": None,
    }


def messaging_binding(r: ChatParticipant) -> dict[str, Any] | None:
    if r.address is not None:
        return {
            "type": binding_type(r.address),
            "address": r.address,
            "proxy_address": r.proxy_address,
        }
    if r.projected_address is not None:
        return {"type": "sms", "projected_address": r.projected_address}
    return None


def participant(base: str, r: ChatParticipant) -> dict[str, Any]:
    return {
        "account_sid": r.account_sid,
        "conversation_sid": r.conversation_sid,
        "sid": r.sid,
        "identity": r.identity,
        "attributes": r.attributes,
        "messaging_binding": messaging_binding(r),
        "role_sid": r.role_sid,
        "date_created": iso8601(r.date_created),
        "date_updated": iso8601(r.date_updated),
        "url": f"{conversation_url(base, r.conversation_sid)}/Participants/{r.sid}",
        "last_read_message_index": r.last_read_message_index,
        "last_read_timestamp": iso8601(r.last_read_timestamp),
    }
