"""TaskRouter's expression language: a tokeniser, a recursive-descent parser and an evaluator.

Expressions appear in TaskQueue `TargetWorkers`, in Workflow filters and targets, and in the
`EvaluateTaskAttributes` / `TargetWorkersExpression` list filters, e.g.

    (skills HAS 'support') AND (languages HAS 'english')
    customer_value == 'Gold' AND type == 'ticket'
    worker.languages HAS task.language AND worker.sid NOT IN task.excluded

Grammar (keywords are case-insensitive; `&&` / `||` are accepted for AND / OR):

    expression := and_expr (OR and_expr)*
    and_expr   := unary (AND unary)*
    unary      := NOT unary | '(' expression ')' | comparison
    comparison := operand operator operand
    operator   := == | = | != | > | >= | < | <= | IN | NOT IN | HAS | CONTAINS
    operand    := string | number | true | false | null | array | path
    array      := '[' (constant (',' constant)*)? ']'
    path       := name ('.' name | '[' digits ']')*

Semantics follow https://www.twilio.com/docs/taskrouter/expression-syntax ("the docs"):

* A key the document does not contain resolves to NULL (docs). NULL is a scalar, so
  `missing == null` is true and `missing != 'x'` is true. The latter is what real workflows rely
  on, e.g. `task.transferTargetType != 'worker'` must match ordinary tasks that lack the key.
* Scalar operators (==, !=, >, >=, <, <=, CONTAINS) applied to an array give false, and array
  operators (HAS, IN, NOT IN) applied to two scalars give false (docs). So `skills != 'x'` is false
  when `skills` is an array, and `x NOT IN task.missing` is false because NULL is not an array.
* The docs say comparisons between different types "should be avoided" without defining them; we
  make `==` false and `!=` true across types (1 vs '1', true vs 1), never an error. Ordering
  operators compare two numbers only. String equality and CONTAINS are case-sensitive.
* CONTAINS is substring containment between two strings; HAS is "array on the left holds the
  scalar on the right"; IN / NOT IN is "scalar on the left is / is not in the array on the right".
  An array on the wrong side makes all three false (we do not treat IN as set intersection).
* Hyphens are not allowed in names (docs), which keeps `a-1` from being ambiguous.
* Not documented by Twilio but accepted: `=` (seen in real `EvaluateTaskAttributes` filters such as
  `call_sid= '...'`), the `null` constant (seen in real workflows: `x != null`), `&&` / `||`, and a
  unary NOT. `!` on its own is rejected because the docs never mention it.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import ge, gt, le, lt
from typing import Any, Final

from hindsight.domain.errors import InvalidParameter

MAX_EXPRESSION_LENGTH: Final = 4096
MAX_NESTING_DEPTH: Final = 64

Segment = str | int
AttributePath = tuple[Segment, ...]
Resolver = Callable[[AttributePath], Any]
Scalar = str | int | float | bool | None


class ExpressionError(InvalidParameter):
    """The expression text is malformed; `position` is the 0-based character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


# --------------------------------------------------------------------------- tokens

_KEYWORDS: Final = frozenset({"AND", "OR", "NOT", "IN", "HAS", "CONTAINS", "TRUE", "FALSE", "NULL"})
_CONSTANT_KEYWORDS: Final[Mapping[str, Scalar]] = {"TRUE": True, "FALSE": False, "NULL": None}
# Longest first, so `==` is not read as `=` `=`; `&&`/`||` become keywords so the parser has one
# spelling of each logical operator to look for.
_SYMBOLS: Final = (
    ("==", "symbol", "=="),
    ("!=", "symbol", "!="),
    (">=", "symbol", ">="),
    ("<=", "symbol", "<="),
    ("&&", "keyword", "AND"),
    ("||", "keyword", "OR"),
    ("=", "symbol", "=="),
    (">", "symbol", ">"),
    ("<", "symbol", "<"),
    ("(", "symbol", "("),
    (")", "symbol", ")"),
    ("[", "symbol", "["),
    ("]", "symbol", "]"),
    (",", "symbol", ","),
)
_DIGITS: Final = frozenset("0123456789")
_ESCAPES: Final = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "/": "/",
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
}
_HEX: Final = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "symbol", "keyword", "string", "number", "path" or "end"
    name: str  # normalised symbol or upper-case keyword; the source text otherwise
    text: str  # as written, for error messages
    position: int
    value: Any = None


