"""Settings, read from `HINDSIGHT_*` environment variables (and a `.env` file if present)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hindsight.domain.addresses import AddressRules
from hindsight.media.fetch import FetchOptions, parse_allow_list


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HINDSIGHT_", env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8080, ge=0, le=65535)
    data_dir: Path = Field(Path("data"), description="Where the SQLite file and keys live.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/hindsight.db. "
        "Use postgresql://user@host/db for PostgreSQL.",
    )
    public_url: str | None = Field(
        None,
        description="Base URL clients reach the server at (for `url` fields and paging links). "
        "Default: taken from each request's Host header.",
    )
    sqlite_synchronous: str = Field(
        "FULL", description="SQLite PRAGMA synchronous: FULL survives power loss, NORMAL is faster."
    )
    max_attributes_bytes: int = Field(16 * 1024, ge=1024)
    max_body_bytes: int = Field(256 * 1024, ge=4096)
    max_recording_bytes: int = Field(
        512 * 1024 * 1024,
        ge=1024,
        description="Largest call recording an upload may carry (bytes); larger ones get 413.",
    )
    max_incoming_bytes: int = Field(
        2 * 1024**3,
        ge=1024,
        description="Bytes all uploads in progress may hold at once (per server process); "
        "past it an upload is refused with 503 and Retry-After.",
    )
    secret_key: str | None = Field(
        None, description="64 hex digits sealing stored Auth Tokens; default <data_dir>/secret.key."
    )
    bootstrap_account_sid: str | None = None
    bootstrap_auth_token: str | None = None
    bootstrap_admin_username: str = Field(
        "admin", description="The first person created on first run (an admin of the UI)."
    )
    bootstrap_admin_password: str | None = Field(
        None, description="Their password; default: generated and printed once."
    )
    callback_timeout_seconds: float = Field(15.0, gt=0)
    callback_max_attempts: int = Field(10, ge=1)
    callback_allow_private: bool = Field(
        False,
        description="Allow event callbacks to any private, loopback and unique-local address. "
        "Prefer callback_allow, which names the on-premises receivers.",
    )
    callback_allow: str = Field(
        "",
        description="Comma-separated host names and CIDR ranges event callbacks may be "
        "delivered to whatever they resolve to (receivers on the private network), e.g. "
        "'events.internal,10.20.0.0/16'. Link-local and metadata addresses stay refused "
        "unless a CIDR names them.",
    )
    media_mode: str = Field(
        "extended",
        description="'compatible' plays only a conversation's first VoiceRecording, as Flex "
        "does; 'extended' plays every one.",
    )
    hipaa_mode: bool = Field(
        False,
        description="Project only Flex Insights' HIPAA allow-list of task attributes "
        "(customer phone, e-mail and external id dropped).",
    )
    run_projector: bool = Field(
        True, description="Keep the Insights projection in the server process."
    )
    session_idle_minutes: float = Field(
        30, gt=0, description="Sign-in sessions end after this long without a request."
    )
    session_absolute_hours: float = Field(
        12, gt=0, description="Sign-in sessions end this long after sign-in, whatever happens."
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Wrong passwords in a row from one client before that client is locked out "
        "of that user for a while (the user still signs in from elsewhere).",
    )
    login_lockout_minutes: float = Field(
        15, gt=0, description="The first lock-out; each one in a row lasts twice as long."
    )
    login_lockout_max_hours: float = Field(24, gt=0, description="The longest lock-out.")
    login_user_max_failures: int = Field(
        20,
        ge=1,
        description="Wrong passwords in a row from all clients together before the user is "
        "locked everywhere except where they last signed in.",
    )
    login_hash_concurrency: int = Field(
        2, ge=1, le=64, description="Passwords checked at once (argon2 uses a core and 64 MiB)."
    )
    media_link_seconds: int = Field(
        300, ge=1, le=3600, description="How long a media link minted for a person stays valid."
    )
    rate_limit_login_per_minute: float = Field(
        60,
        ge=0,
        description="Sign-in attempts per client address per minute (0: no limit). A whole "
        "office may share one address; a guessed user is also locked after login_max_failures.",
    )
    rate_limit_api_per_second: float = Field(
        100,
        ge=0,
        description="Requests per second per user or credential to Hindsight's own "
        "API and media links (bursts of twice that; 0: no limit).",
    )
    rate_limit_twilio_api_per_second: float = Field(
        2000,
        ge=0,
        description="Requests per second per account to the Twilio-compatible APIs "
        "(bursts of twice that; 0: no limit).",
    )
    frame_origins: str = Field(
        "",
        description="Comma-separated origins (https://crm.example.org) that pages may show in "
        "frames besides a conversation's own Embedded media: e.g. what plug-ins open in panels.",
    )
    plugins_dir: Path | None = Field(
        None,
        description="Directory of UI plug-ins (JavaScript modules loaded on every page); "
        "default <data_dir>/plugins.",
    )
    run_media_analysis: bool = Field(
        True, description="Compute waveforms and talk analytics of recordings in the server."
    )
    media_analysis_workers: int = Field(
        1, ge=1, le=16, description="Recordings analysed at once (each takes one CPU thread)."
    )
    media_analysis_max_attempts: int = Field(5, ge=1)
    media_analysis_max_seconds: float = Field(
        4 * 3600.0, gt=0, description="Longer recordings are not analysed."
    )
    media_export_max_conversations: int = Field(
        1000, ge=1, le=100_000, description="The most conversations one media export (ZIP) holds."
    )
    media_export_hours: float = Field(
        24.0,
        gt=0,
        description="How long a built media export waits to be downloaded before it is deleted.",
    )
    media_fetch_allow_private: bool = Field(
        False,
        description="Fetch external media from private, loopback and unique-local addresses.",
    )
    media_fetch_allow: str = Field(
        "",
        description="Comma-separated host names and CIDR ranges external media may be fetched "
        "from whatever they resolve to (self-hosted media servers), e.g. "
        "'media.internal,10.20.0.0/16'.",
    )
    media_fetch_connect_timeout_seconds: float = Field(5.0, gt=0)
    media_fetch_read_timeout_seconds: float = Field(30.0, gt=0)
    media_fetch_total_timeout_seconds: float = Field(600.0, gt=0)
    media_fetch_max_bytes: int = Field(1024 * 1024 * 1024, ge=1024)
    media_fetch_max_redirects: int = Field(3, ge=0, le=10)
    retention_interval_minutes: float = Field(
        60.0,
        ge=0,
        description="How often the retention job deletes what each account's policy says has "
        "expired (0: never on a schedule; `hindsight retention run` still works).",
    )
    retention_batch_size: int = Field(
        100,
        ge=1,
        le=10_000,
        description="Conversations, recordings or transcripts deleted per transaction.",
    )
    audit_keyring: Path | None = Field(
        None,
        description="The audit chain's keys (JSON, created on first start; every server of a "
        "deployment needs the same file); default <data_dir>/audit-keys.json.",
    )
    audit_checkpoint_file: Path | None = Field(
        None,
        description="Where signed checkpoints of the audit chain are appended (storage the "
        "database's administrators cannot write); default <data_dir>/audit-checkpoints.jsonl.",
    )
    audit_checkpoint_seconds: float = Field(
        60.0,
        ge=0,
        description="How often the server publishes a checkpoint if the trail grew "
        "(0: only when `hindsight audit verify` runs).",
    )
    media_store: str = Field(
        "local",
        description="Where recordings' bytes are kept: 'local' (<data_dir>/recordings, one "
        "host) or 's3' (an S3-compatible bucket every host reads; the s3_* settings).",
    )
    s3_endpoint_url: str | None = Field(
        None,
        description="The S3-compatible endpoint, e.g. https://minio.internal:9000; "
        "default: AWS S3 of s3_region.",
    )
    s3_bucket: str | None = Field(None, description="The bucket recordings are stored in.")
    s3_region: str | None = Field(None, description="The bucket's region (default us-east-1).")
    s3_prefix: str = Field("", description="Key prefix inside the bucket, e.g. 'hindsight/'.")
    s3_access_key_id: str | None = Field(
        None, description="Default: boto3's own chain (environment, instance role, ...)."
    )
    s3_secret_access_key: str | None = None
    s3_path_style: bool = Field(
        False,
        description="Path-style addressing (http://host/bucket/key): MinIO and most "
        "self-hosted stores need it.",
    )
    s3_part_size_mb: int = Field(
        8, ge=5, le=512, description="Multipart upload part size: the most one upload buffers."
    )
    s3_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="How long a read from the store may stall before the "
        "recording is reported unavailable.",
    )
    media_encryption: bool = Field(
        False,
        description="Encrypt new recordings at rest (AES-256-GCM, a data key per object "
        "wrapped by the media keyring). `hindsight media encrypt` seals older ones.",
    )
    media_keyring: Path | None = Field(
        None,
        description="The media key-encryption keys (JSON, created when encryption is first "
        "on; every host needs the same file); default <data_dir>/media-keys.json.",
    )
    media_keys: str | None = Field(
        None,
        description="Instead of the keyring file: 'id:64 hex digits,...', the current key "
        "first (for secrets kept in the environment).",
    )
    log_level: str = "info"
    role: str = Field(
        "all",
        description="What `hindsight serve` runs here: 'all' (HTTP workers and a background "
        "process), 'web' (HTTP workers only) or 'background' (background work only). Several "
        "hosts on one PostgreSQL database: any mix; the background lease keeps the log's "
        "followers to one process at a time.",
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="HTTP worker processes `hindsight serve` starts (they share the port).",
    )
    lease_seconds: float = Field(
        15.0,
        ge=2,
        description="How long a background process's lease lasts unrenewed before another "
        "process takes its work over.",
    )

    @field_validator("media_fetch_allow", "callback_allow")
    @classmethod
    def _media_fetch_allow(cls, value: str) -> str:
        parse_allow_list(value)
        return value

    @field_validator("media_store")
    @classmethod
    def _media_store(cls, value: str) -> str:
        if value not in ("local", "s3"):
            raise ValueError("must be 'local' or 's3'")
        return value

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if value not in ("all", "web", "background"):
            raise ValueError("must be 'all', 'web' or 'background'")
        return value

    @field_validator("media_mode")
    @classmethod
    def _media_mode(cls, value: str) -> str:
        if value not in ("compatible", "extended"):
            raise ValueError("must be 'compatible' or 'extended'")
        return value

    @field_validator("sqlite_synchronous")
    @classmethod
    def _synchronous(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError("must be OFF, NORMAL, FULL or EXTRA")
        return upper

    def frame_origin_list(self) -> tuple[str, ...]:
        return tuple(o.strip().rstrip("/") for o in self.frame_origins.split(",") if o.strip())

    def resolved_audit_keyring(self) -> Path:
        return self.audit_keyring or self.data_dir / "audit-keys.json"

    def resolved_audit_checkpoint_file(self) -> Path:
        return self.audit_checkpoint_file or self.data_dir / "audit-checkpoints.jsonl"

    def resolved_media_keyring(self) -> Path:
        return self.media_keyring or self.data_dir / "media-keys.json"

    def resolved_plugins_dir(self) -> Path:
        return self.plugins_dir or self.data_dir / "plugins"

    def media_fetch_options(self) -> FetchOptions:
        return FetchOptions(
            allow_private=self.media_fetch_allow_private,
            allow=parse_allow_list(self.media_fetch_allow),
            connect_timeout_seconds=self.media_fetch_connect_timeout_seconds,
            read_timeout_seconds=self.media_fetch_read_timeout_seconds,
            total_timeout_seconds=self.media_fetch_total_timeout_seconds,
            max_bytes=self.media_fetch_max_bytes,
            max_redirects=self.media_fetch_max_redirects,
        )

    def callback_rules(self) -> AddressRules:
        return AddressRules(
            allow_private=self.callback_allow_private,
            allow=parse_allow_list(self.callback_allow),
        )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hindsight.db').resolve()}"
