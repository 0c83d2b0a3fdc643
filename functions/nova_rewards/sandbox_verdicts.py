"""The trusted half of `code_tests`: test cases parsed from the reference, and the exact comparison.

Nothing here runs untrusted code. The expected values stay in this (the grader's) process; the
sandboxed child receives only calls (function name and literal arguments) or stdin texts.

Test shapes accepted in `reference_answer`:
- `{"tests": ["assert add(1, 2) == 3", ...], "setup": "optional code"}` (or just the list). Each
  test must be one of:
    assert f(ARGS) == LITERAL          (or LITERAL == f(ARGS); `is` with None/True/False)
    assert WRAP(f(ARGS)) == LITERAL    (WRAP one of set, frozenset, sorted, list, tuple; the
                                        literal side may be WRAP(LITERAL) too, e.g. set((4, 5)))
    assert math.isclose(f(ARGS), LITERAL[, rel_tol=LITERAL][, abs_tol=LITERAL])
    assert abs(f(ARGS) - LITERAL) < LITERAL
    assert len(f(ARGS)) == LITERAL     (len or bool is applied in the child; an int / a bool crosses)
    assert f(ARGS)   /   assert not f(ARGS)   (truthiness, as Python's assert: `return match` or
                                        `return count` counts; `== True` and `is True` stay exact)
  where f may also be a method: `Solution(ARGS).f` (a new instance per test) or `Solution.f`,
  and ARGS are Python literals (positional or keyword). Any other form (a loop, a helper, two
  calls, a variable) raises `UnsupportedTest` when the reference is read: it is refused when the
  dataset is checked (`check_reference`), and never run inside the untrusted process.
  `setup` runs in the solution's namespace after it; it must not hold anything secret.
- `{"inputs": ["1 2\\n", ...], "outputs": ["3\\n", ...]}`: the program runs as `__main__` once per
  case with that stdin; its stdout must equal the output token by token (whitespace-insensitive;
  with a tolerance, an expected real number matches a printed one within it: `output_matches`).

Comparison (`same`): types must match exactly, except that an int and a float compare as numbers
(with the float tolerance: `rel_tol`, `abs_tol`; a float standing for an expected int must also
round to it: a float approximation of a large int is no answer) and a set equals a frozenset;
bool is never a number; containers are compared element by element (lists and tuples are different types; dict
keys and set elements exactly, values and members recursively). NaN equals nothing.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CallCase",
    "TestSuite",
    "UnsupportedTest",
    "check_reference",
    "decode_plain",
    "plain_bounds",
    "same",
]

_WRAPPERS: dict[str, Callable[[Any], Any]] = {
    "set": set,
    "frozenset": frozenset,
    "sorted": sorted,
    "list": list,
    "tuple": tuple,
}
# applied to the result in the child (the parent gets their value: an int, a bool), not again here
_MEASURES = ("len", "bool")
_MAX_DEPTH = 64
_TAGS = ("$tuple", "$set", "$frozenset", "$dict", "$bytes", "$complex", "$float", "$int")


class UnsupportedTest(ValueError):
    """A test whose verdict could not be computed outside the untrusted process."""


@dataclass(frozen=True, slots=True)
class CallCase:
    """One call and what it must return."""

    function: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    expected: Any
    wrap: str | None = None  # a builtin applied to the result before comparing
    rel_tol: float | None = None  # set by math.isclose tests
    abs_tol: float | None = None
    owner: Owner | None = None  # `function` is a method of this (see `Owner`)


def _literal(node: ast.expr, what: str) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise UnsupportedTest(f"{what} is not a Python literal: {ast.unparse(node)[:80]}") from None


# what a method is called on: a name of the solution (`Solution.f(...)`: a class or static
# method) or a call of one (`Solution(ARGS).f(...)`: a method of a new instance per test)
Owner = tuple[str, tuple[Any, ...], tuple[tuple[str, Any], ...], bool]  # name, args, kwargs, called


def _arguments(node: ast.Call) -> tuple[tuple[Any, ...], tuple[tuple[str, Any], ...]]:
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        raise UnsupportedTest("*args and **kwargs are not supported in test calls")
    args = tuple(_literal(a, "an argument") for a in node.args)
    kwargs = tuple((str(k.arg), _literal(k.value, "an argument")) for k in node.keywords)
    return args, kwargs


def _target(func: ast.expr) -> tuple[str, Owner | None]:
    """(function or method name, owner) of what a test calls."""
    if isinstance(func, ast.Name):
        return func.id, None
    if isinstance(func, ast.Attribute):
        owner = func.value
        if isinstance(owner, ast.Name):
            return func.attr, (owner.id, (), (), False)
        if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name):
            return func.attr, (owner.func.id, *_arguments(owner), True)
    raise UnsupportedTest(
        "the tested expression must be a call of a function by name, e.g. f(1, 2), or of a method, "
        "e.g. Solution().f(1, 2)"
    )


def _call(
    node: ast.expr,
) -> tuple[str, tuple[Any, ...], tuple[tuple[str, Any], ...], str | None, Owner | None]:
    """(function, args, kwargs, wrapper, owner) of `f(...)`, `Owner(...).f(...)` or `WRAP(...)` of one."""
    wrap = None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and (node.func.id in _WRAPPERS or node.func.id in _MEASURES)
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Call)
    ):
        wrap, node = node.func.id, node.args[0]
    if not isinstance(node, ast.Call):
        raise UnsupportedTest("the tested expression must be a call of a function by name, e.g. f(1, 2)")
    function, owner = _target(node.func)
    return function, *_arguments(node), wrap, owner


def _isclose(node: ast.Call) -> CallCase:
    if len(node.args) != 2 or any(k.arg not in ("rel_tol", "abs_tol") for k in node.keywords):
        raise UnsupportedTest("math.isclose tests take (call, literal[, rel_tol=, abs_tol=])")
    function, args, kwargs, wrap, owner = _call(node.args[0])
    expected = _literal(node.args[1], "the expected value")
    tolerances = {str(k.arg): _literal(k.value, "a tolerance") for k in node.keywords}
    if type(expected) not in (int, float) or any(type(t) not in (int, float) for t in tolerances.values()):
        raise UnsupportedTest("math.isclose tests compare numbers")
    return CallCase(
        function,
        args,
        kwargs,
        float(expected),
        wrap,
        rel_tol=float(tolerances.get("rel_tol", 1e-9)),
        abs_tol=float(tolerances.get("abs_tol", 0.0)),
        owner=owner,
    )


def _is_isclose(node: ast.expr) -> bool:
    func = node.func if isinstance(node, ast.Call) else None
    return (isinstance(func, ast.Name) and func.id == "isclose") or (
        isinstance(func, ast.Attribute)
        and func.attr == "isclose"
        and isinstance(func.value, ast.Name)
        and func.value.id == "math"
    )


def _is_solution_call(node: ast.expr) -> bool:
    """`f(...)`, `x.f(...)` or `WRAP(` one `)`, as opposed to a literal or `WRAP(literal)`."""
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Name) and (node.func.id in _WRAPPERS or node.func.id in _MEASURES):
        return len(node.args) == 1 and _is_solution_call(node.args[0])
    return isinstance(node.func, ast.Name | ast.Attribute)


def _expected(node: ast.expr) -> Any:
    """A literal, or a wrapper applied to one (`set((4, 5))`, `set()`), evaluated here."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _WRAPPERS:
        if node.keywords or len(node.args) > 1:
            raise UnsupportedTest(f"{node.func.id}() takes one literal here")
        value = _literal(node.args[0], "the expected value") if node.args else ()
        try:
            return _WRAPPERS[node.func.id](value)
        except (TypeError, ValueError):
            raise UnsupportedTest(f"{ast.unparse(node)[:80]} cannot be evaluated") from None
    return _literal(node, "the expected value")