def _fail(reason: str, position: int) -> ExpressionError:
    return ExpressionError(f"{reason} at position {position}", position)


def _unterminated(quote: str, start: int) -> ExpressionError:
    return ExpressionError(
        f"unterminated string: the {quote} at position {start} is never closed", start
    )


def _is_name_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_"


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def tokens(self) -> list[_Token]:
        out: list[_Token] = []
        while True:
            self._skip_space()
            if self.pos >= len(self.text):
                out.append(_Token("end", "", "", self.pos))
                return out
            out.append(self._next())

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _next(self) -> _Token:
        ch = self.text[self.pos]
        if ch in "'\"":
            return self._string()
        if ch in _DIGITS or ch == "-":
            return self._number()
        if _is_name_start(ch):
            return self._path()
        if self.text.startswith("<>", self.pos):
            raise _fail("unknown operator '<>' (use !=)", self.pos)
        for source, kind, name in _SYMBOLS:
            if self.text.startswith(source, self.pos):
                self.pos += len(source)
                return _Token(kind, name, source, self.pos - len(source))
        raise _fail(self._unexpected_char_reason(ch), self.pos)

    def _unexpected_char_reason(self, ch: str) -> str:
        # Point people who write C-style operators at the spelling TaskRouter understands.
        hints = {"!": " (use NOT or !=)", "&": " (use AND or &&)", "|": " (use OR or ||)"}
        return f"unexpected character {ch!r}{hints.get(ch, '')}"

    def _string(self) -> _Token:
        start, quote = self.pos, self.text[self.pos]
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == quote:
                self.pos += 1
                return _Token("string", "", self.text[start : self.pos], start, "".join(chars))
            chars.append(self._escape(start) if ch == "\\" else ch)
            self.pos += 1
        raise _unterminated(quote, start)

    def _escape(self, string_start: int) -> str:
        """Decode the escape at self.pos, leaving self.pos on its last character."""
        start = self.pos
        self.pos += 1
        if self.pos >= len(self.text):
            raise _unterminated(self.text[string_start], string_start)
        ch = self.text[self.pos]
        if ch in _ESCAPES:
            return _ESCAPES[ch]
        digits = self.text[self.pos + 1 : self.pos + 5]
        if ch == "u" and len(digits) == 4 and set(digits) <= _HEX:
            self.pos += 4
            return chr(int(digits, 16))
        raise _fail(f"invalid escape sequence {self.text[start : self.pos + 1]!r}", start)

    def _number(self) -> _Token:
        start = self.pos
        if self.text[self.pos] == "-":
            self.pos += 1
        if not self._digits():
            raise _fail("'-' must start a number (hyphens are not allowed in names)", start)
        is_decimal = self.text.startswith(".", self.pos)
        if is_decimal:
            self.pos += 1
            if not self._digits():
                raise _fail("expected digits after the decimal point", self.pos)
        text = self.text[start : self.pos]
        try:
            value = float(text) if is_decimal else int(text)
        except ValueError:  # int() refuses very long digit strings; we will not try harder
            raise _fail("number is too long", start) from None
        return _Token("number", text, text, start, value)

    def _digits(self) -> bool:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _DIGITS:
            self.pos += 1
        return self.pos > start

    def _path(self) -> _Token:
        start = self.pos
        first = self._name()
        # A keyword is only a keyword when it stands alone: `task.in` is still a path. The ASCII
        # test stops a non-ASCII name (Turkish dotless i + n) upper-casing into the keyword IN.
        keyword = first.upper() if first.isascii() else ""
        if keyword in _KEYWORDS and not self.text.startswith(".", self.pos):
            return _Token("keyword", keyword, first, start)
        segments: list[Segment] = [first]
        while (segment := self._segment()) is not None:
            segments.append(segment)
        text = self.text[start : self.pos]
        return _Token("path", text, text, start, tuple(segments))

    def _name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and _is_name_char(self.text[self.pos]):
            self.pos += 1
        return self.text[start : self.pos]

    def _segment(self) -> Segment | None:
        """Read `.name` or `[index]` directly after a path, or return None if neither follows."""
        if self.text.startswith(".", self.pos):
            self.pos += 1
            name = self._name()
            if not name:
                raise _fail("expected a name after '.'", self.pos)
            return name
        if self.text.startswith("[", self.pos):
            close = self.text.find("]", self.pos)
            inside = self.text[self.pos + 1 : close] if close > 0 else ""
            # Only `[digits]` is an index; anything else is left for the parser to complain about.
            if inside and set(inside) <= _DIGITS:
                self.pos = close + 1
                return int(inside)
        return None


