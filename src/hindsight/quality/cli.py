"""`hindsight quality`: upkeep of quality management's stored figures."""

from __future__ import annotations

import typer

from hindsight.cli.kit import console, open_runtime

quality_app = typer.Typer(help="Quality management: the report's daily totals.")


@quality_app.command("rebuild-totals")
def rebuild_totals(
    account: str = typer.Option(None, "--account", help="Only this account (AC…); default all."),
) -> None:
    """Recompute the quality report's daily totals from the submitted assessments (they are
    kept current as assessments change; this is for a restored or hand-edited database)."""
    from hindsight.store.quality.daily_totals import rebuild

    with open_runtime() as runtime:
        counted = runtime.db.write_sync(lambda conn: rebuild(conn, account))
    scope = f"of {account}" if account else "of every account"
    console.print(f"Daily quality totals rebuilt {scope}: {counted} submitted assessments.")
