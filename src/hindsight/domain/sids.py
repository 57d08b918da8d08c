"""Twilio-style SIDs: two upper-case letters followed by 32 lower-case hex digits."""

from __future__ import annotations

import re
import secrets
from enum import StrEnum


class Prefix(StrEnum):
    ACCOUNT = "AC"
    API_KEY = "SK"
    WORKSPACE = "WS"
    ACTIVITY = "WA"
    TASK_CHANNEL = "TC"
    TASK_QUEUE = "WQ"
    WORKFLOW = "WW"
    WORKER = "WK"
    WORKER_CHANNEL = "WC"
    TASK = "WT"
    RESERVATION = "WR"
    EVENT = "EV"
    USER = "US"
    RECORDING = "RE"
    # Conversations API: a conversation, its messages and participants, and the Twilio
    # resources a conversation may name (messaging service, role, media).
    CONVERSATION = "CH"
    MESSAGE = "IM"
    PARTICIPANT = "MB"
    MESSAGING_SERVICE = "MG"
    ROLE = "RL"
    MEDIA = "ME"
    # Flex Insights quality management: categories, questions, questionnaires, and the
    # assessments and comments made with them (Twilio uses FM for both).
    QM_CATEGORY = "FY"
    QM_QUESTION = "GE"
    QM_QUESTIONNAIRE = "GM"
    QM_ASSESSMENT = "FM"
    # Hindsight's own: one author's assessment of a segment with one questionnaire.
    QM_REVIEW = "QR"
    # A person's saved conversation search.
    SAVED_SEARCH = "SV"
    # SCIM provisioning: an identity provider's bearer token, and a group it provisioned.
    SCIM_TOKEN = "ST"
    SCIM_GROUP = "GR"


_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


def new_sid(prefix: Prefix) -> str:
    return f"{prefix}{secrets.token_hex(16)}"


def is_sid(value: str, prefix: Prefix | None = None) -> bool:
    """True when `value` is a well-formed SID (of the given kind, if one is named)."""
    if not _SID.match(value):
        return False
    return prefix is None or value.startswith(prefix)