# --------------------------------------------------------------------------- values and operators

_SCALAR_KINDS: Final = frozenset({"null", "bool", "number", "string"})


def _kind(value: Any) -> str:
    # bool before int: in Python `True == 1`, but TaskRouter booleans are not numbers.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "other"


def _is_scalar(value: Any) -> bool:
    return _kind(value) in _SCALAR_KINDS


def _same(left: Any, right: Any) -> bool:
    """Equality of two values that are both scalars of the same kind; false otherwise."""
    kind = _kind(left)
    return kind in _SCALAR_KINDS and kind == _kind(right) and left == right


def _equal(left: Any, right: Any) -> bool:
    return _same(left, right)


def _not_equal(left: Any, right: Any) -> bool:
    # Not simply `not _equal`: the docs make scalar operators false on arrays, != included.
    return _is_scalar(left) and _is_scalar(right) and not _same(left, right)


def _ordering(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(left: Any, right: Any) -> bool:
        return _kind(left) == "number" and _kind(right) == "number" and compare(left, right)

    return check


def _contains(left: Any, right: Any) -> bool:
    return isinstance(left, str) and isinstance(right, str) and right in left


def _array_holds(array: Any, value: Any) -> bool:
    return any(_same(item, value) for item in array)


def _has(left: Any, right: Any) -> bool:
    return _kind(left) == "array" and _is_scalar(right) and _array_holds(left, right)


def _in(left: Any, right: Any) -> bool:
    return _is_scalar(left) and _kind(right) == "array" and _array_holds(right, left)


def _not_in(left: Any, right: Any) -> bool:
    return _is_scalar(left) and _kind(right) == "array" and not _array_holds(right, left)


_OPERATORS: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "==": _equal,
    "!=": _not_equal,
    ">": _ordering(gt),
    ">=": _ordering(ge),
    "<": _ordering(lt),
    "<=": _ordering(le),
    "CONTAINS": _contains,
    "HAS": _has,
    "IN": _in,
    "NOT IN": _not_in,
}
COMPARISON_OPERATORS: Final = frozenset(_OPERATORS)


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True, slots=True)
class Constant:
    """A literal: a scalar, or a tuple of scalars for an array literal."""

    value: Scalar | tuple[Scalar, ...]

    def value_in(self, resolve: Resolver) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class Attribute:
    """A reference to a key (and sub-keys / array indices) of the document being evaluated."""

    path: AttributePath

    def value_in(self, resolve: Resolver) -> Any:
        return resolve(self.path)


Operand = Constant | Attribute


class Expression(ABC):
    """A parsed boolean expression. Immutable, so a parsed expression can be shared and cached."""

    __slots__ = ()

    @abstractmethod
    def evaluate(self, resolve: Resolver) -> bool:
        """True if the expression holds; `resolve` maps an attribute path to its value (or None)."""

    @abstractmethod
    def _collect(self, paths: set[AttributePath]) -> None: ...

    def attribute_paths(self) -> frozenset[AttributePath]:
        """Every attribute path the expression reads, as written (`task.`/`worker.` included)."""
        paths: set[AttributePath] = set()
        self._collect(paths)
        return frozenset(paths)


