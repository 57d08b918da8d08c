"""Chat transcripts held by Hindsight: the rules of Twilio's Conversations resources.

A conversation (CH…) holds an ordered list of messages (IM…) and a roster of participants
(MB…). This module checks what a client may write (names, attributes, bodies, addresses,
dates), with Twilio's error codes, and decides who spoke in a transcript: the **role** rule.

Role rule (documented for the Insights transcript view)
-------------------------------------------------------
A participant is

1. what its attributes declare: `"role"` or `"member_type"` (Flex writes `member_type`) with
   one of the words in `ROLE_WORDS` (`agent`, `worker`, `supervisor` → agent; `customer`,
   `guest`, `contact`, `end_user` → customer; `system`, `bot` → system);
2. else a **customer** when it has a messaging binding (an SMS / WhatsApp address: the outside
   party of a messaging conversation);
3. else an **agent** when its identity names a worker of the account (see `worker_names`);
4. else a **customer** (a chat SDK user who is not a worker, such as a web-chat guest).

A message is

1. what its own attributes declare (same keys and words), which lets an importer say it;
2. else its participant's role (the participant it was linked to by `participant_sid`);
3. else **system** when its author is `system` (Twilio's default author);
4. else the role of the participant whose identity or address is the author;
5. else **agent** when the author names a worker;
6. else **system**: a message posted under a name that is neither a participant nor a worker
   came from an integration (a bot, a Studio flow, an importer).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Final

from hindsight.domain.attributes import parse_attributes
from hindsight.domain.errors import Conflict, InvalidParameter
from hindsight.domain.sids import Prefix, is_sid

CUSTOMER: Final = "customer"
AGENT: Final = "agent"
SYSTEM: Final = "system"
ROLES = (CUSTOMER, AGENT, SYSTEM)
ROLE_KEYS = ("role", "member_type")
ROLE_WORDS: Mapping[str, str] = {
    "agent": AGENT,
    "worker": AGENT,
    "supervisor": AGENT,
    "customer": CUSTOMER,
    "guest": CUSTOMER,
    "contact": CUSTOMER,
    "end_user": CUSTOMER,
    "end-user": CUSTOMER,
    "system": SYSTEM,
    "bot": SYSTEM,
}

STATES = ("initializing", "inactive", "active", "closed")
DEFAULT_STATE = "active"
DEFAULT_AUTHOR = "system"
ORDERS = ("asc", "desc")

MAX_FRIENDLY_NAME = 256
MAX_UNIQUE_NAME = 256
MAX_AUTHOR = 256
MAX_IDENTITY = 256
MAX_ADDRESS = 256
# Programmable Chat's and Conversations' limit on a message body (Twilio error 50504).
MAX_BODY_BYTES = 32 * 1024
# Dates a client may set (an importer of old transcripts): from the epoch to the year 9999,
# the range Twilio's ISO 8601 dates print in.
EARLIEST_MS = 0
LATEST_MS = 253_402_300_799_999

# Address prefixes Twilio uses for non-SMS messaging channels; anything else is SMS.
_CHANNEL_PREFIXES = ("whatsapp", "messenger", "gbm", "rcs")


class ChatError(InvalidParameter):
    """A 400 with one of Twilio's Conversations / Programmable Chat error codes."""

    def __init__(self, message: str, code: int = 20001) -> None:
        super().__init__(message)
        self.code = code


class ChatConflict(Conflict):
    """A 409: a unique name, identity or binding already taken in its scope."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def check_attributes(raw: str, *, limit_bytes: int, parameter: str = "Attributes") -> str:
    """The attributes as given (Twilio returns them verbatim), once known to be a JSON object
    within the size limit."""
    size = len(raw.encode("utf-8"))
    if size > limit_bytes:
        raise ChatError(
            f"{parameter} is {size} bytes; the limit is {limit_bytes} bytes "
            "(setting HINDSIGHT_MAX_ATTRIBUTES_BYTES)",
            50303,
        )
    try:
        parse_attributes(raw, limit_bytes=limit_bytes, parameter=parameter)
    except InvalidParameter as exc:
        raise ChatError(exc.message, 50304) from None
    return raw


def _bounded(value: str, parameter: str, limit: int, code: int) -> str:
    if len(value) > limit:
        raise ChatError(f"{parameter} can be at most {limit} characters long", code)
    return value


def check_friendly_name(value: str) -> str | None:
    """A conversation's friendly name; empty clears it."""
    return _bounded(value, "FriendlyName", MAX_FRIENDLY_NAME, 50003) or None


def check_unique_name(value: str) -> str | None:
    """A conversation's unique name (addressable in place of the SID); empty clears it."""
    if value == "":
        return None
    _bounded(value, "UniqueName", MAX_UNIQUE_NAME, 50004)
    if not value.strip():
        raise ChatError("UniqueName must not be blank")
    if "/" in value:
        raise ChatError("UniqueName must not contain '/': it is used in place of the SID in URLs")
    if is_sid(value):
        # A SID-shaped name would be read as a SID when it addresses the conversation.
        raise ChatError(f"UniqueName must not have the form of a SID, got {value!r}")
    return value


def check_author(value: str) -> str:
    if not value:
        raise ChatError("Author must not be empty")
    return _bounded(value, "Author", MAX_AUTHOR, 50310)


