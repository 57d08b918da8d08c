"""`hindsight`: run the server and administer it.

Help and argument errors come from this module and the command modules alone: the application
(web framework, database, services) is imported inside each command, so `hindsight --help`
starts in well under a second rather than after importing the whole server.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from hindsight.auth.sso.cli import sso_app
from hindsight.cli.errors import FriendlyTyper
from hindsight.cli.media import media_app
from hindsight.cli.people import audit_app, users_app
from hindsight.cli.twilio_sources import app as twilio_sources_app
from hindsight.domain.errors import HindsightError, NotFound
from hindsight.quality.cli import quality_app
from hindsight.retention.cli import retention_app

if TYPE_CHECKING:
    from hindsight.app import Runtime

app = FriendlyTyper(help="Hindsight: a self-hosted conversation store for contact centres.")
accounts_app = typer.Typer(help="API accounts (Account SID + Auth Token).")
app.add_typer(accounts_app, name="accounts")
app.add_typer(twilio_sources_app, name="twilio-sources")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(retention_app, name="retention")
app.add_typer(media_app, name="media")
app.add_typer(quality_app, name="quality")
app.add_typer(sso_app, name="sso")
console = Console()


@contextmanager
def _counting(title: str, total: int, time_left: bool = True) -> Iterator[Callable[[int], None]]:
    """A progress bar of `total` items while the block runs; it yields "n more are done"."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns: list[ProgressColumn] = [TextColumn(title), BarColumn(), MofNCompleteColumn()]
    if time_left:
        columns.append(TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task(title, total=total)
        yield lambda n: progress.advance(bar, n)


def _runtime() -> Runtime:
    from hindsight.app import build_runtime
    from hindsight.settings import Settings

    return build_runtime(Settings())


def _first_admin(runtime: Runtime, account_sid: str) -> tuple[str, str | None] | None:
    """Create the first person (an admin) when there is nobody yet: (name, shown password)."""
    import asyncio

    from hindsight.audit.trail import SYSTEM, operator

    settings = runtime.settings
    users = runtime.services.users

    async def first() -> tuple[str, str | None] | None:
        if await users.list(SYSTEM):
            return None
        issued = await users.create(
            operator(account_sid),
            settings.bootstrap_admin_username,
            ("admin",),
            password=settings.bootstrap_admin_password,
            full_name="Administrator",
        )
        return issued.row.username, issued.password

    return asyncio.run(first())


def _first_run_banner(runtime: Runtime, base_url: str) -> None:
    issued, from_environment = runtime.services.accounts.bootstrap(
        runtime.settings.bootstrap_account_sid, runtime.settings.bootstrap_auth_token
    )
    accounts = runtime.services.accounts.list_accounts()
    admin = _first_admin(runtime, accounts[0].sid) if accounts else None
    if admin is not None:
        name, password = admin
        console.rule("[bold]Hindsight: sign in")
        console.print(f"Open [bold]{base_url}/[/] and sign in as [bold]{name}[/]")
        if password:
            console.print(f"  Password (shown only now): [bold]{password}[/]")
        else:
            console.print("  with the password from HINDSIGHT_BOOTSTRAP_ADMIN_PASSWORD.")
        console.print(
            "Add people with `hindsight users create NAME -r ROLE` or on the Admin page; "
            "`hindsight demo` loads a week of sample conversations."
        )
    if issued is None:
        return
    console.rule("[bold]Hindsight first run")
    if from_environment:
        console.print(
            f"Created account [bold]{issued.sid}[/] with the Auth Token from "
            "HINDSIGHT_BOOTSTRAP_AUTH_TOKEN (not shown)."
        )
    else:
        console.print("Created your API account. The Auth Token is shown [bold]only now[/]:")
        console.print(f"  Account SID: [bold]{issued.sid}[/]")
        console.print(f"  Auth Token:  [bold]{issued.auth_token}[/]")
    console.print(
        f"\nThe TaskRouter v1 API is at [bold]{base_url}/v1/Workspaces[/] "
        "(HTTP Basic: Account SID and Auth Token).\n"
        "With the official Python helper library:\n"
        "  client = twilio.rest.Client(ACCOUNT_SID, AUTH_TOKEN)\n"
        f'  client.taskrouter.base_url = "{base_url}"\n'
        "Rotate the token with `hindsight accounts rotate <SID>`; "
        f"data lives in {runtime.settings.data_dir.resolve()}."
    )
    console.rule()


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default HINDSIGHT_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default HINDSIGHT_PORT or 8080)."),
    workers: int = typer.Option(
        None, min=1, max=64, help="HTTP worker processes (default HINDSIGHT_WORKERS or 1)."
    ),
    role: str = typer.Option(
        None,
        help="all: HTTP workers and the background process; web: HTTP only; background: "
        "background work only (default HINDSIGHT_ROLE or all).",
    ),
) -> None:
    """Run Hindsight: HTTP worker processes and a background process, supervised (migrations
    are applied first)."""
    from hindsight.app import build_runtime
    from hindsight.processes import supervisor
    from hindsight.settings import Settings

    overrides = {
        key: value
        for key, value in {"host": host, "port": port, "workers": workers, "role": role}.items()
        if value is not None
    }
    try:
        settings = Settings(**overrides)
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    host = settings.host
    try:
        sock = supervisor.bind(host, settings.port) if settings.role != "background" else None
    except OSError as exc:
        console.print(f"[red]Cannot listen on {host}:{settings.port}: {exc.strerror or exc}[/]")
        raise typer.Exit(1) from None
    # Port 0 asks the system for a free one: say which.
    port = sock.getsockname()[1] if sock is not None else settings.port
    runtime = build_runtime(settings)
    display_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    try:
        _first_run_banner(runtime, settings.public_url or f"http://{display_host}:{port}")
    except HindsightError as exc:
        runtime.close()
        console.print(f"[red]Cannot create the first account: {exc.message}[/]")
        raise typer.Exit(1) from None
    runtime.close()
    supervisor.configure_logging(settings.log_level)
    if sock is not None:
        supervisor.log.info(
            "listening on http://%s:%s with %d HTTP worker(s)", display_host, port, settings.workers
        )
    owner = f"{socket.gethostname()}:{os.getpid()}:background"
    children = supervisor.children_for(settings, sock, owner)
    raise typer.Exit(supervisor.Supervisor(children).run())


