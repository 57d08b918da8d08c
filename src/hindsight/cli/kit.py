"""What the `hindsight` commands share: the console they print to, how they fail, the runtime
they open and the account they work in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from hindsight.domain.errors import HindsightError

# The application is imported inside the commands, so `--help` needs none of it.
if TYPE_CHECKING:
    from hindsight.app import Runtime

# No markup: names are printed as they are.
console = Console(soft_wrap=True, markup=False, highlight=False)


def fail(message: str) -> NoReturn:
    console.print(message, style="red")
    raise typer.Exit(1)


@contextmanager
def open_runtime() -> Iterator[Runtime]:
    """The installation's runtime, from the environment's settings; an error ends the command."""
    from hindsight.app import build_runtime
    from hindsight.settings import Settings

    runtime = build_runtime(Settings())
    try:
        yield runtime
    except HindsightError as exc:
        fail(exc.message)
    finally:
        runtime.close()


def account_for(runtime: Runtime, account: str | None, which: str = "the user's") -> str:
    """The account named, or the only one there is; `which` says what to name if several."""
    if account:
        return account
    accounts = runtime.services.accounts.list_accounts()
    if len(accounts) == 1:
        return accounts[0].sid
    if not accounts:
        fail("There is no account yet: run `hindsight serve` once or `hindsight accounts create`.")
    fail(f"There are several accounts: name {which} with --account AC….")