@dataclass(frozen=True, slots=True)
class Comparison(Expression):
    operator: str  # one of COMPARISON_OPERATORS; `=` is stored as `==`
    left: Operand
    right: Operand

    def evaluate(self, resolve: Resolver) -> bool:
        return _OPERATORS[self.operator](self.left.value_in(resolve), self.right.value_in(resolve))

    def _collect(self, paths: set[AttributePath]) -> None:
        paths.update(side.path for side in (self.left, self.right) if isinstance(side, Attribute))


@dataclass(frozen=True, slots=True)
class And(Expression):
    # n-ary rather than binary so a long chain of ANDs is a flat tuple, not a deep tree that
    # would recurse once per term when evaluated.
    operands: tuple[Expression, ...]

    def evaluate(self, resolve: Resolver) -> bool:
        return all(operand.evaluate(resolve) for operand in self.operands)

    def _collect(self, paths: set[AttributePath]) -> None:
        for operand in self.operands:
            operand._collect(paths)


@dataclass(frozen=True, slots=True)
class Or(Expression):
    operands: tuple[Expression, ...]

    def evaluate(self, resolve: Resolver) -> bool:
        return any(operand.evaluate(resolve) for operand in self.operands)

    def _collect(self, paths: set[AttributePath]) -> None:
        for operand in self.operands:
            operand._collect(paths)


@dataclass(frozen=True, slots=True)
class Not(Expression):
    operand: Expression

    def evaluate(self, resolve: Resolver) -> bool:
        return not self.operand.evaluate(resolve)

    def _collect(self, paths: set[AttributePath]) -> None:
        self.operand._collect(paths)


# --------------------------------------------------------------------------- parser


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "end of input"
    text = token.text if len(token.text) <= 30 else token.text[:27] + "..."
    return repr(text)


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def _advance(self) -> _Token:
        token = self.current
        if token.kind != "end":
            self.index += 1
        return token

    def _at(self, kind: str, name: str) -> bool:
        return self.current.kind == kind and self.current.name == name

    def _error(self, reason: str) -> ExpressionError:
        token = self.current
        return ExpressionError(
            f"{reason} at position {token.position}, found {_describe(token)}", token.position
        )

    def parse(self) -> Expression:
        expression = self._or()
        if self.current.kind != "end":
            if self._at("symbol", ")"):
                raise _fail("unbalanced ')' with no matching '('", self.current.position)
            raise self._error("expected AND, OR or the end of the expression")
        return expression

    def _or(self) -> Expression:
        operands = [self._and()]
        while self._at("keyword", "OR"):
            self._advance()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _and(self) -> Expression:
        operands = [self._unary()]
        while self._at("keyword", "AND"):
            self._advance()
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _enter(self, token: _Token) -> None:
        # Bounding depth here keeps the parser's own recursion (and the tree's) far below
        # Python's recursion limit, whatever the input.
        self.depth += 1
        if self.depth > MAX_NESTING_DEPTH:
            raise _fail(
                f"expression is nested more than {MAX_NESTING_DEPTH} levels deep", token.position
            )

    def _unary(self) -> Expression:
        if self._at("keyword", "NOT"):
            self._enter(self._advance())
            operand = self._unary()
            self.depth -= 1
            return Not(operand)
        if self._at("symbol", "("):
            opening = self._advance()
            self._enter(opening)
            inner = self._or()
            if not self._at("symbol", ")"):
                raise self._error(
                    f"unbalanced '(' (opened at position {opening.position}): expected ')'"
                )
            self._advance()
            self.depth -= 1
            return inner
        return self._comparison()

    def _comparison(self) -> Expression:
        left, left_token = self._operand("expected a condition such as key == 'value'")
        name, text = self._operator(left_token)
        right, _ = self._operand(f"expected a value after {text!r}")
        return Comparison(name, left, right)

    def _operator(self, left: _Token) -> tuple[str, str]:
        """Consume a comparison operator; return its canonical name and its source text."""
        token = self.current
        if token.kind in ("symbol", "keyword") and token.name in _OPERATORS:
            self._advance()
            return token.name, token.text
        if self._at("keyword", "NOT"):
            self._advance()
            if not self._at("keyword", "IN"):
                raise self._error("expected IN after NOT")
            return "NOT IN", f"{token.text} {self._advance().text}"
        raise self._error(
            "expected a comparison operator (==, !=, >, >=, <, <=, IN, NOT IN, HAS, CONTAINS) "
            f"after {left.text!r}"
        )

    def _operand(self, reason: str) -> tuple[Operand, _Token]:
        token = self.current
        if token.kind == "path":
            self._advance()
            return Attribute(token.value), token
        if self._at("symbol", "["):
            return Constant(self._array()), token
        return Constant(self._scalar(reason)), token

    def _scalar(self, reason: str) -> Scalar:
        token = self.current
        if token.kind in ("string", "number"):
            self._advance()
            value: Scalar = token.value
            return value
        if token.kind == "keyword" and token.name in _CONSTANT_KEYWORDS:
            self._advance()
            return _CONSTANT_KEYWORDS[token.name]
        raise self._error(reason)

    def _array(self) -> tuple[Scalar, ...]:
        self._advance()  # the '['
        if self._at("symbol", "]"):
            self._advance()
            return ()
        items: list[Scalar] = []
        while True:
            items.append(
                self._scalar("expected a string, number, true, false or null in the array")
            )
            if self._at("symbol", "]"):
                self._advance()
                return tuple(items)
            if not self._at("symbol", ","):
                raise self._error("expected ',' or ']' in the array")
            self._advance()


