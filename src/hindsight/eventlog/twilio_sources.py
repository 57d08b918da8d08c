"""Twilio sources: the real Twilio accounts an account of Hindsight takes TaskRouter events from.

A source holds the Twilio Account SID and its Auth Token, sealed with the server key (context:
the source SID), because Twilio signs every request it sends with that token and we must check
it. Sources are managed from the command line (`hindsight twilio-sources`); removing one stops
its ingest but keeps its mirrored workspaces and their logs, still read-only.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hindsight.auth.sealing import Sealer
from hindsight.domain import credentials
from hindsight.domain.clock import Clock
from hindsight.domain.errors import Conflict, InvalidParameter, NotFound
from hindsight.domain.ingest import is_source_sid, new_source_sid
from hindsight.domain.sids import Prefix, is_sid
from hindsight.store import accounts as account_store
from hindsight.store import twilio_sources as store
from hindsight.store.database import Database
from hindsight.store.records import written
from hindsight.store.twilio_sources import MirrorWorkspace, TwilioSourceRecord

INGEST_PATH = "/ingest/twilio/{source}"
TASKROUTER_PATH = INGEST_PATH + "/taskrouter"
EVENT_STREAMS_PATH = INGEST_PATH + "/event-streams"


@dataclass(frozen=True)
class SigningKey:
    """A source and the Auth Token its requests are signed with."""

    source: Any
    auth_token: str


@dataclass(frozen=True)
class WebhookUrls:
    event_callback_url: str
    event_streams_sink_url: str


def webhook_urls(base_url: str, source_sid: str) -> WebhookUrls:
    """What to configure in Twilio: the Workspace's EventCallbackUrl and a webhook sink."""
    base = base_url.rstrip("/")
    return WebhookUrls(
        event_callback_url=base + TASKROUTER_PATH.format(source=source_sid),
        event_streams_sink_url=base + EVENT_STREAMS_PATH.format(source=source_sid),
    )


def _not_found(sid: str) -> NotFound:
    return NotFound(f"No Twilio source {sid[:40]}")


class TwilioSourceService:
    def __init__(self, db: Database, clock: Clock, sealer: Sealer) -> None:
        self._db = db
        self._clock = clock
        self._sealer = sealer

    # --- administration (CLI) ---------------------------------------------------------------

    def add(
        self,
        account_sid: str,
        twilio_account_sid: str,
        auth_token: str,
        friendly_name: str | None = None,
    ) -> TwilioSourceRecord:
        twilio_account_sid = twilio_account_sid.strip()
        auth_token = auth_token.strip()
        if not is_sid(twilio_account_sid, Prefix.ACCOUNT):
            raise InvalidParameter("The Twilio Account SID must be AC followed by 32 hex digits")
        if not credentials.is_auth_token(auth_token):
            raise InvalidParameter("The Twilio Auth Token must be 32 lower-case hex digits")
        sid = new_source_sid()
        now = self._clock.now_ms()
        row = {
            "sid": sid,
            "account_sid": account_sid,
            "twilio_account_sid": twilio_account_sid,
            "auth_token_sealed": self._sealer.seal(auth_token, sid),
            "friendly_name": friendly_name or f"Twilio {twilio_account_sid}",
            "date_created": now,
            "date_updated": now,
        }

        def unit(conn: Connection) -> TwilioSourceRecord:
            if account_store.get_account(conn, account_sid) is None:
                raise NotFound(f"No account {account_sid}")
            existing = store.get_by_twilio_account(conn, twilio_account_sid)
            if existing is not None:
                raise Conflict(
                    f"Twilio account {twilio_account_sid} already feeds source {existing.sid} "
                    f"(account {existing.account_sid}); a Twilio account is mirrored once"
                )
            store.insert_source(conn, row)
            return written(store.get_source(conn, sid))

        return self._db.write_sync(unit)

    def list(self, account_sid: str | None = None) -> list[TwilioSourceRecord]:
        return self._db.read_sync(lambda conn: store.list_sources(conn, account_sid))

    # `builtins.list`: the class has a method named `list`.
    def remove(self, sid: str) -> builtins.list[MirrorWorkspace]:
        """Remove a source; returns the workspaces that mirrored it (they stay, read-only)."""

        def unit(conn: Connection) -> list[MirrorWorkspace]:
            if not store.delete_source(conn, sid):
                raise _not_found(sid)
            return store.mirrors_of(conn, sid)

        return self._db.write_sync(unit)

    def mirrors(self, sid: str) -> builtins.list[MirrorWorkspace]:
        return self._db.read_sync(lambda conn: store.mirrors_of(conn, sid))

    # --- ingest -----------------------------------------------------------------------------

    async def signing_key(self, sid: str) -> SigningKey:
        if not is_source_sid(sid):
            raise _not_found(sid)
        source = await self._db.read(lambda conn: store.get_source(conn, sid))
        if source is None:
            raise _not_found(sid)
        return SigningKey(source, self._sealer.unseal(source.auth_token_sealed, source.sid))
