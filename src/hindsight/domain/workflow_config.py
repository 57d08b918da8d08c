"""A workflow's `configuration`: the JSON document of routing rules, parsed and checked.

    {"task_routing": {
        "filters": [{"filter_friendly_name": "...", "expression": "<task expression>",
                     "targets": [{"queue": "WQ...", "expression": "<worker expression>",
                                  "priority": 1, "timeout": 30, "order_by": "...",
                                  "skip_if": "...", "known_worker_sid": "task.agent_sid"
                                  (or "known_worker_friendly_name": "task.agent_name")}]}],
        "default_filter": {"queue": "WQ..."}}}

The document is stored as given; this module turns it into typed rules and refuses anything
routing could not follow, naming the offending path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.known_worker import KnownWorker, parse_known_worker
from hindsight.domain.sids import Prefix, is_sid

MAX_CONFIGURATION_BYTES = 1_038_576  # TaskRouter's documented limit
MAX_TARGET_TIMEOUT = 1_209_600


@dataclass(frozen=True)
class Target:
    queue: str
    expression: str | None = None
    priority: int | None = None
    timeout: int | None = None
    order_by: str | None = None
    skip_if: str | None = None
    known_worker: KnownWorker | None = None  # Known Agent Routing (domain/known_worker.py)

    def admits_known(self, worker: Mapping[str, Any], task_attributes: Mapping[str, Any]) -> bool:
        """Whether the known-worker rule (if any) lets this worker take this task."""
        return self.known_worker is None or self.known_worker.admits(worker, task_attributes)


@dataclass(frozen=True)
class Filter:
    name: str
    expression: str
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class WorkflowConfiguration:
    filters: tuple[Filter, ...]
    default_queue: str | None

    def queue_sids(self) -> set[str]:
        sids = {t.queue for f in self.filters for t in f.targets}
        if self.default_queue:
            sids.add(self.default_queue)
        return sids


def _fail(path: str, problem: str) -> InvalidParameter:
    return InvalidParameter(f"Configuration {path}: {problem}")


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be a JSON object")
    return value


def _optional_str(obj: dict[str, Any], key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _fail(f"{path}.{key}", "must be a string")
    return value


def _optional_int(obj: dict[str, Any], key: str, path: str, maximum: int) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise _fail(f"{path}.{key}", f"must be an integer from 0 to {maximum}")
    return value


def _queue(obj: dict[str, Any], path: str) -> str:
    queue = obj.get("queue")
    if not isinstance(queue, str) or not is_sid(queue, Prefix.TASK_QUEUE):
        raise _fail(f"{path}.queue", "must be a TaskQueue SID (WQ followed by 32 hex digits)")
    return queue


def _target(raw: Any, path: str) -> Target:
    obj = _object(raw, path)
    known_worker = parse_known_worker(
        _optional_str(obj, "known_worker_sid", path),
        _optional_str(obj, "known_worker_friendly_name", path),
        path,
    )
    return Target(
        queue=_queue(obj, path),
        expression=_optional_str(obj, "expression", path),
        priority=_optional_int(obj, "priority", path, 2**31 - 1),
        timeout=_optional_int(obj, "timeout", path, MAX_TARGET_TIMEOUT),
        order_by=_optional_str(obj, "order_by", path),
        skip_if=_optional_str(obj, "skip_if", path),
        known_worker=known_worker,
    )


def _filter(raw: Any, path: str) -> Filter:
    obj = _object(raw, path)
    # Older documents call the name `friendly_name`; TaskRouter accepts both.
    name = _optional_str(obj, "filter_friendly_name", path) or _optional_str(
        obj, "friendly_name", path
    )
    expression = _optional_str(obj, "expression", path)
    if expression is None or not expression.strip():
        raise _fail(f"{path}.expression", "is required")
    targets = obj.get("targets")
    if not isinstance(targets, list) or not targets:
        raise _fail(f"{path}.targets", "must be a non-empty list")
    return Filter(
        name=name or f"filter {path}",
        expression=expression,
        targets=tuple(_target(t, f"{path}.targets[{i}]") for i, t in enumerate(targets)),
    )


def parse_configuration(raw: str) -> WorkflowConfiguration:
    if len(raw.encode("utf-8")) > MAX_CONFIGURATION_BYTES:
        raise InvalidParameter(
            f"Configuration is larger than the limit of {MAX_CONFIGURATION_BYTES} bytes"
        )
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"Configuration must be valid JSON: {exc}") from None
    routing = _object(_object(document, "(document)").get("task_routing"), "task_routing")
    raw_filters = routing.get("filters", [])
    if not isinstance(raw_filters, list):
        raise _fail("task_routing.filters", "must be a list")
    filters = tuple(_filter(f, f"task_routing.filters[{i}]") for i, f in enumerate(raw_filters))
    default = routing.get("default_filter")
    default_queue = None
    if default is not None:
        default_queue = _queue(_object(default, "task_routing.default_filter"), "default_filter")
    if not filters and default_queue is None:
        raise _fail("task_routing", "needs at least one filter or a default_filter")
    return WorkflowConfiguration(filters=filters, default_queue=default_queue)


def fifo_configuration(queue_sid: str) -> str:
    """The configuration of the FIFO workspace template: everything to one queue."""
    return orjson.dumps({"task_routing": {"default_filter": {"queue": queue_sid}}}).decode()
