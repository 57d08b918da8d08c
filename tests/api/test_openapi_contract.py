"""Hindsight's own API agrees with its OpenAPI document: schemathesis generates requests for
every operation of `/api/openapi.json` (valid and invalid ones) against a real server and checks
each answer: never a 5xx, a status code the document lists, a content type and a body that
match it. The document names every route of the API (sessions, users, audit, retention, media
links, Insights, saved searches, media exports, recordings, analyses)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.support.server import RunningServer, start_server


@pytest.fixture(scope="module")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("contract"), None)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def credentials(contract_server: RunningServer) -> tuple[str, str]:
    issued = contract_server.new_account("contract")
    return issued.sid, issued.auth_token


@pytest.fixture(scope="module")
def api_schema(contract_server: RunningServer) -> Any:
    return schemathesis.openapi.from_url(f"{contract_server.base_url}/api/openapi.json")


EXAMPLES = 20  # a request per example; each operation also gets invalid ones
# Whether every body the document allows is accepted needs each body's business rules in JSON
# Schema (valid role names, existing conversations, ...), which the document does not carry.
LOOSE = [positive_data_acceptance]

EXPECTED_PATHS = {
    "/api/v1/session",
    "/api/v1/sso",
    "/api/v1/users",
    "/api/v1/users/{sid}",
    "/api/v1/users/{sid}/password",
    "/api/v1/scim/tokens",
    "/api/v1/scim/tokens/{sid}",
    "/api/v1/scim/mapping",
    "/api/v1/audit",
    "/api/v1/audit.csv",
    "/api/v1/retention/policy",
    "/api/v1/retention/holds",
    "/api/v1/retention/holds/{conversation_id}",
    "/api/v1/retention/runs",
    "/api/v1/media/links",
    "/api/v1/media/analysis",
    "/media/{token}",
    "/api/v1/tokens/validate",
    "/api/v1/insights/conversations",
    "/api/v1/insights/conversations.csv",
    "/api/v1/insights/pick-lists",
    "/api/v1/insights/saved-searches",
    "/api/v1/insights/saved-searches/{sid}",
    "/api/v1/insights/list-columns",
    "/api/v1/insights/exports",
    "/api/v1/insights/exports/{export_id}",
    "/api/v1/insights/exports/{export_id}/download",
    "/api/v1/insights/conversations/{conversation_id}",
    "/api/v1/insights/drilldown",
    "/api/v1/insights/aggregates",
    "/api/v1/recordings",
    "/api/v1/recordings/{sid}",
    "/api/v1/recordings/{sid}/media",
    "/api/v1/insights/media-analyses",
    "/api/v1/insights/media-analyses/{media_key}",
    "/api/v1/quality/conversations/{conversation_id}",
    "/api/v1/quality/reviews",
    "/api/v1/quality/comments",
    "/api/v1/quality/catalogue",
    "/api/v1/quality/categories",
    "/api/v1/quality/questions",
    "/api/v1/quality/questions/{sid}",
    "/api/v1/quality/questionnaires",
    "/api/v1/quality/questionnaires/{sid}",
    "/api/v1/quality/answer-sets",
    "/api/v1/quality/report",
    "/api/v1/quality/report.csv",
    "/api/v1/quality/assessed",
    "/api/v1/quality/sample",
    "/api/v1/quality/settings",
    "/api/v1/quality/agent-links",
    "/api/v1/quality/mine",
    "/api/v1/quality/mine/{review_sid}/acknowledge",
}


def test_the_document_names_every_route_and_no_unused_422(contract_server: RunningServer) -> None:
    document = httpx.get(f"{contract_server.base_url}/api/openapi.json", timeout=30).json()
    assert set(document["paths"]) == EXPECTED_PATHS
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "422" not in codes, (method, path)
            assert "429" in codes, (method, path)
            if (method, path) != ("post", "/api/v1/tokens/validate"):
                assert "401" in codes, (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["paths"]["/api/v1/media/links"]["post"]["responses"].keys() >= {
        "201",
        "400",
        "413",
        "415",
    }


def test_every_answer_agrees_with_the_document(
    api_schema: Any, credentials: tuple[str, str]
) -> None:
    """Each operation gets generated requests, valid and not; every disagreement is listed."""
    disagreements: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= len(EXPECTED_PATHS)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(auth=credentials, timeout=60, excluded_checks=LOOSE)

        try:
            check()
        except (
            Exception,
            BaseExceptionGroup,
        ) as failure:  # schemathesis reports what disagreed, and the request
            disagreements.append(f"{operation.verbose_name}: {failure}")
    assert not disagreements, "\n\n".join(disagreements)


def test_the_contract_test_would_see_a_disagreement(
    contract_server: RunningServer, credentials: tuple[str, str]
) -> None:
    """The checks are live: with the 404 taken out of the document, a 404 is reported."""
    document = httpx.get(f"{contract_server.base_url}/api/openapi.json", timeout=30).json()
    path = "/api/v1/insights/conversations/{conversation_id}"
    del document["paths"][path]["get"]["responses"]["404"]
    narrowed = schemathesis.openapi.from_dict(document)
    operation = narrowed[path]["GET"]
    case = operation.Case(path_parameters={"conversation_id": "no-such-conversation"})
    response = case.call(base_url=contract_server.base_url, auth=credentials, timeout=60)
    assert response.status_code == 404
    with pytest.raises((Exception, BaseExceptionGroup), match=r"(?i)status code"):
        case.validate_response(response)
