"""Answer sets: the choices a question offers, each with a score, and the tags of comments.

Flex ships answer sets every account can use (Twilio lists them under Settings/AnswerSets);
Hindsight ships the common ones too, with ids fixed for ever (uuid5 of their names), so a
question written against one keeps meaning the same answers on every deployment. An account
may add its own sets (kept in the store); defaults cannot be changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hindsight.domain.errors import InvalidParameter

_NAMESPACE = uuid.UUID("5b0c6a63-3f7e-4a53-9d0f-6a1f7f0c2e11")
MAX_NAME = 120
MAX_DESCRIPTION = 500
MAX_ANSWERS = 20
SELECT = "select"


def fixed_id(*names: str) -> str:
    """A stable id for a built-in item: the same on every deployment."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(names)))


@dataclass(frozen=True)
class Answer:
    id: str
    name: str
    score: float
    sort: int
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "id": self.id,
            "name": self.name,
            "score": _number(self.score),
            "sort": self.sort,
        }


@dataclass(frozen=True)
class AnswerSetCategory:
    id: str
    name: str
    sort: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "sort": self.sort}


@dataclass(frozen=True)
class AnswerSet:
    id: str
    name: str
    category_id: str
    sort: int
    answers: tuple[Answer, ...]
    builtin: bool = True

    @property
    def max_score(self) -> float:
        return max((a.score for a in self.answers), default=0.0)

    def answer(self, answer_id: str) -> Answer | None:
        return next((a for a in self.answers if a.id == answer_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "category_id": self.category_id,
            "id": self.id,
            "name": self.name,
            "sort": self.sort,
            "type": SELECT,
            "answers": [a.to_json() for a in self.answers],
        }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


TWO_OPTIONS = AnswerSetCategory(fixed_id("category", "two"), "Two Options", 1)
THREE_OPTIONS = AnswerSetCategory(fixed_id("category", "three"), "Three Options", 2)
RATING = AnswerSetCategory(fixed_id("category", "rating"), "Rating", 3)
CUSTOM = AnswerSetCategory(fixed_id("category", "custom"), "Custom", 4)
CATEGORIES = (TWO_OPTIONS, THREE_OPTIONS, RATING, CUSTOM)


def _builtin(
    name: str, category: AnswerSetCategory, sort: int, answers: Iterable[tuple[str, float, str]]
) -> AnswerSet:
    return AnswerSet(
        id=fixed_id("set", name),
        name=name,
        category_id=category.id,
        sort=sort,
        answers=tuple(
            Answer(fixed_id("set", name, label), label, score, position, description)
            for position, (label, score, description) in enumerate(answers)
        ),
    )


YES_NO = _builtin("Yes, No", TWO_OPTIONS, 0, [("Yes", 100, "Yes."), ("No", 0, "No.")])
PASS_FAIL = _builtin(
    "Pass, Fail", TWO_OPTIONS, 1, [("Pass", 100, "Meets the standard."), ("Fail", 0, "Does not.")]
)
GOOD_FAIR_POOR = _builtin(
    "Good, Fair, Poor", THREE_OPTIONS, 2, [("Good", 100, ""), ("Fair", 50, ""), ("Poor", 0, "")]
)
ONE_TO_FIVE = _builtin(
    "1 to 5",
    RATING,
    3,
    [
        ("1", 0, "Very poor."),
        ("2", 25, "Poor."),
        ("3", 50, "Acceptable."),
        ("4", 75, "Good."),
        ("5", 100, "Excellent."),
    ],
)
DEFAULT_SETS = (YES_NO, PASS_FAIL, GOOD_FAIR_POOR, ONE_TO_FIVE)

# "Not applicable": offered where a question allows it, and left out of every score.
NOT_APPLICABLE = Answer(
    fixed_id("answer", "n/a"), "N/A", 0, 0, "Not applicable for this conversation"
)


@dataclass(frozen=True)
class CommentTag:
    id: str
    name: str
    sort: int
    default: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"default": self.default, "id": self.id, "name": self.name, "sort": self.sort}


COMMENT_TAGS = tuple(
    CommentTag(fixed_id("tag", name), name, position, default=(name == "Neutral"))
    for position, name in enumerate(
        ("Good", "Neutral", "Poor", "Good for Training", "Needs Coaching")
    )
)


def comment_tag(tag_id: str) -> CommentTag | None:
    return next((t for t in COMMENT_TAGS if t.id == tag_id), None)


def clean_text(value: str, what: str, maximum: int, *, required: bool = True) -> str:
    """Trimmed text of bounded length, without control characters (they have no place in a
    name and would corrupt CSV or terminal output)."""
    text = value.strip()
    if required and not text:
        raise InvalidParameter(f"{what} must not be empty")
    if len(text) > maximum:
        raise InvalidParameter(f"{what} is at most {maximum} characters, got {len(text)}")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise InvalidParameter(f"{what} must not contain control characters")
    return text


def custom_answer_set(
    set_id: str, name: str, answers: Iterable[Mapping[str, Any]], sort: int
) -> AnswerSet:
    """An account's own answer set from submitted JSON: 2 to 20 named answers scoring 0 to 100."""
    listed = list(answers)
    if not 2 <= len(listed) <= MAX_ANSWERS:
        raise InvalidParameter(f"An answer set has 2 to {MAX_ANSWERS} answers")
    built: list[Answer] = []
    for position, item in enumerate(listed):
        if not isinstance(item, Mapping):
            raise InvalidParameter("Each answer is an object with name and score")
        label = item.get("name")
        score = item.get("score")
        if not isinstance(label, str):
            raise InvalidParameter("Each answer needs a name")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 100:
            raise InvalidParameter("Each answer's score is a number from 0 to 100")
        description = item.get("description") or ""
        if not isinstance(description, str):
            raise InvalidParameter("An answer's description is text")
        built.append(
            Answer(
                id=fixed_id(set_id, str(position)),
                name=clean_text(label, "An answer's name", MAX_NAME),
                score=float(score),
                sort=position,
                description=clean_text(
                    description, "A description", MAX_DESCRIPTION, required=False
                ),
            )
        )
    names = [a.name.lower() for a in built]
    if len(set(names)) != len(names):
        raise InvalidParameter("Answers of a set must have different names")
    return AnswerSet(
        id=set_id,
        name=clean_text(name, "The answer set's name", MAX_NAME),
        category_id=CUSTOM.id,
        sort=sort,
        answers=tuple(built),
        builtin=False,
    )
