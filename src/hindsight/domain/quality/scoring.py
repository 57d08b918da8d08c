"""An assessment's score: per category and in total, as a percentage.

Each answer scores what its answer set gives it; a question's weight is the best score its set
can give, so a 1-to-5 question counts as much as a yes/no one and "3 of 5" is worth half of it.
N/A answers are left out of both sides. A category (or a whole assessment) with nothing but
N/A has no score rather than 0 or 100.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ScoredAnswer:
    category: str
    score: float | None  # None: answered N/A
    max_score: float


@dataclass(frozen=True)
class Score:
    total: float | None
    by_category: dict[str, float | None]


def percentage(answers: Iterable[ScoredAnswer]) -> float | None:
    got = best = 0.0
    for answer in answers:
        if answer.score is None or answer.max_score <= 0:
            continue
        got += answer.score
        best += answer.max_score
    return None if best == 0 else round(100.0 * got / best, 2)


def score(answers: Iterable[ScoredAnswer]) -> Score:
    listed = list(answers)
    categories: dict[str, list[ScoredAnswer]] = {}
    for answer in listed:
        categories.setdefault(answer.category, []).append(answer)
    return Score(
        total=percentage(listed),
        by_category={name: percentage(items) for name, items in categories.items()},
    )
