"""The `conversations` and `customers` objects of task attributes, as Flex Insights reads them.

Text values are cut to 128 characters, numeric measures must be numbers, unknown keys are
ignored (and reported), and labels follow Insights' rule: a label without its attribute makes
the attribute the segment's id; an attribute without its label is its own label. The raw
attributes are always kept verbatim elsewhere; this is the reportable view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hindsight.domain.attributes import unwrap

MAX_TEXT = 128

TEXT_KEYS = frozenset(
    {
        "conversation_id",
        "segment_link",
        "abandoned",
        "abandoned_phase",
        "activity",
        "campaign",
        "case",
        "initiative",
        "channel",
        "communication_channel",
        "content",
        "destination",
        "direction",
        "external_contact",
        "followed_by",
        "preceded_by",
        "handling_department_id",
        "handling_department_name",
        "handling_department_name_in_hierarchy",
        "handling_team_id",
        "handling_team_name",
        "handling_team_name_in_hierarchy",
        "hang_up_by",
        "in_business_hours",
        "initiated_by",
        "ivr_path",
        "language",
        "order",
        "outcome",
        "productive",
        "queue",
        "service_level",
        "source",
        "virtual",
        "workflow",
        "kind",
        "recording_status",
        "segment_name",
        "date",
        *(f"conversation_attribute_{n}" for n in range(1, 11)),
        *(f"conversation_label_{n}" for n in range(1, 11)),
    }
)
# Time measures a caller may set to override what Hindsight computes from events.
TIME_OVERRIDES = (
    "abandon_time",
    "queue_time",
    "ring_time",
    "talk_time",
    "wrap_up_time",
    "hold_time",
    "activity_time",
)
# What the analysis of a recording's speech measures (domain/speech_activity.py).
SPEECH_MEASURES = (
    "agent_talk_time",
    "customer_talk_time",
    "crosstalk_time",
    "silence_time",
    "longest_silence_before_agent",
    "longest_silence_before_customer",
    "longest_talk_by_agent",
    "longest_talk_by_customer",
)
MEASURE_KEYS = frozenset(
    {
        *TIME_OVERRIDES,
        "ivr_time",
        *SPEECH_MEASURES,
        "first_response_time",
        "average_response_time",
        "focus_time",
        "segment_recording_offset",
        "priority",
        *(f"conversation_measure_{n}" for n in range(1, 11)),
    }
)
CUSTOMER_KEYS = frozenset(
    {
        "name",
        "customer_link",
        "acquisition_date",
        "acquisition_cost",
        "business_value",
        "category",
        "customer_manager",
        "email",
        "external_id",
        "gender",
        "geo_location",
        "market_segment",
        "organization",
        "phone",
        "year_of_birth",
        "zip",
        "country",
        "region",
        "state",
        "type",
        *(f"customer_attribute_{n}" for n in range(1, 4)),
        *(f"customer_label_{n}" for n in range(1, 4)),
    }
)
# HIPAA mode keeps only these at the root of the attributes (Flex Insights' allow-list).
HIPAA_ROOT = frozenset(
    {
        "channelSid",
        "conversations",
        "customers",
        "direction",
        "from_country",
        "hipaa_enabled",
        "reason",
        "recordings",
        "reservation_attributes",
        "to_country",
    }
)
HIPAA_DROPPED_CUSTOMER = frozenset({"phone", "email", "external_id"})


@dataclass(frozen=True)
class ConversationView:
    """The reportable reading of one task's attributes."""

    attributes: dict[str, str] = field(default_factory=dict)
    measures: dict[str, float] = field(default_factory=dict)
    customer: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)[:MAX_TEXT]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def apply_labels(attributes: dict[str, str], segment_id: str) -> None:
    """Insights' label rule for the ten conversation attribute/label pairs, in place."""
    for n in range(1, 11):
        attribute, label = f"conversation_attribute_{n}", f"conversation_label_{n}"
        if attribute in attributes and label not in attributes:
            attributes[label] = attributes[attribute]
        elif label in attributes and attribute not in attributes:
            attributes[attribute] = segment_id


def read(attributes: Mapping[str, Any]) -> ConversationView:
    root = unwrap(attributes)
    view = ConversationView()
    conversations = root.get("conversations")
    if isinstance(conversations, Mapping):
        for key, value in conversations.items():
            if key == "media":
                continue
            if key in TEXT_KEYS:
                text = _text(value)
                if text is not None:
                    view.attributes[key] = text
            elif key in MEASURE_KEYS:
                number = _number(value)
                if number is None:
                    view.ignored.append(f"conversations.{key}: not a number")
                else:
                    view.measures[key] = number
            else:
                view.ignored.append(f"conversations.{key}")
    customers = root.get("customers")
    if isinstance(customers, Mapping):
        for key, value in customers.items():
            text = _text(value)
            if key in CUSTOMER_KEYS and text is not None:
                view.customer[key] = text
            elif key not in CUSTOMER_KEYS:
                view.ignored.append(f"customers.{key}")
    return view


def hipaa_filter(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Only the allow-listed attributes, with customer phone, e-mail and external id removed."""
    root = unwrap(attributes)
    kept = {k: v for k, v in root.items() if k in HIPAA_ROOT}
    conversations = kept.get("conversations")
    if isinstance(conversations, Mapping):
        kept["conversations"] = {
            k: v
            for k, v in conversations.items()
            if k in TEXT_KEYS or k in MEASURE_KEYS or k == "media"
        }
        kept["conversations"].pop("external_contact", None)
    customers = kept.get("customers")
    if isinstance(customers, Mapping):
        kept["customers"] = {k: v for k, v in customers.items() if k not in HIPAA_DROPPED_CUSTOMER}
    return kept


def conversation_key(attributes: Mapping[str, Any], task_sid: str) -> str:
    """Which conversation a task belongs to: conversation_id, else call_sid, else the task."""
    root = unwrap(attributes)
    conversations = root.get("conversations")
    if isinstance(conversations, Mapping):
        given = _text(conversations.get("conversation_id"))
        if given:
            return given
    call = root.get("call_sid")
    if isinstance(call, str) and call:
        return call
    return task_sid


def customer_key(view: ConversationView, attributes: Mapping[str, Any], conversation: str) -> str:
    """Insights' customer linking: external id, phone, e-mail, caller/callee, else new."""
    root = unwrap(attributes)
    for key in ("external_id", "phone", "email"):
        if view.customer.get(key):
            return f"{key}:{view.customer[key]}"
    direction = str(view.attributes.get("direction") or root.get("direction") or "").lower()
    keys = ("to", "called") if direction == "outbound" else ("from", "caller")
    for key in keys:
        value = root.get(key)
        if isinstance(value, str) and value:
            return f"address:{value[:MAX_TEXT]}"
    return f"conversation:{conversation}"
