"""SCIM filters (RFC 7644 §3.4.2.2): parsing into a tree and matching resources against it.

Supported: `eq ne co sw ew gt ge lt le pr`, `and`, `or`, `not (…)`, parentheses, and value
paths such as `emails[type eq "work" and value co "@example.org"]`. Strings compare without
regard to case unless the attribute is case-exact (id, externalId, members.value). A filter
naming an attribute the resource does not have is refused (400 invalidFilter), not silently
matched against nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from hindsight.domain.scim.attributes import Attr, find, strip_urn
from hindsight.domain.scim.errors import invalid_filter

MAX_FILTER = 2048
MAX_DEPTH = 20
COMPARE_OPS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<punct>[()\[\]])
      | (?P<word>[A-Za-z0-9_$:.+\-]+)
    )""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_PATH = re.compile(r"^(?:urn:[A-Za-z0-9:._\-]+:)?[A-Za-z$][A-Za-z0-9_$\-]*(\.[A-Za-z$][\w$\-]*)?$")


@dataclass(frozen=True)
class AttrPath:
    """`name` or `name.sub`, resolved against the resource's attributes."""

    attr: Attr
    sub: Attr | None = None


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str
    value: Any


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class Logical:
    op: str  # "and" / "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    inner: Node


@dataclass(frozen=True)
class ValuePath:
    """`attr[filter]`: some value of multi-valued `attr` matches `filter` (its sub-attributes)."""

    attr: Attr
    inner: Node


Node = Compare | Present | Logical | Not | ValuePath


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise invalid_filter(f"Unexpected character at {position + 1} in the filter")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, attrs: tuple[Attr, ...], schema: str) -> None:
        if len(text) > MAX_FILTER:
            raise invalid_filter(f"A filter is at most {MAX_FILTER} characters")
        self.tokens = tokenize(text)
        self.at = 0
        self.attrs = attrs
        self.schema = schema
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise invalid_filter("The filter ends too early")
        self.at += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token and token[0] == "word" and token[1].lower() in words:
            self.at += 1
            return token[1].lower()
        return None

    def expect(self, punct: str) -> None:
        kind, value = self.take()
        if kind != "punct" or value != punct:
            raise invalid_filter(f"Expected {punct!r} in the filter, found {value[:40]!r}")

    def parse(self) -> Node:
        node = self.expression()
        if self.peek() is not None:
            raise invalid_filter(f"Unexpected {self.peek()[1][:40]!r} in the filter")  # type: ignore[index]
        return node

    def expression(self, attrs: tuple[Attr, ...] | None = None) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise invalid_filter("The filter is nested too deeply")
        node = self.conjunction(attrs)
        while self.keyword("or"):
            node = Logical("or", node, self.conjunction(attrs))
        self.depth -= 1
        return node

    def conjunction(self, attrs: tuple[Attr, ...] | None) -> Node:
        node = self.factor(attrs)
        while self.keyword("and"):
            node = Logical("and", node, self.factor(attrs))
        return node

    def factor(self, attrs: tuple[Attr, ...] | None) -> Node:
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            node = self.expression(attrs)
            self.expect(")")
            return node
        if self.keyword("not"):
            self.expect("(")
            node = self.expression(attrs)
            self.expect(")")
            return Not(node)
        return self.comparison(attrs)

    def comparison(self, attrs: tuple[Attr, ...] | None) -> Node:
        kind, name = self.take()
        if kind != "word" or not _PATH.match(name):
            raise invalid_filter(f"Expected an attribute name in the filter, found {name[:40]!r}")
        if self.peek() == ("punct", "[") and attrs is None:
            self.take()
            attr = self.resolve_attr(name)
            if attr.type != "complex":
                raise invalid_filter(f"{attr.name} has no sub-attributes to filter on")
            inner = self.expression(attr.sub)
            self.expect("]")
            return ValuePath(attr, inner)
        path = self.resolve(name, attrs)
        operator = self.take()
        op = operator[1].lower()
        if operator[0] != "word" or op not in (*COMPARE_OPS, "pr"):
            raise invalid_filter(f"Unknown operator {operator[1][:20]!r} in the filter")
        if op == "pr":
            return Present(path)
        return Compare(path, op, self.literal())

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            try:
                return orjson.loads(text)
            except ValueError:
                raise invalid_filter("A string in the filter is not valid JSON") from None
        lowered = text.lower()
        if kind == "word" and lowered in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[lowered]
        if kind == "word" and _NUMBER.match(text):
            return float(text) if any(c in text for c in ".eE") else int(text)
        raise invalid_filter(f"Expected a value in the filter, found {text[:40]!r}")

    def resolve_attr(self, name: str) -> Attr:
        attr = find(self.attrs, strip_urn(name, self.schema))
        if attr is None:
            raise invalid_filter(f"Unknown attribute {name[:80]!r} in the filter")
        return attr

    def resolve(self, name: str, within: tuple[Attr, ...] | None) -> AttrPath:
        if within is not None:
            found = next((a for a in within if a.name.lower() == name.lower()), None)
            if found is None:
                raise invalid_filter(f"Unknown sub-attribute {name[:80]!r} in the filter")
            return AttrPath(found)
        head, _, tail = strip_urn(name, self.schema).partition(".")
        attr = self.resolve_attr(head)
        if not tail:
            return AttrPath(attr)
        sub = attr.child(tail)
        if sub is None:
            raise invalid_filter(f"Unknown attribute {name[:80]!r} in the filter")
        return AttrPath(attr, sub)


