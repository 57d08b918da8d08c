"""The composition root: settings → storage → services → HTTP routes and background work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import errors, insights, media_analysis
from hindsight.api import ingest as ingest_api
from hindsight.api.twilio_app import TwilioFirst, build_twilio_app
from hindsight.app_services import Services
from hindsight.auth.accounts import AccountService
from hindsight.auth.sealing import Sealer, load_or_create_key
from hindsight.domain.clock import Clock, SystemClock
from hindsight.eventlog.callbacks import CallbackDeliverer, CallbackOptions
from hindsight.eventlog.ingest import TwilioIngest
from hindsight.eventlog.notify import LogNotifier
from hindsight.eventlog.twilio_sources import TwilioSourceService
from hindsight.insights.derive import ProjectionOptions
from hindsight.insights.projector import Projector
from hindsight.media.analysis import AnalysisOptions, AnalysisService, UrlSource
from hindsight.media.fetch import SafeFetcher
from hindsight.routing.base import Limits, RoutingDeps
from hindsight.routing.engine import RoutingEngine
from hindsight.routing.router import Router
from hindsight.routing.timers import Timers
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
    router: Router
    timers: Timers
    projector: Projector
    twilio_sources: TwilioSourceService
    ingest: TwilioIngest
    analysis: AnalysisService
    fetcher: SafeFetcher

    def close(self) -> None:
        self.analysis.close()
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
    engine = RoutingEngine()
    deps = RoutingDeps(
        db=db,
        clock=clock,
        notifier=notifier,
        limits=Limits(max_attributes_bytes=settings.max_attributes_bytes),
        engine=engine,
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
    twilio_sources = TwilioSourceService(db, clock, sealer)
    fetcher = SafeFetcher(settings.media_fetch_options())
    analysis = AnalysisService(
        db,
        clock,
        sealer,
        sources={"url": UrlSource(fetcher)},
        options=AnalysisOptions(
            workers=settings.media_analysis_workers,
            max_attempts=settings.media_analysis_max_attempts,
            max_bytes=settings.media_fetch_max_bytes,
            max_seconds=settings.media_analysis_max_seconds,
        ),
    )
    return Runtime(
        settings=settings,
        db=db,
        services=Services.build(deps, accounts),
        deliverer=deliverer,
        router=Router(db, clock, notifier, engine),
        timers=Timers(db, clock, notifier, engine),
        projector=Projector(db, clock, notifier, projection_options(settings)),
        twilio_sources=twilio_sources,
        ingest=TwilioIngest(db, clock, notifier, twilio_sources),
        analysis=analysis,
        fetcher=fetcher,
    )


def projection_options(settings: Settings) -> ProjectionOptions:
    return ProjectionOptions(
        extended_media=settings.media_mode == "extended", hipaa=settings.hipaa_mode
    )


def create_app(runtime: Runtime) -> TwilioFirst:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        background = [
            asyncio.create_task(runtime.deliverer.run(stop), name="event-callbacks"),
            asyncio.create_task(runtime.router.run(stop), name="router"),
            asyncio.create_task(runtime.timers.run(stop), name="routing-timers"),
        ]
        if runtime.settings.run_projector:
            background.append(
                asyncio.create_task(runtime.projector.run(stop), name="insights-projector")
            )
        if runtime.settings.run_media_analysis:
            background.append(
                asyncio.create_task(runtime.analysis.run(stop), name="media-analysis")
            )
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*background)

    app = FastAPI(
        title="Hindsight",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz(_request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    errors.install(app)
    app.state.services = runtime.services
    app.state.analysis = runtime.analysis
    app.include_router(insights.router)
    app.include_router(media_analysis.router)
    app.include_router(insights.openapi_router)
    app.include_router(
        ingest_api.build_router(
            runtime.ingest,
            public_url=runtime.settings.public_url,
            max_body_bytes=runtime.settings.max_body_bytes,
        )
    )
    twilio = build_twilio_app(
        runtime.services,
        public_url=runtime.settings.public_url,
        max_body_bytes=runtime.settings.max_body_bytes,
    )
    return TwilioFirst(twilio, app)
