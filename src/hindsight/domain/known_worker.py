"""Known Agent Routing: a workflow target that offers a task to one worker named by the task.

A target's `known_worker_sid` or `known_worker_friendly_name` (one or the other) is an
expression on the task, usually an attribute path such as `task.agent_sid` (the worker who
handled the customer last) or `task.preferred_agent`. The target then offers the task only to
the worker whose SID or friendly name it evaluates to, if that worker is in the target's queue;
while there is none (the attribute is missing, or names nobody), the task waits in the target
until its timeout moves it on, as for any target no worker matches. A literal Worker SID is
accepted too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hindsight.domain import expressions
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.sids import Prefix, is_sid


@dataclass(frozen=True)
class KnownWorker:
    field: str  # the worker's "sid" or "friendly_name"
    source: expressions.Operand

    def wanted(self, task_attributes: Mapping[str, Any]) -> Any:
        """What the task says the known worker's SID or friendly name is."""

        def resolve(path: expressions.AttributePath) -> Any:
            inner = path[1:] if path and path[0] == "task" else path
            return expressions.resolve_path(task_attributes, inner)

        return self.source.value_in(resolve)

    def admits(self, worker: Mapping[str, Any], task_attributes: Mapping[str, Any]) -> bool:
        wanted = self.wanted(task_attributes)
        return isinstance(wanted, str) and bool(wanted) and worker.get(self.field) == wanted


def parse_known_worker(
    sid_text: str | None, friendly_name_text: str | None, path: str
) -> KnownWorker | None:
    """The known-worker rule of a target, from its two fields; raises InvalidParameter."""
    if sid_text is not None and friendly_name_text is not None:
        raise InvalidParameter(
            f"Configuration {path}: known_worker_sid and known_worker_friendly_name "
            "exclude each other"
        )
    if sid_text is not None:
        if is_sid(sid_text, Prefix.WORKER):
            return KnownWorker("sid", expressions.Constant(sid_text))
        return KnownWorker("sid", _operand(sid_text, f"{path}.known_worker_sid"))
    if friendly_name_text is not None:
        return KnownWorker(
            "friendly_name", _operand(friendly_name_text, f"{path}.known_worker_friendly_name")
        )
    return None


def _operand(text: str, path: str) -> expressions.Operand:
    try:
        return expressions.parse_operand(text)
    except expressions.ExpressionError as exc:
        raise InvalidParameter(f"Configuration {path}: {exc.message}") from None
