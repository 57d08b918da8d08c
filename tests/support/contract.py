"""Twilio's OpenAPI description of TaskRouter v1 as a response oracle.

The spec lives outside the project (`../shared/contract/`) and is read, never copied.
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


def _find_spec() -> Path:
    """The spec: $HINDSIGHT_TASKROUTER_SPEC, or `shared/contract/` beside the checkout (or
    beside any folder above it, so clean clones elsewhere find it too)."""
    configured = os.environ.get("HINDSIGHT_TASKROUTER_SPEC")
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[2]
    for folder in (repo, *repo.parents, Path("/work")):
        candidate = folder / "shared" / "contract" / SPEC_NAME
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"Twilio's {SPEC_NAME} was not found beside the checkout; "
        "set HINDSIGHT_TASKROUTER_SPEC to its path"
    )


SPEC_PATH = _find_spec()

ERROR_BODY_KEYS = {"code", "message", "more_info", "status"}


@functools.cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


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
def _routes() -> list[tuple[re.Pattern[str], str]]:
    templates = sorted(spec()["paths"], key=lambda p: (p.count("{"), -len(p)))
    return [
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"), template)
        for template in templates
    ]


def template_for(path: str) -> str | None:
    for pattern, template in _routes():
        if pattern.match(path):
            return template
    return None


@functools.cache
def _validator(template: str, method: str, status: str) -> OAS30Validator | None:
    operation = spec()["paths"][template].get(method.lower())
    if operation is None:
        return None
    response = operation["responses"].get(status)
    if response is None:
        raise AssertionError(f"{method} {template} is not documented to answer {status}")
    content = response.get("content", {}).get("application/json")
    if content is None:
        return None
    schema = _resolve(content["schema"], spec()["components"]["schemas"])
    return OAS30Validator(schema, format_checker=oas30_format_checker)


def validate_response(method: str, path: str, status: int, body: Any) -> None:
    """Raise AssertionError unless `body` is what the spec says this call returns."""
    if status >= 400:
        assert isinstance(body, dict), body
        assert set(body) >= ERROR_BODY_KEYS, f"not a Twilio error body: {body}"
        assert body["status"] == status, body
        assert isinstance(body["code"], int) and isinstance(body["message"], str), body
        return
    template = template_for(path)
    if template is None:
        return
    validator = _validator(template, method, str(status))
    if validator is None:
        return
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path)
        raise AssertionError(f"{method} {path} -> {status}: {where}: {first.message}")
