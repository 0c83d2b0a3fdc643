"""No regular expression on the math path backtracks super-linearly (a benchmark-ish property test).

A regex that backtracks holds the interpreter lock: no deadline can fire while it runs, so one
crafted answer stops a whole batch. Every compiled pattern of the math modules, and every function
of the extraction path, is run on adversarial inputs of size n and 8n. Linear work grows about 8x,
quadratic 64x: the test fails above 24x. To stay robust on a loaded 2-core machine, each timing is
the minimum of a few runs, and a run whose 8n input takes under `FAST_ENOUGH_S` passes outright
(at these sizes a quadratic pattern takes far longer than that).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from types import ModuleType

import pytest
from nova_rewards import mathparse, symbolic
from nova_rewards.dimensions import math as math_dimension
from nova_rewards.dimensions.math import reference_answer
from nova_rewards.mathparse import (
    answer_items,
    answers_equal,
    extract_answer,
    is_shotgun,
    normalise_expression,
    parse_number,
)
from nova_rewards.symbolic import to_sympy_syntax

MAX_RATIO = 24.0
FAST_ENOUGH_S = 0.02
REPEATS = 5

# Repeated to build adversarial inputs: the alphabets of the patterns, and the shapes known to hurt
# (words before "$", spaces before a non-space, digit groups, unclosed braces, markers).
CHUNKS = (
    " ", "a", "a ", "ab. ", "1", "1,", "1 ", "1,234", "1.", "-", "=", "x=", "x = 1, ", "{", "{ ", "}",
    "(", "[", "\\boxed{", "\\boxed ", "\\fbox{", "\\frac{", "\\text{", "\\!", "\\quad ", "\\\\", "$",
    "$1", "#", "####", "answer ", "answer is ", "Answer: ", "**", "<answer>", "or ", "and ", "is ",
    "km/h ", "apples ", "per cent ", "%", "^", "_", "e", "1e", "1/", "x_{1}=", "答案", "é",
)  # fmt: skip


def _patterns(*modules: ModuleType) -> list[tuple[str, re.Pattern[str]]]:
    found = []
    for module in modules:
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                found.append((f"{module.__name__}.{name}", value))
    return found


PATTERNS = _patterns(mathparse, symbolic, math_dimension)


def _min_time(function: Callable[[str], object], text: str) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        function(text)
        best = min(best, time.perf_counter() - started)
        if best < FAST_ENOUGH_S:
            break
    return best


def _assert_linear(function: Callable[[str], object], make: Callable[[int], str], n: int, label: str) -> None:
    large = _min_time(function, make(8 * n))
    if large < FAST_ENOUGH_S:
        return
    small = max(_min_time(function, make(n)), 1e-5)
    ratio = large / small
    assert ratio < MAX_RATIO, (
        f"{label}: {small * 1e3:.2f} ms at n={n}, {large * 1e3:.2f} ms at 8n ({ratio:.0f}x)"
    )


def test_the_math_modules_have_patterns_to_audit() -> None:
    names = {name.rsplit(".", 1)[1] for name, _ in PATTERNS}
    assert {"_MARKER_RE", "_NUMBER_RE", "_THOUSANDS_RE", "_BOX_GAP_RE", "_ITEM_SEP_RE"} <= names
    assert "_UNIT_WORDS_RE" not in names  # the exponential one is gone: trailing words are cut by hand


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[name for name, _ in PATTERNS])
def test_every_pattern_is_linear_on_adversarial_input(name: str, pattern: re.Pattern[str]) -> None:
    for chunk in CHUNKS:
        for tail in ("", "\u00a7", "!x"):  # end on a match, on a character no pattern wants, on junk
            n = max(1, 400 // len(chunk))

            def make(size: int, chunk: str = chunk, tail: str = tail) -> str:
                return chunk * size + tail

            _assert_linear(pattern.findall, make, n, f"{name}.findall({chunk!r} * n + {tail!r})")
            _assert_linear(pattern.match, make, n, f"{name}.match({chunk!r} * n + {tail!r})")


SENTENCE_WORDS = [
    "the",
    "maximum",
    "number",
    "of",
    "points",
    "that",
    "could",
    "be",
    "in",
    "the",
    "domain",
    "of",
    "f",
    "which",
    "is",
]

INPUTS: dict[str, Callable[[int], str]] = {
    "long answer sentence": lambda n: (
        "The final answer is " + " ".join(SENTENCE_WORDS[i % len(SENTENCE_WORDS)] for i in range(n)) + " 19."
    ),
    "digits": lambda n: "1" * (10 * n),
    "grouped digits": lambda n: "1," * (3 * n) + "1234",
    "spaces inside an answer": lambda n: "\\boxed{1" + " " * (10 * n) + "x}",
    "spaces before a percent": lambda n: "The answer is 5" + " " * (10 * n) + "percent x",
    "deep braces": lambda n: "\\boxed{" + "{" * (5 * n) + "1" + "}" * (5 * n) + "}",
    "unclosed boxes": lambda n: "\\boxed{" * (2 * n),
    "boxes": lambda n: "\\boxed{1} " * n,
    "markers": lambda n: "Answer: " * (2 * n),
    "unit words": lambda n: "5 " + "km/h " * (2 * n) + "5",
    "words then a dollar": lambda n: "a " * (5 * n) + "$",
    "list of candidates": lambda n: "The answer is " + ", ".join(str(i) for i in range(n)) + " or 7",
    "equals signs": lambda n: "x = " * (2 * n) + "y",
    "fractions": lambda n: "\\frac{" * (2 * n),
    "unclosed display math": lambda n: "\\[" * (5 * n),  # a lazy bounded regex rescans per opener
    "unclosed inline math": lambda n: "\\(" * (5 * n) + " 1",
    "dollars": lambda n: "$" + "a" * (10 * n),
    "look-alike markers": lambda n: "\u0410nswer: 1\n" * n,
    "powers of a polynomial": lambda n: "\\boxed{" + "(x+1)^{64}" * n + "}",
    "nested polynomial brackets": lambda n: "\\boxed{" + "(x" * n + ")" * n + "}",
    "unions of intervals": lambda n: "\\boxed{" + "[0, 1) \\cup " * n + "(2, 3]}",
    "matrix entries": lambda n: "\\boxed{\\begin{pmatrix}" + "1 & x \\\\ " * n + "\\end{pmatrix}}",
    "chains of inequalities": lambda n: "\\boxed{" + "1 < x " * n + "}",
    "memberships": lambda n: "\\boxed{" + "x \\in " * n + "[0, 1]}",
}


@pytest.mark.parametrize("shape", sorted(INPUTS))
def test_extraction_and_comparison_are_linear(shape: str) -> None:
    make = INPUTS[shape]

    def pipeline(text: str) -> None:
        found = extract_answer(text)
        answer = found.answer or text[-mathparse.MAX_ANSWER_CHARS :]
        parse_number(answer)
        answers_equal(answer, "19")
        answer_items(answer)
        is_shotgun(answer, "19")
        normalise_expression(answer)
        to_sympy_syntax(answer)
        reference_answer(text, "final_answer")

    _assert_linear(pipeline, make, 500, shape)


def test_one_megabyte_of_digits_is_read_in_bounded_time() -> None:
    started = time.perf_counter()
    assert extract_answer("1" * 1_000_000).answer is not None  # the tail is read, not the whole text
    assert time.perf_counter() - started < 5.0  # a guard, not a speed goal (see bench_math.py)


def test_deeply_named_answers_do_not_recurse() -> None:
    started = time.perf_counter()
    assert answers_equal("x = " * 5000 + "5", "x = 5") is not True  # a chain of names, never credited
    assert answers_equal(", ".join(f"({i}, x)" for i in range(60)), "(1, 2), (3, 4)") is not True
    assert time.perf_counter() - started < 5.0  # a guard, not a speed goal
