"""How long an account keeps conversations, recordings and transcripts, and what a hold protects.

A policy gives a number of days for each kind of data; `None` keeps it for ever (the default,
so nothing is deleted until an administrator decides). Ages are counted from:

* a conversation: its end (a conversation still in progress never expires);
* a recording: its upload;
* a transcript: its last activity (the chat, its last update or its newest message), so a
  chat channel that is reused keeps its history while it is in use.

A recording or transcript never outlives the conversation policy: its effective limit is the
shorter of the two, because it is part of the conversation it belongs to.

A legal hold on a conversation protects the conversation and every recording and transcript it
shows from deletion, for as long as the hold stands, whatever the policy says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hindsight.domain.errors import InvalidParameter

DAY_MS = 86_400_000
# A hundred years: more is a typo, and keeping for ever is `null`.
MAX_DAYS = 36_500
MAX_REASON_CHARS = 500

CONVERSATIONS = "conversation_days"
RECORDINGS = "recording_days"
TRANSCRIPTS = "transcript_days"
FIELDS = (CONVERSATIONS, RECORDINGS, TRANSCRIPTS)


def _days(value: Any, name: str) -> int | None:
    if value is None:
        return None
    # JSON true is an int in Python; a policy of "true days" is a mistake, not one day.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter(f"{name} must be a whole number of days, or null to keep for ever")
    if not 1 <= value <= MAX_DAYS:
        raise InvalidParameter(f"{name} must be between 1 and {MAX_DAYS} days, or null")
    return value


def _shorter(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


@dataclass(frozen=True)
class RetentionPolicy:
    conversation_days: int | None = None
    recording_days: int | None = None
    transcript_days: int | None = None

    def __post_init__(self) -> None:
        for name in FIELDS:
            _days(getattr(self, name), name)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> RetentionPolicy:
        unknown = sorted(set(document) - set(FIELDS))
        if unknown:
            raise InvalidParameter(f"Unknown policy field {unknown[0]!r}; fields are {FIELDS}")
        return cls(**{name: _days(document.get(name), name) for name in FIELDS})

    def changed(self, document: Mapping[str, Any]) -> RetentionPolicy:
        """This policy with the fields `document` names replaced (a partial update)."""
        given = RetentionPolicy.from_json(document)
        chosen = {name: getattr(given if name in document else self, name) for name in FIELDS}
        return RetentionPolicy(**chosen)

    def to_json(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in FIELDS}

    @property
    def keeps_everything(self) -> bool:
        return all(getattr(self, name) is None for name in FIELDS)

    @property
    def effective_recording_days(self) -> int | None:
        return _shorter(self.recording_days, self.conversation_days)

    @property
    def effective_transcript_days(self) -> int | None:
        return _shorter(self.transcript_days, self.conversation_days)


@dataclass(frozen=True)
class Cutoffs:
    """What ended, was uploaded or was last active before these instants has expired."""

    conversations_ms: int | None
    recordings_ms: int | None
    transcripts_ms: int | None


def cutoff(now_ms: int, days: int | None) -> int | None:
    return None if days is None else now_ms - days * DAY_MS


def cutoffs(policy: RetentionPolicy, now_ms: int) -> Cutoffs:
    return Cutoffs(
        conversations_ms=cutoff(now_ms, policy.conversation_days),
        recordings_ms=cutoff(now_ms, policy.effective_recording_days),
        transcripts_ms=cutoff(now_ms, policy.effective_transcript_days),
    )


def hold_reason(value: Any) -> str:
    """A hold says why (a case number, a matter): required, one line, bounded."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameter("A legal hold needs a reason (a case or matter reference)")
    reason = " ".join(value.split())
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidParameter(f"A hold's reason is at most {MAX_REASON_CHARS} characters")
    return reason
