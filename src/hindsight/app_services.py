"""The services the HTTP layer calls, wired once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from hindsight.audit.trail import AuditTrail
from hindsight.auth.accounts import AccountService
from hindsight.auth.sessions import SessionService
from hindsight.auth.sso.config import SsoConfigService
from hindsight.auth.sso.signin import SsoSignIn
from hindsight.auth.users import UserService
from hindsight.chat.service import ChatService
from hindsight.domain.clock import Clock
from hindsight.insights.queries import InsightsService
from hindsight.media.broker import MediaBroker
from hindsight.media.exports.service import MediaExports
from hindsight.media.recordings import RecordingService
from hindsight.provisioning.service import Provisioning
from hindsight.quality.agents import AgentViews
from hindsight.quality.assessments import AssessmentService
from hindsight.quality.catalogue import CatalogueService
from hindsight.quality.reports import QualityReports
from hindsight.quality.sessions import InsightsSessions
from hindsight.retention.service import RetentionService
from hindsight.routing.activities import ActivityService
from hindsight.routing.events import EventService
from hindsight.routing.reservations import ReservationService
from hindsight.routing.statistics import StatisticsService
from hindsight.routing.task_channels import TaskChannelService
from hindsight.routing.task_queues import TaskQueueService
from hindsight.routing.tasks import TaskService
from hindsight.routing.workers import WorkerService
from hindsight.routing.workflows import WorkflowService
from hindsight.routing.workspaces import WorkspaceService
from hindsight.search.saved import SavedSearches
from hindsight.service_base import Deps


@dataclass(frozen=True)
class Services:
    clock: Clock
    accounts: AccountService
    workspaces: WorkspaceService
    activities: ActivityService
    task_channels: TaskChannelService
    task_queues: TaskQueueService
    workflows: WorkflowService
    workers: WorkerService
    tasks: TaskService
    events: EventService
    reservations: ReservationService
    statistics: StatisticsService
    insights: InsightsService
    audit: AuditTrail
    users: UserService
    sessions: SessionService
    broker: MediaBroker
    recordings: RecordingService
    chat: ChatService
    retention: RetentionService
    quality: Quality
    saved_searches: SavedSearches
    provisioning: Provisioning
    sso: SingleSignOn
    exports: MediaExports

    @classmethod
    def build(
        cls,
        deps: Deps,
        accounts: AccountService,
        people: People,
        recordings: RecordingService,
        chat: ChatService,
        retention: RetentionService,
        quality: Quality,
        sso: SingleSignOn,
        exports: MediaExports,
    ) -> Services:
        return cls(
            clock=deps.clock,
            accounts=accounts,
            workspaces=WorkspaceService(deps),
            activities=ActivityService(deps),
            task_channels=TaskChannelService(deps),
            task_queues=TaskQueueService(deps),
            workflows=WorkflowService(deps),
            workers=WorkerService(deps),
            tasks=TaskService(deps),
            events=EventService(deps),
            reservations=ReservationService(deps),
            statistics=StatisticsService(deps),
            insights=people.insights,
            audit=people.audit,
            users=people.users,
            sessions=people.sessions,
            broker=people.broker,
            recordings=recordings,
            chat=chat,
            retention=retention,
            quality=quality,
            saved_searches=SavedSearches(deps.db, deps.clock, people.audit),
            provisioning=Provisioning.build(deps.db, deps.clock, people.audit),
            sso=sso,
            exports=exports,
        )


@dataclass(frozen=True)
class People:
    """The services behind people's access to conversations: built together, they share the
    audit trail and the Insights reads the broker re-checks."""

    audit: AuditTrail
    insights: InsightsService
    users: UserService
    sessions: SessionService
    broker: MediaBroker


@dataclass(frozen=True)
class Quality:
    """Quality management: the questionnaire catalogue, assessments and comments, and the
    Insights session tokens its API accepts."""

    catalogue: CatalogueService
    assessments: AssessmentService
    sessions: InsightsSessions
    reports: QualityReports
    agents: AgentViews


@dataclass(frozen=True)
class SingleSignOn:
    """OpenID Connect single sign-on: each account's provider configuration, and signing in."""

    config: SsoConfigService
    sign_in: SsoSignIn
