"""What a new workspace starts with, as TaskRouter creates it."""

from __future__ import annotations

from dataclasses import dataclass

# (friendly name, available). "Offline" is the default and the timeout activity.
DEFAULT_ACTIVITIES: tuple[tuple[str, bool], ...] = (
    ("Offline", False),
    ("Available", True),
    ("Unavailable", False),
)
DEFAULT_ACTIVITY = "Offline"

# (unique name, friendly name). Tasks without a TaskChannel go to `default`.
DEFAULT_TASK_CHANNELS: tuple[tuple[str, str], ...] = (
    ("default", "Default"),
    ("voice", "Voice"),
    ("chat", "Chat"),
    ("sms", "SMS"),
    ("video", "Video"),
)
DEFAULT_TASK_CHANNEL = "default"

TEMPLATES = ("NONE", "FIFO")
FIFO_QUEUE_NAME = "Sample Queue"
FIFO_WORKFLOW_NAME = "Default Fifo Workflow"
DEFAULT_TARGET_WORKERS = "1==1"
DEFAULT_RESERVATION_TIMEOUT = 120


@dataclass(frozen=True)
class ChannelCapacity:
    """A worker's capacity on a channel when it is created: one task at a time."""

    capacity: int = 1
    available: bool = True
