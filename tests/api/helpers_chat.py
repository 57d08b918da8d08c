"""Helpers for the chat transcript tests: raw requests checked against Twilio's spec too."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select
from twilio.rest import Client

from hindsight.chat.transcript import Transcript
from hindsight.store.schema import chat_messages
from tests.support.contract import validate_response
from tests.support.server import RunningServer

CONVERSATIONS = "/v1/Conversations"
NO_CONVERSATION = "CH" + "0" * 32
NO_MESSAGE = "IM" + "0" * 32
NO_PARTICIPANT = "MB" + "0" * 32


def conversations(client: Client) -> Any:
    return client.conversations.v1.conversations


def checked(response: httpx.Response) -> httpx.Response:
    """The response, once validated against the spec (raw requests skip the helper's check)."""
    if response.content:
        request = response.request
        validate_response(request.method, request.url.path, response.status_code, response.json())
    return response


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    checked(response)
    return response.json()


def transcript(server: RunningServer, account_sid: str, conversation_sid: str) -> Transcript | None:
    """`ChatService.transcript`, called as the reporting side calls it."""
    chat = server.runtime.services.chat
    return asyncio.run(chat.transcript(account_sid, conversation_sid))


def message_count(server: RunningServer, conversation_sid: str) -> int:
    query = (
        select(func.count())
        .select_from(chat_messages)
        .where(chat_messages.c.conversation_sid == conversation_sid)
    )
    return server.runtime.db.read_sync(lambda conn: conn.execute(query).scalar_one())
