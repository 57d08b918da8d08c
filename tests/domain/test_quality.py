"""Quality management's pure rules: scores, answer sets, offsets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.quality.answer_sets import (
    COMMENT_TAGS,
    DEFAULT_SETS,
    NOT_APPLICABLE,
    ONE_TO_FIVE,
    YES_NO,
    clean_text,
    custom_answer_set,
    fixed_id,
)
from hindsight.domain.quality.offsets import format_offset, parse_offset
from hindsight.domain.quality.scoring import ScoredAnswer, percentage, score


def test_a_score_weighs_each_answer_by_its_sets_best_score() -> None:
    answers = [
        ScoredAnswer("Greeting", 100, 100),  # yes
        ScoredAnswer("Greeting", 50, 100),  # 3 of 5
        ScoredAnswer("Resolution", 0, 100),  # fail
    ]
    result = score(answers)
    assert result.total == 50.0
    assert result.by_category == {"Greeting": 75.0, "Resolution": 0.0}


def test_not_applicable_is_left_out_of_both_sides() -> None:
    answers = [
        ScoredAnswer("Greeting", None, 100),
        ScoredAnswer("Greeting", 100, 100),
        ScoredAnswer("Resolution", None, 100),
    ]
    result = score(answers)
    assert result.total == 100.0
    assert result.by_category == {"Greeting": 100.0, "Resolution": None}
    assert percentage([]) is None


@given(
    st.lists(
        st.tuples(st.sampled_from("ABC"), st.one_of(st.none(), st.floats(0, 100))),
        max_size=30,
    )
)
def test_scores_stay_between_0_and_100(items: list[tuple[str, float | None]]) -> None:
    result = score(ScoredAnswer(c, s, 100) for c, s in items)
    for value in (result.total, *result.by_category.values()):
        assert value is None or 0 <= value <= 100


def test_built_in_ids_are_fixed_and_distinct() -> None:
    assert YES_NO.id == fixed_id("set", "Yes, No")
    ids = [s.id for s in DEFAULT_SETS] + [a.id for s in DEFAULT_SETS for a in s.answers]
    ids += [t.id for t in COMMENT_TAGS] + [NOT_APPLICABLE.id]
    assert len(ids) == len(set(ids))
    assert ONE_TO_FIVE.max_score == 100
    assert [a.name for a in ONE_TO_FIVE.answers] == ["1", "2", "3", "4", "5"]


def test_custom_answer_sets_are_checked() -> None:
    made = custom_answer_set(
        "set-1",
        " Traffic light ",
        [
            {"name": "Green", "score": 100},
            {"name": "Amber", "score": 40.5},
            {"name": "Red", "score": 0},
        ],
        sort=100,
    )
    assert made.name == "Traffic light" and made.max_score == 100
    assert [a.score for a in made.answers] == [100, 40.5, 0]
    for answers in (
        [{"name": "Only", "score": 1}],
        [{"name": "A", "score": 101}, {"name": "B", "score": 0}],
        [{"name": "A", "score": True}, {"name": "B", "score": 0}],
        [{"name": "A", "score": 1}, {"name": "a", "score": 0}],
        [{"name": "", "score": 1}, {"name": "B", "score": 0}],
        ["A", "B"],
    ):
        with pytest.raises(InvalidParameter):
            custom_answer_set("set-2", "Bad", answers, sort=100)


def test_texts_are_trimmed_bounded_and_free_of_control_characters() -> None:
    assert clean_text("  Greeting ", "Name", 10) == "Greeting"
    for bad in ("", "   ", "x" * 11, "bell\x07"):
        with pytest.raises(InvalidParameter):
            clean_text(bad, "Name", 10)


def test_offsets() -> None:
    assert parse_offset("6.985619") == 6.985619
    assert format_offset(parse_offset("0")) == "0.0"
    assert format_offset(None) is None
    for bad in ("-1", "nan", "inf", "abc", "", "1e30"):
        with pytest.raises(InvalidParameter):
            parse_offset(bad)
