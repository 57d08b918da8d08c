"""Twilio's Conversations v1 REST API, the part that holds a chat transcript.

`/v1/Conversations`, `…/{Conversation}/Messages` and `…/{Conversation}/Participants`, with
Twilio's paths, parameters, JSON fields and paging; served by the lean Twilio app behind Basic
authentication and scoped to the caller's account. What each parameter does here is listed in
`hindsight.chat.service`.
"""

from __future__ import annotations

from starlette.routing import Route

from hindsight.api.conversations import conversations, messages, participants


def routes() -> list[Route]:
    return [
        *messages.router.routes,
        *participants.router.routes,
        *conversations.router.routes,
    ]
