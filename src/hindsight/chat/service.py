"""Chat transcripts: the use cases behind Twilio's Conversations API, and `transcript()`.

Everything is scoped to the caller's account: another account's conversation, message or
participant is reported exactly as one that does not exist (404).

What Hindsight does with each Conversations parameter (never silently ignored):

* stored and returned: FriendlyName, UniqueName (addresses the conversation in URLs too),
  Attributes, State, MessagingServiceSid, DateCreated/DateUpdated (an importer of old
  transcripts sets them); Author, Body, MediaSid (kept as a reference: Hindsight does not
  hold media files); Identity, MessagingBinding.*, RoleSid (recorded, not enforced),
  LastReadMessageIndex, LastReadTimestamp;
* refused with a 400 naming the parameter: Timers.* (Hindsight runs no conversation timers),
  Bindings.Email.* and Subject (no e-mail channel), ContentSid / ContentVariables (no Content
  templates are rendered here);
* X-Twilio-Webhook-Enabled is accepted; Hindsight sends no Conversations webhooks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from hindsight.chat.transcript import Transcript, build_transcript, names_to_identify
from hindsight.domain import chat as rules
from hindsight.domain.errors import NotFound
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.sids import Prefix, is_sid, new_sid
from hindsight.domain.unset import UNSET, Changes, Unset
from hindsight.search import indexing
from hindsight.service_base import Caller, Deps
from hindsight.store import chat as store
from hindsight.store import workers as worker_store
from hindsight.store.chat import ChatConversation, ChatMessage, ChatParticipant
from hindsight.store.keyset import SortKey, fetch_page
from hindsight.store.records import written

T = TypeVar("T")

CONVERSATION_ORDER = store.CONVERSATION_ORDER
CONVERSATION_ORDER_NEWEST = store.CONVERSATION_ORDER_NEWEST
PARTICIPANT_ORDER = store.PARTICIPANT_ORDER


def conversation_order(filtered_by_date: bool) -> tuple[SortKey, ...]:
    """Oldest first; newest first when the list is filtered by creation date (as Twilio)."""
    return CONVERSATION_ORDER_NEWEST if filtered_by_date else CONVERSATION_ORDER


def message_order(order: str) -> tuple[SortKey, ...]:
    """Messages in index order, `asc` (Twilio's default) or `desc`."""
    return store.MESSAGE_ORDER_DESC if order == "desc" else store.MESSAGE_ORDER


@dataclass
class ConversationChanges(Changes):
    friendly_name: str | Unset = UNSET
    unique_name: str | Unset = UNSET
    attributes: str | Unset = UNSET
    state: str | Unset = UNSET
    messaging_service_sid: str | Unset = UNSET
    date_created: int | Unset = UNSET
    date_updated: int | Unset = UNSET


@dataclass
class MessageChanges(Changes):
    author: str | Unset = UNSET
    body: str | Unset = UNSET
    attributes: str | Unset = UNSET
    media_sid: str | Unset = UNSET
    date_created: int | Unset = UNSET
    date_updated: int | Unset = UNSET


@dataclass
class ParticipantChanges(Changes):
    identity: str | Unset = UNSET
    address: str | Unset = UNSET
    # None removes it (Twilio's 'null').
    proxy_address: str | Unset | None = UNSET
    projected_address: str | Unset | None = UNSET
    attributes: str | Unset = UNSET
    role_sid: str | Unset = UNSET
    last_read_message_index: int | Unset | None = UNSET
    last_read_timestamp: int | Unset | None = UNSET
    date_created: int | Unset = UNSET
    date_updated: int | Unset = UNSET


def _not_found(path: str) -> NotFound:
    return NotFound(f"The requested resource {path} was not found")


def _conversation_path(ref: str) -> str:
    return f"/Conversations/{ref}"


def _conversation_or_404(
    conn: Connection, account_sid: str, ref: str, *, lock: bool = False
) -> ChatConversation:
    """A conversation of the account named by SID or by unique name; `lock` for writes."""
    if not rules.is_storable(ref):
        raise _not_found(_conversation_path(ref.replace("\x00", "")))
    if rules.is_conversation_sid(ref):
        row = store.get_conversation(conn, account_sid, ref, lock=lock)
    else:
        row = store.get_conversation_by_unique_name(conn, account_sid, ref, lock=lock)
    if row is None:
        raise _not_found(_conversation_path(ref))
    return row


def _dates(changes: Changes, now: int) -> tuple[int, int]:
    """date_created and date_updated of a new resource: as given, else now (an imported
    resource given only DateCreated was last updated then)."""
    created = getattr(changes, "date_created", UNSET)
    updated = getattr(changes, "date_updated", UNSET)
    created_ms = rules.check_date(created, "DateCreated") if isinstance(created, int) else now
    if isinstance(updated, int):
        return created_ms, rules.check_date(updated, "DateUpdated")
    return created_ms, created_ms


def _describe_conflict(exc: IntegrityError) -> rules.ChatConflict | None:
    text = str(exc.orig).lower()
    if "unique" not in text and "duplicate" not in text:
        return None
    if "unique_name" in text:
        return rules.ChatConflict("Conversation with provided unique name already exists", 50353)
    if "identity" in text:
        return rules.ChatConflict("Participant already exists", 50433)
    if "address" in text:
        return rules.ChatConflict(
            "A binding for this participant and proxy address already exists", 50416
        )
    return None


class ChatService:
    def __init__(self, deps: Deps) -> None:
        self._db = deps.db
        self._clock = deps.clock
        self._limits = deps.limits

    async def _write(self, fn: Callable[[Connection], T]) -> T:
        try:
            return await self._db.write(fn)
        except IntegrityError as exc:
            # The explicit checks catch duplicates first; this catches two concurrent writes.
            conflict = _describe_conflict(exc)
            if conflict is None:
                raise
            raise conflict from None

    def _attributes(self, raw: str) -> str:
        return rules.check_attributes(raw, limit_bytes=self._limits.max_attributes_bytes)

    # --- conversations -------------------------------------------------------------------------

    def _conversation_values(self, changes: ConversationChanges) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if isinstance(changes.friendly_name, str):
            values["friendly_name"] = rules.check_friendly_name(changes.friendly_name)
        if isinstance(changes.unique_name, str):
            values["unique_name"] = rules.check_unique_name(changes.unique_name)
        if isinstance(changes.attributes, str):
            values["attributes"] = self._attributes(changes.attributes)
        if isinstance(changes.messaging_service_sid, str):
            values["messaging_service_sid"] = changes.messaging_service_sid
        return values

    @staticmethod
    def _unique_name_free(
        conn: Connection, account_sid: str, name: str | None, own_sid: str | None = None
    ) -> None:
        if name is None:
            return
        existing = store.get_conversation_by_unique_name(conn, account_sid, name)
        if existing is not None and existing.sid != own_sid:
            raise rules.ChatConflict("Conversation with provided unique name already exists", 50353)

    async def create_conversation(
        self, caller: Caller, changes: ConversationChanges
    ) -> ChatConversation:
        values = self._conversation_values(changes)
        now = self._clock.now_ms()
        created, updated = _dates(changes, now)
        state = changes.state if isinstance(changes.state, str) else rules.DEFAULT_STATE
        sid = new_sid(Prefix.CONVERSATION)
        account = caller.account_sid

        def unit(conn: Connection) -> ChatConversation:
            self._unique_name_free(conn, account, values.get("unique_name"))
            store.insert_conversation(
                conn,
                {
                    "sid": sid,
                    "account_sid": account,
                    "unique_name": None,
                    "friendly_name": None,
                    "attributes": "{}",
                    "messaging_service_sid": None,
                    **values,
                    "state": state,
                    "next_message_index": 0,
                    "date_created": created,
                    "date_updated": updated,
                },
            )
            return written(store.get_conversation(conn, account, sid))

        return await self._write(unit)

    async def fetch_conversation(self, caller: Caller, ref: str) -> ChatConversation:
        return await self._db.read(lambda conn: _conversation_or_404(conn, caller.account_sid, ref))

    async def list_conversations(
        self,
        caller: Caller,
        state: str | None,
        start_ms: int | None,
        end_ms: int | None,
        page: PageRequest,
    ) -> PageResult[ChatConversation]:
        query = store.conversation_list_query(caller.account_sid, state, start_ms, end_ms)
        keys = conversation_order(start_ms is not None or end_ms is not None)
        return await self._db.scan(
            lambda conn: fetch_page(conn, query, keys, page, read=store.read_conversation)
        )

    async def update_conversation(
        self, caller: Caller, ref: str, changes: ConversationChanges
    ) -> ChatConversation:
        given = self._conversation_values(changes)
        now = self._clock.now_ms()
        account = caller.account_sid

        def unit(conn: Connection) -> ChatConversation:
            row = _conversation_or_404(conn, account, ref, lock=True)
            values = dict(given)
            if "unique_name" in values:
                self._unique_name_free(conn, account, values["unique_name"], row.sid)
            if isinstance(changes.state, str):
                values["state"] = rules.check_state_change(row.state, changes.state)
            if isinstance(changes.date_created, int):
                values["date_created"] = rules.check_date(changes.date_created, "DateCreated")
            values["date_updated"] = (
                rules.check_date(changes.date_updated, "DateUpdated")
                if isinstance(changes.date_updated, int)
                else now
            )
            store.update_conversation(conn, row.sid, values)
            return written(store.get_conversation(conn, account, row.sid))

        return await self._write(unit)

    async def delete_conversation(self, caller: Caller, ref: str) -> None:
        def unit(conn: Connection) -> None:
            row = _conversation_or_404(conn, caller.account_sid, ref, lock=True)
            store.delete_conversation(conn, row.sid)
            indexing.transcript_changed(conn, caller.account_sid, row.sid)

        await self._write(unit)

    # --- messages ------------------------------------------------------------------------------

    @staticmethod
    def _message_path(ref: str, sid: str) -> str:
        return f"{_conversation_path(ref)}/Messages/{sid}"

    def _message_or_404(
        self, conn: Connection, conversation: ChatConversation, ref: str, sid: str
    ) -> ChatMessage:
        row = None
        if is_sid(sid, Prefix.MESSAGE):
            row = store.get_message(conn, conversation.sid, sid)
        if row is None:
            raise _not_found(self._message_path(ref, sid))
        return row

    async def create_message(
        self, caller: Caller, ref: str, changes: MessageChanges
    ) -> ChatMessage:
        author = (
            rules.check_author(changes.author)
            if isinstance(changes.author, str)
            else rules.DEFAULT_AUTHOR
        )
        media = [changes.media_sid] if isinstance(changes.media_sid, str) else []
        body = rules.check_body(changes.body if isinstance(changes.body, str) else None, media)
        attributes = (
            self._attributes(changes.attributes) if isinstance(changes.attributes, str) else "{}"
        )
        created, updated = _dates(changes, self._clock.now_ms())
        sid = new_sid(Prefix.MESSAGE)
        account = caller.account_sid

        def unit(conn: Connection) -> ChatMessage:
            conversation = _conversation_or_404(conn, account, ref, lock=True)
            speaker = store.participant_named(conn, conversation.sid, author)
            store.insert_message(
                conn,
                {
                    "sid": sid,
                    "account_sid": account,
                    "conversation_sid": conversation.sid,
                    "message_index": store.take_message_index(conn, conversation.sid),
                    "author": author,
                    "body": body,
                    "media": json.dumps(media) if media else None,
                    "attributes": attributes,
                    "participant_sid": speaker.sid if speaker is not None else None,
                    "date_created": created,
                    "date_updated": updated,
                },
            )
            indexing.message_added(conn, account, conversation.sid, author, body)
            return written(store.get_message(conn, conversation.sid, sid))

        return await self._write(unit)

    async def fetch_message(self, caller: Caller, ref: str, sid: str) -> ChatMessage:
        def unit(conn: Connection) -> ChatMessage:
            conversation = _conversation_or_404(conn, caller.account_sid, ref)
            return self._message_or_404(conn, conversation, ref, sid)

        return await self._db.read(unit)

    async def list_messages(
        self, caller: Caller, ref: str, order: str, page: PageRequest
    ) -> PageResult[ChatMessage]:
        def unit(conn: Connection) -> PageResult[ChatMessage]:
            conversation = _conversation_or_404(conn, caller.account_sid, ref)
            query = store.message_list_query(conversation.sid)
            return fetch_page(conn, query, message_order(order), page, read=store.read_message)

        return await self._db.scan(unit)

    async def update_message(
        self, caller: Caller, ref: str, sid: str, changes: MessageChanges
    ) -> ChatMessage:
        given: dict[str, Any] = {}
        if isinstance(changes.author, str):
            given["author"] = rules.check_author(changes.author)
        if isinstance(changes.attributes, str):
            given["attributes"] = self._attributes(changes.attributes)
        if isinstance(changes.date_created, int):
            given["date_created"] = rules.check_date(changes.date_created, "DateCreated")
        now = self._clock.now_ms()
        given["date_updated"] = (
            rules.check_date(changes.date_updated, "DateUpdated")
            if isinstance(changes.date_updated, int)
            else now
        )

        def unit(conn: Connection) -> ChatMessage:
            conversation = _conversation_or_404(conn, caller.account_sid, ref, lock=True)
            row = self._message_or_404(conn, conversation, ref, sid)
            values = dict(given)
            if isinstance(changes.body, str):
                media = json.loads(row.media) if row.media else []
                values["body"] = rules.check_body(changes.body, media)
            if "author" in values:
                speaker = store.participant_named(conn, conversation.sid, values["author"])
                values["participant_sid"] = speaker.sid if speaker is not None else None
            store.update_message(conn, row.sid, values)
            indexing.transcript_changed(conn, conversation.account_sid, conversation.sid)
            return written(store.get_message(conn, conversation.sid, row.sid))

        return await self._write(unit)

    async def delete_message(self, caller: Caller, ref: str, sid: str) -> None:
        def unit(conn: Connection) -> None:
            conversation = _conversation_or_404(conn, caller.account_sid, ref, lock=True)
            row = self._message_or_404(conn, conversation, ref, sid)
            store.delete_message(conn, row.sid)
            indexing.transcript_changed(conn, caller.account_sid, conversation.sid)

        await self._write(unit)

    # --- participants --------------------------------------------------------------------------

    @staticmethod
    def _participant_or_404(
        conn: Connection, conversation: ChatConversation, ref: str, who: str
    ) -> ChatParticipant:
        """A participant named by SID, or (as Twilio allows) by identity."""
        if not rules.is_storable(who):
            raise _not_found(f"{_conversation_path(ref)}/Participants")
        if is_sid(who, Prefix.PARTICIPANT):
            row = store.get_participant(conn, conversation.sid, who)
        else:
            row = store.get_participant_by_identity(conn, conversation.sid, who)
        if row is None:
            raise _not_found(f"{_conversation_path(ref)}/Participants/{who}")
        return row

    @staticmethod
    def _identity_free(conn: Connection, conversation_sid: str, identity: str) -> None:
        if store.get_participant_by_identity(conn, conversation_sid, identity) is not None:
            raise rules.ChatConflict(
                f"Participant already exists: identity {identity!r} is in this conversation",
                50433,
            )

    @staticmethod
    def _binding_free(conn: Connection, conversation_sid: str, address: str, proxy: str) -> None:
        if store.get_participant_by_binding(conn, conversation_sid, address, proxy) is not None:
            raise rules.ChatConflict(
                "A binding for this participant and proxy address already exists "
                f"in Conversation {conversation_sid}",
                50416,
            )

    def _participant_values(self, changes: ParticipantChanges) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if isinstance(changes.identity, str):
            values["identity"] = rules.check_identity(changes.identity)
        if isinstance(changes.address, str):
            values["address"] = rules.check_address(changes.address, "MessagingBinding.Address")
        for field, parameter in (
            ("proxy_address", "MessagingBinding.ProxyAddress"),
            ("projected_address", "MessagingBinding.ProjectedAddress"),
        ):
            value = getattr(changes, field)
            if isinstance(value, str):
                values[field] = rules.check_address(value, parameter)
            elif value is None:
                values[field] = None
        if isinstance(changes.attributes, str):
            values["attributes"] = self._attributes(changes.attributes)
        if isinstance(changes.role_sid, str):
            values["role_sid"] = changes.role_sid
        if not isinstance(changes.last_read_message_index, Unset):
            values["last_read_message_index"] = changes.last_read_message_index
        if isinstance(changes.last_read_timestamp, int):
            values["last_read_timestamp"] = rules.check_date(
                changes.last_read_timestamp, "LastReadTimestamp"
            )
        elif changes.last_read_timestamp is None:
            values["last_read_timestamp"] = None
        return values

    async def create_participant(
        self, caller: Caller, ref: str, changes: ParticipantChanges
    ) -> ChatParticipant:
        values = self._participant_values(changes)
        identity, address = values.get("identity"), values.get("address")
        proxy, projected = values.get("proxy_address"), values.get("projected_address")
        rules.check_binding(identity, address, proxy, projected)
        created, updated = _dates(changes, self._clock.now_ms())
        sid = new_sid(Prefix.PARTICIPANT)
        account = caller.account_sid

        def unit(conn: Connection) -> ChatParticipant:
            conversation = _conversation_or_404(conn, account, ref, lock=True)
            if identity is not None:
                self._identity_free(conn, conversation.sid, identity)
            if address is not None and proxy is not None:
                self._binding_free(conn, conversation.sid, address, proxy)
            store.insert_participant(
                conn,
                {
                    "sid": sid,
                    "account_sid": account,
                    "conversation_sid": conversation.sid,
                    "identity": identity,
                    "address": address,
                    "proxy_address": proxy,
                    "projected_address": projected,
                    "attributes": values.get("attributes", "{}"),
                    "role_sid": values.get("role_sid"),
                    "last_read_message_index": None,
                    "last_read_timestamp": None,
                    "date_created": created,
                    "date_updated": updated,
                },
            )
            indexing.participant_added(conn, account, conversation.sid, address)
            return written(store.get_participant(conn, conversation.sid, sid))

        return await self._write(unit)

    async def fetch_participant(self, caller: Caller, ref: str, who: str) -> ChatParticipant:
        def unit(conn: Connection) -> ChatParticipant:
            conversation = _conversation_or_404(conn, caller.account_sid, ref)
            return self._participant_or_404(conn, conversation, ref, who)

        return await self._db.read(unit)

    async def list_participants(
        self, caller: Caller, ref: str, page: PageRequest
    ) -> PageResult[ChatParticipant]:
        def unit(conn: Connection) -> PageResult[ChatParticipant]:
            conversation = _conversation_or_404(conn, caller.account_sid, ref)
            query = store.participant_list_query(conversation.sid)
            return fetch_page(conn, query, PARTICIPANT_ORDER, page, read=store.read_participant)

        return await self._db.scan(unit)

    async def update_participant(
        self, caller: Caller, ref: str, who: str, changes: ParticipantChanges
    ) -> ChatParticipant:
        values = self._participant_values(changes)
        now = self._clock.now_ms()
        if isinstance(changes.date_created, int):
            values["date_created"] = rules.check_date(changes.date_created, "DateCreated")
        # Read only, never changed, by the unit below.
        values["date_updated"] = (
            rules.check_date(changes.date_updated, "DateUpdated")
            if isinstance(changes.date_updated, int)
            else now
        )

        def unit(conn: Connection) -> ChatParticipant:
            conversation = _conversation_or_404(conn, caller.account_sid, ref, lock=True)
            row = self._participant_or_404(conn, conversation, ref, who)
            merged = {
                key: values.get(key, getattr(row, key))
                for key in ("identity", "address", "proxy_address", "projected_address")
            }
            rules.check_binding(**merged)
            identity = values.get("identity")
            if identity is not None and identity != row.identity:
                self._identity_free(conn, conversation.sid, identity)
            proxy = values.get("proxy_address")
            if row.address is not None and proxy is not None and proxy != row.proxy_address:
                self._binding_free(conn, conversation.sid, row.address, proxy)
            store.update_participant(conn, row.sid, values)
            return written(store.get_participant(conn, conversation.sid, row.sid))

        return await self._write(unit)

    async def delete_participant(self, caller: Caller, ref: str, who: str) -> None:
        def unit(conn: Connection) -> None:
            conversation = _conversation_or_404(conn, caller.account_sid, ref, lock=True)
            row = self._participant_or_404(conn, conversation, ref, who)
            store.delete_participant(conn, row.sid)

        await self._write(unit)

    # --- transcripts for the reporting side ----------------------------------------------------

    async def transcript(self, account_sid: str, conversation_sid: str) -> Transcript | None:
        """The transcript of the account's conversation `conversation_sid` (CH…), or None when
        the account holds no such conversation. Messages in index order, with roles."""
        if not rules.is_conversation_sid(conversation_sid):
            return None
        # Media items may write the hex digits in upper case; SIDs are stored in lower case.
        sid = "CH" + conversation_sid[2:].lower()

        def unit(conn: Connection) -> Transcript | None:
            conversation = store.get_conversation(conn, account_sid, sid)
            if conversation is None:
                return None
            participants = store.participants_of(conn, sid)
            messages = store.messages_of(conn, sid)
            names = names_to_identify(participants, messages)
            agents: set[str] = set()
            for worker in worker_store.named_in_account(conn, account_sid, names):
                agents |= rules.worker_names(
                    worker.sid, worker.friendly_name, _json_object(worker.attributes)
                )
            return build_transcript(conversation, participants, messages, agents & names)

        return await self._db.scan(unit)


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# The records the service returns are named here too, for the HTTP layer (which never imports
# the store).
__all__ = [
    "CONVERSATION_ORDER",
    "CONVERSATION_ORDER_NEWEST",
    "PARTICIPANT_ORDER",
    "ChatConversation",
    "ChatMessage",
    "ChatParticipant",
    "ChatService",
    "ConversationChanges",
    "MessageChanges",
    "ParticipantChanges",
    "conversation_order",
    "message_order",
]
