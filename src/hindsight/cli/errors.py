"""What a command that fails for a reason the person can mend prints: one line, not a traceback.

A refused value (a wrong SID, a name that does not exist), a setting that does not parse, or a
database that cannot be reached is the person's to fix, and a stack trace only hides the
sentence that says how. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from hindsight.domain.errors import HindsightError


def _one_line(error: BaseException) -> str | None:
    if isinstance(error, HindsightError):
        return error.message
    module = type(error).__module__
    if module.startswith(("pydantic", "pydantic_core")) and isinstance(error, ValueError):
        # A HINDSIGHT_* setting that does not parse: name the first one and why.
        first = getattr(error, "errors", lambda: [])()
        if first:
            where = ".".join(str(part) for part in first[0].get("loc", ()))
            return f"HINDSIGHT_{where.upper()}: {first[0].get('msg', 'invalid')}"
        return str(error).splitlines()[0]
    if module.startswith("sqlalchemy") and type(error).__name__ == "OperationalError":
        return "the database cannot be reached: " + str(getattr(error, "orig", error)).strip()
    return None


class FriendlyTyper(typer.Typer):
    """A Typer app whose commands' expected failures end in one line on standard error."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            line = _one_line(error)
            if line is None:
                raise
            print(
                f"Error: {line.splitlines()[0] if line else type(error).__name__}", file=sys.stderr
            )
            raise SystemExit(1) from None
