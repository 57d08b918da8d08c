from __future__ import annotations

import json

import pytest

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.workflow_config import fifo_configuration, parse_configuration

Q1 = "WQ" + "1" * 32
Q2 = "WQ" + "2" * 32


def config(**routing):
    return json.dumps({"task_routing": routing})


def test_filters_targets_and_default_are_read():
    parsed = parse_configuration(
        config(
            filters=[
                {
                    "filter_friendly_name": "Spanish",
                    "expression": "language == 'es'",
                    "targets": [{"queue": Q1, "priority": 5, "timeout": 30}, {"queue": Q2}],
                }
            ],
            default_filter={"queue": Q2},
        )
    )
    assert parsed.filters[0].name == "Spanish"
    assert parsed.filters[0].targets[0].priority == 5
    assert parsed.queue_sids() == {Q1, Q2}
    assert parsed.default_queue == Q2


def test_legacy_friendly_name_key_is_accepted():
    parsed = parse_configuration(
        config(filters=[{"friendly_name": "Old", "expression": "1==1", "targets": [{"queue": Q1}]}])
    )
    assert parsed.filters[0].name == "Old"


def test_fifo_template_routes_everything_to_one_queue():
    assert parse_configuration(fifo_configuration(Q1)).default_queue == Q1


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ("not json", "valid JSON"),
        ("[]", "must be a JSON object"),
        ("{}", "task_routing"),
        (config(), "at least one filter"),
        (config(filters={}), "filters: must be a list"),
        (config(filters=[{"targets": [{"queue": Q1}]}]), "filters[0].expression"),
        (config(filters=[{"expression": "1==1", "targets": []}]), "filters[0].targets"),
        (config(filters=[{"expression": "1==1", "targets": [{}]}]), "targets[0].queue"),
        (
            config(filters=[{"expression": "1==1", "targets": [{"queue": "WQnope"}]}]),
            "targets[0].queue",
        ),
        (
            config(filters=[{"expression": "1==1", "targets": [{"queue": Q1, "priority": -1}]}]),
            "priority",
        ),
        (
            config(filters=[{"expression": "1==1", "targets": [{"queue": Q1, "timeout": "9"}]}]),
            "timeout",
        ),
        (
            config(
                filters=[
                    {"expression": "1==1", "targets": [{"queue": Q1, "known_worker_sid": "a =="}]}
                ]
            ),
            "known_worker_sid",
        ),
        (config(default_filter={"queue": 7}), "default_filter.queue"),
    ],
)
def test_invalid_documents_are_refused_naming_the_path(document, where):
    with pytest.raises(InvalidParameter) as raised:
        parse_configuration(document)
    assert where in raised.value.message


def test_oversize_document_is_refused():
    with pytest.raises(InvalidParameter, match="larger than"):
        parse_configuration(" " * 1_100_000)
