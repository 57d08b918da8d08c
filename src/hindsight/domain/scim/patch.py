"""SCIM PATCH (RFC 7644 §3.5.2): applying add / replace / remove operations to a resource.

The resource is its SCIM JSON (canonical attribute names); the result is checked again as a
whole by the caller, exactly as a PUT would be, so PATCH can never store what PUT refuses.
Paths: `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, optionally prefixed by the
core schema's URN. Operations apply in order and all or none take effect.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hindsight.domain.scim.attributes import Attr, check_single, check_value, find, strip_urn
from hindsight.domain.scim.errors import (
    invalid_path,
    invalid_syntax,
    invalid_value,
    mutability,
    no_target,
)
from hindsight.domain.scim.filter import Compare, Node, matches, parse_inner

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_OPERATIONS = 1000
_PATH = re.compile(
    r"^(?P<attr>[A-Za-z$][\w$\-]*)(?:\[(?P<filter>.*)\])?(?:\.(?P<sub>[A-Za-z$][\w$\-]*))?$",
    re.DOTALL,
)


@dataclass(frozen=True)
class PatchPath:
    attr: Attr
    filter: Node | None = None
    sub: Attr | None = None


@dataclass(frozen=True)
class Operation:
    op: str
    path: PatchPath | None
    value: Any


def parse_path(text: Any, attrs: tuple[Attr, ...], schema: str) -> PatchPath:
    if not isinstance(text, str) or not text.strip() or len(text) > 2048:
        raise invalid_path("path must be a non-empty attribute path")
    match = _PATH.match(strip_urn(text.strip(), schema))
    if match is None:
        raise invalid_path(f"Cannot read the path {text[:80]!r}")
    attr = find(attrs, match["attr"])
    if attr is None:
        raise invalid_path(f"Unknown attribute {match['attr'][:80]!r} in the path")
    node = None
    if match["filter"] is not None:
        if not (attr.multi and attr.type == "complex"):
            raise invalid_path(f"{attr.name} is not a list of values to filter")
        node = parse_inner(match["filter"], attr)
    sub = None
    if match["sub"] is not None:
        sub = attr.child(match["sub"])
        if sub is None:
            raise invalid_path(f"Unknown attribute {attr.name}.{match['sub'][:60]!r}")
    if attr.mutability == "readOnly" or (sub is not None and sub.mutability == "readOnly"):
        raise mutability(f"{text[:80]} is read-only")
    return PatchPath(attr, node, sub)


def parse_operations(
    document: Mapping[str, Any], attrs: tuple[Attr, ...], schema: str
) -> list[Operation]:
    schemas = document.get("schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA not in schemas:
        raise invalid_syntax(f"A PATCH body names the schema {PATCH_SCHEMA}")
    raw = document.get("Operations", document.get("operations"))
    if not isinstance(raw, list) or not raw:
        raise invalid_syntax("A PATCH body has a non-empty list of Operations")
    if len(raw) > MAX_OPERATIONS:
        raise invalid_syntax(f"At most {MAX_OPERATIONS} operations in one PATCH")
    operations = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise invalid_syntax("Each operation is an object")
        op = item.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise invalid_syntax("op is add, replace or remove")
        path = item.get("path")
        parsed = parse_path(path, attrs, schema) if path is not None else None
        if op.lower() == "remove" and parsed is None:
            raise no_target("A remove operation needs a path")
        if op.lower() != "remove" and "value" not in item:
            raise invalid_value(f"A {op.lower()} operation needs a value")
        operations.append(Operation(op.lower(), parsed, item.get("value")))
    return operations


def apply(
    resource: Mapping[str, Any],
    operations: list[Operation],
    attrs: tuple[Attr, ...],
    schema: str,
) -> dict[str, Any]:
    """The resource after the operations (a new dict; `resource` is left untouched)."""
    result = copy.deepcopy(dict(resource))
    for operation in operations:
        if operation.path is None:
            _apply_without_path(result, operation, attrs, schema)
        elif operation.op == "remove":
            _remove(result, operation.path, operation.value)
        else:
            _set(result, operation.path, operation.value, operation.op == "add")
    return result


def _apply_without_path(
    result: dict[str, Any], operation: Operation, attrs: tuple[Attr, ...], schema: str
) -> None:
    if not isinstance(operation.value, Mapping):
        raise invalid_value("Without a path, the value is an object of attributes")
    for raw_key, value in operation.value.items():
        key = strip_urn(str(raw_key), schema)
        if key.lower() in ("schemas", "meta", "id"):
            continue
        if "." in key and not key.startswith("urn:"):
            # Entra ID: {"op": "replace", "value": {"name.givenName": "Ada"}}.
            _set(result, parse_path(key, attrs, schema), value, operation.op == "add")
            continue
        attr = find(attrs, key)
        if attr is None:
            if key.startswith("urn:"):
                continue
            raise invalid_path(f"Unknown attribute {key[:80]!r}")
        if attr.type == "complex" and not attr.multi and isinstance(value, Mapping):
            for sub_key, sub_value in value.items():
                sub = attr.child(str(sub_key))
                if sub is None:
                    raise invalid_path(f"Unknown attribute {attr.name}.{str(sub_key)[:60]!r}")
                _set(result, PatchPath(attr, None, sub), sub_value, operation.op == "add")
        else:
            _set(result, PatchPath(attr), value, operation.op == "add")


def _set(result: dict[str, Any], path: PatchPath, value: Any, add: bool) -> None:
    attr = path.attr
    if path.filter is not None:
        _set_filtered(result, path, value, add)
        return
    if path.sub is not None:
        checked = check_single(path.sub, value)
        if attr.multi:
            for item in result.get(attr.name) or []:
                _put(item, path.sub.name, checked)
            return
        holder = result.setdefault(attr.name, {})
        _put(holder, path.sub.name, checked)
        if not holder:
            result.pop(attr.name, None)
        return
    checked = check_value(attr, value)
    if attr.multi and add:
        merged = list(result.get(attr.name) or [])
        for item in checked or []:
            if item not in merged:
                merged.append(item)
        _put(result, attr.name, merged or None)
    elif attr.type == "complex" and not attr.multi and add and isinstance(checked, dict):
        _put(result, attr.name, {**(result.get(attr.name) or {}), **checked})
    else:
        _put(result, attr.name, checked)


def _set_filtered(result: dict[str, Any], path: PatchPath, value: Any, add: bool) -> None:
    assert path.filter is not None
    items = list(result.get(path.attr.name) or [])
    chosen = [i for i, item in enumerate(items) if matches(path.filter, item)]
    if not chosen:
        if not add:
            raise no_target(f"No value of {path.attr.name} matches the filter")
        # `emails[type eq "work"].value` added where there is none yet (Entra ID does this):
        # a new value carrying the filter's equality and the given value.
        seed = _seed(path.filter)
        items.append(seed)
        chosen = [len(items) - 1]
    for index in chosen:
        if path.sub is not None:
            updated = dict(items[index])
            _put(updated, path.sub.name, check_single(path.sub, value))
            items[index] = updated
        else:
            replacement = check_single(path.attr, value)
            items[index] = {**items[index], **(replacement or {})}
    _put(result, path.attr.name, [i for i in items if i] or None)


def _seed(node: Node) -> dict[str, Any]:
    if isinstance(node, Compare) and node.op == "eq" and node.path.sub is None:
        return {node.path.attr.name: node.value}
    raise no_target("No value matches the filter, and it does not say what a new one would be")


def _remove(result: dict[str, Any], path: PatchPath, value: Any) -> None:
    attr = path.attr
    if path.filter is not None:
        items = list(result.get(attr.name) or [])
        kept = []
        for item in items:
            if not matches(path.filter, item):
                kept.append(item)
            elif path.sub is not None:
                trimmed = {k: v for k, v in item.items() if k != path.sub.name}
                kept.append(trimmed)
        _put(result, attr.name, [i for i in kept if i] or None)
        return
    if path.sub is not None:
        if attr.multi:
            for item in result.get(attr.name) or []:
                item.pop(path.sub.name, None)
            return
        holder = dict(result.get(attr.name) or {})
        holder.pop(path.sub.name, None)
        _put(result, attr.name, holder or None)
        return
    if attr.multi and isinstance(value, list) and value:
        # Entra ID removes members by value: {"op":"remove","path":"members","value":[…]}.
        gone = {str(v.get("value")) for v in value if isinstance(v, Mapping)}
        kept = [i for i in result.get(attr.name) or [] if str(i.get("value")) not in gone]
        _put(result, attr.name, kept or None)
        return
    if attr.required or attr.name == "active":
        # Without `active` nobody could tell whether the person may sign in: refused.
        raise mutability(f"{attr.name} cannot be removed; replace it instead")
    result.pop(attr.name, None)


def _put(holder: dict[str, Any], key: str, value: Any) -> None:
    if value is None or value == [] or value == {}:
        holder.pop(key, None)
    else:
        holder[key] = value