def parse(text: str, attrs: tuple[Attr, ...], schema: str) -> Node:
    """The tree of a filter over resources with `attrs`; 400 invalidFilter when malformed."""
    if not isinstance(text, str) or not text.strip():
        raise invalid_filter("The filter is empty")
    return _Parser(text, attrs, schema).parse()


def parse_inner(text: str, attr: Attr) -> Node:
    """The filter inside a value path (`members[value eq "…"]`), over `attr`'s sub-attributes."""
    parser = _Parser(text, attr.sub, "")
    node = parser.expression(attr.sub)
    if parser.peek() is not None:
        raise invalid_filter("Unexpected text in the value filter")
    return node


# --- matching ------------------------------------------------------------------------------


def _values(resource: Mapping[str, Any], path: AttrPath) -> list[Any]:
    value = resource.get(path.attr.name)
    items = value if isinstance(value, list) else [value]
    if path.sub is None:
        if path.attr.type == "complex" and path.attr.multi:
            # `emails eq "x"` compares the values' `value` (RFC 7644 §3.4.2.2).
            return [i.get("value") for i in items if isinstance(i, Mapping)]
        return [i for i in items if i is not None]
    found = []
    for item in items:
        if isinstance(item, Mapping) and item.get(path.sub.name) is not None:
            found.append(item[path.sub.name])
    return found


def _compare(op: str, actual: Any, expected: Any, case_exact: bool) -> bool:
    if isinstance(actual, str) and isinstance(expected, str) and not case_exact:
        actual, expected = actual.lower(), expected.lower()
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if isinstance(actual, bool) or isinstance(expected, bool):
        return False  # only eq/ne order booleans
    if op in ("co", "sw", "ew"):
        if not isinstance(actual, str) or not isinstance(expected, str):
            return False
        return {
            "co": expected in actual,
            "sw": actual.startswith(expected),
            "ew": actual.endswith(expected),
        }[op]
    try:
        return bool(
            {
                "gt": actual > expected,
                "ge": actual >= expected,
                "lt": actual < expected,
                "le": actual <= expected,
            }[op]
        )
    except TypeError:
        return False


Predicate = Callable[[Mapping[str, Any]], bool]


def compile_filter(node: Node) -> Predicate:
    """The filter as a function of a resource, built once per request: matching thousands of
    people then costs no walk over the tree for each of them."""
    if isinstance(node, Logical):
        left, right = compile_filter(node.left), compile_filter(node.right)
        if node.op == "and":
            return lambda r: left(r) and right(r)
        return lambda r: left(r) or right(r)
    if isinstance(node, Not):
        inner = compile_filter(node.inner)
        return lambda r: not inner(r)
    if isinstance(node, ValuePath):
        name, each = node.attr.name, compile_filter(node.inner)

        def some_value(resource: Mapping[str, Any]) -> bool:
            value = resource.get(name)
            items = value if isinstance(value, list) else [value] if value else []
            return any(isinstance(i, Mapping) and each(i) for i in items)

        return some_value
    return _compile_comparison(node)


def _compile_comparison(node: Compare | Present) -> Predicate:
    path = node.path
    if isinstance(node, Present):
        return lambda r: any(v not in (None, "", [], {}) for v in _values(r, path))
    case_exact = (path.sub or path.attr).case_exact
    op, expected = node.op, node.value
    if op == "ne":
        return lambda r: not any(_compare("eq", v, expected, case_exact) for v in _values(r, path))
    if expected is None:
        return lambda r: op == "eq" and not _values(r, path)
    if op == "eq" and path.sub is None and not path.attr.multi and isinstance(expected, str):
        # The filter providers send most (`userName eq "…"`): one lookup, one comparison.
        name, wanted = path.attr.name, expected if case_exact else expected.lower()
        if case_exact:
            return lambda r: r.get(name) == wanted
        return lambda r: isinstance(v := r.get(name), str) and v.lower() == wanted
    test = _tester(op, expected, case_exact)
    return lambda r: any(test(v) for v in _values(r, path))


def _tester(op: str, expected: Any, case_exact: bool) -> Callable[[Any], bool]:
    """One value's test, with the expected string folded once rather than per resource."""
    if isinstance(expected, str) and op in ("co", "sw", "ew"):
        wanted = expected if case_exact else expected.lower()
        check: Callable[[str], bool] = {
            "co": lambda v: wanted in v,
            "sw": lambda v: v.startswith(wanted),
            "ew": lambda v: v.endswith(wanted),
        }[op]
        if case_exact:
            return lambda v: isinstance(v, str) and check(v)
        return lambda v: isinstance(v, str) and check(v.lower())
    return lambda v: _compare(op, v, expected, case_exact)


def matches(node: Node, resource: Mapping[str, Any]) -> bool:
    """Whether `resource` (its SCIM JSON) satisfies the filter."""
    return compile_filter(node)(resource)


def matcher(node: Node | None) -> Predicate:
    return (lambda _resource: True) if node is None else compile_filter(node)