def check_identity(value: str) -> str:
    if not value.strip():
        raise ChatError("Identity must not be blank")
    if is_sid(value, Prefix.PARTICIPANT):
        # A participant is addressed by SID or identity: an MB… identity would be ambiguous.
        raise ChatError(f"Identity must not have the form of a participant SID, got {value!r}")
    return _bounded(value, "Identity", MAX_IDENTITY, 50207)


def check_address(value: str, parameter: str) -> str:
    if not value.strip():
        raise ChatError(f"{parameter} must not be blank")
    return _bounded(value, parameter, MAX_ADDRESS, 20001)


def check_body(body: str | None, media_sids: Collection[str]) -> str | None:
    """A message needs a body or media (Twilio 50503); a body is at most 32 KiB (50504)."""
    if not body and not media_sids:
        raise ChatError("Message body not provided: give Body, or MediaSid", 50503)
    if body and len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise ChatError(
            f"Message body parameter is too long: {len(body.encode('utf-8'))} bytes; "
            f"the limit is {MAX_BODY_BYTES} bytes",
            50504,
        )
    return body or None


def check_date(epoch_ms: int, parameter: str) -> int:
    if not EARLIEST_MS <= epoch_ms <= LATEST_MS:
        raise ChatError(f"{parameter} must fall between 1970-01-01 and 9999-12-31")
    return epoch_ms


def check_state_change(current: str, wanted: str) -> str:
    if current == "closed" and wanted != "closed":
        raise ChatError("A closed conversation cannot be reopened (State is final once closed)")
    return wanted


def check_binding(
    identity: str | None,
    address: str | None,
    proxy_address: str | None,
    projected_address: str | None,
) -> None:
    """A participant is either a chat participant (Identity, optionally a projected address
    for group MMS) or a messaging one (an address and the proxy address it talks to)."""
    if identity is None and address is None:
        raise ChatError(
            "Give Identity (a chat participant) or MessagingBinding.Address "
            "(an SMS or WhatsApp participant)"
        )
    if identity is not None and address is not None:
        raise ChatError(
            "Give Identity or MessagingBinding.Address, not both: a participant is either a "
            "chat participant or a messaging one"
        )
    if address is not None and proxy_address is None:
        raise ChatError("MessagingBinding.ProxyAddress is required with MessagingBinding.Address")
    if address is None and proxy_address is not None:
        raise ChatError(
            "MessagingBinding.ProxyAddress applies only to a participant with "
            "MessagingBinding.Address"
        )
    if projected_address is not None and identity is None:
        raise ChatError(
            "MessagingBinding.ProjectedAddress applies only to a chat participant (with Identity)"
        )


def binding_type(address: str) -> str:
    """The channel of a messaging address: `whatsapp:+1…` is WhatsApp, a bare number SMS."""
    prefix, sep, _rest = address.partition(":")
    if sep and prefix.lower() in _CHANNEL_PREFIXES:
        return prefix.lower()
    return "sms"


def is_storable(value: str) -> bool:
    """Whether a name from a URL path can be looked up at all (PostgreSQL text holds no NUL)."""
    return "\x00" not in value


def is_conversation_sid(value: str) -> bool:
    """Whether a path segment names a conversation by SID (otherwise: by unique name)."""
    return is_sid(value, Prefix.CONVERSATION)


# --- roles ----------------------------------------------------------------------------------


def declared_role(attributes: Mapping[str, Any]) -> str | None:
    """The role attributes declare with `role` or `member_type`, if a known word."""
    for key in ROLE_KEYS:
        value = attributes.get(key)
        if isinstance(value, str):
            role = ROLE_WORDS.get(value.strip().lower())
            if role is not None:
                return role
    return None


def worker_names(sid: str, friendly_name: str, attributes: Mapping[str, Any]) -> set[str]:
    """The names under which a worker may appear in a chat: its SID, its friendly name, its
    `contact_uri` (with and without Flex's `client:` prefix) and its `email`."""
    names = {sid, friendly_name}
    contact = attributes.get("contact_uri")
    if isinstance(contact, str) and contact:
        names.add(contact)
        if contact.startswith("client:"):
            names.add(contact[len("client:") :])
    email = attributes.get("email")
    if isinstance(email, str) and email:
        names.add(email)
    return {n for n in names if n}


def participant_role(
    attributes: Mapping[str, Any],
    identity: str | None,
    address: str | None,
    agent_names: Collection[str],
) -> str:
    """Who a participant is in a transcript (see the module docstring)."""
    declared = declared_role(attributes)
    if declared is not None:
        return declared
    if address:
        return CUSTOMER
    if identity is not None and identity in agent_names:
        return AGENT
    return CUSTOMER


def message_role(
    attributes: Mapping[str, Any],
    author: str,
    participant: str | None,
    roles_by_name: Mapping[str, str],
    agent_names: Collection[str],
) -> str:
    """Who wrote a message: `participant` is the role of its linked participant, if any;
    `roles_by_name` maps participants' identities and addresses to their roles."""
    declared = declared_role(attributes)
    if declared is not None:
        return declared
    if participant is not None:
        return participant
    if author == DEFAULT_AUTHOR:
        return SYSTEM
    if author in roles_by_name:
        return roles_by_name[author]
    if author in agent_names:
        return AGENT
    return SYSTEM
