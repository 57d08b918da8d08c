"""The answer sets an account can use: the built-in ones and those it added."""

from __future__ import annotations

import orjson
from sqlalchemy import Connection

from hindsight.domain.quality.answer_sets import CUSTOM, DEFAULT_SETS, Answer, AnswerSet
from hindsight.store.quality import catalogue as store


def _custom(row: store.AnswerSetRecord) -> AnswerSet:
    answers = tuple(
        Answer(
            id=item["id"],
            name=item["name"],
            score=float(item["score"]),
            sort=int(item["sort"]),
            description=item.get("description") or "",
        )
        for item in orjson.loads(row.answers)
    )
    return AnswerSet(row.id, row.name, CUSTOM.id, row.sort, answers, builtin=False)


def answer_sets(conn: Connection, account_sid: str) -> dict[str, AnswerSet]:
    """Every answer set of the account by id, built-in ones first."""
    sets = {s.id: s for s in DEFAULT_SETS}
    sets.update({row.id: _custom(row) for row in store.answer_sets(conn, account_sid)})
    return sets


def encode_answers(answer_set: AnswerSet) -> str:
    return orjson.dumps([a.to_json() for a in answer_set.answers]).decode()
