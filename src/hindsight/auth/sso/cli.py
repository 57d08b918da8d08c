"""`hindsight sso`: an account's single sign-on seen from the server, and its break-glass."""

from __future__ import annotations

import asyncio
import getpass

import typer

from hindsight.cli.kit import account_for, console, fail, open_runtime

sso_app = typer.Typer(help="Single sign-on (OpenID Connect) of an account; the break-glass.")


@sso_app.command("status")
def status(account: str = typer.Option(None, help="The account (AC…); needed if several.")) -> None:
    """Show the account's provider, whether passwords are on, and its break-glass admin."""
    with open_runtime() as runtime:
        account_sid = account_for(runtime, account)
        record = runtime.services.sso.config.record_for(account_sid)
        if record is None:
            console.print("Single sign-on is not configured for this account.")
            return
        console.print(f"Provider:        {record.display_name} ({record.issuer})")
        console.print(f"Enabled:         {'yes' if record.enabled else 'no'}")
        console.print(f"Local passwords: {'on' if record.local_passwords else 'off'}")
        console.print(f"Break-glass:     {record.break_glass_user_sid or '-'}")


@sso_app.command("passwords-on")
def passwords_on(
    account: str = typer.Option(None, help="The account (AC…); needed if several."),
) -> None:
    """Break-glass: let everyone of the account sign in with a password again (audited).

    For when the provider is down or misconfigured and the break-glass admin cannot sign in
    either; `hindsight users reset NAME` gives anyone a new password."""
    from hindsight.audit.trail import Actor

    with open_runtime() as runtime:
        account_sid = account_for(runtime, account)
        if runtime.services.sso.config.record_for(account_sid) is None:
            fail("Single sign-on is not configured for this account.")
        actor = Actor("cli", None, f"cli:{getpass.getuser()}", account_sid=account_sid)
        if asyncio.run(runtime.services.sso.config.restore_passwords(account_sid, actor)):
            console.print(
                "Local passwords are on again for this account (recorded in the audit trail)."
            )
        else:
            console.print("Local passwords were already on for this account.")
