"""`hindsight users` (people who sign in to the UI) and `hindsight audit` (the audit trail)."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import typer

from hindsight.cli.kit import account_for, console, fail, open_runtime
from hindsight.domain.access import Scope
from hindsight.domain.csv_export import CsvWriter
from hindsight.domain.permissions import ROLES

# The application is imported inside the commands, so `--help` needs none of it.
if TYPE_CHECKING:
    from hindsight.auth.users import IssuedUser, UserChanges
    from hindsight.store.users import UserRecord

users_app = typer.Typer(help="People who sign in to the reporting UI (not API accounts).")
audit_app = typer.Typer(help="The audit trail of every access to conversation data.")
_ROLE_HELP = "Role (repeatable): " + ", ".join(sorted(ROLES))


def _scope(teams: list[str], queues: list[str], departments: list[str]) -> Scope | None:
    if not (teams or queues or departments):
        return None
    return Scope.from_json({"teams": teams, "queues": queues, "departments": departments})


def _show(row: UserRecord) -> None:
    from hindsight.auth.users import user_json

    data = user_json(row)
    scope = data["scope"]
    limits = "; ".join(f"{k}: {', '.join(v)}" for k, v in scope.items() if v) or "all teams"
    console.print(
        f"{data['sid']}  {data['username']:<24} {data['status']:<8} "
        f"{', '.join(data['roles']):<40} {limits}" + ("  (locked)" if data["locked"] else "")
    )


@users_app.command("create")
def create(
    username: str = typer.Argument(..., help="The name to sign in with."),
    role: list[str] = typer.Option(..., "--role", "-r", help=_ROLE_HELP),
    team: list[str] = typer.Option([], help="Limit to a team (repeatable)."),
    queue: list[str] = typer.Option([], help="Limit to a queue (repeatable)."),
    department: list[str] = typer.Option([], help="Limit to a department (repeatable)."),
    full_name: str = typer.Option(None, help="Shown in the UI and the audit trail."),
    email: str = typer.Option(None),
    account: str = typer.Option(None, help="The account (AC…) whose data the user sees."),
    password_stdin: bool = typer.Option(
        False, help="Read the password from standard input instead of generating one."
    ),
) -> None:
    """Create a user; a generated password is printed once."""
    from hindsight.audit.trail import operator

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with open_runtime() as runtime:
        create = runtime.services.users.create(
            operator(account_for(runtime, account)),
            username,
            role,
            password=password,
            scope=_scope(team, queue, department),
            full_name=full_name,
            email=email,
        )
        issued = asyncio.run(create)
        _show(issued.row)
        if issued.password:
            console.print(f"Password (shown only now): {issued.password}")


@users_app.command("list")
def list_users(account: str = typer.Option(None, help="Only this account's users.")) -> None:
    from hindsight.audit.trail import operator

    with open_runtime() as runtime:
        for row in asyncio.run(runtime.services.users.list(operator(account))):
            _show(row)


PEOPLE_COLUMNS = (
    "sid",
    "account_sid",
    "username",
    "full_name",
    "email",
    "roles",
    "status",
    "locked",
    "auth_provider",
    "last_login_ms",
    "date_created",
)


@users_app.command("export")
def export_users(account: str = typer.Option(None, help="Only this account's users.")) -> None:
    """Write the users as CSV to standard output (never their password hashes)."""
    from hindsight.audit.trail import SYSTEM, operator
    from hindsight.auth.users import user_json

    writer = CsvWriter(PEOPLE_COLUMNS, sys.stdout)
    with open_runtime() as runtime:

        async def export() -> None:
            for row in await runtime.services.users.list(operator(account)):
                data = user_json(row)
                writer.write({**data, "roles": " ".join(data["roles"])})
            await runtime.services.audit.record(
                SYSTEM, "user.export", detail={"account_sid": account, "via": "cli"}
            )

        asyncio.run(export())


def _changes(**fields: object) -> UserChanges:
    from hindsight.auth.users import UserChanges

    return UserChanges(**fields)  # type: ignore[arg-type]


def _change(user: str, changes: UserChanges) -> None:
    from hindsight.audit.trail import SYSTEM

    with open_runtime() as runtime:
        users = runtime.services.users

        async def change() -> UserRecord:
            target = await users.find(user)
            return await users.update(SYSTEM, target.sid, changes)

        _show(asyncio.run(change()))


@users_app.command("disable")
def disable(user: str = typer.Argument(..., help="User name or SID.")) -> None:
    """Disable a user: their sessions end at once and they cannot sign in."""
    from hindsight.auth.users import DISABLED

    _change(user, _changes(status=DISABLED))


@users_app.command("enable")
def enable(user: str = typer.Argument(..., help="User name or SID.")) -> None:
    """Enable a user again (and lift a lock after failed sign-ins)."""
    from hindsight.auth.users import ACTIVE

    _change(user, _changes(status=ACTIVE))


@users_app.command("roles")
def roles(
    user: str = typer.Argument(..., help="User name or SID."),
    role: list[str] = typer.Option(..., "--role", "-r", help=_ROLE_HELP),
) -> None:
    """Replace a user's roles (their sessions end, so the change applies at once)."""
    _change(user, _changes(roles=tuple(role)))


