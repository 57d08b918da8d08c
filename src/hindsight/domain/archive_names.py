"""Names of files inside an export archive.

Parts of the names come from the data (conversation ids are whatever a task's attributes
said), and an archive tool extracting `../../.bashrc` or `/etc/cron.d/x` writes outside the
folder it was asked to use. Every part is reduced to letters, digits, `.`, `_` and `-`, never
starts with a dot, and is of bounded length; parts are joined with `/` only by `archive_path`.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_PART = 80


def safe_part(text: str) -> str:
    """One path component, safe on every platform; distinct inputs stay distinct when cut."""
    cleaned = _UNSAFE.sub("_", text).lstrip(".")
    if not cleaned or cleaned.strip("_") == "":
        cleaned = "item"
    if cleaned != text or len(cleaned) > MAX_PART:
        # Two ids that clean to the same text ("a/b", "a_b") must not share a folder.
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        cleaned = f"{cleaned[: MAX_PART - 9]}-{digest}"
    return cleaned


def archive_path(*parts: str) -> str:
    return "/".join(safe_part(p) for p in parts)
