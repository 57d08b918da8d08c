"""`hindsight retention`: the policy, legal holds and sweeps, from the server's own machine."""

from __future__ import annotations

import asyncio
import getpass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from hindsight.cli.kit import account_for, console, open_runtime
from hindsight.domain.retention import FIELDS

# The services are imported inside the commands, so `--help` needs none of them.
if TYPE_CHECKING:
    from hindsight.audit.trail import Actor
    from hindsight.retention.service import PolicyView, SweepReport

retention_app = typer.Typer(
    help="How long conversations, recordings and transcripts are kept; legal holds."
)
_KEEP = "Days to keep; 0 keeps for ever."


def _actor(account_sid: str) -> Actor:
    from hindsight.audit.trail import Actor

    return Actor("cli", None, f"cli:{getpass.getuser()}", account_sid=account_sid)


def _days(value: int | None) -> str:
    return "for ever" if value is None else f"{value} days"


def _show_policy(view: PolicyView) -> None:
    policy = view.policy
    console.print(f"Conversations: {_days(policy.conversation_days)}")
    console.print(
        f"Recordings:    {_days(policy.recording_days)}"
        f" (in effect: {_days(policy.effective_recording_days)})"
    )
    console.print(
        f"Transcripts:   {_days(policy.transcript_days)}"
        f" (in effect: {_days(policy.effective_transcript_days)})"
    )


def _show_report(report: SweepReport) -> None:
    verb = "Would delete" if report.dry_run else "Deleted"
    console.print(
        f"{verb} {report.conversations} conversations, {report.recordings} recordings and "
        f"{report.transcripts} transcripts of {report.account_sid}; "
        f"{report.held} conversations on hold were kept."
    )


@retention_app.command("policy")
def policy(
    conversations: int = typer.Option(None, "--conversations", min=0, help=_KEEP),
    recordings: int = typer.Option(None, "--recordings", min=0, help=_KEEP),
    transcripts: int = typer.Option(None, "--transcripts", min=0, help=_KEEP),
    account: str = typer.Option(None, help="The account (AC…); needed when there are several."),
) -> None:
    """Show the policy, or change the kinds named (the others stay as they are)."""
    given = dict(zip(FIELDS, (conversations, recordings, transcripts), strict=True))
    changes = {name: (value or None) for name, value in given.items() if value is not None}
    with open_runtime() as runtime:
        actor = _actor(account_for(runtime, account))
        service = runtime.services.retention
        if changes:
            view = asyncio.run(service.set_policy(actor, changes))
        else:
            view = asyncio.run(service.policy(actor))
        _show_policy(view)


@retention_app.command("run")
def run(
    dry_run: bool = typer.Option(False, help="Count what has expired without deleting it."),
    account: str = typer.Option(None, help="Only this account (default: every account)."),
) -> None:
    """Delete now what the policies say has expired (the server also does this on a schedule)."""
    from hindsight.retention.service import CLI

    with open_runtime() as runtime:
        service = runtime.services.retention

        async def sweep() -> list[SweepReport]:
            everyone = runtime.services.accounts.list_accounts()
            accounts = [account] if account else [a.sid for a in everyone]
            reports = []
            for sid in accounts:
                view = await service.policy(_actor(sid))
                if view.policy.keeps_everything:
                    console.print(f"{sid}: no retention policy, everything is kept.")
                    continue
                reports.append(
                    await service.sweep(
                        sid, view.policy, trigger=CLI, dry_run=dry_run, who=_actor(sid)
                    )
                )
            return reports

        for report in asyncio.run(sweep()):
            _show_report(report)


@retention_app.command("hold")
def hold(
    conversation_id: str = typer.Argument(..., help="The conversation to keep."),
    reason: str = typer.Option(..., help="Why: the case or matter it is kept for."),
    account: str = typer.Option(None, help="The account (AC…); needed when there are several."),
) -> None:
    """Place a conversation on legal hold: nothing of it is deleted until it is released."""
    with open_runtime() as runtime:
        actor = _actor(account_for(runtime, account))
        row = asyncio.run(runtime.services.retention.place_hold(actor, conversation_id, reason))
        console.print(f"On hold: {row.conversation_id} ({row.reason})")


@retention_app.command("release")
def release(
    conversation_id: str = typer.Argument(...),
    account: str = typer.Option(None, help="The account (AC…); needed when there are several."),
) -> None:
    """Release a legal hold; the conversation is then subject to the policy again."""
    with open_runtime() as runtime:
        actor = _actor(account_for(runtime, account))
        asyncio.run(runtime.services.retention.release_hold(actor, conversation_id))
        console.print(f"Released: {conversation_id}")


@retention_app.command("holds")
def holds(
    account: str = typer.Option(None, help="The account (AC…); needed when there are several."),
) -> None:
    """List the conversations on hold."""
    from hindsight.retention.service import hold_json

    with open_runtime() as runtime:
        actor = _actor(account_for(runtime, account))
        for row in asyncio.run(runtime.services.retention.all_holds(actor)):
            data = hold_json(row)
            placed = datetime.fromtimestamp(data["placed_ms"] / 1000, UTC).isoformat()
            console.print(
                f"{data['conversation_id']}  {placed}  {data['placed_by_name'] or ''}  "
                f"{data['reason']}"
            )
