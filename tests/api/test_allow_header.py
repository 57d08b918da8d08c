"""Every 405 says which methods the path does answer (RFC 9110 `Allow`), on the Twilio API,
Hindsight's own API and the pages; the recording media's HEAD is documented as audio."""

from __future__ import annotations

import re
from collections import defaultdict

import httpx
import pytest

from hindsight.api import audit, insights, media_analysis, recordings, session, users
from hindsight.api import media as media_api
from hindsight.api.twilio_app import build_twilio_app
from hindsight.retention import http as retention
from hindsight.web import pages

_PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")
_TRY = ("PUT", "PATCH", "DELETE", "POST", "GET")


def _methods_by_path(routes) -> dict[str, set[str]]:
    table: dict[str, set[str]] = defaultdict(set)
    for route in routes:
        if getattr(route, "methods", None):
            table[route.path] |= set(route.methods)
    return table


def _concrete(template: str) -> str:
    return _PARAM.sub(lambda m: "WS" + "a" * 32 if m.group(1) != "path" else "x", template)


def _check(http: httpx.Client, table: dict[str, set[str]]) -> list[str]:
    problems = []
    for template, methods in sorted(table.items()):
        method = next(m for m in _TRY if m not in methods)
        response = http.request(method, _concrete(template))
        allow = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
        if response.status_code != 405 or not methods <= allow or method in allow:
            problems.append(f"{method} {template}: {response.status_code} Allow={sorted(allow)}")
        elif response.json()["code"] != 20004:
            problems.append(f"{method} {template}: body {response.text}")
    return problems


def test_every_405_of_the_twilio_api_carries_allow(server, account):
    app = build_twilio_app(server.runtime.services, None, 1024)
    table = _methods_by_path(app.routes)
    assert len(table) > 30
    with httpx.Client(
        base_url=server.base_url, auth=(account.sid, account.auth_token), timeout=30
    ) as http:
        assert _check(http, table) == []


def test_every_405_of_hindsights_api_and_pages_carries_allow(server):
    routers = (pages, session, users, audit, retention, media_api, insights, recordings)
    routes = [r for module in routers for r in module.router.routes]
    routes += [*media_analysis.router.routes, *insights.openapi_router.routes]
    table = _methods_by_path(routes)
    assert len(table) > 20
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        assert _check(http, table) == []


def test_a_path_served_by_several_routes_lists_all_their_methods(server):
    response = httpx.put(server.base_url + "/api/v1/session", timeout=30)
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, POST"


@pytest.mark.parametrize("method", ["get", "head"])
def test_the_recording_media_is_documented_as_audio(server, method):
    spec = httpx.get(server.base_url + "/api/openapi.json", timeout=30).json()
    responses = spec["paths"]["/api/v1/recordings/{sid}/media"][method]["responses"]
    for status in ("200", "206"):
        assert set(responses[status]["content"]) == {"audio/wav", "audio/mpeg", "audio/ogg"}
    assert "application/json" not in responses["200"]["content"]
