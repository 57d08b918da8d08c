"""The tables. SQLAlchemy Core metadata; Alembic migrations create the same schema.

Instants are BIGINT milliseconds since the epoch (UTC), identical on SQLite and PostgreSQL.
JSON documents (attributes, workflow configuration, event data) are kept as the text the client
sent, because TaskRouter returns them verbatim.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

SID = String(34)
# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid); PostgreSQL wants BIGINT.
RowId = BigInteger().with_variant(Integer(), "sqlite")


def _dates() -> list[Column]:
    return [
        Column("date_created", BigInteger, nullable=False),
        Column("date_updated", BigInteger, nullable=False),
    ]


def _workspace_fk() -> Column:
    return Column(
        "workspace_sid", SID, ForeignKey("workspaces.sid", ondelete="CASCADE"), nullable=False
    )


accounts = Table(
    "accounts",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("friendly_name", Text, nullable=False),
    Column("status", String(16), nullable=False),
    # SHA-256 of the Auth Token: tokens are 128 random bits, so a fast hash is safe and keeps
    # authentication off the hot path's budget.
    Column("auth_token_hash", String(64), nullable=False),
    # The token itself, sealed with the server's key: Twilio signs event callbacks with the
    # Auth Token, so we must be able to recover it, but never from the database alone.
    Column("auth_token_sealed", Text, nullable=False),
    *_dates(),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("friendly_name", Text, nullable=True),
    Column("secret_hash", String(64), nullable=False),
    *_dates(),
    Index(None, "account_sid"),
)

# A real Twilio account whose TaskRouter events an account of Hindsight takes in
# (EventCallbackUrl posts and Event Streams webhooks), mirrored into its workspaces.
twilio_sources = Table(
    "twilio_sources",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    # One Twilio account feeds one Hindsight account: its workspaces cannot be split or mixed.
    Column("twilio_account_sid", SID, nullable=False, unique=True),
    # Twilio signs what it sends with the Auth Token, so it is kept, sealed with the server key.
    Column("auth_token_sealed", Text, nullable=False),
    Column("friendly_name", Text, nullable=False),
    *_dates(),
    Index(None, "account_sid"),
)

workspaces = Table(
    "workspaces",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("friendly_name", Text, nullable=False),
    Column("event_callback_url", Text, nullable=True),
    Column("events_filter", Text, nullable=True),
    Column("multi_task_enabled", Boolean, nullable=False),
    Column("prioritize_queue_order", String(8), nullable=False),
    Column("default_activity_sid", SID, nullable=True),
    Column("timeout_activity_sid", SID, nullable=True),
    # Unused since migration 0010 (events take positions from one counter; see
    # `event_positions`); kept so older rows need no table rebuild on SQLite.
    Column("event_seq", BigInteger, nullable=False, default=0),
    # The Twilio source (twilio_sources.sid) whose events this workspace mirrors; null for a
    # workspace Hindsight routes itself. A mirror's log is Twilio's, so the API keeps it
    # read-only. No foreign key: the mark outlives a removed source, so the mirror stays apart.
    Column("mirror_source", SID, nullable=True),
    # Bumped by every change to the workspace's workflows and task queues (store/
    # routing_versions.py): a process keeps their parsed form while this stays the same.
    Column("routing_version", BigInteger, nullable=False, default=0, server_default="0"),
    *_dates(),
    Index(None, "account_sid", "date_created", "sid"),
)

activities = Table(
    "activities",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    _workspace_fk(),
    Column("friendly_name", Text, nullable=False),
    Column("available", Boolean, nullable=False),
    *_dates(),
    UniqueConstraint("workspace_sid", "friendly_name"),
)

task_channels = Table(
    "task_channels",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    _workspace_fk(),
    Column("friendly_name", Text, nullable=False),
    Column("unique_name", Text, nullable=False),
    Column("channel_optimized_routing", Boolean, nullable=True),
    *_dates(),
    UniqueConstraint("workspace_sid", "unique_name"),
)

task_queues = Table(
    "task_queues",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    _workspace_fk(),
    Column("friendly_name", Text, nullable=False),
    Column("target_workers", Text, nullable=True),
    Column("max_reserved_workers", Integer, nullable=False),
    Column("task_order", String(8), nullable=False),
    Column("reservation_activity_sid", SID, nullable=True),
    Column("assignment_activity_sid", SID, nullable=True),
    *_dates(),
    UniqueConstraint("workspace_sid", "friendly_name"),
)

workflows = Table(
    "workflows",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    _workspace_fk(),
    Column("friendly_name", Text, nullable=False),
    Column("configuration", Text, nullable=False),
    Column("assignment_callback_url", Text, nullable=True),
    Column("fallback_assignment_callback_url", Text, nullable=True),
    Column("task_reservation_timeout", Integer, nullable=False),
    *_dates(),
    UniqueConstraint("workspace_sid", "friendly_name"),
)

workers = Table(
    "workers",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    _workspace_fk(),
    Column("friendly_name", Text, nullable=False),
    Column("attributes", Text, nullable=False),
    Column("activity_sid", SID, ForeignKey("activities.sid"), nullable=False),
    Column("date_status_changed", BigInteger, nullable=False),
    # When the worker last got a reservation (0: never): routing offers work to the longest
    # idle first, reading workers in this order from an index.
    Column("last_reserved_ms", BigInteger, nullable=False, default=0, server_default="0"),
    # Reservations holding the worker on any channel (for single-tasking workspaces).
    Column("holding", Integer, nullable=False, default=0, server_default="0"),
    Column("version", Integer, nullable=False),
    *_dates(),
    UniqueConstraint("workspace_sid", "friendly_name"),
    Index(None, "workspace_sid", "activity_sid"),
    Index("ix_workers_idle", "workspace_sid", "last_reserved_ms", "date_created", "sid"),
)

worker_channels = Table(
    "worker_channels",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    _workspace_fk(),
    Column("worker_sid", SID, ForeignKey("workers.sid", ondelete="CASCADE"), nullable=False),
    Column(
        "task_channel_sid", SID, ForeignKey("task_channels.sid", ondelete="CASCADE"), nullable=False
    ),
    Column("configured_capacity", Integer, nullable=False),
    Column("available", Boolean, nullable=False),
    # Reservations holding this channel (pending, accepted, wrapping): kept by routing so
    # finding a worker with room never counts reservations.
    Column("assigned_tasks", Integer, nullable=False, default=0, server_default="0"),
    *_dates(),
    UniqueConstraint("worker_sid", "task_channel_sid"),
    Index(None, "task_channel_sid"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    _workspace_fk(),
    Column("attributes", Text, nullable=False),
    Column("assignment_status", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("reason", Text, nullable=True),
    Column("timeout", Integer, nullable=False),
    # No foreign keys to channel, workflow and queue: finished tasks outlive the queues and
    # workflows they passed through (the names then read as null; the event log keeps them).
    Column("task_channel_sid", SID, nullable=False),
    Column("workflow_sid", SID, nullable=True),
    Column("task_queue_sid", SID, nullable=True),
    Column("task_queue_entered_date", BigInteger, nullable=True),
    Column("virtual_start_time", BigInteger, nullable=False),
    Column("routing_target", SID, nullable=True),
    Column("ignore_capacity", Boolean, nullable=True),
    Column("addons", Text, nullable=False),
    Column("version", Integer, nullable=False),
    # Where the task stands in its workflow: the filter (-1: the default filter) and target.
    Column("step_filter", Integer, nullable=True),
    Column("step_target", Integer, nullable=True),
    # Timers, kept on the rows so they survive a restart; null when not running.
    Column("step_due_ms", BigInteger, nullable=True),
    Column("timeout_at_ms", BigInteger, nullable=True),
    *_dates(),
    Index(None, "workspace_sid", "date_created", "sid"),
    Index(None, "workspace_sid", "assignment_status"),
    Index(None, "workspace_sid", "task_queue_sid"),
    Index(None, "workspace_sid", "workflow_sid"),
    # What routing asks: the waiting tasks of a queue, best first.
    Index(
        "ix_tasks_queue_waiting",
        "task_queue_sid",
        "assignment_status",
        "priority",
        "virtual_start_time",
    ),
    Index(None, "timeout_at_ms"),
    Index(None, "step_due_ms"),
)
# What routing walks: a queue's waiting tasks on one channel, best first (FIFO order; the
# index holds only waiting tasks, so it stays small however many are finished).
Index(
    "ix_tasks_waiting_on_channel",
    tasks.c.task_queue_sid,
    tasks.c.task_channel_sid,
    tasks.c.priority.desc(),
    tasks.c.virtual_start_time,
    tasks.c.sid,
    sqlite_where=text("assignment_status = 'pending'"),
    postgresql_where=text("assignment_status = 'pending'"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    _workspace_fk(),
    Column("task_sid", SID, ForeignKey("tasks.sid", ondelete="CASCADE"), nullable=False),
    Column("worker_sid", SID, ForeignKey("workers.sid", ondelete="CASCADE"), nullable=False),
    Column("task_channel_sid", SID, nullable=False),
    Column("task_queue_sid", SID, nullable=True),
    Column("workflow_sid", SID, nullable=True),
    Column("reservation_status", String(16), nullable=False),
    # When a pending reservation times out; null once answered.
    Column("timeout_at_ms", BigInteger, nullable=True),
    Column("version", Integer, nullable=False),
    *_dates(),
    Index(None, "task_sid", "reservation_status"),
    Index(None, "worker_sid", "reservation_status"),
    Index(None, "timeout_at_ms"),
    # Routing never offers one task twice at once to the same worker, whichever process or
    # host routes: the database refuses a second pending reservation for the pair.
    Index(
        "uq_reservations_pending_task_worker",
        "task_sid",
        "worker_sid",
        unique=True,
        sqlite_where=text("reservation_status = 'pending'"),
        postgresql_where=text("reservation_status = 'pending'"),
    ),
)

router_cursors = Table(
    "router_cursors",
    metadata,
    Column("workspace_sid", SID, primary_key=True),
    # The last event of the workspace the router has acted on.
    Column("seq", BigInteger, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("sid", SID, nullable=False, unique=True),
    Column("account_sid", SID, nullable=False),
    Column("workspace_sid", SID, nullable=False),
    # Position in the log, from one counter for all workspaces (`event_positions`): increasing
    # within a workspace, with gaps where other workspaces' events stand. Readers take events
    # only up to the log's horizon (`hindsight.store.events.LogHorizon`), below which no
    # transaction still in flight can add one, so nobody following the log skips an event.
    Column("seq", BigInteger, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("resource_type", String(32), nullable=False),
    Column("resource_sid", SID, nullable=False),
    Column("actor_type", String(32), nullable=True),
    Column("actor_sid", SID, nullable=True),
    Column("description", Text, nullable=False),
    Column("event_data", Text, nullable=False),
    Column("event_date_ms", BigInteger, nullable=False),
    Column("source", String(32), nullable=False),
    Column("source_ip_address", String(64), nullable=True),
    # Denormalised from event_data so the Events resource can filter with an index.
    Column("task_sid", SID, nullable=True),
    Column("worker_sid", SID, nullable=True),
    Column("reservation_sid", SID, nullable=True),
    Column("task_queue_sid", SID, nullable=True),
    Column("workflow_sid", SID, nullable=True),
    Column("task_channel", Text, nullable=True),
    UniqueConstraint("workspace_sid", "seq"),
    Index(None, "workspace_sid", "event_date_ms"),
    Index(None, "task_sid"),
    Index(None, "worker_sid"),
    Index(None, "reservation_sid"),
)

callback_cursors = Table(
    "callback_cursors",
    metadata,
    Column("workspace_sid", SID, primary_key=True),
    # The last event of the workspace that was delivered (or skipped by EventsFilter).
    Column("delivered_seq", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_ms", BigInteger, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    # Lets several server processes share delivery without sending an event twice.
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until_ms", BigInteger, nullable=False, default=0),
)


# --- the Insights projection: rebuilt from the event log at will -------------------------------

conversations = Table(
    "conversations",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("account_sid", SID, nullable=False),
    Column("workspace_sid", SID, nullable=False),
    # The grouping key: conversations.conversation_id, else call_sid, else the first task SID.
    Column("conversation_id", String(128), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=True),
    Column("segment_count", Integer, nullable=False),
    Column("queue", Text, nullable=True),
    Column("agent", Text, nullable=True),
    Column("channel", Text, nullable=True),
    Column("direction", Text, nullable=True),
    Column("outcome", Text, nullable=True),
    Column("abandoned", Boolean, nullable=False),
    Column("handled", Boolean, nullable=False),
    Column("in_progress", Boolean, nullable=False),
    Column("has_media", Boolean, nullable=False),
    Column("queue_time", Integer, nullable=False),
    Column("talk_time", Integer, nullable=False),
    Column("wrap_up_time", Integer, nullable=False),
    Column("handling_time", Integer, nullable=False),
    Column("abandon_time", Integer, nullable=False),
    Column("customer_key", Text, nullable=True),
    Column("handling_team", Text, nullable=True),
    # The reportable conversation attributes (JSON) and a lower-cased text to search in.
    Column("attributes", Text, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    UniqueConstraint("account_sid", "conversation_id"),
    Index(None, "account_sid", "start_ms", "id"),
    Index(None, "workspace_sid", "start_ms"),
    # What retention asks: the account's conversations that ended before a cutoff.
    Index(None, "account_sid", "end_ms", "id"),
    # Lists sorted by a measure walk these in order (keyset pages included) and check the
    # period on the index entry, instead of sorting every conversation of the period.
    Index(None, "account_sid", "talk_time", "id", "start_ms"),
    Index(None, "account_sid", "handling_time", "id", "start_ms"),
    Index(None, "account_sid", "queue_time", "id", "start_ms"),
)

segments = Table(
    "segments",
    metadata,
    Column("segment_id", String(34), primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column("workspace_sid", SID, nullable=False),
    # Null for Agent Status segments, which belong to no conversation.
    Column("conversation_id", String(128), nullable=True),
    Column("kind", String(40), nullable=False),
    Column("task_sid", SID, nullable=True),
    Column("reservation_sid", SID, nullable=True),
    Column("worker_sid", SID, nullable=True),
    Column("agent_name", Text, nullable=True),
    Column("queue_sid", SID, nullable=True),
    Column("queue_name", Text, nullable=True),
    Column("channel", Text, nullable=True),
    Column("workflow", Text, nullable=True),
    Column("direction", Text, nullable=True),
    Column("activity", Text, nullable=True),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=True),
    Column("queue_time", Integer, nullable=False),
    Column("ring_time", Integer, nullable=False),
    Column("talk_time", Integer, nullable=False),
    Column("wrap_up_time", Integer, nullable=False),
    Column("hold_time", Integer, nullable=False),
    Column("abandon_time", Integer, nullable=False),
    Column("handling_time", Integer, nullable=False),
    Column("activity_time", Integer, nullable=False),
    Column("abandoned", String(16), nullable=False),
    Column("abandoned_phase", Text, nullable=True),
    Column("outcome", Text, nullable=True),
    Column("handling_team_id", Text, nullable=True),
    Column("handling_team_name", Text, nullable=True),
    Column("customer_key", Text, nullable=True),
    # JSON documents: the reportable attributes and measures, the customer, the media as
    # resolved for this segment, and attribute keys Insights would ignore.
    Column("attributes", Text, nullable=False),
    Column("measures", Text, nullable=False),
    Column("customer", Text, nullable=False),
    Column("media", Text, nullable=False),
    Column("media_level", String(16), nullable=False),
    Column("opens_externally", Boolean, nullable=False),
    Column("media_late_ms", BigInteger, nullable=True),
    Column("ignored", Text, nullable=False),
    # The task's attributes as written (verbatim) when this segment was last derived.
    Column("raw_attributes", Text, nullable=True),
    Column("worker_attributes", Text, nullable=True),
    Column("updated_ms", BigInteger, nullable=False),
    Index(None, "account_sid", "conversation_id", "start_ms"),
    Index(None, "task_sid"),
    Index(None, "reservation_sid"),
    Index(None, "account_sid", "queue_name", "conversation_id"),
    Index(None, "account_sid", "agent_name", "conversation_id"),
    Index(None, "worker_sid", "start_ms"),
    # Each worker's open activity stint, closed by its next activity change: a partial index
    # holds about one row per worker, where (worker_sid, start_ms) made the projector walk the
    # worker's whole history on every change.
    Index(
        "ix_segments_agent_in_progress",
        "worker_sid",
        "start_ms",
        sqlite_where=text("kind = 'Agent Status in Progress'"),
        postgresql_where=text("kind = 'Agent Status in Progress'"),
    ),
)

projection_tasks = Table(
    "projection_tasks",
    metadata,
    Column("task_sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column("workspace_sid", SID, nullable=False),
    Column("conversation_id", String(128), nullable=False),
    # The task's TaskTrack (domain/segments.py) as JSON.
    Column("track", Text, nullable=False),
    # Retention deletes a conversation's tasks with it.
    Index(None, "account_sid", "conversation_id"),
)

projector_cursors = Table(
    "projector_cursors",
    metadata,
    Column("workspace_sid", SID, primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

# Deleted workspaces: their log is kept, and followers (the projection) still need to know
# where it ends and whose it is.
retired_workspaces = Table(
    "retired_workspaces",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("retired_ms", BigInteger, nullable=False),
)

# --- people, sessions and the audit trail (issue 5) ------------------------------------------

# People who use the reporting UI. Distinct from API accounts: a user belongs to one account
# (the tenant whose conversations they may see) and holds roles and, optionally, a scope.
users = Table(
    "users",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    # Log-in name, unique in the whole deployment (the log-in page does not ask for an account).
    Column("username", String(128), nullable=False, unique=True),
    Column("full_name", Text, nullable=True),
    Column("email", Text, nullable=True),
    # 'password' today; an OpenID Connect provider signs users in with `external_subject`.
    Column("auth_provider", String(32), nullable=False),
    Column("external_subject", Text, nullable=True),
    Column("password_hash", Text, nullable=True),
    Column("password_changed_ms", BigInteger, nullable=True),
    # JSON list of role names (domain/permissions.py).
    Column("roles", Text, nullable=False),
    # JSON {"teams": [...], "queues": [...], "departments": [...]}; empty lists: every team.
    Column("scope", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until_ms", BigInteger, nullable=True),
    Column("last_login_ms", BigInteger, nullable=True),
    *_dates(),
    Index(None, "account_sid"),
)

# Log-in sessions of the web UI. The cookie carries a random token; only its SHA-256 is kept.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_sid", SID, ForeignKey("users.sid", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("last_seen_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("ended_ms", BigInteger, nullable=True),
    Column("ip", String(64), nullable=True),
    Column("user_agent", Text, nullable=True),
    # A session begun through single sign-on keeps the provider's ID token, sealed with the
    # server's key, to name itself when signing out at the provider (`id_token_hint`).
    Column("id_token_sealed", Text, nullable=True),
    Index(None, "user_sid"),
)

# Wrong passwords for a user per client (domain/login_throttle.py), kept here rather than in
# each process's memory so that every process serving the database sees the same lock-out.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("user_sid", SID, ForeignKey("users.sid", ondelete="CASCADE"), primary_key=True),
    Column("client", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("lockouts", Integer, nullable=False),
    Column("locked_until_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

# An account's OpenID Connect single sign-on (auth/sso): its provider, client and claims mapping.
sso_providers = Table(
    "sso_providers",
    metadata,
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("issuer", Text, nullable=False),
    Column("client_id", Text, nullable=False),
    # Sealed with the server's key (auth/sealing.py), like Auth Tokens.
    Column("client_secret_sealed", Text, nullable=True),
    Column("scopes", Text, nullable=False),
    # JSON: domain/sso_mapping.py ClaimsMapping.
    Column("claims_mapping", Text, nullable=False),
    # True: people unknown to Hindsight are created at their first sign-in (just in time).
    Column("create_people", Boolean, nullable=False),
    # False: password sign-in is refused in this account, except for the break-glass admin.
    Column("local_passwords", Boolean, nullable=False),
    Column("break_glass_user_sid", SID, nullable=True),
    *_dates(),
)

# Sign-ins sent to a provider and not yet back: the state (its SHA-256), nonce and PKCE
# verifier, each used once. Held in the database so any HTTP worker can take the callback.
sso_logins = Table(
    "sso_logins",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("code_verifier", String(128), nullable=False),
    Column("next_path", Text, nullable=False),
    # 'sign_in', or 'test' (an admin trying the configuration: no session is started).
    Column("purpose", String(16), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Index(None, "expires_ms"),
)

# The audit trail: append-only, each record chained to the one before by a SHA-256 hash
# (domain/audit_chain.py). `seq` is the chain order; `audit_head` holds the newest link, so
# cutting records off the end is detected too.
audit_records = Table(
    "audit_records",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("account_sid", SID, nullable=True),
    Column("actor_type", String(16), nullable=False),
    Column("actor_sid", String(64), nullable=True),
    Column("actor_name", Text, nullable=True),
    Column("roles", Text, nullable=False),
    Column("action", String(64), nullable=False),
    Column("object_type", String(32), nullable=True),
    Column("object_id", String(160), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("ip", String(64), nullable=True),
    Column("detail", Text, nullable=False),
    Column("previous_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "account_sid", "at_ms"),
    Index(None, "actor_sid", "at_ms"),
    Index(None, "object_id"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Which teams, queues and departments a conversation touched (any of its segments), so a user
# limited to some of them sees exactly the conversations they are entitled to.
conversation_scopes = Table(
    "conversation_scopes",
    metadata,
    Column("account_sid", SID, primary_key=True),
    Column("conversation_id", String(128), primary_key=True),
    # "team:<name or id>", "queue:<name or sid>", "department:<name or id>"
    Column("tag", String(200), primary_key=True),
    Index(None, "account_sid", "tag"),
)


# --- call recordings Hindsight holds: the bytes are in the blob store, under `blob_key` ------

recordings = Table(
    "recordings",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    # What the recording belongs to (at least one of task, reservation and call). No foreign
    # keys: a recording outlives a deleted task, and mirrored tasks exist only in the event log.
    Column("workspace_sid", SID, nullable=True),
    Column("task_sid", SID, nullable=True),
    Column("reservation_sid", SID, nullable=True),
    Column("call_sid", SID, nullable=True),
    Column("title", Text, nullable=True),
    Column("blob_key", Text, nullable=False),
    Column("format", String(8), nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("duration_ms", BigInteger, nullable=False),
    Column("channels", Integer, nullable=False),
    # JSON list naming the channels in order: first = customer (left).
    Column("channel_map", Text, nullable=False),
    Column("sample_rate", Integer, nullable=False),
    Column("start_time_ms", BigInteger, nullable=True),
    *_dates(),
    Index(None, "account_sid", "date_created", "sid"),
    Index(None, "account_sid", "task_sid"),
    Index(None, "account_sid", "reservation_sid"),
    Index(None, "account_sid", "call_sid"),
)


# --- chat transcripts: Twilio's Conversations resources, held by Hindsight ---------------------

chat_conversations = Table(
    "chat_conversations",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("unique_name", Text, nullable=True),
    Column("friendly_name", Text, nullable=True),
    Column("attributes", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("messaging_service_sid", SID, nullable=True),
    # The index the next message gets. Bumping it takes the row lock, so concurrent messages
    # get consecutive indexes on PostgreSQL too; deleted messages leave their index unused.
    Column("next_message_index", BigInteger, nullable=False, default=0),
    *_dates(),
    UniqueConstraint("account_sid", "unique_name"),
    Index(None, "account_sid", "date_created", "sid"),
)

chat_participants = Table(
    "chat_participants",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column(
        "conversation_sid",
        SID,
        ForeignKey("chat_conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    # A chat (SDK) participant has an identity; a messaging one an address and proxy address.
    Column("identity", Text, nullable=True),
    Column("address", Text, nullable=True),
    Column("proxy_address", Text, nullable=True),
    Column("projected_address", Text, nullable=True),
    Column("attributes", Text, nullable=False),
    Column("role_sid", SID, nullable=True),
    Column("last_read_message_index", BigInteger, nullable=True),
    Column("last_read_timestamp", BigInteger, nullable=True),
    *_dates(),
    UniqueConstraint("conversation_sid", "identity"),
    UniqueConstraint("conversation_sid", "address", "proxy_address"),
    Index(None, "conversation_sid", "date_created", "sid"),
)

chat_messages = Table(
    "chat_messages",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column(
        "conversation_sid",
        SID,
        ForeignKey("chat_conversations.sid", ondelete="CASCADE"),
        nullable=False,
    ),
    # Twilio's `index`: increasing and gap-free as messages are added.
    Column("message_index", BigInteger, nullable=False),
    Column("author", Text, nullable=False),
    Column("body", Text, nullable=True),
    # The MediaSid given (a reference: Hindsight does not hold the media file), as a JSON list.
    Column("media", Text, nullable=True),
    Column("attributes", Text, nullable=False),
    Column("participant_sid", SID, nullable=True),
    *_dates(),
    UniqueConstraint("conversation_sid", "message_index"),
)


# --- media analysis: waveform peaks and talk analytics of recordings ---------------------------

media_analyses = Table(
    "media_analyses",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("account_sid", SID, nullable=False),
    # What was analysed: `recording:RE…`, or `url:<sha256 of the URL>`.
    Column("media_key", String(200), nullable=False),
    # Where to read it (a URL may hold a token): sealed with the server's key.
    Column("source_sealed", Text, nullable=False),
    # The channel names the media item gave (JSON list), or null for the default.
    Column("channels", Text, nullable=True),
    # pending -> running -> done | failed; running rows are leased so a crash frees them.
    Column("status", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_ms", BigInteger, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until_ms", BigInteger, nullable=False),
    Column("codec", String(64), nullable=True),
    Column("duration_ms", BigInteger, nullable=True),
    # JSON: the role of each channel, speech/silence/cross-talk intervals, measures, peaks.
    Column("channel_map", Text, nullable=True),
    Column("intervals", Text, nullable=True),
    Column("measures", Text, nullable=True),
    Column("peaks", Text, nullable=True),
    Column("completed_ms", BigInteger, nullable=True),
    *_dates(),
    UniqueConstraint("account_sid", "media_key"),
    Index(None, "status", "next_attempt_ms"),
)


# --- retention: how long an account keeps its data, and the legal holds that override it ------

retention_policies = Table(
    "retention_policies",
    metadata,
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), primary_key=True),
    # Days to keep each kind of data; null keeps it for ever (domain/retention.py).
    Column("conversation_days", Integer, nullable=True),
    Column("recording_days", Integer, nullable=True),
    Column("transcript_days", Integer, nullable=True),
    Column("updated_ms", BigInteger, nullable=False),
    Column("updated_by", Text, nullable=True),
)

legal_holds = Table(
    "legal_holds",
    metadata,
    Column("account_sid", SID, primary_key=True),
    Column("conversation_id", String(128), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("placed_by_sid", SID, nullable=True),
    Column("placed_by_name", Text, nullable=True),
    Column("placed_ms", BigInteger, nullable=False),
)

# One row per sweep of one account: what it deleted (or, dry, would have), for the UI and API.
retention_runs = Table(
    "retention_runs",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("account_sid", SID, nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("started_ms", BigInteger, nullable=False),
    Column("finished_ms", BigInteger, nullable=True),
    Column("conversations", Integer, nullable=False),
    Column("recordings", Integer, nullable=False),
    Column("transcripts", Integer, nullable=False),
    Column("held", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Index(None, "account_sid", "started_ms"),
)

# --- the event log's counter and leases on background work (write path) -----------------------

# SQLite's stand-in for PostgreSQL's `event_positions` sequence: one row holding the last
# position handed out. SQLite has one writer at a time, so bumping it serialises nothing more.
event_positions = Table(
    "event_positions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last", BigInteger, nullable=False),
)

# Background work (the projector, the router, timers, callbacks, retention, media analysis) is
# claimed by one process at a time: the holder renews `until_ms`; another process takes over
# once it has passed.
leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("until_ms", BigInteger, nullable=False),
    Column("acquired_ms", BigInteger, nullable=False),
)

# Requests counted per key and one-second window, shared by every process serving the database.
rate_limit_windows = Table(
    "rate_limit_windows",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("window", BigInteger, primary_key=True),
    Column("hits", Integer, nullable=False),
)

# --- quality management: questionnaires, and the assessments and comments made with them -----

qm_categories = Table(
    "qm_categories",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    *_dates(),
    Index(None, "account_sid", "date_created", "sid"),
)

# An account's own answer sets; the built-in ones live in domain/quality/answer_sets.py.
qm_answer_sets = Table(
    "qm_answer_sets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("sort", Integer, nullable=False),
    # JSON: [{id, name, score, sort, description}, ...]
    Column("answers", Text, nullable=False),
    Column("created_by", Text, nullable=True),
    *_dates(),
    Index(None, "account_sid", "sort"),
)

qm_questions = Table(
    "qm_questions",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    # A category in use cannot be deleted (no cascade): its questions would lose their place.
    Column("category_sid", SID, ForeignKey("qm_categories.sid"), nullable=False),
    Column("question", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("answer_set_id", String(36), nullable=False),
    Column("allow_na", Boolean, nullable=False),
    *_dates(),
    Index(None, "account_sid", "date_created", "sid"),
    Index(None, "category_sid"),
)

qm_questionnaires = Table(
    "qm_questionnaires",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    *_dates(),
    Index(None, "account_sid", "date_created", "sid"),
)

qm_questionnaire_questions = Table(
    "qm_questionnaire_questions",
    metadata,
    Column(
        "questionnaire_sid",
        SID,
        ForeignKey("qm_questionnaires.sid", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("question_sid", SID, ForeignKey("qm_questions.sid"), primary_key=True),
    Column("position", Integer, nullable=False),
    Index(None, "question_sid"),
)

# One person's (or integration's) assessment of one segment with one questionnaire: a draft
# until submitted. Its answers are qm_assessments rows, Twilio's "assessments".
qm_reviews = Table(
    "qm_reviews",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("segment_id", String(34), nullable=False),
    Column("conversation_id", String(128), nullable=False),
    Column("agent_id", Text, nullable=False),
    # The segment's agent and queue as they were, kept here so reports read one table.
    Column("agent_name", Text, nullable=True),
    Column("queue_name", Text, nullable=True),
    Column("questionnaire_sid", SID, ForeignKey("qm_questionnaires.sid"), nullable=False),
    Column("author_type", String(16), nullable=False),
    Column("author_sid", SID, nullable=False),
    Column("author_name", Text, nullable=True),
    Column("author_email", Text, nullable=True),
    Column("status", String(16), nullable=False),
    # The total as a percentage (domain/quality/scoring.py), kept for search and reports.
    Column("score", Float, nullable=True),
    Column("submitted_ms", BigInteger, nullable=True),
    Column("acknowledged_ms", BigInteger, nullable=True),
    Column("version", Integer, nullable=False),
    *_dates(),
    UniqueConstraint("account_sid", "segment_id", "questionnaire_sid", "author_sid"),
    # With the status, so "has a submitted assessment" is one index probe per conversation.
    Index(None, "account_sid", "conversation_id", "status"),
    # Covers the quality report: a period's assessments are grouped without reading the table.
    Index(
        "ix_qm_reviews_report",
        "account_sid",
        "status",
        "submitted_ms",
        "agent_id",
        "queue_name",
        "questionnaire_sid",
        "score",
        "agent_name",
    ),
)

qm_assessments = Table(
    "qm_assessments",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("review_sid", SID, ForeignKey("qm_reviews.sid", ondelete="CASCADE"), nullable=False),
    Column("account_sid", SID, nullable=False),
    Column("segment_id", String(34), nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("questionnaire_sid", SID, nullable=False),
    # What was asked and answered, as it was then: a question renamed or an answer set changed
    # later does not rewrite a past assessment.
    Column("question_sid", SID, nullable=False),
    Column("question_name", Text, nullable=False),
    Column("category_sid", SID, nullable=False),
    Column("category_name", Text, nullable=False),
    Column("answer_id", String(36), nullable=False),
    Column("answer_text", Text, nullable=False),
    Column("score", Float, nullable=True),  # null: N/A
    Column("max_score", Float, nullable=False),
    Column("offset_seconds", Float, nullable=True),
    *_dates(),
    UniqueConstraint("review_sid", "question_sid"),
    # Covers the report by category: a review's answers without reading the table.
    Index(None, "review_sid", "category_name", "score", "max_score"),
    Index(None, "account_sid", "segment_id", "date_created", "sid"),
    Index(None, "account_sid", "date_created", "sid"),
)

qm_comments = Table(
    "qm_comments",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("segment_id", String(34), nullable=False),
    Column("conversation_id", String(128), nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("comment", Text, nullable=False),
    Column("tag_id", String(36), nullable=False),
    Column("tag_name", Text, nullable=False),
    Column("offset_seconds", Float, nullable=True),
    # A chat message the comment is pinned to (its index in the transcript), if any.
    Column("message_index", Integer, nullable=True),
    Column("author_type", String(16), nullable=False),
    Column("author_sid", SID, nullable=False),
    Column("author_name", Text, nullable=True),
    Column("author_email", Text, nullable=True),
    *_dates(),
    Index(None, "account_sid", "segment_id", "date_created", "sid"),
    Index(None, "account_sid", "agent_id", "date_created", "sid"),
    Index(None, "account_sid", "conversation_id"),
)

# Who changed what in an assessment after it was first written.
qm_changes = Table(
    "qm_changes",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("account_sid", SID, nullable=False),
    Column("review_sid", SID, ForeignKey("qm_reviews.sid", ondelete="CASCADE"), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("actor_sid", SID, nullable=True),
    Column("actor_name", Text, nullable=True),
    # JSON: {"question": ..., "field": ..., "before": ..., "after": ...}
    Column("change", Text, nullable=False),
    Index(None, "review_sid", "id"),
)

# Daily totals of submitted assessments, so the quality report reads a few rows a day instead
# of every assessment of the period (store/quality/daily_totals.py keeps them in the same
# transaction as each change). Keyed by everything a report groups or filters by, and by the
# conversation's scope tags (`scope_key`: a digest of the sorted tags, '' for none; spelled out
# in qm_scope_sets) so a scoped person's report counts only their conversations. A missing
# agent or queue name is '' (key columns are never null).
qm_daily_totals = Table(
    "qm_daily_totals",
    metadata,
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), primary_key=True),
    Column("day_ms", BigInteger, primary_key=True),  # UTC day of submission
    Column("agent_id", Text, primary_key=True),
    Column("agent_name", Text, primary_key=True),
    Column("queue_name", Text, primary_key=True),
    Column("questionnaire_sid", SID, primary_key=True),
    Column("scope_key", String(40), primary_key=True),
    Column("assessments", BigInteger, nullable=False),
    Column("scored", BigInteger, nullable=False),  # assessments with a score (not all N/A)
    Column("score_sum", Float, nullable=False),
)

# The same per category: how many assessments answered in it, and their points got and possible
# (N/A answers left out), so a category's average is 100 * got / possible.
qm_daily_category_totals = Table(
    "qm_daily_category_totals",
    metadata,
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), primary_key=True),
    Column("day_ms", BigInteger, primary_key=True),
    Column("agent_id", Text, primary_key=True),
    Column("agent_name", Text, primary_key=True),
    Column("queue_name", Text, primary_key=True),
    Column("questionnaire_sid", SID, primary_key=True),
    Column("scope_key", String(40), primary_key=True),
    Column("category_name", Text, primary_key=True),
    Column("assessments", BigInteger, nullable=False),
    Column("points", Float, nullable=False),
    Column("possible", Float, nullable=False),
)

# The tags behind each scope key of the daily totals.
qm_scope_sets = Table(
    "qm_scope_sets",
    metadata,
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), primary_key=True),
    Column("scope_key", String(40), primary_key=True),
    Column("tag", String(200), primary_key=True),
    Index(None, "account_sid", "tag"),
)

# Per account: whether agents may read their own submitted assessments (off by default).
qm_settings = Table(
    "qm_settings",
    metadata,
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), primary_key=True),
    Column("agents_see_assessments", Boolean, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("updated_by", Text, nullable=True),
)

# Which agent (as assessments name it: the segment's agent_id) a person is.
qm_agent_links = Table(
    "qm_agent_links",
    metadata,
    Column("user_sid", SID, ForeignKey("users.sid", ondelete="CASCADE"), primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column("agent_id", Text, nullable=False),
    Index(None, "account_sid", "agent_id"),
)

# --- conversation search: what the search box and the customer field look in ------------------
# Kept by search/indexing.py. Full-text indexes over `body` (SQLite FTS5 tables, PostgreSQL GIN
# indexes) are created by migration 0013 and described in store/search/index.py.

# One per Insights conversation: its attributes' values, media titles and customer, as text.
search_documents = Table(
    "search_documents",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("account_sid", SID, nullable=False),
    Column("conversation_id", String(128), nullable=False),
    Column("body", Text, nullable=False),
    # How the list and the header name the customer (name, else phone, e-mail or address).
    Column("customer", Text, nullable=True),
    UniqueConstraint("account_sid", "conversation_id"),
)

# One per chat transcript Hindsight holds: its messages as `author: body` lines.
search_transcripts = Table(
    "search_transcripts",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("account_sid", SID, nullable=False),
    Column("chat_sid", SID, nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("chat_sid"),
)

# Which transcripts (CH…) a conversation's media names.
search_transcript_links = Table(
    "search_transcript_links",
    metadata,
    Column("account_sid", SID, primary_key=True),
    Column("conversation_id", String(128), primary_key=True),
    Column("chat_sid", SID, primary_key=True),
    # Searches go from a matching transcript to its conversations: covering, chat first.
    Index(None, "account_sid", "chat_sid", "conversation_id"),
)

# A conversation's customer as searched: `phone:<E.164 digits>`, `email:…`, `name:…`, `id:…`.
search_customer_keys = Table(
    "search_customer_keys",
    metadata,
    Column("account_sid", SID, primary_key=True),
    Column("conversation_id", String(128), primary_key=True),
    Column("value", String(300), primary_key=True),
    # The conversation's place in the list (its start, then its row id: the list's order),
    # copied from its row, so that a customer's conversations are walked newest first in the
    # index below and the first page reads only the conversations it shows.
    Column("start_ms", BigInteger, nullable=False),
    Column("row_id", RowId, nullable=False),
    Index(None, "account_sid", "value", "start_ms", "row_id"),
)

# The search form's pick lists (domain/search/pick_lists.py): how many conversations filed under
# `tag` show each queue, agent, team, outcome and channel. Kept by search/pick_lists.py.
search_pick_values = Table(
    "search_pick_values",
    metadata,
    Column("account_sid", SID, primary_key=True),
    Column("facet", String(16), primary_key=True),
    Column("tag", String(200), primary_key=True),
    Column("value", String(200), primary_key=True),
    # The value as typed text is compared (case folded): "sales" finds "Sales".
    Column("folded", String(200), nullable=False),
    Column("uses", Integer, nullable=False),
    Index(None, "account_sid", "facet", "folded"),
)

# A person's saved searches: a name and the conversation list's query string.
saved_searches = Table(
    "saved_searches",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column("user_sid", SID, ForeignKey("users.sid", ondelete="CASCADE"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("query", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    UniqueConstraint("user_sid", "name"),
)

# The conversation list's columns a person has hidden.
list_preferences = Table(
    "list_preferences",
    metadata,
    Column("user_sid", SID, ForeignKey("users.sid", ondelete="CASCADE"), primary_key=True),
    Column("hidden_columns", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

# --- SCIM provisioning (issue 19) --------------------------------------------------------------
# Bearer tokens an identity provider uses on /scim/v2 for one account. Only the SHA-256 of a
# token is kept (256 random bits: a fast hash is safe); revoked tokens stay listed.
scim_tokens = Table(
    "scim_tokens",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("created_by", Text, nullable=True),
    Column("last_used_ms", BigInteger, nullable=True),
    Column("revoked_ms", BigInteger, nullable=True),
    Index(None, "account_sid"),
)

# A person the provider provisioned: their SCIM attributes as last sent (JSON: name,
# displayName, emails, title) and externalId. userName and active live in `users`.
scim_users = Table(
    "scim_users",
    metadata,
    Column("user_sid", SID, ForeignKey("users.sid", ondelete="CASCADE"), primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("external_id", Text, nullable=True),
    Column("attributes", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Index(None, "account_sid"),
)

scim_groups = Table(
    "scim_groups",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), nullable=False),
    Column("display_name", Text, nullable=False),
    Column("external_id", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Index(None, "account_sid"),
)

scim_group_members = Table(
    "scim_group_members",
    metadata,
    Column("group_sid", SID, ForeignKey("scim_groups.sid", ondelete="CASCADE"), primary_key=True),
    Column("user_sid", SID, ForeignKey("users.sid", ondelete="CASCADE"), primary_key=True),
    Index(None, "user_sid"),
)

# Per account: which provisioned groups give which roles and scope (provisioning/mapping.py).
scim_settings = Table(
    "scim_settings",
    metadata,
    Column("account_sid", SID, ForeignKey("accounts.sid", ondelete="CASCADE"), primary_key=True),
    Column("group_mapping", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("updated_by", Text, nullable=True),
)


# Bulk exports of conversations' media (recordings and chat transcripts) as a ZIP, built in
# the background and downloaded once by the person who asked. Any HTTP worker answers progress
# and the download from this table; one background process claims each export (a lease it
# renews while it works, so a crashed builder's export is taken up again).
media_exports = Table(
    "media_exports",
    metadata,
    Column("id", String(34), primary_key=True),
    Column("account_sid", SID, nullable=False),
    # Who asked (their SID), and their rights when they asked (JSON: name, roles, scope):
    # the export is built with exactly those rights.
    Column("actor_sid", String(34), nullable=False),
    Column("requester", Text, nullable=False),
    # The conversations to export, resolved in the requester's scope when asked (JSON list).
    Column("conversation_ids", Text, nullable=False),
    # queued -> building -> ready -> downloaded | failed | expired
    Column("status", String(16), nullable=False),
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    Column("items", Integer, nullable=False),
    Column("failed_items", Integer, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until_ms", BigInteger, nullable=False),
    Column("file_name", String(80), nullable=True),
    Column("size_bytes", BigInteger, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("finished_ms", BigInteger, nullable=True),
    Column("expires_ms", BigInteger, nullable=False),
    Index(None, "status", "lease_until_ms"),
    Index(None, "expires_ms"),
)
