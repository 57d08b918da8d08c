"""Plug-ins: JavaScript modules an administrator puts in the plug-in directory.

Every page loads each of them (same origin, so the pages' CSP admits them) and calls its
`init(hindsight)` export with the Actions API, as Flex calls a plug-in's `init(flex, manager)`.
They are the deployment's own code, like Flex plug-ins: only administrators can place them.
"""

from __future__ import annotations

import re
from pathlib import Path

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\.js$")
MAX_BYTES = 512 * 1024


def available(directory: Path | None) -> list[str]:
    """The plug-in modules, by file name, in a stable order."""
    if directory is None or not directory.is_dir():
        return []
    return sorted(
        entry.name
        for entry in directory.iterdir()
        if _NAME.match(entry.name) and entry.is_file() and entry.stat().st_size <= MAX_BYTES
    )


def read(directory: Path | None, name: str) -> bytes | None:
    """A plug-in's source, or None for anything that is not a plug-in of the directory."""
    if directory is None or not _NAME.match(name) or name not in available(directory):
        return None
    return (directory / name).read_bytes()