@app.command()
def migrate() -> None:
    """Apply database migrations and exit."""
    runtime = _runtime()
    runtime.close()
    console.print("Database is up to date.")


@app.command()
def project() -> None:
    """Keep the Insights projection up to date in its own process (the server then need not:
    set HINDSIGHT_RUN_PROJECTOR=false there)."""
    import asyncio

    runtime = _runtime()

    async def follow() -> None:
        stop = asyncio.Event()
        await runtime.projector.run(stop)

    try:
        asyncio.run(follow())
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()


@app.command()
def reproject() -> None:
    """Rebuild conversations and segments from the whole event log."""
    import asyncio

    from hindsight.insights import projector as projector_module

    runtime = _runtime()
    try:
        total = runtime.db.read_sync(projector_module.total_events)
        runtime.db.write_sync(projector_module.reset)
        with _counting("Projecting the event log", total) as advance:
            applied = asyncio.run(runtime.projector.catch_up(advance))
        console.print(f"Projected {applied} events.")
    finally:
        runtime.close()


def _end_ms(until: str | None) -> int:
    """The demo's end as epoch milliseconds: `--until`, or now."""
    if until is None:
        return int(time.time() * 1000)
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(until)
    except ValueError:
        raise typer.BadParameter("not an ISO 8601 time", param_hint="--until") from None
    if moment.tzinfo is None:
        raise typer.BadParameter("give the offset too (e.g. Z or +01:00)", param_hint="--until")
    return int(moment.timestamp() * 1000)


