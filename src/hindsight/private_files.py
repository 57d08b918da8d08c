"""Files only the owner may read, written so a reader sees the old file or the new one."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def write_private_file(path: Path, body: bytes, *, replace: bool = True) -> None:
    """Write `body` to `path` atomically, readable by the owner only (0600).

    With `replace=False` the file is only created: FileExistsError if one is there already, so
    processes starting at once that each try to create it all end up reading the same one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if another process created it first
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
