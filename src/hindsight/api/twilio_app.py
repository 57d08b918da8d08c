"""The Twilio-compatible APIs as their own lean Starlette application.

They are the hot path (integrations post task updates all day), so they get only what they
need: Basic authentication, Twilio's error bodies and a plain route table. FastAPI's per-request
middleware (telemetry, body limits, dependency exit stacks) and router cost more than a task
update's database work; Hindsight's own JSON APIs and pages stay on FastAPI.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from hindsight.api import errors, insights_twilio
from hindsight.api.auth import PROTECTED_PREFIXES, BasicAuthMiddleware
from hindsight.api.conversations import routes as conversation_routes
from hindsight.api.keys import router as keys_router
from hindsight.api.rate_limit import RateLimiter
from hindsight.api.taskrouter import (
    activities,
    events,
    reservations,
    statistics,
    task_channels,
    task_queues,
    tasks,
    workers,
    workflows,
    workspaces,
)
from hindsight.app_services import Services
from hindsight.quality.http import twilio_routes as quality_routes


def build_twilio_app(
    services: Services,
    public_url: str | None,
    max_body_bytes: int,
    limiter: RateLimiter | None = None,
) -> Starlette:
    # Busiest resources first: the router tries routes in order. Statistics comes before
    # workers and task_queues: `/Workers/Statistics` would otherwise be read as `/Workers/{sid}`.
    routes = [
        route
        for module in (
            tasks,
            reservations,
            statistics,
            workers,
            events,
            task_queues,
            workflows,
            activities,
            task_channels,
            workspaces,
        )
        for route in module.router.routes
    ]
    app = Starlette(
        routes=[
            *routes,
            *conversation_routes(),
            *insights_twilio.router.routes,
            *quality_routes.router.routes,
            *keys_router.routes,
        ],
        middleware=[
            Middleware(
                BasicAuthMiddleware,
                accounts=services.accounts,
                limiter=limiter,
                insights_sessions=services.quality.sessions,
            )
        ],
    )
    errors.install(app)
    app.state.services = services
    app.state.public_url = (public_url or "").rstrip("/") or None
    app.state.max_body_bytes = max_body_bytes
    return app


class TwilioFirst:
    """Sends the Twilio API paths to the lean app and everything else to FastAPI."""

    def __init__(self, twilio: ASGIApp, rest: ASGIApp) -> None:
        self.twilio = twilio
        self.rest = rest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PROTECTED_PREFIXES):
            await self.twilio(scope, receive, send)
        else:
            await self.rest(scope, receive, send)