@users_app.command("scope")
def scope(
    user: str = typer.Argument(..., help="User name or SID."),
    team: list[str] = typer.Option([], help="Limit to a team (repeatable)."),
    queue: list[str] = typer.Option([], help="Limit to a queue (repeatable)."),
    department: list[str] = typer.Option([], help="Limit to a department (repeatable)."),
) -> None:
    """Replace a user's scope; with no limits the user sees every team."""
    _change(user, _changes(scope=_scope(team, queue, department) or Scope()))


@users_app.command("reset")
def reset(
    user: str = typer.Argument(..., help="User name or SID."),
    password_stdin: bool = typer.Option(
        False, help="Read the new password from standard input instead of generating one."
    ),
) -> None:
    """Set a new password (generated unless given); the user's sessions end."""
    from hindsight.audit.trail import SYSTEM

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with open_runtime() as runtime:
        users = runtime.services.users

        async def reset() -> IssuedUser:
            target = await users.find(user)
            return await users.reset_password(SYSTEM, target.sid, password)

        issued = asyncio.run(reset())
        _show(issued.row)
        if issued.password:
            console.print(f"New password (shown only now): {issued.password}")


@audit_app.command("verify")
def verify(
    expect_head: str = typer.Option(
        None, help="The head hash printed by an earlier run: also detects records cut off."
    ),
) -> None:
    """Check that no audit record was changed, inserted, deleted or reordered, and that the
    trail still holds every published checkpoint; then publish a new checkpoint."""
    from hindsight.audit.trail import SYSTEM

    with open_runtime() as runtime:
        trail = runtime.services.audit
        result = trail.verify()

        async def record() -> None:
            await trail.record(
                SYSTEM,
                "audit.verify",
                outcome="allowed" if result.intact else "failed",
                detail={"records": result.records, "checkpoints": result.checkpoints},
            )
            if result.intact:
                await trail.publish_checkpoint()

        asyncio.run(record())
    if result.broken is not None:
        fail(
            f"The audit trail is NOT intact: record {result.broken.record_id} "
            f"{result.broken.reason} (after {result.broken.position} good records)."
        )
    if expect_head and expect_head != result.head_hash and not audit_chain_contains(expect_head):
        fail(
            "The audit trail no longer holds the record with the expected head hash: records "
            "were removed from its end, or the trail was replaced."
        )
    console.print(
        f"The audit trail is intact: {result.records} records, "
        f"{result.checkpoints} checkpoints held. "
        f"Head: record {result.head_seq}, hash {result.head_hash}."
    )


@audit_app.command("rotate-key")
def rotate_key() -> None:
    """Sign new audit records with a new key (restart the servers to use it); the older keys
    stay in the keyring so the records they signed keep verifying."""
    from hindsight.audit import keyring
    from hindsight.settings import Settings

    settings = Settings()
    try:
        rotated = keyring.rotate(settings.resolved_audit_keyring())
    except keyring.KeyringError as exc:
        fail(str(exc))
    console.print(
        f"Audit key {rotated.current.number} is current in {settings.resolved_audit_keyring()} "
        f"(keys held: {', '.join(str(n) for n in sorted(rotated.keys))}). Copy the file to "
        "every server of the deployment and restart them."
    )


def audit_chain_contains(head_hash: str) -> bool:
    """Whether an earlier head is still a record of the chain (the trail only grew since)."""
    from hindsight.store import audit as audit_store

    with open_runtime() as runtime:
        return runtime.db.read_sync(
            lambda conn: any(r.hash == head_hash for r in audit_store.in_order(conn))
        )


@audit_app.command("export")
def export(account: str = typer.Option(None, help="Only this account's records.")) -> None:
    """Write the audit trail as CSV to standard output (oldest first)."""
    from hindsight.api.audit import COLUMNS
    from hindsight.audit.trail import SYSTEM
    from hindsight.store import audit as audit_store

    writer = CsvWriter(COLUMNS, sys.stdout)
    with open_runtime() as runtime:

        def rows(conn: object) -> None:
            for record in audit_store.in_order(conn):  # type: ignore[arg-type]
                if account and record.account_sid != account:
                    continue
                writer.write(record.fields())

        runtime.db.read_sync(rows)
        asyncio.run(
            runtime.services.audit.record(
                SYSTEM, "audit.export", detail={"account_sid": account, "via": "cli"}
            )
        )
