"""Tests for the TaskRouter expression language (hindsight.domain.expressions)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.expressions import (
    MAX_EXPRESSION_LENGTH,
    MAX_NESTING_DEPTH,
    And,
    Attribute,
    Comparison,
    Constant,
    ExpressionError,
    Not,
    Or,
    matches,
    matches_worker,
    parse,
    resolve_path,
)

DOC: dict[str, Any] = {
    "skills": ["support", "sales", 3],
    "languages": ["english", "spanish"],
    "customer": {"tier": "gold", "value": 12.5, "tags": ["vip"]},
    "type": "ticket",
    "priority": 5,
    "rating": 4.5,
    "vip": True,
    "zero": 0,
    "name": "Alice Smith",
    "nothing": None,
    "customer_value2": "Gold",
    "quote": 'it\'s "quoted"',
    "path": "C:\\temp",
    "accent": "caf\u00e9",
    "task": {"in": 1},
}


def check(text: str, expected: bool, doc: dict[str, Any] | None = None) -> None:
    assert matches(parse(text), DOC if doc is None else doc) is expected, text


# ---------------------------------------------------------------------------- operators

EQUALITY = [
    ("type == 'ticket'", True),
    ("type == 'Ticket'", False),  # string equality is case-sensitive
    ("type = 'ticket'", True),  # `=` is `==`
    ('type == "ticket"', True),
    ("type != 'ticket'", False),
    ("type != 'call'", True),
    ("priority == 5", True),
    ("priority == 5.0", True),
    ("priority == '5'", False),  # different types are never equal...
    ("priority != '5'", True),  # ...so they are always unequal
    ("vip == true", True),
    ("vip == TRUE", True),
    ("vip == 1", False),  # booleans are not numbers
    ("zero == false", False),
    ("nothing == null", True),
    ("customer.tier == 'gold'", True),
    ("customer.tier.deeper == 'gold'", False),
    ("skills[0] == 'support'", True),
    ("skills[9] == 'support'", False),
    ("customer.tags[0] == 'vip'", True),
    ("customer_value2 == 'Gold'", True),
    ("skills == 'support'", False),  # scalar operators on arrays are false...
    ("skills != 'support'", False),  # ...including !=
    ("customer == 'gold'", False),
    ("customer != 'gold'", False),
]

ORDERING = [
    ("priority > 4", True),
    ("priority > 5", False),
    ("priority >= 5", True),
    ("priority >= 6", False),
    ("priority < 5", False),
    ("priority < 6", True),
    ("priority <= 5", True),
    ("priority <= 4", False),
    ("rating < 4.6", True),
    ("rating > 4.6", False),
    ("priority > -1", True),
    ("type > 'a'", False),  # only numbers are ordered
    ("priority > '4'", False),
    ("vip > 0", False),
    ("skills > 0", False),
]

CONTAINS = [
    ("name CONTAINS 'Smith'", True),
    ("name contains 'Smith'", True),
    ("name CONTAINS 'smith'", False),
    ("name CONTAINS ''", True),
    ("name CONTAINS 'Bob'", False),
    ("skills CONTAINS 'support'", False),  # CONTAINS is a scalar operator: arrays give false
    ("priority CONTAINS 5", False),
]

HAS = [
    ("skills HAS 'support'", True),
    ("skills has 'support'", True),
    ("skills HAS 'billing'", False),
    ("skills HAS 3", True),
    ("skills HAS '3'", False),
    ("type HAS 'ticket'", False),  # array operators on two scalars are false
    ("skills HAS ['support']", False),
    ("[1, 'a', true, null] HAS null", True),
    ("[] HAS 1", False),
]

IN = [
    ("type IN ['ticket', 'call']", True),
    ("type in ['call']", False),
    ("priority IN [1, 5]", True),
    ("priority IN ['5']", False),
    ("type IN []", False),
    ("type IN 'ticket'", False),
    ("skills IN ['support']", False),  # no set intersection: the left must be a scalar
    ("type NOT IN ['call']", True),
    ("type NOT IN ['ticket']", False),
    ("type not in ['call']", True),
    ("type NOT   IN ['call']", True),
    ("skills NOT IN ['x']", False),
    ("type NOT IN 'ticket'", False),
    ("'english' IN languages", True),
    ("'french' NOT IN languages", True),
]

MISSING = [
    ("missing == 'x'", False),
    ("missing != 'x'", True),  # NULL is a scalar unequal to 'x'
    ("missing == null", True),
    ("missing != null", False),
    ("type != null", True),
    ("missing > 0", False),
    ("missing < 0", False),
    ("missing CONTAINS 'x'", False),
    ("missing HAS 'x'", False),
    ("missing IN ['x']", False),
    ("missing IN [null]", True),
    ("missing NOT IN ['x']", True),
    ("type IN missing", False),
    ("type NOT IN missing", False),  # NULL is not an array
    ("customer.missing.deeper == 'x'", False),
    ("type.deeper == 'x'", False),
]

LOGIC = [
    ("1==1", True),
    ("1 == 2", False),
    ("0 != 1", True),
    ("'apple' != 'orange'", True),
    ("1==1 OR 1==2 AND 1==2", True),  # AND binds tighter than OR
    ("(1==1 OR 1==2) AND 1==2", False),
    ("1==2 AND 1==2 OR 1==1", True),
    ("1==1 and 1==1", True),
    ("1==1 aNd 1==2", False),
    ("1==2 or 1==1", True),
    ("1==1 && 1==2", False),
    ("1==2 || 1==1", True),
    ("1==1&&1==1", True),
    ("NOT 1==2", True),
    ("not 1==1", False),
    ("NOT 1==1 OR 1==1", True),  # NOT binds tighter than OR...
    ("NOT 1==1 AND 1==2", False),  # ...and than AND
    ("NOT (1==1 AND 1==2)", True),
    ("NOT NOT 1==1", True),
    ("NOT(1==2)", True),
    ("((((1==1))))", True),
    ("(skills HAS 'support') AND (languages HAS 'english')", True),
    ("(type == 'call' OR type == 'ticket') AND rating >= 4.5", True),
]

LITERALS = [
    ('name == "Alice Smith"', True),
    ("quote == 'it\\'s \"quoted\"'", True),
    ('quote == "it\'s \\"quoted\\""', True),
    ("path == 'C:\\\\temp'", True),
    ("accent == 'caf\\u00e9'", True),
    ("accent == 'café'", True),
    ("'a\\nb' CONTAINS '\\n'", True),
    ("'a\\tb' == 'a\tb'", True),
    ("-2.5 < -2", True),
    ("1.0 == 1", True),
    ("3.141529 > 3.14", True),
    ("007 == 7", True),
    ("true == true", True),
    ("false != true", True),
    ("True == TRUE", True),
    ("null == null", True),
    ("NULL == null", True),
    ("'1' == 1", False),
    ("task.in == 1", True),  # a keyword after a dot is a plain name
]


@pytest.mark.parametrize(
    ("text", "expected"),
    EQUALITY + ORDERING + CONTAINS + HAS + IN + MISSING + LOGIC + LITERALS,
)
def test_evaluation(text: str, expected: bool) -> None:
    check(text, expected)


def test_matches_accepts_text_as_well_as_a_parsed_expression() -> None:
    assert matches("type == 'ticket'", DOC)
    assert not matches("type == 'call'", DOC)


def test_type_mismatches_never_raise() -> None:
    weird: dict[str, Any] = {"a": {"x": 1}, "b": [[1], {"y": 2}], "c": float("nan")}
    for op in ("==", "!=", ">", ">=", "<", "<=", "CONTAINS", "HAS", "IN", "NOT IN"):
        for left in ("a", "b", "c", "missing", "'s'", "1", "true", "null", "[1, 'x']"):
            for right in ("a", "b", "c", "'s'", "1.5", "false", "[]", "[null]"):
                assert isinstance(matches(f"{left} {op} {right}", weird), bool)


def test_nan_is_unequal_to_everything() -> None:
    doc = {"n": float("nan")}
    check("n == n", False, doc)
    check("n > 0", False, doc)


# ---------------------------------------------------------------------------- contexts


def test_worker_expression_reads_task_and_worker_attributes() -> None:
    worker = {"sid": "WK1", "skills": ["billing", "support"], "level": 3, "languages": ["en"]}
    task = {"skill": "support", "min_level": 2, "language": "en", "excluded": ["WK9"]}
    assert matches_worker("worker.skills HAS task.skill", worker, task)
    assert matches_worker("skills HAS task.skill", worker, task)  # unprefixed means the worker
    assert matches_worker("worker.level >= task.min_level", worker, task)
    assert matches_worker("task.language IN worker.languages", worker, task)
    assert matches_worker("worker.sid NOT IN task.excluded", worker, task)
    assert not matches_worker("worker.sid IN task.excluded", worker, task)
    assert not matches_worker("task.skill == 'sales'", worker, task)
    # A worker only ignored when the task names it: a missing key is NULL, and NULL != 'WK1'.
    assert matches_worker("worker.sid != task.ignoreAgent", worker, task)
    assert not matches_worker("worker.sid == task.ignoreAgent", worker, task)
    assert matches_worker("1==1", worker, task)


def test_non_ascii_names_are_paths_not_keywords() -> None:
    # "\u0131n" upper-cases to "IN"; it must stay an attribute name.
    assert matches("\u0131n == 1 AND caf\u00e9 == 'x'", {"\u0131n": 1, "caf\u00e9": "x"})


def test_plain_filter_treats_task_prefix_as_an_ordinary_key() -> None:
    check("task.in == 1", True)
    assert not matches("task.skill == 'x'", {"skill": "x"})


def test_resolve_path() -> None:
    doc = {"a": {"b": [10, {"c": "deep"}]}}
    assert resolve_path(doc, ("a", "b", 1, "c")) == "deep"
    assert resolve_path(doc, ("a", "b", 0)) == 10
    assert resolve_path(doc, ("a", "b", 2)) is None
    assert resolve_path(doc, ("a", "x")) is None
    assert resolve_path(doc, ("a", 0)) is None
    assert resolve_path(doc, ()) == doc


def test_attribute_paths() -> None:
    expression = parse(
        "(task.skill IN worker.skills OR worker.x[2].y == 1) AND NOT z HAS 'q' AND 1 == 1"
    )
    assert expression.attribute_paths() == frozenset(
        {("task", "skill"), ("worker", "skills"), ("worker", "x", 2, "y"), ("z",)}
    )
    assert parse("1==1").attribute_paths() == frozenset()


def test_tree_shape() -> None:
    assert parse("a = 1") == Comparison("==", Attribute(("a",)), Constant(1))
    assert parse("a NOT IN ['x', -1.5, null]") == Comparison(
        "NOT IN", Attribute(("a",)), Constant(("x", -1.5, None))
    )
    tree = parse("a == 1 OR b == 2 AND NOT c == 3 || d == 4")
    assert isinstance(tree, Or)
    assert len(tree.operands) == 3
    assert isinstance(tree.operands[1], And)
    assert isinstance(tree.operands[1].operands[1], Not)


# ---------------------------------------------------------------------------- errors

ERRORS = [
    ("'abc", 0, "unterminated string"),
    ("type == 'abc", 8, "unterminated string"),
    ('type == "abc\\"', 8, "unterminated string"),
    ("type ==", 7, "expected a value after '=='"),
    ("type == 'x' AND", 15, "expected a condition"),
    ("type == 'x' OR OR type == 'y'", 15, "expected a condition"),
    ("(type == 'x'", 12, "unbalanced '('"),
    ("((type == 'x')", 14, "unbalanced '('"),
    ("type == 'x')", 11, "unbalanced ')'"),
    ("()", 1, "expected a condition"),
    ("type <> 'x'", 5, "unknown operator '<>'"),
    ("type ~ 'x'", 5, "unexpected character '~'"),
    ("!(type == 'x')", 0, "use NOT"),
    ("type LIKE 'x'", 5, "expected a comparison operator"),
    ("type", 4, "expected a comparison operator"),
    ("true", 4, "expected a comparison operator"),
    ("", 0, "empty"),
    ("   ", 0, "empty"),
    ("a == 1 b == 2", 7, "expected AND, OR"),
    ("a == b == c", 7, "expected AND, OR"),
    ("a NOT HAS 'x'", 6, "expected IN after NOT"),
    ("a-b == 1", 1, "hyphens"),
    ("x IN [1, 2", 10, "expected ',' or ']'"),
    ("x IN [1 2]", 8, "expected ',' or ']'"),
    ("x IN [a]", 6, "in the array"),
    ("x IN [1,]", 8, "in the array"),
    ("a. == 1", 2, "expected a name after '.'"),
    ("a == 1.x", 7, "digits after the decimal point"),
    ("a == 'x\\q'", 7, "invalid escape"),
    ("a == 'x\\u12'", 7, "invalid escape"),
    ("a == (1)", 5, "expected a value after '=='"),
    ("AND a == 1", 0, "expected a condition"),
]


@pytest.mark.parametrize(("text", "position", "fragment"), ERRORS)
def test_syntax_errors_report_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    error = info.value
    assert error.position == position, error.message
    assert fragment in error.message
    if text.strip():
        assert f"position {position}" in error.message


def test_expression_error_is_a_400_invalid_parameter() -> None:
    with pytest.raises(InvalidParameter) as info:
        parse("a ==")
    assert info.value.status == 400
    assert info.value.message == "expected a value after '==' at position 4, found end of input"


# ---------------------------------------------------------------------------- limits


def test_length_limit() -> None:
    assert parse("1==1".ljust(MAX_EXPRESSION_LENGTH))
    with pytest.raises(ExpressionError) as info:
        parse("1==1".ljust(MAX_EXPRESSION_LENGTH + 1))
    assert info.value.position == MAX_EXPRESSION_LENGTH


def test_parenthesis_depth_limit() -> None:
    depth = MAX_NESTING_DEPTH
    assert matches("(" * depth + "1==1" + ")" * depth, {})
    with pytest.raises(ExpressionError) as info:
        parse("(" * (depth + 1) + "1==1" + ")" * (depth + 1))
    assert info.value.position == depth
    assert "nested" in info.value.message


def test_not_depth_limit() -> None:
    depth = MAX_NESTING_DEPTH
    assert matches("NOT " * depth + "1==1", {}) is (depth % 2 == 0)
    with pytest.raises(ExpressionError) as info:
        parse("NOT " * (depth + 1) + "1==1")
    assert info.value.position == 4 * depth


def test_hostile_nesting_is_a_clear_error_not_recursion_error() -> None:
    for text in ("(" * (MAX_EXPRESSION_LENGTH - 1), "NOT (" * 800, "[" * 4000, "- " * 2000):
        with pytest.raises(ExpressionError):
            parse(text)


def test_long_flat_chains_evaluate_without_deep_recursion() -> None:
    terms = (MAX_EXPRESSION_LENGTH + 5) // len("a==1 AND ")
    assert matches(" AND ".join(["a==1"] * terms), {"a": 1})
    assert not matches(" OR ".join(["a==2"] * terms), {"a": 1})


# ---------------------------------------------------------------------------- properties
#
# Random trees in a representation of the test's own, rendered to text with random spelling,
# spacing and redundant parentheses, then parsed and compared with a reference evaluator.

# Small pools, so that generated comparisons often hit equal values and values of mixed types.
SCALARS: list[Any] = [
    None, True, False, 0, 1, 2, -1, 1.0, 1.5, "1", "x", "y", "xy", "", "it's", 'a"b\\c',
]  # fmt: skip
PATHS: list[tuple[Any, ...]] = [
    ("a",),
    ("b",),
    ("c",),
    ("o", "a"),
    ("o", "b"),
    ("a", 0),
    ("o", "a", 1),
    ("missing",),
    ("task", "in"),
]
OPERATORS = ["==", "=", "!=", ">", ">=", "<", "<=", "IN", "NOT IN", "HAS", "CONTAINS"]

json_values = st.one_of(st.sampled_from(SCALARS), st.lists(st.sampled_from(SCALARS), max_size=4))
documents = st.fixed_dictionaries(
    {},
    optional={
        "a": json_values,
        "b": json_values,
        "c": json_values,
        "o": st.fixed_dictionaries({}, optional={"a": json_values, "b": json_values}),
        "task": st.fixed_dictionaries({}, optional={"in": json_values}),
    },
)


@st.composite
def decimals(draw: st.DrawFn) -> tuple[str, float]:
    text = draw(st.from_regex(r"-?[0-9]{1,4}\.[0-9]{1,3}", fullmatch=True))
    return text, float(text)


pooled_literals = st.sampled_from(SCALARS).map(lambda v: ("lit", v))
scalar_literals = st.one_of(
    pooled_literals,
    pooled_literals,
    pooled_literals,
    st.integers(-3, 3).map(lambda v: ("lit", v)),
    st.integers(-(10**12), 10**12).map(lambda v: ("lit", v)),
    st.sampled_from(["1.0", "1.5", "-1.0", "2.00", "0.0"]).map(lambda t: ("num", float(t), t)),
    decimals().map(lambda tv: ("num", tv[1], tv[0])),
    st.text(max_size=8).map(lambda v: ("lit", v)),
)
operands = st.one_of(
    scalar_literals,
    st.sampled_from(PATHS).map(lambda p: ("path", p)),
    st.lists(scalar_literals, max_size=4).map(lambda items: ("arr", items)),
)
comparisons = st.tuples(st.just("cmp"), st.sampled_from(OPERATORS), operands, operands)
trees = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.tuples(st.just("not"), inner),
        st.tuples(st.just("and"), st.lists(inner, min_size=2, max_size=3)),
        st.tuples(st.just("or"), st.lists(inner, min_size=2, max_size=3)),
    ),
    max_leaves=10,
)


# --- reference evaluator: the documented semantics, written as plainly as possible


def ref_group(value: Any) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None  # arrays and objects are not scalars


def ref_same(a: Any, b: Any) -> bool:
    return ref_group(a) is not None and ref_group(a) == ref_group(b) and a == b


def ref_compare(op: str, a: Any, b: Any) -> bool:
    scalars = ref_group(a) is not None and ref_group(b) is not None
    numbers = ref_group(a) == "number" and ref_group(b) == "number"
    if op in ("==", "="):
        return ref_same(a, b)
    if op == "!=":
        return scalars and not ref_same(a, b)
    if op in (">", ">=", "<", "<="):
        table = {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b} if numbers else {}
        return table.get(op, False)
    if op == "CONTAINS":
        return isinstance(a, str) and isinstance(b, str) and b in a
    if op == "HAS":
        return isinstance(a, list) and ref_group(b) is not None and any(ref_same(x, b) for x in a)
    found = isinstance(b, list) and any(ref_same(a, x) for x in b)
    if op == "IN":
        return ref_group(a) is not None and found
    return ref_group(a) is not None and isinstance(b, list) and not found  # NOT IN


def ref_lookup(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        if isinstance(key, int):
            doc = doc[key] if isinstance(doc, list) and key < len(doc) else None
        else:
            doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def ref_operand(operand: tuple[Any, ...], doc: dict[str, Any]) -> Any:
    if operand[0] == "path":
        return ref_lookup(doc, operand[1])
    if operand[0] == "arr":
        return [ref_operand(item, doc) for item in operand[1]]
    return operand[1]


def ref_eval(tree: tuple[Any, ...], doc: dict[str, Any]) -> bool:
    kind = tree[0]
    if kind == "cmp":
        return ref_compare(tree[1], ref_operand(tree[2], doc), ref_operand(tree[3], doc))
    if kind == "not":
        return not ref_eval(tree[1], doc)
    results = [ref_eval(child, doc) for child in tree[1]]
    return all(results) if kind == "and" else any(results)


def ref_paths(tree: tuple[Any, ...]) -> set[tuple[Any, ...]]:
    if tree[0] == "cmp":
        return {side[1] for side in tree[2:] if side[0] == "path"}
    children = [tree[1]] if tree[0] == "not" else tree[1]
    return set().union(*(ref_paths(child) for child in children))


# --- renderer


def random_case(rnd: random.Random, word: str) -> str:
    return rnd.choice([word.upper(), word.lower(), word.capitalize()])


def render_string(rnd: random.Random, value: str) -> str:
    quote = rnd.choice(["'", '"'])
    body = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    if rnd.random() < 0.3:
        body = body.replace("\n", "\\n").replace("\t", "\\t")
    return quote + body + quote


def render_scalar(rnd: random.Random, operand: tuple[Any, ...]) -> str:
    if operand[0] == "num":
        return operand[2]
    value = operand[1]
    if value is None or isinstance(value, bool):
        return random_case(rnd, {None: "null", True: "true", False: "false"}[value])
    if isinstance(value, str):
        return render_string(rnd, value)
    return repr(value)


def render_operand(rnd: random.Random, operand: tuple[Any, ...]) -> str:
    if operand[0] == "path":
        return "".join(
            f"[{key}]" if isinstance(key, int) else ("." if i else "") + key
            for i, key in enumerate(operand[1])
        )
    if operand[0] == "arr":
        sep = rnd.choice([",", ", ", " , "])
        return "[" + sep.join(render_scalar(rnd, item) for item in operand[1]) + "]"
    return render_scalar(rnd, operand)


def render_operator(rnd: random.Random, op: str) -> str:
    if op[0].isalpha():
        words = " ".join(random_case(rnd, word) for word in op.split())
        return " " + words + " "
    space = rnd.choice(["", " ", "  "])
    return space + op + space


PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4}


def render_child(rnd: random.Random, child: tuple[Any, ...], parent: str) -> str:
    text = render(rnd, child)
    needs_parens = PRECEDENCE[child[0]] < PRECEDENCE[parent]
    if needs_parens or rnd.random() < 0.15:
        return "(" + rnd.choice(["", " "]) + text + rnd.choice(["", " "]) + ")"
    return text


def render(rnd: random.Random, tree: tuple[Any, ...]) -> str:
    kind = tree[0]
    if kind == "cmp":
        left, right = render_operand(rnd, tree[2]), render_operand(rnd, tree[3])
        return left + render_operator(rnd, tree[1]) + right
    if kind == "not":
        return random_case(rnd, "not") + " " + render_child(rnd, tree[1], "not")
    spellings = {"and": ["AND", "and", "&&"], "or": ["OR", "or", "||"]}[kind]
    return f" {rnd.choice(spellings)} ".join(render_child(rnd, c, kind) for c in tree[1])


PROPERTY_SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(tree=trees, docs=st.lists(documents, min_size=1, max_size=4), rnd=st.randoms())
def test_rendered_trees_round_trip_and_agree_with_reference(
    tree: tuple[Any, ...], docs: list[dict[str, Any]], rnd: random.Random
) -> None:
    text = render(rnd, tree)
    expression = parse(text)
    assert expression.attribute_paths() == ref_paths(tree), text
    for doc in docs:
        assert matches(expression, doc) is ref_eval(tree, doc), (text, doc)


small_operands = st.one_of(
    pooled_literals,
    st.sampled_from(PATHS).map(lambda p: ("path", p)),
    st.lists(pooled_literals, max_size=3).map(lambda items: ("arr", items)),
)


@settings(max_examples=1500, deadline=None)
@given(
    op=st.sampled_from(OPERATORS),
    left=small_operands,
    right=small_operands,
    doc=documents,
    rnd=st.randoms(),
)
def test_single_comparisons_agree_with_reference(
    op: str, left: Any, right: Any, doc: dict[str, Any], rnd: random.Random
) -> None:
    # Small pools make edge cases (mixed types, arrays on either side, NULL) common.
    tree = ("cmp", op, left, right)
    text = render(rnd, tree)
    assert matches(text, doc) is ref_eval(tree, doc), (text, doc)


@PROPERTY_SETTINGS
@given(tree=trees, doc=documents, rnd=st.randoms())
def test_not_is_negation(tree: tuple[Any, ...], doc: dict[str, Any], rnd: random.Random) -> None:
    text = render(rnd, tree)
    assert matches(f"NOT ({text})", doc) is not matches(text, doc)


FRAGMENTS = [
    "a", "b.c", "x[0]", "'s'", '"t"', "1", "-2.5", "true", "null", "(", ")", "[", "]", ",",
    "==", "=", "!=", "<", ">=", "AND", "or", "NOT", "IN", "HAS", "CONTAINS", "&&", "||", "!",
    "-", ".", "\\", "'", " ",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(FRAGMENTS), max_size=25).map(" ".join),
        st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join),
    ),
    doc=documents,
)
def test_arbitrary_text_only_ever_raises_expression_error(text: str, doc: dict[str, Any]) -> None:
    try:
        expression = parse(text)
    except ExpressionError as error:
        assert 0 <= error.position <= len(text)
        return
    assert isinstance(matches(expression, doc), bool)
    assert isinstance(matches_worker(expression, doc, doc), bool)
