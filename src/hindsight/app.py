"""The composition root: settings → storage → services → HTTP routes and background work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import audit as audit_api
from hindsight.api import errors, insights, media_analysis, recordings
from hindsight.api import ingest as ingest_api
from hindsight.api import media as media_api
from hindsight.api import session as session_api
from hindsight.api import users as users_api
from hindsight.api.rate_limit import RateLimiter
from hindsight.api.security_headers import SecurityHeaders
from hindsight.api.shared_limits import SharedWindows
from hindsight.api.twilio_app import TwilioFirst, build_twilio_app
from hindsight.app_services import People, Quality, Services, SingleSignOn
from hindsight.audit import keyring
from hindsight.audit.checkpoints import CheckpointLog, CheckpointSchedule
from hindsight.audit.trail import AuditTrail
from hindsight.auth.accounts import AccountService
from hindsight.auth.request_counts import RequestCounts
from hindsight.auth.sealing import Sealer, load_or_create_key
from hindsight.auth.sessions import SessionPolicy, SessionService
from hindsight.auth.sso import wiring as sso_wiring
from hindsight.auth.sso.config import SsoConfigService
from hindsight.auth.sso.oidc import OidcClient
from hindsight.auth.sso.signin import SsoSignIn
from hindsight.auth.users import UserService
from hindsight.chat.service import ChatService
from hindsight.domain import signed_tokens
from hindsight.domain.clock import Clock, SystemClock
from hindsight.domain.login_throttle import ThrottlePolicy
from hindsight.eventlog.callbacks import CallbackDeliverer, CallbackOptions
from hindsight.eventlog.ingest import TwilioIngest
from hindsight.eventlog.notify import LogNotifier
from hindsight.eventlog.twilio_sources import TwilioSourceService
from hindsight.insights.derive import ProjectionOptions
from hindsight.insights.projector import Projector
from hindsight.insights.queries import InsightsService
from hindsight.media.analysis import (
    AnalysisOptions,
    AnalysisService,
    UrlSource,
    recording_media_key,
)
from hindsight.media.blobs.build import blob_store
from hindsight.media.broker import Analyses, MediaBroker, MediaSources
from hindsight.media.exports import wiring as media_exports_wiring
from hindsight.media.exports.service import ExportOptions, MediaExports
from hindsight.media.fetch import SafeFetcher
from hindsight.media.recordings import RecordingService
from hindsight.media.sources import HeldRecordingAudio, HindsightSources
from hindsight.provisioning import wiring as scim_wiring
from hindsight.quality import wiring as quality_wiring
from hindsight.quality.agents import AgentViews
from hindsight.quality.assessments import AssessmentService
from hindsight.quality.catalogue import CatalogueService
from hindsight.quality.reports import QualityReports
from hindsight.quality.sessions import PURPOSE as INSIGHTS_SESSION
from hindsight.quality.sessions import InsightsSessions
from hindsight.retention import wiring as retention_wiring
from hindsight.retention.schedule import RetentionSchedule
from hindsight.retention.service import RetentionService
from hindsight.routing.engine import RoutingEngine
from hindsight.routing.router import Router
from hindsight.routing.timers import Timers
from hindsight.search import wiring as search_wiring
from hindsight.service_base import Deps, Limits
from hindsight.settings import Settings
from hindsight.store import audit as audit_store
from hindsight.store import migrate
from hindsight.store.database import Database, DatabaseOptions
from hindsight.web import error_pages, pages, stand_in_pages
from hindsight.web import render as web_render

Job = Callable[[asyncio.Event], Awaitable[None]]


@dataclass
class Runtime:
    """Everything the server holds for its lifetime; built once, closed once."""

    settings: Settings
    db: Database
    clock: Clock
    notifier: LogNotifier
    services: Services
    deliverer: CallbackDeliverer
    router: Router
    timers: Timers
    projector: Projector
    twilio_sources: TwilioSourceService
    ingest: TwilioIngest
    analysis: AnalysisService
    fetcher: SafeFetcher
    retention: RetentionSchedule
    audit_checkpoints: CheckpointSchedule

    def singleton_jobs(self) -> list[Job]:
        """Background work one process at a time may do (it follows the log in order)."""
        jobs: list[Job] = [
            self.router.run,
            self.timers.run,
            self.retention.run,
            self.audit_checkpoints.run,
        ]
        if self.settings.run_projector:
            jobs.append(self.projector.run)
        return jobs

    def shared_jobs(self) -> list[Job]:
        """Background work any number of processes share out through leases of its own."""
        jobs: list[Job] = [self.deliverer.run, self.services.exports.run]
        if self.settings.run_media_analysis:
            jobs.append(self.analysis.run)
        return jobs

    def close(self) -> None:
        self.analysis.close()
        self.db.close()


def build_runtime(
    settings: Settings,
    clock: Clock | None = None,
    *,
    apply_migrations: bool = True,
    background_process: bool = False,
    sqlite_checkpoints: bool = True,
) -> Runtime:
    """Everything a process needs. `background_process`: the process following the log beside
    HTTP workers in others (its SQLite writes make way for theirs). `sqlite_checkpoints`: False
    for an HTTP worker whose background process checkpoints the SQLite WAL for it."""
    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(
        DatabaseOptions(
            url=settings.resolved_database_url(),
            sqlite_synchronous=settings.sqlite_synchronous,
            sqlite_yield_writes=background_process,
            sqlite_checkpoints=sqlite_checkpoints,
        )
    )
    if apply_migrations:
        migrate.upgrade(db.write_engine)
    secret = load_or_create_key(settings.data_dir, settings.secret_key)
    sealer = Sealer(secret)
    accounts = AccountService(db, clock, sealer)
    notifier = LogNotifier()
    engine = RoutingEngine()
    deps = Deps(
        db=db,
        clock=clock,
        notifier=notifier,
        limits=Limits(max_attributes_bytes=settings.max_attributes_bytes),
        engine=engine,
        callback_rules=settings.callback_rules(),
    )
    deliverer = CallbackDeliverer(
        db,
        clock,
        notifier,
        lambda target: sealer.unseal(target.auth_token_sealed, target.account_sid),
        CallbackOptions(
            timeout_seconds=settings.callback_timeout_seconds,
            max_attempts=settings.callback_max_attempts,
            rules=settings.callback_rules(),
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

    async def analyse_recording(account_sid: str, sid: str, channels: list[str]) -> None:
        await analysis.request(account_sid, recording_media_key(sid), sid, channels)

    recordings = RecordingService(
        deps,
        blob_store(settings),
        settings.max_recording_bytes,
        on_stored=analyse_recording,
    )
    analysis.add_source("recording", HeldRecordingAudio(recordings))
    chat = ChatService(deps)
    sources = HindsightSources(recordings, chat, fetcher)
    people = build_people(settings, deps, secret, sources, analysis)
    exports = MediaExports(
        db,
        clock,
        people.audit,
        people.insights,
        sources,
        ExportOptions(
            directory=settings.data_dir / "exports",
            max_conversations=settings.media_export_max_conversations,
            keep_hours=settings.media_export_hours,
        ),
    )
    retention = RetentionService(
        db, clock, people.audit, recordings.blobs, batch_size=settings.retention_batch_size
    )
    return Runtime(
        settings=settings,
        db=db,
        clock=clock,
        notifier=notifier,
        services=Services.build(
            deps,
            accounts,
            people,
            recordings,
            chat,
            retention,
            build_quality(deps, people, secret),
            build_sso(deps, people, sealer),
            exports,
        ),
        deliverer=deliverer,
        router=Router(db, clock, notifier, engine),
        timers=Timers(db, clock, notifier, engine),
        projector=Projector(db, clock, notifier, projection_options(settings)),
        twilio_sources=twilio_sources,
        ingest=TwilioIngest(db, clock, notifier, twilio_sources),
        analysis=analysis,
        fetcher=fetcher,
        retention=RetentionSchedule(retention, settings.retention_interval_minutes * 60),
        audit_checkpoints=CheckpointSchedule(
            people.audit.publish_checkpoint, settings.audit_checkpoint_seconds
        ),
    )


def build_people(
    settings: Settings,
    deps: Deps,
    secret: bytes,
    sources: MediaSources,
    analyses: Analyses | None = None,
) -> People:
    audit = AuditTrail(
        deps.db,
        deps.clock,
        keyring.load_or_create(
            settings.resolved_audit_keyring(),
            lambda: deps.db.read_sync(lambda conn: (audit_store.read_head(conn) or (0, ""))[0]) + 1,
        ),
        CheckpointLog(settings.resolved_audit_checkpoint_file()),
    )
    insights = InsightsService(deps, audit, extended_media=settings.media_mode == "extended")
    users = UserService(
        deps.db,
        deps.clock,
        audit,
        ThrottlePolicy(
            max_failures=settings.login_max_failures,
            lockout_ms=int(settings.login_lockout_minutes * 60_000),
            max_lockout_ms=int(settings.login_lockout_max_hours * 3_600_000),
            user_failures=settings.login_user_max_failures,
        ),
        hash_concurrency=settings.login_hash_concurrency,
    )
    return People(
        audit=audit,
        insights=insights,
        users=users,
        sessions=SessionService(
            deps.db,
            deps.clock,
            audit,
            SessionPolicy(
                idle_ms=int(settings.session_idle_minutes * 60_000),
                absolute_ms=int(settings.session_absolute_hours * 3_600_000),
            ),
            Sealer(secret),
        ),
        broker=MediaBroker(
            insights=insights,
            audit=audit,
            clock=deps.clock,
            link_key=signed_tokens.derive_key(secret, signed_tokens.MEDIA_LINK),
            provider_key=signed_tokens.derive_key(secret, signed_tokens.PROVIDER_TOKEN),
            link_ttl_ms=settings.media_link_seconds * 1000,
            sources=sources,
            analyses=analyses,
            person_active=users.is_active,
        ),
    )


def build_quality(deps: Deps, people: People, secret: bytes) -> Quality:
    return Quality(
        catalogue=CatalogueService(deps.db, deps.clock, people.audit),
        assessments=AssessmentService(deps.db, deps.clock, people.audit),
        sessions=InsightsSessions(
            deps.db,
            deps.clock,
            people.audit,
            signed_tokens.derive_key(secret, INSIGHTS_SESSION),
        ),
        reports=QualityReports(deps.db, people.audit),
        agents=AgentViews(deps.db, deps.clock, people.audit),
    )


def build_sso(deps: Deps, people: People, sealer: Sealer) -> SingleSignOn:
    config = SsoConfigService(deps.db, deps.clock, people.audit, sealer)
    return SingleSignOn(
        config=config,
        sign_in=SsoSignIn(deps.db, deps.clock, people.audit, config, OidcClient()),
    )


def projection_options(settings: Settings) -> ProjectionOptions:
    return ProjectionOptions(
        extended_media=settings.media_mode == "extended", hipaa=settings.hipaa_mode
    )


@dataclass(frozen=True)
class Limiters:
    """The server's rate limits, each also counted across processes in the database."""

    api: RateLimiter
    login: RateLimiter
    twilio_api: RateLimiter
    windows: tuple[SharedWindows, ...]

    @classmethod
    def build(cls, db: Database, settings: Settings, clock: Clock) -> Limiters:
        api = RateLimiter.per_second(settings.rate_limit_api_per_second)
        login = RateLimiter.per_minute(settings.rate_limit_login_per_minute)
        twilio_api = RateLimiter.per_second(settings.rate_limit_twilio_api_per_second)
        counts = RequestCounts(db)
        windows = []
        for name, limiter, seconds in (
            ("api", api, 1.0),
            ("login", login, 60.0),
            ("twilio", twilio_api, 1.0),
        ):
            if limiter.rate > 0:
                # Windows are named by wall-clock time, which every host reads alike.
                window = SharedWindows(
                    counts, name, seconds, limiter.burst, clock=lambda: clock.now_ms() / 1000
                )
                limiter.share(window)
                windows.append(window)
        return cls(api, login, twilio_api, tuple(windows))

    def sharing_jobs(self) -> list[Job]:
        return [window.run for window in self.windows]


