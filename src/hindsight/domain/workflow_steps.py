"""Where a task stands in its workflow, and where it goes next.

A task enters the first filter whose expression matches its attributes (or the default filter)
and waits in that filter's first target; when a target's timeout passes it moves to the next
target; after the last target of a filter it leaves the workflow (workflow.timeout) and is
canceled. The default filter has one target and no timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hindsight.domain import expressions
from hindsight.domain.workflow_config import Target, WorkflowConfiguration

DEFAULT_FILTER = -1


@dataclass(frozen=True)
class Step:
    filter_index: int
    target_index: int
    filter_name: str
    target: Target

    @property
    def queue_sid(self) -> str:
        return self.target.queue


def first_step(config: WorkflowConfiguration, attributes: Mapping[str, Any]) -> Step | None:
    """The step a task with these attributes enters; None when nothing matches."""
    for index, rule in enumerate(config.filters):
        if expressions.matches(rule.expression, attributes):
            return Step(index, 0, rule.name, rule.targets[0])
    if config.default_queue is not None:
        return Step(DEFAULT_FILTER, 0, "Default Filter", Target(queue=config.default_queue))
    return None


def step_at(config: WorkflowConfiguration, filter_index: int, target_index: int) -> Step | None:
    """The step stored on a task, if the (possibly edited) workflow still has it."""
    if filter_index == DEFAULT_FILTER:
        if config.default_queue is None or target_index != 0:
            return None
        return Step(DEFAULT_FILTER, 0, "Default Filter", Target(queue=config.default_queue))
    if not 0 <= filter_index < len(config.filters):
        return None
    rule = config.filters[filter_index]
    if not 0 <= target_index < len(rule.targets):
        return None
    return Step(filter_index, target_index, rule.name, rule.targets[target_index])


def next_step(config: WorkflowConfiguration, step: Step) -> Step | None:
    """The target after `step` in the same filter; None when the workflow is exhausted."""
    if step.filter_index == DEFAULT_FILTER:
        return None
    return step_at(config, step.filter_index, step.target_index + 1)
