"""math_equivalence: extraction (parse), comparison (grade), the dimension and the sympy fallback."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
import time
from fractions import Fraction

import pytest
from nova_rewards.dimensions import Sample, ScoringContext, get_dimension_class
from nova_rewards.dimensions.math import MathEquivalence, reference_answer
from nova_rewards.mathparse import answers_equal, extract_final_answer, parse_number
from nova_rewards.symbolic import SymbolicChecker, SymbolicTimeout, to_sympy_syntax
from pydantic import ValidationError


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("The answer is 84.", "84"),  # trailing period is not part of the answer
        ("so we get \\boxed{42} in the end", "42"),
        ("\\boxed{\\frac{1}{\\sqrt{2}}}", "\\frac{1}{\\sqrt{2}}"),  # nested braces
        ("first \\boxed{1}, corrected: \\boxed{2}", "2"),  # the last box wins
        ("\\boxed 7", "7"),  # \boxed without braces
        ("work...\n#### 1,234", "1,234"),
        ("#### 3\nmore text\n#### 4", "4"),
        ("Answer: $12.50", "$12.50"),
        ("The final answer is 3.5. Hope that helps.", "3.5"),  # sentence ends at ". "
        ("The answer is: 7", "7"),
        ("3 apples plus 4 apples makes 7 apples", "7"),  # last number fallback
        ("a total of 1{,}234 dollars", "1{,}234"),  # LaTeX thousands separator
        ("**Answer:** 42", "42"),  # markdown emphasis around the marker
        ("The answer is **42**.", "42"),
        ("#### **7**", "7"),
        ("I do not know", None),
        ("", None),
    ],
)
def test_extract_final_answer(response: str, expected: str | None) -> None:
    assert extract_final_answer(response) == expected


def test_extract_without_last_number_fallback() -> None:
    assert extract_final_answer("it is 7", fallback_last_number=False) is None


@pytest.mark.parametrize(
    ("text", "value", "percent"),
    [
        ("42", Fraction(42), False),
        ("-3", Fraction(-3), False),
        ("0.25", Fraction(1, 4), False),
        (".5", Fraction(1, 2), False),
        ("1,234,567", Fraction(1234567), False),  # thousands separators
        ("1{,}234", Fraction(1234), False),
        ("3/4", Fraction(3, 4), False),
        ("-3/4", Fraction(-3, 4), False),
        ("\\frac{3}{4}", Fraction(3, 4), False),
        ("\\dfrac{3}{4}", Fraction(3, 4), False),
        ("\\tfrac{3}{4}", Fraction(3, 4), False),
        ("\\frac34", Fraction(3, 4), False),  # LaTeX shorthand for single digits
        ("-\\frac{1}{2}", Fraction(-1, 2), False),
        ("1 1/2", Fraction(3, 2), False),  # mixed number
        ("2\\frac{1}{4}", Fraction(9, 4), False),
        ("50%", Fraction(50), True),
        ("50\\%", Fraction(50), True),
        ("12.5 percent", Fraction(25, 2), True),
        ("$12.00", Fraction(12), False),  # currency
        ("\\$1,000", Fraction(1000), False),
        ("5 dollars", Fraction(5), False),  # unit words
        ("60 km/h", Fraction(60), False),
        ("x = -5", Fraction(-5), False),
        ("\\text{12 apples}", Fraction(12), False),
        ("$\\frac{3}{4}$", Fraction(3, 4), False),  # math delimiters
        ("90^\\circ", Fraction(90), False),
        ("{42}", Fraction(42), False),
        ("1e3", Fraction(1000), False),
        ("\u22125", Fraction(-5), False),  # Unicode minus sign
        ("12, which is even", Fraction(12), False),  # number then words
        ("84 or 85 or 86", None, None),  # listing candidates must not pay
        ("84 because 80 + 4 = 84", None, None),  # more numbers after it: ambiguous
        ("probably 12", Fraction(12), False),  # hedging adverb before the number
        ("not 7 but 8", None, None),  # a negation is not stripped
        ("five", Fraction(5), False),  # small numbers written as words
        ("Twenty", Fraction(20), False),
        ("fivefold", None, None),
        ("x + 1", None, None),
        ("1/0", None, None),
        ("", None, None),
    ],
)
def test_parse_number(text: str, value: Fraction | None, percent: bool | None) -> None:
    parsed = parse_number(text)
    if value is None:
        assert parsed is None
    else:
        assert parsed is not None
        assert (parsed.value, parsed.percent) == (value, percent)


@pytest.mark.parametrize(
    ("predicted", "reference", "kwargs", "expected"),
    [
        ("84", "84", {}, True),
        ("84.0", "84", {}, True),
        ("83", "84", {}, False),
        ("0.75", "\\frac{3}{4}", {}, True),
        ("3/4", "0.75", {}, True),
        ("1 1/2", "3/2", {}, True),
        ("1,234,567", "1234567", {}, True),
        ("50%", "50", {}, True),  # a percentage equals its number
        ("50%", "0.5", {}, True),  # ... and its fraction by default
        ("0.5", "50%", {}, True),
        ("50%", "0.5", {"percent_as_fraction": False}, False),
        ("0.3333", "1/3", {}, False),  # outside the default relative tolerance
        ("0.3333", "1/3", {"rel_tol": 1e-3}, True),
        ("0.3333333", "1/3", {}, True),  # inside it
        ("1e-10", "0", {}, False),  # two exact decimals: no tolerance
        ("1234568", "1234567", {}, False),  # large integers compare exactly (1e-6 relative would pass)
        ("1,234,567.51", "1234567.50", {}, False),
        ("0.1428571", "1/7", {}, True),  # a rounding of a non-terminating fraction: tolerance applies
        ("2/3", "0.6666667", {}, True),
        ("34994461/35", "22996373/23", {}, False),  # two exact fractions: no tolerance, however close
        ("-5", "5", {}, False),
        ("$12.00", "12", {}, True),
        ("x+1", "x+1", {}, True),  # equal normalised text, no sympy needed
        ("\\frac{x}{2}", "\\dfrac{x}{2}", {}, True),
        ("x+1", "1+x", {}, True),  # a polynomial identity, decided exactly in-process
        ("\\{2, 1\\}", "\\{1,2\\}", {}, True),  # sets: order ignored
        ("\\{1, 3\\}", "\\{1,2\\}", {}, False),  # sets of constants are decided in-process
        ("-2, 1", "1,-2", {}, True),  # lists of roots: as sets
        ("$21, 36, and 82$", "$19, 46, and 82$", {}, False),
        ("x = 4, -8, -10", "-10,-8,4", {}, True),
        ("1, 2", "1, 2, 3", {}, False),
        ("[45]", "45", {}, True),  # a value in square brackets
        ("(1, 2), (3, 4)", "(3, 4), (1, 2)", {}, True),  # lists of tuples: as sets, part by part
        ("(1, 2), (3, 4)", "(3, 4), (1, 5)", {}, False),
        ("(3, 2)", "(p,q)=(3,2)", {}, True),  # a named tuple
        ("a_3 = 2, a_{37} = 19", "a_{37} = 19, a_3 = 2", {}, True),  # named parts: by name
        ("a_3 = 19, a_{37} = 2", "a_{37} = 19, a_3 = 2", {}, False),
        ("x = 2 or x = 3", "2, 3", {}, True),
        ("x \\geq 5", "x >= 5", {}, True),  # inequalities of one variable and a constant
        ("5 \\geq x", "x \\leq 5", {}, True),
        ("-x > -1", "x < 1", {}, True),
        ("x < 5", "x > 5", {}, False),
        ("x \\neq 3", "x != 3", {}, True),
        ("x < y", "x < 5", {}, None),  # not a constant: the worker decides
        ("[0, 1)", "[0,1)", {}, True),  # half-open intervals
        ("(0, 1)", "[0,1)", {}, False),
        ("(-\\infty, 3]", "(-\\infty,3]", {}, True),
        ("\\frac{\\sqrt{3}}{3} \\approx 0.577", "\\frac{\\sqrt{3}}{3}", {}, True),  # the exact part
        ("x \\approx 11", "11", {}, None),  # a name then its value: the worker decides
        ("(1, 2)", "(1,2)", {}, True),  # tuples / intervals: order matters
        ("(2, 1)", "(1,2)", {}, False),
        ("[1, 1/2]", "[1, 0.5]", {}, True),  # elements compared as numbers
        ("(1, 2, 3)", "(1,2)", {}, False),  # different sizes
        ("(1,234)", "1234", {}, True),  # a bracketed number with a thousands separator is a number
        # constant arithmetic is decided in-process (no worker): closed forms, products, powers
        ("\\sqrt{16}", "4", {}, True),
        ("3+2", "5", {}, True),
        ("(9+1)", "10", {}, True),
        ("2\\sqrt{2}", "\\sqrt{8}", {}, True),
        ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", {}, True),
        ("1.5\\times10^{3}", "1500", {}, True),
        ("2^{0.5}", "\\sqrt[2]{2}", {}, True),
        ("1.4142136", "\\sqrt{2}", {}, True),  # a rounding, within the relative tolerance
        ("1.414", "\\sqrt{2}", {}, False),
        ("\\frac{1+\\sqrt{5}}{2}", "2", {}, False),
        ("3\\pi", "9.42", {}, False),
        ("10^{10^{10}}", "1", {}, None),  # too large to evaluate here: the worker decides (or times out)
        ("\\sqrt{-4}", "2", {}, None),  # not a real number: the worker decides
        ("x+1", "2", {}, False),  # a variable: a polynomial that is not that constant
    ],
)
def test_answers_equal(predicted: str, reference: str, kwargs: dict, expected: bool | None) -> None:
    assert answers_equal(predicted, reference, **kwargs) is expected


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ({"final_answer": "84"}, "84"),
        ({"answer": 84}, "84"),  # fallback key
        ({"other": 1}, None),
        ("Janet has 3 eggs ... #### 18", "18"),  # GSM8K-style worked solution
        ("so \\boxed{5}", "5"),
        (2.5, "2.5"),
        (7, "7"),
        (True, None),  # a boolean is not a math answer
        (None, None),
        ("   ", None),
        ([1, 2], None),
    ],
)
def test_reference_answer(reference: object, expected: str | None) -> None:
    assert reference_answer(reference, "final_answer") == expected


def _dim(**params: object) -> MathEquivalence:
    cls = get_dimension_class("math_equivalence")
    return cls(cls.Params(**params))  # type: ignore[return-value]


def _score(dim: MathEquivalence, response: str, reference: object) -> float | None:
    return dim.score(Sample("s", (), response, reference), ScoringContext()).value


@pytest.mark.parametrize(
    ("response", "reference", "expected"),
    [
        ("12 * 7 = 84. The answer is 84.", {"final_answer": "84"}, 1.0),
        ("The answer is 85.", {"final_answer": "84"}, 0.0),
        ("#### 1,250", {"final_answer": "1250"}, 1.0),
        ("She pays \\boxed{\\$12.50}.", "12.5", 1.0),
        ("no number here", "3", 0.0),
        ("The answer is 3", {"nothing": "3"}, None),  # reference without an answer: not scorable
    ],
)
def test_dimension_scores(response: str, reference: object, expected: float | None) -> None:
    assert _score(_dim(symbolic=False), response, reference) == expected


@pytest.mark.parametrize(
    ("response", "reference", "expected"),
    [
        # the 160-character sentence that hung the old extractor (exponential backtracking)
        (
            "The final answer is the maximum number of points that could be in the domain of f, which is 19.",
            "19",
            1.0,
        ),
        ("AZYUK2A", "2", 0.0),  # no credit for a number inside a word
        ("$-[0,1)$", "1", 0.0),  # nor for a number inside an interval
        ("\\frac{1+\\sqrt5}{2}", "2", 0.0),  # nor for a denominator
        ("$\\boxed{(3, 2)}$", "$(p,q)=(3,2)$", 1.0),  # a named tuple
        ("\\boxed{1} and \\boxed{2} and \\boxed{3}", "$\\{1,2,3\\}$", 1.0),  # several boxes, one set
        ("$\\boxed{11,\\! 111,\\! 100}$", "11111100", 1.0),  # thin-space thousands groups
        ("The answer is \\\\boxed{\\\\frac{1}{2}}", "0.5", 1.0),  # doubly escaped LaTeX
        ("$-x >= -1$", "$x <= 1$", 1.0),  # inequalities are not the number after "="
        ("The answer is 40, 41, 42, 43 or 44.", "42", 0.0),  # a shotgun
        ("\\boxed{41} \\boxed{42} \\boxed{43}", "42", 0.0),
        ("\\boxed{5}. Wait, that is wrong: the answer is 6.", "6", 1.0),  # the last explicit answer
        ("It is 7, 8 or 9.", "8", 0.0),  # an unmarked shotgun is still a shotgun
    ],
)
def test_dimension_classes_of_answers(response: str, reference: str, expected: float) -> None:
    assert _score(_dim(symbolic_timeout_s=20), response, {"final_answer": reference}) == expected


def test_dimension_reports_answer_found_metric() -> None:
    result = _dim().score(Sample("s", (), "nothing", "3"), ScoringContext())
    assert (result.value, result.metrics["answer_found"]) == (0.0, 0.0)
    result = _dim().score(Sample("s", (), "it is 4", "3"), ScoringContext())
    assert (result.value, result.metrics["answer_found"]) == (0.0, 1.0)
    result = _dim(fallback_last_number=False).score(Sample("s", (), "it is 3", "3"), ScoringContext())
    assert (result.value, result.metrics["answer_found"]) == (0.0, 0.0)


def test_custom_answer_key() -> None:
    assert _score(_dim(answer_key="result", symbolic=False), "#### 9", {"result": "9"}) == 1.0


@pytest.mark.parametrize(
    "params",
    [
        {"tolerance": -1},
        {"tolerance": 2},
        {"symbolic_timeout_s": 0},
        {"max_answer_chars": 0},
        {"unknown": 1},  # extra keys are forbidden
    ],
)
def test_params_are_validated(params: dict) -> None:
    with pytest.raises(ValidationError):
        MathEquivalence.Params(**params)


def test_oversized_answers_are_wrong_not_slow() -> None:
    dim = _dim(max_answer_chars=50)
    assert _score(dim, "\\boxed{" + "1+" * 100 + "1}", "201") == 0.0


# --- symbolic fallback (sympy in a worker process) ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\\frac{1}{\\sqrt{2}}", "((1)/(sqrt(2)))"),
        ("x^2", "x**2"),
        ("2\\cdot\\pi", "2* pi"),
        ("y = 2x + 1", "2x + 1"),  # right-hand side of an equation
        ("3 or 4 = 4", None),  # a computation on the left: not a named answer
        ("2+3=5", None),
        ("__import__('os')", None),  # dunder: refused
        ("os.system(1)", None),  # multi-letter names outside the allow-list: refused
        ("\\frac{1}", None),  # malformed LaTeX
    ],
)
def test_to_sympy_syntax(text: str, expected: str | None) -> None:
    assert to_sympy_syntax(text) == expected


@pytest.fixture(scope="module")
def checker():
    instance = SymbolicChecker()
    yield instance
    instance.close()


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", True),  # rationalised denominator
        ("(x+1)^2", "x^2+2x+1", True),
        ("x+1", "x+2", False),
        ("2\\pi", "6.283185307", True),  # numeric value of a closed form, within tolerance
        ("os.system('id')", "1", False),  # parsed as LaTeX by Math-Verify, never evaluated
    ],
)
def test_symbolic_equal(checker: SymbolicChecker, a: str, b: str, expected: bool | None) -> None:
    assert checker.equal(a, b, timeout=10) is expected


def test_symbolic_timeout_kills_worker_and_recovers(checker: SymbolicChecker) -> None:
    # a tower of powers: evaluating it takes seconds; the worker is killed and replaced
    with pytest.raises(SymbolicTimeout):
        checker.equal("10^{10^{10}}", "1", timeout=0.5)
    started = time.monotonic()
    assert checker.equal("2x", "x+x", timeout=10) is True
    # the spare worker was started at the kill: the next sample does not pay sympy's import
    assert time.monotonic() - started < 5


def test_back_to_back_kills_cost_each_sample_its_limit_and_at_most_one_worker_start() -> None:
    checker = SymbolicChecker()
    try:
        assert checker.equal("x^2", "x*x", timeout=30) is True  # the first start pays the imports
        for index in range(3):
            started = time.monotonic()
            with pytest.raises(SymbolicTimeout):
                checker.equal(f"10^{{10^{{10}}}} + {index}", "1", timeout=0.5)
            assert time.monotonic() - started < 15  # 0.5 s, the kill, at most a spare's start
        # a correct answer right after the kills waits for the spare, it does not time out
        assert checker.equal("2y", "y+y", timeout=2) is True
        # a caller out of time does not wait for a worker's imports
        checker.close()
        with pytest.raises(SymbolicTimeout):
            checker.equal("3z", "z+2z", timeout=0.2, ready_timeout=0.01)
    finally:
        checker.close()


def test_the_symbolic_workers_channel_cannot_be_opened_by_other_processes(checker: SymbolicChecker) -> None:
    """A code_tests solution in the same spec runs as the same user: it must not be able to read or forge
    the worker's verdicts through /proc/<pid>/fd. Its stdin and stdout are a socket, which cannot be
    opened through /proc whatever the permissions (ENXIO); a pipe could (as this test, root, shows)."""
    assert checker.equal("2x", "x+x", timeout=10) is True
    worker = checker._proc
    assert worker is not None
    for fd in (0, 1):
        target = os.readlink(f"/proc/{worker.proc.pid}/fd/{fd}")
        assert target.startswith("socket:"), target
        with pytest.raises(OSError) as raised:
            os.open(f"/proc/{worker.proc.pid}/fd/{fd}", os.O_RDWR)
        assert raised.value.errno == errno.ENXIO
    read, write = os.pipe()  # the control: a pipe end opens through /proc
    try:
        os.close(os.open(f"/proc/self/fd/{read}", os.O_RDONLY))
    finally:
        os.close(read)
        os.close(write)


def test_the_symbolic_worker_makes_itself_non_dumpable() -> None:
    probe = (
        "import ctypes; from nova_rewards.symbolic import _make_non_dumpable; libc = ctypes.CDLL(None); "
        "before = libc.prctl(3, 0, 0, 0, 0); _make_non_dumpable(); print(before, libc.prctl(3, 0, 0, 0, 0))"
    )  # PR_GET_DUMPABLE = 3
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["1", "0"], done.stderr


def test_symbolic_worker_that_cannot_start_means_undecided(tmp_path) -> None:
    # e.g. an interpreter without sympy: no exception per sample, just "not decided"
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\nexit 1\n")
    fake_python.chmod(0o755)
    broken = SymbolicChecker(python=str(fake_python), startup_timeout=5)
    assert broken.equal("x+1", "1+x", timeout=5) is None
    assert broken.equal("2x", "x+x", timeout=5) is None  # not retried at once
    broken.close()


def test_symbolic_works_off_the_main_thread(checker: SymbolicChecker) -> None:
    results: list[bool | None] = []
    threads = [
        threading.Thread(target=lambda: results.append(checker.equal("a*b", "b*a", timeout=10)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 4


def test_dimension_uses_symbolic_fallback() -> None:
    dim = _dim(symbolic_timeout_s=10)
    assert _score(dim, "\\boxed{\\frac{\\sqrt{2}}{2}}", {"final_answer": "\\frac{1}{\\sqrt{2}}"}) == 1.0
    assert _score(dim, "\\boxed{\\sqrt{3}}", {"final_answer": "\\frac{1}{\\sqrt{2}}"}) == 0.0


def test_dimension_respects_deadline() -> None:
    # no time left: the symbolic fallback is skipped and the sample is a timeout (failure value)
    ctx = ScoringContext(deadline=0.0)
    sample = Sample("s", (), "\\boxed{\\sin^2 x + \\cos^2 x}", "1")
    with pytest.raises(TimeoutError):
        _dim().score(sample, ctx)
    assert _score(_dim(), "\\boxed{7}", "7") == 1.0  # plain numbers never need the worker
    assert _dim().score(Sample("s", (), "\\boxed{x+1}", "1+x"), ctx).value == 1.0  # nor polynomials


# --- properties ----------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_FRACTIONS = st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=50)


def _notations(value: Fraction) -> list[str]:
    """Ways a model may write `value` exactly."""
    out = [f"{value.numerator}/{value.denominator}", f"\\frac{{{value.numerator}}}{{{value.denominator}}}"]
    if value.denominator == 1:
        out += [str(value.numerator), f"{value.numerator:,}", f"{value.numerator}.00"]
    if value < 0:
        out.append(f"-\\dfrac{{{-value.numerator}}}{{{value.denominator}}}")
    return out


@given(_FRACTIONS, st.sampled_from(["\\boxed{%s}", "#### %s", "The answer is %s.", "Answer: $%s$"]))
@settings(max_examples=300, deadline=None)
def test_every_exact_notation_of_a_value_matches_it(value: Fraction, wrapper: str) -> None:
    reference = f"{value.numerator}/{value.denominator}"
    for written in _notations(value):
        extracted = extract_final_answer(wrapper % written)
        assert extracted is not None
        assert answers_equal(extracted, reference) is True, (written, extracted)


@given(_FRACTIONS, _FRACTIONS)
@settings(max_examples=300, deadline=None)
def test_different_values_never_match(a: Fraction, b: Fraction) -> None:
    if a != b:
        assert answers_equal(f"{a.numerator}/{a.denominator}", f"{b.numerator}/{b.denominator}") is not True


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_extraction_and_parsing_never_raise(text: str) -> None:
    answer = extract_final_answer(text)
    if answer is not None:
        parse_number(answer)
        answers_equal(answer, "42")


@pytest.mark.timeout(30)  # a guard against quadratic scans, not a speed goal
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\\boxed{" * 20_000, None),  # unclosed boxes: only the last few are tried
        ("\\boxed{1}" * 10_000, "1"),
        ("-" * 100_000, None),
        ("\\frac{" * 20_000, None),
    ],
)
def test_adversarial_responses_are_bounded(text: str, expected: str | None) -> None:
    assert extract_final_answer(text) == expected
    to_sympy_syntax(text[:10_000])  # never raises (deep nesting is refused, not a RecursionError)
    assert to_sympy_syntax(text) is None  # beyond the size cap: refused


# ---------------------------------------------------------------- polynomial and rational identities


@pytest.mark.parametrize(
    ("predicted", "reference", "expected"),
    [
        ("(x+1)^2", "x^2+2x+1", True),
        ("$\\frac{x}{7}+\\frac{2}{7}$", "$\\frac{x+2}{7}$", True),
        ("x^2 + 2*x - (-1)", "x^2+2x+1", True),
        ("(r+5)(r+5)", "(r+5)^2", True),
        ("\\frac{x^2-1}{x-1}", "x+1", True),  # equal where both are defined
        ("2ab + b^2", "b(2a+b)", True),
        ("0.5x", "\\frac{x}{2}", True),  # exact decimals
        ("x^3+2x+1", "x^2+2x+1", False),
        ("(x+1)^2", "x^2+1", False),
        ("$x+1$", "$x+2n+1$", False),
        ("$(+5)(b+2)$", "$(a+5)(b+2)$", False),
        ("(r+5)^2", "(x+5)^2", False),  # another variable: another answer
        # equations: a non-zero multiple of the other is the same equation
        ("$y=-\\frac{1}{2}x+\\frac{3}{4}$", "$2x+4y-3=0$", True),
        ("$x^2/16 + y^2/12 = 1/4$", "$x^2/4 + y^2/3 = 1$", True),
        ("$-34x-45y+20z-100=0$", "$34x+45y-20z+100=0$", True),
    ],
)
def test_polynomial_identities_are_decided_in_process(predicted: str, reference: str, expected: bool) -> None:
    assert answers_equal(predicted, reference) is expected


@pytest.mark.parametrize(
    ("predicted", "reference"),
    [
        ("x^2 = 0", "x = 0"),  # same solutions, not proportional: Math-Verify decides
        ("x^2 + y^2 = 1", "x^2 + 2y^2 = 1"),  # two curves, not multiples: Math-Verify decides
        ("x = 0.333333", "3x = 1"),  # a rounding
        ("3x + 5 = 11", "x = 2"),  # one variable: the question echoed is not its solved answer
        ("2x = 4", "x = 2"),
        ("x/2y", "\\frac{xy}{2}"),  # x/(2y) to Math-Verify, (x/2)y to others: ambiguous
        ("1/2x", "\\frac{x}{2}"),
        ("x+0.333333", "x+\\frac{1}{3}"),  # a rounding: Math-Verify's tolerance judges it
        ("x^2", "f(x) = x^2"),  # a named function: Math-Verify compares its value
        ("2", "xy = 2"),
        ("odd", "ddo"),  # words are not products of variables
        ("even", "neve"),
        ("e^2", "ee"),  # Euler's number, not a variable
        ("2i", "i+i"),
        ("\\sin x", "x"),  # a function
        ("a_1 + 1", "1 + a_1"),  # subscripts
        ("x^y", "x^y + 0"),  # a variable exponent
        ("(x+1)^{65}", "(x+1)^{65}+0"),  # exponent above the bound
        ("(x+1)^{64}(x+2)^{64}(x+3)^{64}", "(x+1)^{64}(x+2)^{64}(x+3)^{64}+0"),  # numbers above the bound
        ("x = y = 1", "x = 1"),  # an equation chain
    ],
)
def test_what_the_identity_check_leaves_to_math_verify(predicted: str, reference: str) -> None:
    from nova_rewards.mathparse import _rational_identity

    assert _rational_identity(predicted, reference) is None


def test_identity_verdicts_are_reproducible_and_poles_are_skipped() -> None:
    from nova_rewards.mathparse import _rational_identity

    verdicts = {_rational_identity("\\frac{1}{x-3} + 1", "\\frac{x-2}{x-3}") for _ in range(20)}
    assert verdicts == {True}
    assert _rational_identity("\\frac{1}{x-x}", "1") is None  # a pole everywhere: undecided


@pytest.mark.parametrize(
    ("predicted", "reference", "expected"),
    [
        # two different hyperplanes: linear equations that are not multiples of each other
        ("x + y - z + 2 = 0", "5x - 7y + 11z + 4 = 0", False),
        ("x + y = 1", "x = 1 - y", True),
        # unions of intervals and chains of inequalities, as sets of reals
        ("(-\\infty, -3] \\cup [2, \\infty)", "[-3, 2]", False),
        ("[-1, -\\tfrac12) \\cup (-\\tfrac12, 0)", "[-1, -\\frac{1}{2}) \\cup (-\\frac{1}{2}, 0)", True),
        (
            "(-\\frac{1}{2}, 0) \\cup [-1, -\\frac{1}{2})",
            "[-1, -\\frac{1}{2}) \\cup (-\\frac{1}{2}, 0)",
            True,
        ),
        ("[0, 1] \\cup [1, 2]", "[0, 2]", True),  # the same set, written in two pieces
        ("(0, 1) \\cup (1, 2)", "[0, 2]", False),
        ("$(-793, 10)$", "$-793 < a < 10$", True),
        ("$[-793, 10)$", "$-793 < a < 10$", False),
        ("(-1, 2]", "2 \\ge x > -1", True),
        (
            "(-\\infty, 3] \\cup [5, 6]",
            "[-\\infty, 3] \\cup [5, 6]",
            True,
        ),  # a bracket at infinity says nothing
        # an equation whose left side is an expression is not a value
        ("$0$", "$a^2 + b = 0$", False),
        ("$11a+c$", "$7 = 11a+c$", False),
        ("$\\cfrac{1}{3}$", "$1/3$", True),
        # memberships, plus-minus, named tuples
        ("$x \\in [-2,7]$", "[-2, 7]", True),
        ("$x \\in [-2,7]$", "[-2, 8]", False),
        ("$2021$", "$\\pm 2021$", False),
        ("${-2021, 2021}$", "$\\pm 2021$", True),
        ("$(3,2)$", "$(p,q)=(3,2)$", True),
        ("$(2,3)$", "$(p,q)=(3,2)$", False),
        # matrices of any bracket style, entry by entry
        (
            "\\left[\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}\\right]",
            "$\\begin{pmatrix}1 & 2 \\\\3 & 4\\end{pmatrix}$",
            True,
        ),
        (
            "\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}",
            "\\begin{bmatrix}1 & 2 \\\\ 3 & 4\\end{bmatrix}",
            False,
        ),
        ("\\begin{pmatrix}1 & 2\\end{pmatrix}", "\\begin{pmatrix}1 \\\\ 2\\end{pmatrix}", False),  # shapes
        (
            "\\begin{bmatrix} 0 & 1 \\\\ 1 & 0 \\end{bmatrix}",
            "\\begin{pmatrix}0&1\\\\1&0\\end{pmatrix}",
            True,
        ),
        ("\\begin{pmatrix}x+1 & 0\\end{pmatrix}", "\\begin{pmatrix}1+x & 0\\end{pmatrix}", True),
    ],
)
def test_sets_equations_and_matrices_decided_in_process(
    predicted: str, reference: str, expected: bool
) -> None:
    assert answers_equal(predicted, reference) is expected


@pytest.mark.parametrize(
    ("predicted", "reference"),
    [
        ("x + y = x + y + 1", "2x = 2x + 3"),  # no solutions on either side: not a curve
        ("x \\in (1, 2)", "y \\in (1, 2)"),  # other variables
        ("\\begin{vmatrix}1 & 2 \\\\ 3 & 4\\end{vmatrix}", "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}"),
        ("\\begin{pmatrix}\\sin x & 0\\end{pmatrix}", "\\begin{pmatrix}\\sin x & 0\\end{pmatrix} + 0"),
        ("\\begin{pmatrix}1 & 0\\end{pmatrix}\\begin{pmatrix}1 \\\\ 0\\end{pmatrix}", "1"),  # a product
    ],
)
def test_what_sets_and_matrices_leave_to_math_verify(predicted: str, reference: str) -> None:
    assert answers_equal(predicted, reference) is None


def test_many_part_answers_beyond_the_comparison_budget_go_to_the_worker() -> None:
    # 21 x 21 pairwise comparisons on the caller's thread would exceed the budget: the killable
    # worker decides instead; 20 x 20 is still compared here
    many = ", ".join(f"x+{i}" for i in range(21))
    assert answers_equal(many, ", ".join(f"{i}+x" for i in range(21))) is None
    assert answers_equal("\\{" + many + "\\}", "\\{" + many.replace("x+0", "0+x") + "\\}") is None
    twenty = ", ".join(f"x+{i}" for i in range(20))
    assert answers_equal(twenty, ", ".join(f"{i}+x" for i in range(20))) is True


def test_a_reference_escaped_twice_is_compared_in_process() -> None:
    dim = _dim(symbolic=False)  # no worker: decided here or wrong
    assert _score(dim, "\\boxed{x \\in [-2,7]}", "$-2 \\\\le x \\\\le 7$") == 1.0  # JSON in JSON
    assert _score(dim, "\\boxed{x \\in [-2,8]}", "$-2 \\\\le x \\\\le 7$") == 0.0


_COEFFICIENTS = st.lists(st.integers(min_value=-20, max_value=20), min_size=1, max_size=5)


def _expanded(coefficients: list[int], variable: str = "x") -> str:
    """a0 + a1 x + a2 x^2 ... written term by term."""
    terms = [f"{c}" if power == 0 else f"{c}{variable}^{{{power}}}" for power, c in enumerate(coefficients)]
    return " + ".join(f"({term})" for term in terms)


def _horner(coefficients: list[int], variable: str = "x") -> str:
    """The same polynomial nested: a0 + x(a1 + x(a2 + ...))."""
    text = str(coefficients[-1])
    for c in reversed(coefficients[:-1]):
        text = f"{c} + {variable}({text})"
    return text


@given(_COEFFICIENTS, _COEFFICIENTS)
@settings(max_examples=300, deadline=None)
def test_polynomials_match_exactly_when_their_coefficients_do(a: list[int], b: list[int]) -> None:
    def trimmed(c: list[int]) -> list[int]:
        while len(c) > 1 and c[-1] == 0:
            c = c[:-1]
        return c

    same = trimmed(a) == trimmed(b)
    assert answers_equal(_horner(a), _expanded(b)) is same
    assert answers_equal(_expanded(a), _horner(a)) is True
    if len(trimmed(a)) > 1:  # another variable is another answer (a constant is the same in any)
        assert answers_equal(_expanded(a, "y"), _expanded(a, "x")) is False