def create_app(runtime: Runtime, *, background: bool = True) -> SecurityHeaders:
    """The HTTP application. With `background`, the same event loop also runs the background
    work (one process doing everything: tests and embedding); `hindsight serve` runs HTTP
    workers without it and the background work in a process of its own."""

    settings = runtime.settings
    limiters = Limiters.build(runtime.db, settings, runtime.clock)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        jobs = [*runtime.singleton_jobs(), *runtime.shared_jobs()] if background else []
        jobs += limiters.sharing_jobs()
        tasks = [asyncio.create_task(job(stop)) for job in jobs]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks)

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
    app.add_exception_handler(StarletteHTTPException, error_pages.browser_aware(errors.http_error))
    app.state.services = runtime.services
    app.state.public_url = (settings.public_url or "").rstrip("/") or None
    app.state.api_limiter = limiters.api
    app.state.login_limiter = limiters.login
    app.state.plugins_dir = settings.resolved_plugins_dir()
    app.state.frame_origins = settings.frame_origin_list()
    app.mount("/static", StaticFiles(directory=web_render.STATIC), name="static")
    # Each feature folder names its routers (`<feature>/wiring.py`).
    quality, sso, scim = quality_wiring.routes(), sso_wiring.routes(), scim_wiring.routes()
    retention = retention_wiring.routes()
    saved_searches, media_exports = search_wiring.routes(), media_exports_wiring.routes()
    app.mount(
        *scim_wiring.scim_app(runtime.services.provisioning, settings.public_url, limiters.api)
    )
    # Hindsight's own JSON API, in the order its OpenAPI document lists it.
    api_routers = [
        session_api.router,
        *sso.api,
        users_api.router,
        *scim.api,
        audit_api.router,
        *retention.api,
        *quality.api,
        media_api.router,
        insights.router,
        recordings.router,
        media_analysis.router,
        *saved_searches.api,
        *media_exports.api,
    ]
    for router in (
        pages.router,
        *quality.pages,
        stand_in_pages.router,
        *sso.pages,
        *api_routers,
    ):
        app.include_router(router)
    app.state.api_routes = [route for router in api_routers for route in router.routes]
    app.state.analysis = runtime.analysis
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
        public_url=settings.public_url,
        max_body_bytes=settings.max_body_bytes,
        limiter=limiters.twilio_api,
    )
    https = settings.public_url.startswith("https://") if settings.public_url else None
    return SecurityHeaders(TwilioFirst(twilio, app), https=https)