def _abs_difference(test: ast.expr) -> CallCase | None:
    """`abs(f(...) - LITERAL) < TOLERANCE` (or <=, either order inside abs)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    if not isinstance(test.ops[0], ast.Lt | ast.LtE):
        return None
    left = test.left
    if not (
        isinstance(left, ast.Call)
        and isinstance(left.func, ast.Name)
        and left.func.id == "abs"
        and len(left.args) == 1
        and isinstance(left.args[0], ast.BinOp)
        and isinstance(left.args[0].op, ast.Sub)
    ):
        return None
    diff = left.args[0]
    call, literal = (diff.left, diff.right) if _is_solution_call(diff.left) else (diff.right, diff.left)
    function, args, kwargs, wrap, owner = _call(call)
    expected = _literal(literal, "the expected value")
    tolerance = _literal(test.comparators[0], "a tolerance")
    if type(expected) not in (int, float) or type(tolerance) not in (int, float):
        raise UnsupportedTest("abs(f(...) - x) < tolerance compares numbers")
    return CallCase(
        function, args, kwargs, float(expected), wrap, rel_tol=0.0, abs_tol=float(tolerance), owner=owner
    )


def parse_assert(source: str) -> CallCase:
    """The case an assert-style test describes; `UnsupportedTest` for any other form."""
    try:
        tree = ast.parse(source, mode="exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise UnsupportedTest(f"not valid Python ({exc.__class__.__name__})") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        raise UnsupportedTest("a test must be a single assert statement")
    test = tree.body[0].test
    close = _abs_difference(test)
    if close is not None:
        return close
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if not isinstance(op, ast.Eq | ast.Is):
            raise UnsupportedTest("only == and `is` comparisons are supported")
        call_side, literal_side = (left, right) if _is_solution_call(left) else (right, left)
        function, args, kwargs, wrap, owner = _call(call_side)
        expected = _expected(literal_side)
        if isinstance(op, ast.Is) and not (expected is None or expected is True or expected is False):
            raise UnsupportedTest("`is` compares only with None, True or False")
        return CallCase(function, args, kwargs, expected, wrap, owner=owner)
    if _is_isclose(test):
        return _isclose(test)  # type: ignore[arg-type]
    # a bare `assert f(x)` tests truthiness, as Python does: `return re.match(...)`, `return n`
    # pass; a constant still cannot, as the suite needs a falsy case too (`_constant_passes`)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        function, args, kwargs, wrap, owner = _call(test.operand)
        return CallCase(function, args, kwargs, False, wrap or "bool", owner=owner)
    if isinstance(test, ast.Call):
        function, args, kwargs, wrap, owner = _call(test)
        return CallCase(function, args, kwargs, True, wrap or "bool", owner=owner)
    raise UnsupportedTest("the assert must compare one call with a literal (nova_rewards.sandbox_verdicts)")


@dataclass(frozen=True, slots=True)
class TestSuite:
    """The cases of one task: calls with expected values, or stdin/stdout pairs."""

    __test__ = False  # not a pytest test class, despite the name

    mode: str  # "calls" | "io"
    calls: tuple[CallCase, ...] = ()
    setup: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.calls) if self.mode == "calls" else len(self.inputs)

    @classmethod
    def from_tests(cls, tests: list[str], setup: str | None = None) -> TestSuite:
        """Parse assert statements; `UnsupportedTest` names the first test that cannot be parsed."""
        calls = []
        for index, test in enumerate(tests):
            try:
                calls.append(parse_assert(test))
            except UnsupportedTest as exc:
                raise UnsupportedTest(f"tests[{index}]: {exc}") from None
        return cls(mode="calls", calls=tuple(calls), setup=setup)

    @classmethod
    def from_reference(cls, reference: Any) -> TestSuite | None:
        """The suite a reference answer describes, None when it has no tests (module doc)."""
        if isinstance(reference, list) and reference and all(isinstance(t, str) for t in reference):
            return cls.from_tests(reference)
        if not isinstance(reference, Mapping):
            return None
        tests = reference.get("tests")
        if isinstance(tests, list) and tests and all(isinstance(t, str) for t in tests):
            setup = reference.get("setup")
            return cls.from_tests(tests, setup if isinstance(setup, str) else None)
        inputs, outputs = reference.get("inputs"), reference.get("outputs")
        if (
            isinstance(inputs, list)
            and isinstance(outputs, list)
            and inputs
            and len(inputs) == len(outputs)
            and all(isinstance(x, str) for x in [*inputs, *outputs])
        ):
            return cls(mode="io", inputs=tuple(inputs), outputs=tuple(outputs))
        return None


def check_reference(reference: Any) -> str | None:
    """Why a `code_tests` reference cannot be graded (None when it can): for dataset checks."""
    try:
        suite = TestSuite.from_reference(reference)
    except UnsupportedTest as exc:
        return f"reference_answer.{exc} (rewrite it as `assert f(literal args) == literal`)"
    if suite is None:
        return 'reference_answer: no tests (expected {"tests": [...]} or {"inputs": [...], "outputs": [...]})'
    if _constant_passes(suite):
        return (
            "reference_answer: every test expects the same result, so code that ignores its input passes "
            "them all; add a case whose expected result differs"
        )
    return None


def _constant_passes(suite: TestSuite) -> bool:
    """True when one constant answer (a fixed return value or a fixed print) passes every case."""
    if suite.mode == "io":
        return len({" ".join(out.split()) for out in suite.outputs}) < 2
    return len({repr((case.wrap, case.expected)) for case in suite.calls}) < 2


# ------------------------------------------------------------------ plain data


class _Malformed(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _Malformed(name)


def parse_json_line(line: bytes) -> Any:
    """A JSON line from the child; NaN/Infinity literals refused (non-finite floats are tagged)."""
    return json.loads(line, parse_constant=_reject_constant)


def decode_plain(node: Any, depth: int = 0, budget: list[int] | None = None) -> Any:
    """The value a child's tagged JSON describes; raises ValueError on anything malformed.

    `budget` (a one-item list, decremented per value built) bounds the work: the child chooses
    this data, and a set or dict of numbers whose hashes all collide costs time quadratic in its
    size to build (about 4 s for 20,000 ints), in this process, holding the GIL of every sample.
    """
    if depth > _MAX_DEPTH:
        raise _Malformed("too deep")
    if budget is not None:
        budget[0] -= 1
        if budget[0] < 0:
            raise _Malformed("larger than the expected value")
    kind = type(node)
    if node is None or kind in (bool, str, int, float):
        return node
    if kind is list:
        return [decode_plain(v, depth + 1, budget) for v in node]
    if kind is not dict or len(node) != 1:
        raise _Malformed("not plain data")
    ((tag, body),) = node.items()
    if tag == "$float":
        if body not in ("nan", "inf", "-inf"):
            raise _Malformed("bad float")
        return float(body)
    if tag == "$int":  # an int too long for decimal text (the int-str limit); hex has none
        if type(body) is not str or not body.lstrip("-").startswith("0x"):
            raise _Malformed("bad int")
        return int(body, 16)
    if tag == "$bytes":
        if type(body) is not str:
            raise _Malformed("bad bytes")
        return bytes.fromhex(body)
    if tag not in _TAGS or type(body) is not list:
        raise _Malformed("unknown tag")
    if tag == "$dict":
        if any(type(pair) is not list or len(pair) != 2 for pair in body):
            raise _Malformed("bad dict")
        return {decode_plain(k, depth + 1, budget): decode_plain(v, depth + 1, budget) for k, v in body}
    items = [decode_plain(v, depth + 1, budget) for v in body]
    if tag == "$tuple":
        return tuple(items)
    if tag == "$set":
        return set(items)
    if tag == "$frozenset":
        return frozenset(items)
    if len(items) != 2 or any(type(x) is not float for x in items):
        raise _Malformed("bad complex")
    return complex(items[0], items[1])


# JSON bytes a child may spend on one value equal to an expected value of each kind (generous:
# a float may stand for an int and the reverse, every character of a string may be escaped)
_FLOAT_TEXT = 330  # an int equal to a float up to 1e308 has 309 digits
_INT_TEXT = 32
_TAG_TEXT = 20


def plain_bounds(value: Any, depth: int = 0) -> tuple[int, int]:
    """(values, bytes) a result equal to `value` can take: how many values `decode_plain` builds
    for it, and an upper bound on its JSON text. A result beyond either cannot equal `value`."""
    if depth > _MAX_DEPTH:
        return 1, 0
    kind = type(value)
    if kind is int:  # its digits (or a float's 24 characters, or hex past the int-str limit)
        return 1, max(_INT_TEXT, value.bit_length() // 3 + _TAG_TEXT)
    if kind is str:
        return 1, 12 * len(value) + 2  # \uXXXX, twice for a character outside the BMP
    if kind is bytes:
        return 1, 2 * len(value) + _TAG_TEXT
    if kind is complex:
        return 3, 2 * _FLOAT_TEXT + _TAG_TEXT
    if kind in (list, tuple, set, frozenset, dict):
        children = [*value.keys(), *value.values()] if kind is dict else list(value)
        values, text = 1, _TAG_TEXT
        for child in children:
            child_values, child_text = plain_bounds(child, depth + 1)
            values, text = values + child_values, text + child_text + 4
        return values, text
    return 1, _FLOAT_TEXT  # None, bool, float


# ------------------------------------------------------------------ comparison


def _numbers_close(expected: float, got: float, rel_tol: float, abs_tol: float) -> bool:
    try:
        return math.isclose(float(expected), float(got), rel_tol=rel_tol, abs_tol=abs_tol)
    except OverflowError:  # an int too large for a float
        return False


def _rounds_to(got: float, expected: int) -> bool:
    """An int answer given as a float counts only when its nearest integer is that int (3.0000000000000004
    for 3 does; Binet's float 23416728348467744.0 for fib(80) = 23416728348467685 does not, though
    it is within 1e-9 of it)."""
    return math.isfinite(got) and round(got) == expected


def _key(value: Any) -> Any:
    """A hashable form of a dict key or set member in which bool, int and str never collide."""
    kind = type(value)
    if kind is bool:
        return ("bool", value)
    if kind in (int, float):
        if kind is float and value.is_integer():
            return ("num", int(value))
        return ("num", value) if value == value else ("nan", id(value))
    if kind is tuple:
        return ("tuple", tuple(_key(v) for v in value))
    if kind in (set, frozenset):
        return ("set", frozenset(_key(v) for v in value))
    return (kind.__name__, value)


def same(expected: Any, got: Any, rel_tol: float = 1e-9, abs_tol: float = 0.0) -> bool:
    """Whether `got` (decoded plain data) equals `expected` under the rules of the module doc."""
    te, tg = type(expected), type(got)
    if te is bool or tg is bool:
        return te is tg and expected is got
    if te in (int, float):
        if tg not in (int, float):
            return False
        if te is int and tg is int:
            return expected == got
        if te is int and not _rounds_to(got, expected):
            return False
        return _numbers_close(expected, got, rel_tol, abs_tol)
    if te is complex:
        return tg is complex and all(
            _numbers_close(a, b, rel_tol, abs_tol)
            for a, b in ((expected.real, got.real), (expected.imag, got.imag))
        )
    if te in (list, tuple):
        return (
            te is tg
            and len(expected) == len(got)
            and all(same(e, g, rel_tol, abs_tol) for e, g in zip(expected, got, strict=True))
        )
    if te is dict:
        if tg is not dict or len(expected) != len(got):
            return False
        by_key = {_key(k): v for k, v in got.items()}
        return all(
            _key(k) in by_key and same(v, by_key[_key(k)], rel_tol, abs_tol) for k, v in expected.items()
        )
    if te in (set, frozenset):
        return tg in (set, frozenset) and {_key(v) for v in expected} == {_key(v) for v in got}
    return te is tg and expected == got  # None, str, bytes


def case_passed(case: CallCase, got: Any, rel_tol: float, abs_tol: float) -> bool:
    """The verdict of one call: the wrapper (if any) applied in this process, then `same`."""
    if case.wrap is not None and case.wrap not in _MEASURES:  # idempotent: applied again here
        try:
            got = _WRAPPERS[case.wrap](got)
        except (TypeError, ValueError, RecursionError):
            return False
    if case.rel_tol is not None:
        rel_tol, abs_tol = case.rel_tol, case.abs_tol or 0.0
        if type(got) not in (int, float):
            return False
    return same(case.expected, got, rel_tol, abs_tol)


_REAL_TOKEN = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+(?:\.\d*)?[eE][-+]?\d+)")
_MAX_TOKEN_CHARS = 400


def output_matches(got: str, expected: str, float_tol: float = 0.0) -> bool:
    """stdin/stdout cases: equal token by token (whitespace-insensitive). With `float_tol`, an
    expected token written as a real number (`0.333333`, `2.50`, `1e-9`; never an integer) also
    matches a number within that absolute or relative error, as judges of "error at most 1e-6"
    tasks check: `0.3333333333333333` is right there, `1.0` for an expected `1` is not."""
    got_tokens, expected_tokens = got.split(), expected.split()
    if len(got_tokens) != len(expected_tokens):
        return False
    return all(
        g == e or (float_tol > 0.0 and _close_reals(g, e, float_tol))
        for g, e in zip(got_tokens, expected_tokens, strict=True)
    )


def _close_reals(got: str, expected: str, tol: float) -> bool:
    if len(got) > _MAX_TOKEN_CHARS or len(expected) > _MAX_TOKEN_CHARS or not _REAL_TOKEN.fullmatch(expected):
        return False
    if not _REAL_TOKEN.fullmatch(got) and not re.fullmatch(r"[-+]?\d+", got):
        return False  # "nan", "inf", "0x1p-2", "1_000" are not what a judge reads as a number
    a, b = float(got), float(expected)
    return math.isfinite(a) and math.isfinite(b) and math.isclose(a, b, rel_tol=tol, abs_tol=tol)
