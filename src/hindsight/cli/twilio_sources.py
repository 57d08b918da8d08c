"""`hindsight twilio-sources`: connect a real Twilio account, whose TaskRouter events then flow
into Hindsight (its Insights), and print the webhook URLs to give Twilio."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from hindsight.cli.kit import account_for, console, open_runtime

# The application is imported inside the commands, so `--help` needs none of it.
if TYPE_CHECKING:
    from hindsight.app import Runtime
    from hindsight.settings import Settings

app = typer.Typer(
    help="Real Twilio accounts whose TaskRouter events Hindsight mirrors (its Insights)."
)


def base_url(settings: Settings) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"http://{host}:{settings.port}"


def _print_urls(runtime: Runtime, source_sid: str) -> None:
    from hindsight.eventlog.twilio_sources import webhook_urls

    urls = webhook_urls(base_url(runtime.settings), source_sid)
    console.print(f"  EventCallbackUrl (TaskRouter workspace settings): {urls.event_callback_url}")
    console.print(
        f"  Event Streams webhook sink destination:           {urls.event_streams_sink_url}"
    )


@app.command("add")
def add(
    twilio_account_sid: str = typer.Argument(..., help="The Twilio Account SID (AC…)."),
    auth_token: str = typer.Option(
        ...,
        envvar="TWILIO_AUTH_TOKEN",
        prompt="Twilio Auth Token",
        hide_input=True,
        help="The Twilio account's Auth Token (Twilio signs its requests with it). "
        "Read from TWILIO_AUTH_TOKEN or asked for; avoid passing it on the command line.",
    ),
    account: str = typer.Option(
        None, help="The Hindsight account (AC…) that receives the events; default: the only one."
    ),
    name: str = typer.Option(None, help="A friendly name for the source."),
) -> None:
    """Connect a Twilio account and print the URLs to configure in Twilio."""
    with open_runtime() as runtime:
        owner = account_for(runtime, account, "the one to receive the events")
        source = runtime.twilio_sources.add(owner, twilio_account_sid, auth_token, name)
        console.print(
            f"Twilio source {source.sid} ({source.friendly_name}): events of Twilio account "
            f"{source.twilio_account_sid} go to Hindsight account {source.account_sid}."
        )
        console.print("Give Twilio these URLs (either or both; an event is stored once):")
        _print_urls(runtime, source.sid)
        console.print(
            "Subscribe the sink to the com.twilio.taskrouter.* event types. Each Twilio workspace "
            "appears here under its own SID, read-only, with its events in its log."
        )
        if not runtime.settings.public_url:
            console.print(
                "HINDSIGHT_PUBLIC_URL is not set: these URLs name the local address. Set it to "
                "the address Twilio reaches Hindsight at; signatures are checked against it.",
                style="yellow",
            )


@app.command("list")
def list_(
    account: str = typer.Option(None, help="Only the sources of this Hindsight account."),
) -> None:
    """List Twilio sources and their webhook URLs (never their Auth Tokens)."""
    with open_runtime() as runtime:
        sources = runtime.twilio_sources.list(account)
        if not sources:
            console.print("No Twilio sources.")
        for source in sources:
            mirrors = runtime.twilio_sources.mirrors(source.sid)
            console.print(
                f"{source.sid}  {source.twilio_account_sid} → {source.account_sid}  "
                f"{source.friendly_name}  ({len(mirrors)} mirrored workspace"
                f"{'' if len(mirrors) == 1 else 's'})"
            )
            _print_urls(runtime, source.sid)


@app.command("remove")
def remove(source_sid: str = typer.Argument(..., help="The source (IS…).")) -> None:
    """Stop taking events from a Twilio source; its mirrored workspaces stay, read-only."""
    with open_runtime() as runtime:
        mirrors = runtime.twilio_sources.remove(source_sid)
        console.print(f"Removed Twilio source {source_sid}; its URLs now answer 404.")
        for workspace in mirrors:
            console.print(
                f"  {workspace.sid} ({workspace.friendly_name}) keeps its log, read-only."
            )
