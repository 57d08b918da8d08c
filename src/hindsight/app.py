"""The composition root: settings → storage → services → HTTP routes and background work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from hindsight.api import errors
from hindsight.api.auth import BasicAuthMiddleware
from hindsight.api.keys import router as keys_router
from hindsight.api.taskrouter import (
    activities,
    events,
    task_channels,
    task_queues,
    tasks,
    workers,
    workflows,
    workspaces,
)
from hindsight.app_services import Services
from hindsight.auth.accounts import AccountService
from hindsight.auth.sealing import Sealer, load_or_create_key
from hindsight.domain.clock import Clock, SystemClock
from hindsight.eventlog.callbacks import CallbackDeliverer, CallbackOptions
from hindsight.eventlog.notify import LogNotifier
from hindsight.routing.base import Limits, RoutingDeps
from hindsight.settings import Settings
from hindsight.store import migrate
from hindsight.store.database import Database, DatabaseOptions


@dataclass
class Runtime:
    """Everything the server holds for its lifetime; built once, closed once."""

    settings: Settings
    db: Database
    services: Services
    deliverer: CallbackDeliverer

    def close(self) -> None:
        self.db.close()


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(
        DatabaseOptions(
            url=settings.resolved_database_url(), sqlite_synchronous=settings.sqlite_synchronous
        )
    )
    migrate.upgrade(db.write_engine)
    sealer = Sealer(load_or_create_key(settings.data_dir, settings.secret_key))
    accounts = AccountService(db, clock, sealer)
    notifier = LogNotifier()
    deps = RoutingDeps(
        db=db,
        clock=clock,
        notifier=notifier,
        limits=Limits(max_attributes_bytes=settings.max_attributes_bytes),
    )
    deliverer = CallbackDeliverer(
        db,
        clock,
        notifier,
        lambda target: sealer.unseal(target.auth_token_sealed, target.account_sid),
        CallbackOptions(
            timeout_seconds=settings.callback_timeout_seconds,
            max_attempts=settings.callback_max_attempts,
            allow_private=settings.callback_allow_private,
        ),
    )
    return Runtime(
        settings=settings,
        db=db,
        services=Services.build(deps, accounts),
        deliverer=deliverer,
    )


def create_app(runtime: Runtime) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        delivery = asyncio.create_task(runtime.deliverer.run(stop), name="event-callbacks")
        try:
            yield
        finally:
            stop.set()
            await delivery

    app = FastAPI(
        title="Hindsight",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = runtime.services
    app.state.public_url = (runtime.settings.public_url or "").rstrip("/") or None
    app.state.max_body_bytes = runtime.settings.max_body_bytes

    @app.get("/healthz", include_in_schema=False)
    async def healthz(_request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    # The Twilio-compatible APIs, busiest first (see api/routes.py for why not FastAPI routes).
    twilio_routes = [
        route
        for module in (
            tasks,
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
    app.mount("/", Router(routes=[*twilio_routes, *keys_router.routes]))

    errors.install(app)
    app.add_middleware(BasicAuthMiddleware, accounts=runtime.services.accounts)
    return app
