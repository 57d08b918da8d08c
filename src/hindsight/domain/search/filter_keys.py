"""The conversation list's filter parameters, by name: one list for the Insights API, the
list page's form and saved searches, so that a filter added to one is known to all three.

Pure names; what each one means is parsed in insights/filters.py (services) and the API.
"""

from __future__ import annotations

# Who and what a conversation was about: one value each, matched exactly.
DIMENSIONS = ("queue", "agent", "team", "channel", "direction", "outcome")
# Yes/no questions about a conversation.
FLAGS = ("abandoned", "handled", "has_media", "in_progress")
# Quality management: assessed or not, by which questionnaire, with which score.
QUALITY = ("assessed", "questionnaire_sid", "score_min", "score_max")
# Measures a search can bound ("talk longer than 10 minutes"), and the two kinds of bound:
# min_talk_time=600 is talk of at least 600 s; max_queue_time=20 queued at most 20 s.
DURATION_MEASURES = ("talk_time", "queue_time", "handling_time")
AT_LEAST, AT_MOST = "min", "max"
DURATIONS = tuple(f"{bound}_{m}" for m in DURATION_MEASURES for bound in (AT_LEAST, AT_MOST))
# Free text, and a customer's name, number or address.
TEXT = ("q", "customer")
# A conversation attribute's key and value (the API takes `attribute.<key>=<value>` too).
ATTRIBUTE = ("attr_key", "attr_value")
