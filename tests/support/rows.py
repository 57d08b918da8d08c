"""Rows that store-level tests seed directly (no service in between)."""

from __future__ import annotations

from typing import Any


def account_row(sid: str, at_ms: int = 1) -> dict[str, Any]:
    """An active API account with a placeholder token: enough for rows that name an account."""
    return {
        "sid": sid,
        "friendly_name": "t",
        "status": "active",
        "auth_token_hash": "0" * 64,
        "auth_token_sealed": "x",
        "date_created": at_ms,
        "date_updated": at_ms,
    }