# --------------------------------------------------------------------------- public API


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Expression:
    """Parse an expression, or raise ExpressionError (an InvalidParameter, so HTTP 400).

    Cached: the same queue or workflow expression is evaluated against many workers and tasks,
    and parsed expressions are immutable.
    """
    if not isinstance(text, str):
        raise ExpressionError("expression must be a string", 0)
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise _fail(
            f"expression is longer than {MAX_EXPRESSION_LENGTH} characters", MAX_EXPRESSION_LENGTH
        )
    if not text.strip():
        raise ExpressionError("expression is empty", 0)
    return _Parser(_Lexer(text).tokens()).parse()


def parse_operand(text: str) -> Operand:
    """One operand on its own, a path or a constant: what Known Agent Routing's target fields
    (`known_worker_sid`, `known_worker_friendly_name`) hold."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expected a task attribute such as task.agent_sid", 0)
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise _fail(f"longer than {MAX_EXPRESSION_LENGTH} characters", MAX_EXPRESSION_LENGTH)
    parser = _Parser(_Lexer(text).tokens())
    operand, _ = parser._operand("expected a task attribute such as task.agent_sid")
    if parser.current.kind != "end":
        raise parser._error("expected the end after one attribute or value")
    return operand


def resolve_path(document: Any, path: Sequence[Segment]) -> Any:
    """Follow `path` into a JSON-like document; a missing key or index gives None (NULL)."""
    value = document
    for segment in path:
        if isinstance(segment, int):
            if not isinstance(value, list | tuple) or not 0 <= segment < len(value):
                return None
        elif not isinstance(value, Mapping) or segment not in value:
            return None
        value = value[segment]
    return value


def _as_expression(expression: Expression | str) -> Expression:
    return parse(expression) if isinstance(expression, str) else expression


def matches(expression: Expression | str, attributes: Mapping[str, Any]) -> bool:
    """Evaluate against one document: a Workflow filter or `EvaluateTaskAttributes` on a task,
    or a TaskQueue `TargetWorkers` on a worker. Paths resolve against `attributes` as written."""
    return _as_expression(expression).evaluate(lambda path: resolve_path(attributes, path))


def matches_worker(
    expression: Expression | str,
    worker_attributes: Mapping[str, Any],
    task_attributes: Mapping[str, Any],
) -> bool:
    """Evaluate a Workflow target expression for one worker and one task.

    `task.x` reads the task's attributes, `worker.x` (or an unprefixed `x`) the worker's. Callers
    that want `worker.sid`, `worker.activity_name` etc. put those fields in `worker_attributes`.
    """

    def resolve(path: AttributePath) -> Any:
        if path and path[0] == "task":
            return resolve_path(task_attributes, path[1:])
        if path and path[0] == "worker":
            return resolve_path(worker_attributes, path[1:])
        return resolve_path(worker_attributes, path)

    return _as_expression(expression).evaluate(resolve)
