"""Twilio's OpenAPI descriptions (TaskRouter v1, Conversations v1, Flex v1) as response oracles.

The specs live outside the project (`../shared/contract/`) and are read, never copied. A
response is checked against the spec whose paths hold the request's path.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPEC_NAME = "twilio_taskrouter_v1.json"
CONVERSATIONS_SPEC_NAME = "twilio_conversations_v1.json"
FLEX_SPEC_NAME = "twilio_flex_v1.json"


def _find_spec(name: str, variable: str) -> Path:
    """A spec: $<variable>, or `shared/contract/` beside the checkout (or beside any folder
    above it, so clean clones elsewhere find it too)."""
    configured = os.environ.get(variable)
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[2]
    for folder in (repo, *repo.parents, Path("/work")):
        candidate = folder / "shared" / "contract" / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"Twilio's {name} was not found beside the checkout; set {variable} to its path"
    )


SPEC_PATH = _find_spec(SPEC_NAME, "HINDSIGHT_TASKROUTER_SPEC")
CONVERSATIONS_SPEC_PATH = _find_spec(CONVERSATIONS_SPEC_NAME, "HINDSIGHT_CONVERSATIONS_SPEC")
FLEX_SPEC_PATH = _find_spec(FLEX_SPEC_NAME, "HINDSIGHT_FLEX_SPEC")
SPEC_PATHS = (SPEC_PATH, CONVERSATIONS_SPEC_PATH, FLEX_SPEC_PATH)

ERROR_BODY_KEYS = {"code", "message", "more_info", "status"}


@functools.cache
def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def spec() -> dict[str, Any]:
    """The TaskRouter spec."""
    return load(SPEC_PATH)


def conversations_spec() -> dict[str, Any]:
    return load(CONVERSATIONS_SPEC_PATH)


def _resolve(node: Any, components: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return _resolve(components[ref.rsplit("/", 1)[1]], components)
        return {k: _resolve(v, components) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, components) for v in node]
    return node


@functools.cache
def _routes() -> list[tuple[re.Pattern[str], str, Path]]:
    routes = []
    for spec_path in SPEC_PATHS:
        templates = sorted(load(spec_path)["paths"], key=lambda p: (p.count("{"), -len(p)))
        routes.extend(
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"), template, spec_path)
            for template in templates
        )
    return routes


def locate(path: str) -> tuple[str, Path] | None:
    """The path template matching `path`, and the spec it is in."""
    for pattern, template, spec_path in _routes():
        if pattern.match(path):
            return template, spec_path
    return None


def template_for(path: str) -> str | None:
    found = locate(path)
    return found[0] if found else None


@functools.cache
def _validator(spec_path: Path, template: str, method: str, status: str) -> OAS30Validator | None:
    document = load(spec_path)
    operation = document["paths"][template].get(method.lower())
    if operation is None:
        return None
    response = operation["responses"].get(status)
    if response is None:
        raise AssertionError(f"{method} {template} is not documented to answer {status}")
    content = response.get("content", {}).get("application/json")
    if content is None:
        return None
    schema = _resolve(content["schema"], document["components"]["schemas"])
    return OAS30Validator(schema, format_checker=oas30_format_checker)


def validate_response(method: str, path: str, status: int, body: Any) -> None:
    """Raise AssertionError unless `body` is what the spec says this call returns."""
    if status >= 400:
        assert isinstance(body, dict), body
        assert set(body) >= ERROR_BODY_KEYS, f"not a Twilio error body: {body}"
        assert body["status"] == status, body
        assert isinstance(body["code"], int) and isinstance(body["message"], str), body
        return
    found = locate(path)
    if found is None:
        return
    template, spec_path = found
    validator = _validator(spec_path, template, method, str(status))
    if validator is None:
        return
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path)
        raise AssertionError(f"{method} {path} -> {status}: {where}: {first.message}")