@app.command()
def demo(
    days: int = typer.Option(7, min=1, max=31, help="How many days of traffic to simulate."),
    seed: int = typer.Option(7, help="The same seed gives the same traffic."),
    account: str = typer.Option(None, help="Hindsight account to load it into (default: first)."),
    recordings: int = typer.Option(
        8,
        min=0,
        max=100,
        help="Distinct (synthetic) recordings, of lengths spread over the talk times; every "
        "answered call gets the shortest that covers its talk (0: calls have no recording).",
    ),
    until: str = typer.Option(
        None,
        help="When the traffic ends, as an ISO 8601 time with its offset (default: now); the "
        "same --until and --seed give the same conversations whatever the day.",
    ),
) -> None:
    """Load a realistic week of contact-centre traffic (voice, chat, transfers, abandons and
    custom media of every type) through the Twilio ingest API of a local server. Chats get
    transcripts and answered calls recordings that Hindsight holds, and pages are stand-ins
    Hindsight serves, so every conversation screen works with no network."""
    from hindsight.demo import held_media as demo_held_media
    from hindsight.demo import runner as demo_runner
    from hindsight.demo import simulation as demo_simulation
    from hindsight.store import insights as insights_store

    runtime = _runtime()
    server = None
    try:
        accounts = runtime.services.accounts.list_accounts()
        owner = account or (accounts[0].sid if accounts else None)
        if owner is None:
            console.print("[red]No account yet: start `hindsight serve` once first.[/]")
            raise typer.Exit(1)
        if owner not in {a.sid for a in accounts}:
            raise NotFound(f"--account: no account {owner} here (`hindsight accounts list`)")
        twilio_account, token, workspace = demo_runner.new_identity()
        source = runtime.twilio_sources.add(owner, twilio_account, token, "Demo contact centre")
        identity = demo_runner.DemoSource(source.sid, twilio_account, token, workspace)
        events = list(demo_simulation.week(twilio_account, workspace, _end_ms(until), days, seed))
        server = _background_server(runtime)
        row = next(a for a in runtime.services.accounts.list_accounts() if a.sid == owner)
        auth = (owner, runtime.services.accounts.auth_token_of(row))
        media_items = demo_held_media.planned(events, recordings)
        with _counting("Writing transcripts and recordings", media_items, False) as advance:
            held = demo_held_media.put_in_place(
                server.base_url, auth, events, recordings=recordings, seed=seed, progress=advance
            )
        with _counting("Posting TaskRouter events", len(events)) as advance:
            demo_runner.post_batches(server.base_url, identity, events, advance)
        caught_up = demo_runner.wait_for_projection(
            lambda: runtime.db.read_sync(lambda c: insights_store.position(c, workspace)),
            len(events),
            timeout=120,
        )
        tasks = sum(1 for e in events if e["EventType"] == "task.created")
        console.print(
            f"Loaded {len(events)} events: {tasks} tasks over {days} days into account {owner}"
            f" (mirrored workspace {workspace}), with {held.transcripts} chat transcripts and"
            f" recordings of {held.calls} calls ({held.recordings} distinct) held by Hindsight."
            + ("" if caught_up else " The projection is still catching up.")
        )
    finally:
        if server is not None:
            server.stop()
        runtime.close()


def _background_server(runtime: Runtime) -> Any:
    """This runtime served on a free local port for the duration of a command."""
    import socket
    import threading

    import uvicorn

    from hindsight.app import create_app

    # Bound here and handed to uvicorn, so no other process can take the port in between.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)

    class Running:
        base_url = f"http://127.0.0.1:{port}"

        def stop(self) -> None:
            server.should_exit = True
            thread.join(timeout=15)

    return Running()


@accounts_app.command("list")
def accounts_list() -> None:
    """List accounts (never their tokens)."""
    runtime = _runtime()
    try:
        for row in runtime.services.accounts.list_accounts():
            console.print(f"{row.sid}  {row.status:<9} {row.friendly_name}")
    finally:
        runtime.close()


@accounts_app.command("create")
def accounts_create(friendly_name: str = typer.Argument("Hindsight")) -> None:
    """Create an account and print its Auth Token once."""
    runtime = _runtime()
    try:
        issued = runtime.services.accounts.create_account(friendly_name)
        console.print(f"Account SID: {issued.sid}\nAuth Token:  {issued.auth_token}")
    finally:
        runtime.close()


@accounts_app.command("rotate")
def accounts_rotate(sid: str) -> None:
    """Replace an account's Auth Token and print the new one once."""
    runtime = _runtime()
    try:
        token = runtime.services.accounts.rotate_auth_token(sid)
        console.print(f"New Auth Token for {sid}: {token}")
    except HindsightError as exc:
        console.print(f"[red]{exc.message}[/]")
        raise typer.Exit(1) from None
    finally:
        runtime.close()


if __name__ == "__main__":
    app()
