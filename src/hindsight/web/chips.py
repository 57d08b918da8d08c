"""The filter chips above a list: every filter in force, said in words, each with a link that
removes it and keeps the others (a period arriving from a report drill-down included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hindsight.web.render import clock_words, date_words, query

# Query parameters that are not filters (the order and page of the list, the report's shape).
NOT_FILTERS = frozenset({"sort", "order", "page_token", "group_by", "sl", "range", "saved"})
PRESET_NAMES = {
    "today": "Today",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "all": "All time",
}
LABELS = {
    "queue": "Queue",
    "agent": "Agent",
    "team": "Team",
    "channel": "Channel",
    "direction": "Direction",
    "outcome": "Outcome",
    "abandoned": "Abandoned",
    "has_media": "Has media",
    "handled": "Handled",
    "in_progress": "In progress",
    "q": "Search",
    "customer": "Customer",
    "assessed": "Assessed",
    "questionnaire_sid": "Questionnaire",
    "score_min": "Score at least",
    "score_max": "Score at most",
    "min_talk_time": "Talk at least (s)",
    "max_talk_time": "Talk at most (s)",
    "min_queue_time": "Queue time at least (s)",
    "max_queue_time": "Queue time at most (s)",
    "min_handling_time": "Handling at least (s)",
    "max_handling_time": "Handling at most (s)",
}
_YES_NO = {"true": "yes", "false": "no"}


@dataclass(frozen=True)
class Chip:
    label: str
    value: str
    remove_href: str

    @property
    def text(self) -> str:
        return f"{self.label}: {self.value}"


def _moment(value: str) -> datetime | None:
    """A period bound as UTC (a drill-down sends ISO 8601 with an offset; a bare date or time
    is taken as UTC, as the server reads it)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _at_midnight(moment: datetime) -> bool:
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def _words(moment: datetime) -> str:
    """ "Dec 7, 2026" for a day's start, else "Dec 7, 2026, 9:15 AM" (the pages' date styles)."""
    if _at_midnight(moment):
        return date_words(moment)
    return f"{date_words(moment)}, {clock_words(moment)}"


def _bound(value: str) -> str:
    moment = _moment(value)
    if moment is None:
        return value
    return _words(moment) if _at_midnight(moment) else f"{_words(moment)} UTC"


def _span(first: datetime, last: datetime) -> str:
    if _at_midnight(first) and last - first == timedelta(days=1):
        return date_words(first)  # a report's day
    if first.date() == last.date() or (_at_midnight(last) and last - first < timedelta(days=1)):
        return f"{_words(first)} to {clock_words(last)} UTC"  # a report's hour, or part of a day
    times = not (_at_midnight(first) and _at_midnight(last))
    return f"{_words(first)} to {_words(last)}{' UTC' if times else ''}"


def period_text(shown: dict[str, str]) -> str | None:
    """The exact period a drill-down narrowed the list to, in words (None: none given)."""
    start, end = shown.get("start"), shown.get("end")
    if not start and not end:
        return None
    if start and end:
        first, last = _moment(start), _moment(end)
        if first is not None and last is not None:
            return _span(first, last)
        return f"{_bound(start)} to {_bound(end)}"
    return f"from {_bound(start)}" if start else f"before {_bound(end or '')}"


def build(path: str, shown: dict[str, str]) -> list[Chip]:
    """The chips of a page at `path` whose query (as the page understood it) is `shown`."""
    base = {k: v for k, v in shown.items() if k != "page_token"}

    def without(*keys: str, **changes: str) -> str:
        removed = {k: None for k in keys}
        return f"{path}?{query(base, **removed, **changes)}"

    chips: list[Chip] = []
    period = period_text(shown)
    if period is not None:
        chips.append(Chip("Period", period, without("start", "end")))
    preset = shown.get("range", "7d")
    if preset == "custom":
        dates = " to ".join(_bound(shown[k]) for k in ("from", "to") if shown.get(k))
        if dates:
            chips.append(Chip("Dates", dates, without("from", "to", range="all")))
    elif preset in PRESET_NAMES and preset != "all":
        chips.append(Chip("Period", PRESET_NAMES[preset], without(range="all")))
    for key, value in shown.items():
        if key in NOT_FILTERS or key in ("start", "end", "from", "to", "attr_key"):
            continue
        if key == "attr_value":
            name = shown.get("attr_key")
            if name:
                chips.append(Chip(name, value, without("attr_key", "attr_value")))
            continue
        label = key[len("attribute.") :] if key.startswith("attribute.") else LABELS.get(key, key)
        chips.append(Chip(label, _YES_NO.get(value, value), without(key)))
    return chips
