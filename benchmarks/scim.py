"""SCIM filtering in-process: what `GET /scim/v2/Users?filter=…` spends matching, per
account size, beside a ceiling (a bare list comprehension doing the one comparison).

    benchmarks/run-scim                         # 1,000, 10,000 and 50,000 people
    benchmarks/run-scim --people 5000 --rounds 9

Each round times the ceiling and then Hindsight's `page_of` (parse the filter, match every
resource, slice the page) on the same resources, interleaved; medians are printed with their
ratio. Resources are shaped as Hindsight renders provisioned people (userName, externalId,
name, displayName, two emails, active, meta). Identity providers page with `count` 100-200
and mostly filter `userName eq`, so the whole list is matched every request: this is the cost
that grows with the account.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from hindsight.domain.scim.attributes import USER_ATTRS, USER_SCHEMA
from hindsight.provisioning.resources import page_of

FILTERS = {
    "userName eq": 'userName eq "person-{n}"',
    "emails.value co": 'emails.value co "{n}@work"',
    "and/or + value path": (
        'active eq true and (displayName sw "Person {n}" or emails[type eq "work" and '
        'value ew "{n}@work.example"])'
    ),
}


def people(count: int) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [USER_SCHEMA],
            "id": f"US{i:032x}",
            "externalId": f"00u{i:08d}",
            "userName": f"person-{i}",
            "name": {"givenName": "Person", "familyName": str(i)},
            "displayName": f"Person {i}",
            "emails": [
                {"value": f"p{i}@work.example", "type": "work", "primary": True},
                {"value": f"p{i}@home.example", "type": "home"},
            ],
            "active": i % 10 != 0,
            "meta": {"resourceType": "User", "version": 'W/"1"'},
        }
        for i in range(count)
    ]


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def run(count: int, rounds: int) -> None:
    resources = people(count)
    target = count // 2
    print(f"\n{count:,} people, {rounds} rounds (median ms per request)")
    print(f"{'filter':24} {'ceiling':>9} {'hindsight':>10} {'ratio':>7}")
    for label, template in FILTERS.items():
        text = template.format(n=target)
        wanted = f"person-{target}"
        ceilings, ours = [], []

        def ceiling_work(wanted: str = wanted) -> object:
            return [r for r in resources if r["userName"] == wanted][:100]

        def hindsight_work(text: str = text) -> object:
            return page_of(resources, text, USER_ATTRS, USER_SCHEMA, 1, 100)

        for _ in range(rounds):
            ceilings.append(timed(ceiling_work))
            ours.append(timed(hindsight_work))
        ceiling, mine = statistics.median(ceilings), statistics.median(ours)
        print(f"{label:24} {ceiling:9.2f} {mine:10.2f} {mine / ceiling:6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, action="append")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    for count in args.people or [1_000, 10_000, 50_000]:
        run(count, args.rounds)


if __name__ == "__main__":
    main()
