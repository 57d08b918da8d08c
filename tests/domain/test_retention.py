"""Retention rules without a database: policy validation, partial updates, effective limits,
cutoffs and hold reasons."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.domain import retention as rules
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.retention import RetentionPolicy

days = st.none() | st.integers(min_value=1, max_value=rules.MAX_DAYS)


def test_the_default_policy_keeps_everything() -> None:
    policy = RetentionPolicy()
    assert policy.keeps_everything
    cut = rules.cutoffs(policy, 1_000 * rules.DAY_MS)
    assert cut == rules.Cutoffs(None, None, None)


@pytest.mark.parametrize(
    "value", [0, -1, rules.MAX_DAYS + 1, True, False, 1.5, "30", [30], {"days": 30}]
)
def test_a_limit_is_a_whole_number_of_days_in_range(value: Any) -> None:
    with pytest.raises(InvalidParameter):
        RetentionPolicy.from_json({"conversation_days": value})


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(InvalidParameter, match="audit_days"):
        RetentionPolicy.from_json({"audit_days": 3})


def test_a_partial_change_keeps_the_fields_not_named() -> None:
    policy = RetentionPolicy(conversation_days=365, recording_days=90)
    changed = policy.changed({"recording_days": None, "transcript_days": 30})
    assert changed == RetentionPolicy(conversation_days=365, transcript_days=30)
    with pytest.raises(InvalidParameter):
        policy.changed({"recording_days": 0})


@given(days, days, days)
def test_media_never_outlive_their_conversations(
    conversation: int | None, recording: int | None, transcript: int | None
) -> None:
    policy = RetentionPolicy(conversation, recording, transcript)
    for own, effective in (
        (recording, policy.effective_recording_days),
        (transcript, policy.effective_transcript_days),
    ):
        limits = [d for d in (own, conversation) if d is not None]
        assert effective == (min(limits) if limits else None)


@given(days, st.integers(min_value=0, max_value=2**50))
def test_a_cutoff_is_the_limit_before_now(limit: int | None, now: int) -> None:
    cut = rules.cutoff(now, limit)
    assert cut is None if limit is None else now - cut == limit * rules.DAY_MS


def test_a_hold_reason_is_one_trimmed_line() -> None:
    assert rules.hold_reason("  Case\n\t 42  ") == "Case 42"
    assert rules.hold_reason("x" * rules.MAX_REASON_CHARS) == "x" * rules.MAX_REASON_CHARS


@pytest.mark.parametrize(
    "value", [None, "", "   \n", 42, ["Case"], "x" * (rules.MAX_REASON_CHARS + 1)]
)
def test_a_hold_needs_a_reason(value: Any) -> None:
    with pytest.raises(InvalidParameter):
        rules.hold_reason(value)
