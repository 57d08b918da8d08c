"""A conversation's transcript as the reporting side reads it: who spoke, in order.

Built from stored rows by `build_transcript` (pure); roles follow the rule documented in
`hindsight.domain.chat`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from hindsight.domain import chat as rules
from hindsight.domain.timefmt import iso8601
from hindsight.store.chat import ChatConversation, ChatMessage, ChatParticipant


@dataclass(frozen=True)
class TranscriptParticipant:
    sid: str
    role: str  # "customer", "agent" or "system"
    identity: str | None
    address: str | None  # messaging_binding.address (SMS / WhatsApp participants)
    proxy_address: str | None
    attributes: dict[str, Any]
    date_created_ms: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "role": self.role,
            "identity": self.identity,
            "address": self.address,
            "proxy_address": self.proxy_address,
            "attributes": self.attributes,
            "date_created": iso8601(self.date_created_ms),
        }


@dataclass(frozen=True)
class TranscriptMessage:
    sid: str
    index: int
    author: str
    role: str  # "customer", "agent" or "system"
    participant_sid: str | None
    body: str | None
    media_sids: tuple[str, ...]
    attributes: dict[str, Any]
    timestamp_ms: int  # the message's date_created
    date_updated_ms: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "index": self.index,
            "author": self.author,
            "role": self.role,
            "participant_sid": self.participant_sid,
            "body": self.body,
            "media_sids": list(self.media_sids),
            "attributes": self.attributes,
            "timestamp": iso8601(self.timestamp_ms),
            "timestamp_ms": self.timestamp_ms,
            "date_updated": iso8601(self.date_updated_ms),
        }


@dataclass(frozen=True)
class Transcript:
    """One conversation: its participants (in the order they joined) and its messages (in
    index order, which is the order they were added)."""

    account_sid: str
    conversation_sid: str
    unique_name: str | None
    friendly_name: str | None
    state: str
    attributes: dict[str, Any]
    date_created_ms: int
    date_updated_ms: int
    participants: tuple[TranscriptParticipant, ...]
    messages: tuple[TranscriptMessage, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with ISO 8601 dates (message timestamps also in epoch milliseconds)."""
        return {
            "account_sid": self.account_sid,
            "conversation_sid": self.conversation_sid,
            "unique_name": self.unique_name,
            "friendly_name": self.friendly_name,
            "state": self.state,
            "attributes": self.attributes,
            "date_created": iso8601(self.date_created_ms),
            "date_updated": iso8601(self.date_updated_ms),
            "participants": [p.as_dict() for p in self.participants],
            "messages": [m.as_dict() for m in self.messages],
        }


def _object(text: str | None) -> dict[str, Any]:
    # Stored attributes were checked to be JSON objects when written.
    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {}


def names_to_identify(
    participants: Sequence[ChatParticipant], messages: Sequence[ChatMessage]
) -> set[str]:
    """Identities, addresses and authors that may name a worker of the account."""
    names = {p.identity for p in participants if p.identity}
    names |= {m.author for m in messages if m.author != rules.DEFAULT_AUTHOR}
    return names


def build_transcript(
    conversation: ChatConversation,
    participants: Sequence[ChatParticipant],
    messages: Sequence[ChatMessage],
    agent_names: Collection[str],
) -> Transcript:
    """The transcript of stored rows; `agent_names` are the names workers go by."""
    people = []
    for row in participants:
        attributes = _object(row.attributes)
        role = rules.participant_role(attributes, row.identity, row.address, agent_names)
        people.append(
            TranscriptParticipant(
                sid=row.sid,
                role=role,
                identity=row.identity,
                address=row.address,
                proxy_address=row.proxy_address,
                attributes=attributes,
                date_created_ms=row.date_created,
            )
        )
    role_of_sid = {p.sid: p.role for p in people}
    roles_by_name: dict[str, str] = {}
    for person in people:
        for name in (person.identity, person.address):
            if name:
                roles_by_name.setdefault(name, person.role)
    lines = []
    for message in messages:
        attributes = _object(message.attributes)
        role = rules.message_role(
            attributes,
            message.author,
            role_of_sid.get(message.participant_sid) if message.participant_sid else None,
            roles_by_name,
            agent_names,
        )
        lines.append(
            TranscriptMessage(
                sid=message.sid,
                index=message.message_index,
                author=message.author,
                role=role,
                participant_sid=message.participant_sid,
                body=message.body,
                media_sids=tuple(json.loads(message.media)) if message.media else (),
                attributes=attributes,
                timestamp_ms=message.date_created,
                date_updated_ms=message.date_updated,
            )
        )
    return Transcript(
        account_sid=conversation.account_sid,
        conversation_sid=conversation.sid,
        unique_name=conversation.unique_name,
        friendly_name=conversation.friendly_name,
        state=conversation.state,
        attributes=_object(conversation.attributes),
        date_created_ms=conversation.date_created,
        date_updated_ms=conversation.date_updated,
        participants=tuple(people),
        messages=tuple(lines),
    )
