"""Generate the code dataset (small Python function tasks with tests) and candidate responses.

    python datasets/tools/make_code.py          # writes datasets/code.jsonl and
                                                # datasets/responses/code.responses.jsonl
    python datasets/tools/make_code.py --check  # exit 1 if the committed files are stale

Each template has five variants (a constant, an operation or a separator changes), so the tasks
differ in behaviour, not only in wording. Every task has a reference solution and a plausible
buggy one; the expected values of the tests are computed by running the reference solution here,
so tests and solutions cannot drift apart. `reference_answer` is `{"tests": ["assert f(...) == literal",
...]}` (a form the grader judges outside the sandbox, checked here: nova_rewards.sandbox_verdicts), or
`{"inputs": [...], "outputs": [...]}` for the stdin/stdout tasks.

Responses: per task, in this order: fenced (right, ```python), raw (right, no fence: fails the
format check), buggy (fails at least one test), prose (no code), syntax_error, padded (right, with a
very long explanation); every 20th task also gets `looping` (a top-level infinite loop, stopped by
the sandbox's timers). `variant_responses()` labels them, for tests.
"""

# ruff: noqa: E501 - the solution templates read best as one source line each
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEED = 20261122
VARIANTS = 5
ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "datasets" / "code.jsonl"
RESPONSES = ROOT / "datasets" / "responses" / "code.responses.jsonl"

SYSTEM = (
    "You are a Python programmer. Write a correct, self-contained Python 3 solution using only the "
    "standard library. Reply with the code in a single ```python fenced block and at most two "
    "sentences of explanation."
)


@dataclass
class CodeTask:
    """One task: the request, a reference solution, a buggy solution and the tests."""

    topic: str
    prompt: str
    solution: str
    buggy: str
    tests: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    name: str | None = None  # the function to write (None for stdin/stdout programs)

    def renamed(self, new: str) -> CodeTask:
        """The same task asking for the function under another name (to keep prompts unique)."""
        assert self.name is not None
        pattern = re.compile(rf"\b{re.escape(self.name)}\b")
        return CodeTask(
            self.topic,
            pattern.sub(new, self.prompt),
            pattern.sub(new, self.solution),
            pattern.sub(new, self.buggy),
            tests=[pattern.sub(new, t) for t in self.tests],
            name=new,
        )

    @property
    def reference(self) -> dict[str, Any]:
        """The tests, plus the reference solution (the grader never runs it; `orch reward audit`
        writes its controls from it, so the audit can show that correct code is paid)."""
        if self.tests:
            return {"tests": self.tests, "solution": self.solution}
        return {"inputs": self.inputs, "outputs": self.outputs, "solution": self.solution}


def fn_task(topic: str, prompt: str, name: str, solution: str, buggy: str, cases: list[tuple]) -> CodeTask:
    """A function task whose asserts hold the reference solution's results for `cases`."""
    scope: dict[str, Any] = {}
    exec(solution, scope)  # trusted: our own reference solution
    func = scope[name]
    tests = []
    for args in cases:
        expected = func(*args)
        call = ", ".join(repr(a) for a in args)
        tests.append(f"assert {name}({call}) == {expected!r}")
    return CodeTask(topic, prompt, solution, buggy, tests=tests, name=name)


def io_task(topic: str, prompt: str, solution: str, buggy: str, inputs: list[str]) -> CodeTask:
    """A stdin/stdout task whose expected outputs are the reference solution's outputs."""
    import contextlib
    import io

    outputs = []
    for given in inputs:
        out = io.StringIO()
        real_stdin = sys.stdin
        sys.stdin = io.StringIO(given)
        try:
            with contextlib.redirect_stdout(out):
                exec(solution, {"__name__": "__main__"})
        finally:
            sys.stdin = real_stdin
        outputs.append(out.getvalue())
    return CodeTask(topic, prompt, solution, buggy, inputs=inputs, outputs=outputs)


# ---------------------------------------------------------------- templates (variant index v)


def t_add(v: int, rng: random.Random) -> CodeTask:
    k = [3, 7, 12, -4, 100][v]
    name = f"add_{abs(k)}" if k > 0 else f"sub_{abs(k)}"
    sol = f"def {name}(x):\n    return x + ({k})\n"
    bug = f"def {name}(x):\n    return x + ({k}) - 1\n"
    return fn_task(
        "arithmetic",
        f"Write `{name}(x)` that returns x plus ({k}).",
        name,
        sol,
        bug,
        [(0,), (1,), (-5,), (rng.randint(10, 99),)],
    )


def t_multiples(v: int, rng: random.Random) -> CodeTask:
    a, b = [(3, 5), (2, 7), (4, 6), (5, 11), (3, 8)][v]
    sol = f"def sum_multiples(n):\n    return sum(i for i in range(1, n) if i % {a} == 0 or i % {b} == 0)\n"
    bug = (
        f"def sum_multiples(n):\n    return sum(i for i in range(1, n + 1) if i % {a} == 0 or i % {b} == 0)\n"
    )
    prompt = (
        f"Write `sum_multiples(n)` returning the sum of the positive integers below n that are "
        f"divisible by {a} or by {b}."
    )
    return fn_task(
        "loops", prompt, "sum_multiples", sol, bug, [(1,), (10,), (a * b,), (rng.randint(50, 200),)]
    )


def t_count_char(v: int, rng: random.Random) -> CodeTask:
    c = "aeiks"[v]
    name = f"count_{c}"
    sol = f"def {name}(s):\n    return s.lower().count({c!r})\n"
    bug = f"def {name}(s):\n    return s.count({c!r})\n"
    words = ["Banana", "kayak", "Mississippi", "ALASKA", "sEEk", "", "Keys and Kites", "IIi"]
    return fn_task(
        "strings",
        f"Write `{name}(s)` returning how many times the letter '{c}' occurs in s, ignoring case.",
        name,
        sol,
        bug,
        [(w,) for w in words],
    )


def t_join_reversed(v: int, rng: random.Random) -> CodeTask:
    sep = [" ", "-", ",", "|", " / "][v]
    sol = f"def reverse_words(s):\n    return {sep!r}.join(reversed(s.split()))\n"
    bug = f"def reverse_words(s):\n    return {sep!r}.join(s.split())\n"
    prompt = (
        f"Write `reverse_words(s)` that splits s on whitespace and returns the words in reverse "
        f"order joined by {sep!r}."
    )
    return fn_task(
        "strings", prompt, "reverse_words", sol, bug, [("hello world",), ("  a  b c ",), ("one",), ("",)]
    )


def t_palindrome(v: int, rng: random.Random) -> CodeTask:
    ignore_case, alnum_only = [(True, True), (True, False), (False, True), (False, False), (True, True)][v]
    body = "    t = s\n"
    if alnum_only:
        body += "    t = ''.join(ch for ch in t if ch.isalnum())\n"
    if ignore_case:
        body += "    t = t.lower()\n"
    sol = f"def is_palindrome(s):\n{body}    return t == t[::-1]\n"
    bug = (
        "def is_palindrome(s):\n    return s == s[::-1]\n"
        if (ignore_case or alnum_only)
        else ("def is_palindrome(s):\n    return s.lower() == s.lower()[::-1]\n")
    )
    rules = []
    rules.append("ignoring case" if ignore_case else "case-sensitive")
    rules.append("ignoring non-alphanumeric characters" if alnum_only else "counting every character")
    cases = [
        ("Racecar",),
        ("A man, a plan, a canal: Panama",),
        ("abba",),
        ("ab",),
        ("Noon",),
        ("no, on",),
        ("",),
    ]
    return fn_task(
        "strings",
        f"Write `is_palindrome(s)`: True when s reads the same backwards ({', '.join(rules)}).",
        "is_palindrome",
        sol,
        bug,
        cases,
    )


def t_fib(v: int, rng: random.Random) -> CodeTask:
    a, b = [(0, 1), (2, 1), (1, 1), (3, 4), (5, -2)][v]
    sol = f"def seq(n):\n    a, b = {a}, {b}\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"
    bug = f"def seq(n):\n    a, b = {a}, {b}\n    for _ in range(n - 1):\n        a, b = b, a + b\n    return a\n"
    prompt = (
        f"Write `seq(n)` for the sequence with seq(0) = {a}, seq(1) = {b} and seq(n) = seq(n-1) + seq(n-2)."
    )
    return fn_task("recursion", prompt, "seq", sol, bug, [(0,), (1,), (2,), (10,), (rng.randint(15, 30),)])


def t_gcd_lcm(v: int, rng: random.Random) -> CodeTask:
    op = ["gcd", "lcm", "gcd", "lcm", "gcd"][v]
    if op == "gcd":
        sol = "def combine(xs):\n    import math\n    out = 0\n    for x in xs:\n        out = math.gcd(out, x)\n    return out\n"
        bug = "def combine(xs):\n    return min(xs)\n"
    else:
        sol = (
            "def combine(xs):\n    import math\n    out = 1\n    for x in xs:\n"
            "        out = out * x // math.gcd(out, x)\n    return out\n"
        )
        bug = "def combine(xs):\n    out = 1\n    for x in xs:\n        out *= x\n    return out\n"
    cases = [([12, 18],), ([7],), ([4, 6, 8],), ([rng.randint(2, 30) * 3, rng.randint(2, 30) * 6],)]
    return fn_task(
        "math",
        f"Write `combine(xs)` returning the {op.upper()} of the positive integers in list xs.",
        "combine",
        sol,
        bug,
        cases,
    )


def t_clamp(v: int, rng: random.Random) -> CodeTask:
    lo, hi = [(0, 10), (-5, 5), (1, 100), (18, 65), (-1, 1)][v]
    sol = f"def clamp(x):\n    return max({lo}, min({hi}, x))\n"
    bug = f"def clamp(x):\n    return min({lo}, max({hi}, x))\n"
    return fn_task(
        "arithmetic",
        f"Write `clamp(x)` returning x limited to the range [{lo}, {hi}].",
        "clamp",
        sol,
        bug,
        [(lo - 3,), (lo,), ((lo + hi) // 2,), (hi,), (hi + 7,)],
    )


def t_temperature(v: int, rng: random.Random) -> CodeTask:
    digits = [0, 1, 2, 1, 0][v]
    to_f = v % 2 == 0
    if to_f:
        sol = f"def convert(c):\n    return round(c * 9 / 5 + 32, {digits})\n"
        bug = f"def convert(c):\n    return round(c * 5 / 9 + 32, {digits})\n"
        prompt = f"Write `convert(c)` converting Celsius to Fahrenheit, rounded with round(value, {digits})."
    else:
        sol = f"def convert(f):\n    return round((f - 32) * 5 / 9, {digits})\n"
        bug = f"def convert(f):\n    return round(f - 32 * 5 / 9, {digits})\n"
        prompt = f"Write `convert(f)` converting Fahrenheit to Celsius, rounded with round(value, {digits})."
    return fn_task("arithmetic", prompt, "convert", sol, bug, [(0,), (100,), (-40,), (37.5,)])


def t_running(v: int, rng: random.Random) -> CodeTask:
    op = ["max", "min", "sum", "product", "max"][v]
    init = {"max": "None", "min": "None", "sum": "0", "product": "1"}[op]
    step = {
        "max": "x if acc is None else max(acc, x)",
        "min": "x if acc is None else min(acc, x)",
        "sum": "acc + x",
        "product": "acc * x",
    }[op]
    sol = f"def running(xs):\n    out, acc = [], {init}\n    for x in xs:\n        acc = {step}\n        out.append(acc)\n    return out\n"
    bug = f"def running(xs):\n    out, acc = [], {init}\n    for x in xs[1:]:\n        acc = {step}\n        out.append(acc)\n    return out\n"
    cases = [([3, 1, 4, 1, 5],), ([],), ([-2],), ([rng.randint(-9, 9) for _ in range(6)],)]
    return fn_task(
        "lists",
        f"Write `running(xs)` returning the running {op} of list xs (same length as xs).",
        "running",
        sol,
        bug,
        cases,
    )


def t_vowels(v: int, rng: random.Random) -> CodeTask:
    letters = ["aeiou", "aeiouy", "aeiou", "aeiouy", "aeiou"][v]
    name = ["count_vowels", "count_vowels_y", "vowel_count", "vowels_with_y", "n_vowels"][v]
    sol = f"def {name}(s):\n    return sum(1 for ch in s.lower() if ch in {letters!r})\n"
    bug = f"def {name}(s):\n    return sum(1 for ch in s if ch in {letters!r})\n"
    extra = " (y counts as a vowel)" if "y" in letters else " (y is not a vowel)"
    return fn_task(
        "strings",
        f"Write `{name}(s)` counting the vowels in s, ignoring case{extra}.",
        name,
        sol,
        bug,
        [("Python",), ("AEIOU",), ("rhythm",), ("",), ("Yesterday",)],
    )


def t_fizzbuzz(v: int, rng: random.Random) -> CodeTask:
    a, b, wa, wb = [
        (3, 5, "Fizz", "Buzz"),
        (2, 7, "Foo", "Bar"),
        (4, 6, "Ping", "Pong"),
        (3, 7, "Tic", "Tac"),
        (5, 9, "Zig", "Zag"),
    ][v]
    sol = (
        f"def label(n):\n    out = ''\n    if n % {a} == 0:\n        out += {wa!r}\n    if n % {b} == 0:\n"
        f"        out += {wb!r}\n    return out or str(n)\n"
    )
    bug = (
        f"def label(n):\n    if n % {a} == 0:\n        return {wa!r}\n    if n % {b} == 0:\n"
        f"        return {wb!r}\n    return str(n)\n"
    )
    prompt = (
        f"Write `label(n)`: '{wa}' if n is divisible by {a}, '{wb}' if divisible by {b}, "
        f"'{wa}{wb}' if both, else str(n)."
    )
    return fn_task("loops", prompt, "label", sol, bug, [(1,), (a,), (b,), (a * b,), (a * b + 1,)])


def t_digits(v: int, rng: random.Random) -> CodeTask:
    op = ["sum", "product", "sum", "count_even", "max"][v]
    expr = {
        "sum": "sum(ds)",
        "product": "__import__('math').prod(ds)",
        "count_even": "sum(1 for d in ds if d % 2 == 0)",
        "max": "max(ds)",
    }[op]
    sol = f"def digits(n):\n    ds = [int(c) for c in str(abs(n))]\n    return {expr}\n"
    bug = f"def digits(n):\n    ds = [int(c) for c in str(n).lstrip('-')[1:] or '0']\n    return {expr}\n"
    what = {
        "sum": "sum",
        "product": "product",
        "count_even": "number of even digits",
        "max": "largest digit",
    }[op]
    return fn_task(
        "math",
        f"Write `digits(n)` returning the {what} of the decimal digits of abs(n).",
        "digits",
        sol,
        bug,
        [(0,), (7,), (-482,), (rng.randint(1000, 999999),)],
    )


def t_chunk(v: int, rng: random.Random) -> CodeTask:
    k = [2, 3, 4, 6, 5][v]
    sol = f"def chunk(xs):\n    return [xs[i:i + {k}] for i in range(0, len(xs), {k})]\n"
    bug = f"def chunk(xs):\n    return [xs[i:i + {k}] for i in range(0, len(xs) - {k} + 1, {k})]\n"
    return fn_task(
        "lists",
        f"Write `chunk(xs)` splitting list xs into consecutive lists of {k} items (the last may be shorter).",
        "chunk",
        sol,
        bug,
        [(list(range(7)),), ([],), (["a"],), (list(range(k * 2)),)],
    )


def t_dedupe(v: int, rng: random.Random) -> CodeTask:
    key = ["", ".lower()", "", ".strip()", ".lower()"][v]
    sol = (
        f"def dedupe(xs):\n    seen, out = set(), []\n    for x in xs:\n        k = x{key}\n"
        f"        if k not in seen:\n            seen.add(k)\n            out.append(x)\n    return out\n"
    )
    bug = "def dedupe(xs):\n    return sorted(set(xs))\n"
    how = {"": "exact", ".lower()": "case-insensitive", ".strip()": "ignoring surrounding spaces"}[key]
    return fn_task(
        "lists",
        f"Write `dedupe(xs)` removing duplicate strings ({how} comparison), keeping the first "
        "occurrence and the original order.",
        "dedupe",
        sol,
        bug,
        [(["b", "a", "b"],), (["A", "a", " a "],), ([],), (["x", "y", "z"],)],
    )


def t_second(v: int, rng: random.Random) -> CodeTask:
    rank = [2, 3, 2, 2, 3][v]
    largest = v != 2
    order = "largest" if largest else "smallest"
    sol = (
        f"def nth_distinct(xs):\n    vals = sorted(set(xs), reverse={largest})\n"
        f"    return vals[{rank - 1}] if len(vals) >= {rank} else None\n"
    )
    bug = f"def nth_distinct(xs):\n    vals = sorted(xs, reverse={largest})\n    return vals[{rank - 1}] if len(vals) >= {rank} else None\n"
    return fn_task(
        "lists",
        f"Write `nth_distinct(xs)` returning the {rank}-th {order} distinct value of xs, "
        "or None if there is none.",
        "nth_distinct",
        sol,
        bug,
        [
            ([5, 5, 4, 3],),
            ([1],),
            ([2, 9, 9, 7, 1],),
            ([1, 1, 2, 9, 9],),
            ([rng.randint(0, 5) for _ in range(8)],),
        ],
    )


def t_caesar(v: int, rng: random.Random) -> CodeTask:
    k = [1, 3, 13, 25, 7][v]
    sol = (
        f"def shift(s):\n    out = []\n    for ch in s:\n        if 'a' <= ch <= 'z':\n"
        f"            out.append(chr((ord(ch) - 97 + {k}) % 26 + 97))\n        else:\n            out.append(ch)\n"
        f"    return ''.join(out)\n"
    )
    bug = f"def shift(s):\n    return ''.join(chr(ord(ch) + {k}) if ch.isalpha() else ch for ch in s)\n"
    return fn_task(
        "strings",
        f"Write `shift(s)` applying a Caesar shift of {k} to lowercase letters a-z (wrapping "
        "around); other characters stay as they are.",
        "shift",
        sol,
        bug,
        [("abc",), ("xyz",), ("Hello, World!",), ("",)],
    )


def t_primes(v: int, rng: random.Random) -> CodeTask:
    inclusive = v % 2 == 1
    bound = "n <= " if inclusive else "n < "
    limit = "n + 1" if inclusive else "n"
    sol = (
        f"def count_primes(n):\n    count = 0\n    for k in range(2, {limit}):\n"
        f"        if all(k % d for d in range(2, int(k ** 0.5) + 1)):\n            count += 1\n    return count\n"
    )
    bug = (
        f"def count_primes(n):\n    count = 0\n    for k in range(1, {limit}):\n"
        f"        if all(k % d for d in range(2, int(k ** 0.5) + 1)):\n            count += 1\n    return count\n"
    )
    return fn_task(
        "math",
        f"Write `count_primes(n)` returning how many primes p satisfy {bound.replace('n', 'p')}n.",
        "count_primes",
        sol,
        bug,
        [(0,), (2,), (10,), (13,), (rng.randint(50, 300),)],
    )


def t_flatten(v: int, rng: random.Random) -> CodeTask:
    deep = v % 2 == 0
    if deep:
        sol = (
            "def flatten(xs):\n    out = []\n    for x in xs:\n        if isinstance(x, list):\n"
            "            out.extend(flatten(x))\n        else:\n            out.append(x)\n    return out\n"
        )
        prompt = "Write `flatten(xs)` flattening arbitrarily nested lists into one flat list, in order."
    else:
        sol = (
            "def flatten(xs):\n    out = []\n    for x in xs:\n        if isinstance(x, list):\n"
            "            out.extend(x)\n        else:\n            out.append(x)\n    return out\n"
        )
        prompt = "Write `flatten(xs)` flattening exactly one level of nesting (inner lists stay lists)."
    bug = "def flatten(xs):\n    return [y for x in xs for y in (x if isinstance(x, list) else [x])][::-1]\n"
    return fn_task(
        "lists", prompt, "flatten", sol, bug, [([1, [2, [3, [4]]]],), ([],), ([[1, 2], 3],), ([[[v]]],)]
    )


def t_snake(v: int, rng: random.Random) -> CodeTask:
    sep = ["_", "-", "_", ".", "-"][v]
    sol = (
        f"def convert_case(s):\n    out = []\n    for i, ch in enumerate(s):\n"
        f"        if ch.isupper() and i > 0:\n            out.append({sep!r})\n        out.append(ch.lower())\n"
        f"    return ''.join(out)\n"
    )
    bug = "def convert_case(s):\n    return s.lower()\n"
    return fn_task(
        "strings",
        f"Write `convert_case(s)` turning CamelCase into lower case words joined by {sep!r} "
        "(a separator before every upper-case letter except the first character).",
        "convert_case",
        sol,
        bug,
        [("CamelCase",), ("already",), ("HTTPServer",), ("aB",)],
    )


def t_base(v: int, rng: random.Random) -> CodeTask:
    base = [2, 8, 16, 3, 5][v]
    sol = (
        f"def to_base(n):\n    digits = '0123456789abcdef'\n    if n == 0:\n        return '0'\n    out = ''\n"
        f"    while n:\n        n, r = divmod(n, {base})\n        out = digits[r] + out\n    return out\n"
    )
    bug = (
        f"def to_base(n):\n    digits = '0123456789abcdef'\n    out = ''\n"
        f"    while n:\n        n, r = divmod(n, {base})\n        out += digits[r]\n    return out\n"
    )
    return fn_task(
        "math",
        f"Write `to_base(n)` returning the base-{base} representation of the non-negative "
        "integer n, lowercase digits, no prefix.",
        "to_base",
        sol,
        bug,
        [(0,), (1,), (base + 1,), (255,), (rng.randint(1000, 9999),)],
    )


def t_anagram(v: int, rng: random.Random) -> CodeTask:
    ignore_spaces = v % 2 == 0
    prep = ".replace(' ', '')" if ignore_spaces else ""
    sol = f"def is_anagram(a, b):\n    return sorted(a.lower(){prep}) == sorted(b.lower(){prep})\n"
    bug = "def is_anagram(a, b):\n    return set(a.lower()) == set(b.lower())\n"
    how = "ignoring case and spaces" if ignore_spaces else "ignoring case (spaces count)"
    return fn_task(
        "strings",
        f"Write `is_anagram(a, b)`: True when a and b are anagrams, {how}.",
        "is_anagram",
        sol,
        bug,
        [("Listen", "Silent"), ("aab", "abb"), ("dormitory", "dirty room"), ("", "")],
    )


def t_io_stats(v: int, rng: random.Random) -> CodeTask:
    op = ["sum", "max", "min", "range", "product"][v]
    expr = {
        "sum": "sum(xs)",
        "max": "max(xs)",
        "min": "min(xs)",
        "range": "max(xs) - min(xs)",
        "product": "__import__('math').prod(xs)",
    }[op]
    sol = f"import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\nxs = [int(t) for t in data[1:1 + n]]\nprint({expr})\n"
    bug = f"import sys\ndata = sys.stdin.read().split()\nxs = [int(t) for t in data[1:]]\nprint({expr.replace('xs', 'xs[:-1]')})\n"
    inputs = []
    for size in (1, 3, 5, 8):
        xs = [rng.randint(-50, 50) for _ in range(size)]
        inputs.append(f"{size}\n{' '.join(map(str, xs))}\n")
    prompt = (
        f"Write a program that reads from standard input an integer n, then n integers, and prints their "
        f"{op}{' (max minus min)' if op == 'range' else ''}."
    )
    return io_task("stdin", prompt, sol, bug, inputs)


def t_io_text(v: int, rng: random.Random) -> CodeTask:
    op = ["upper", "words", "reverse", "title", "vowels"][v]
    expr = {
        "upper": "line.upper()",
        "words": "len(line.split())",
        "reverse": "line[::-1]",
        "title": "' '.join(w.capitalize() for w in line.split())",
        "vowels": "sum(ch in 'aeiou' for ch in line.lower())",
    }[op]
    sol = f"line = input()\nprint({expr})\n"
    bug = f"line = input().strip()[1:]\nprint({expr})\n"
    what = {
        "upper": "the line in upper case",
        "words": "its number of words",
        "reverse": "the line reversed",
        "title": "its words capitalised and joined by single spaces",
        "vowels": "its number of vowels (aeiou, any case)",
    }[op]
    inputs = ["hello world\n", "a\n", "The quick brown fox\n", "  spaced   out  \n"]
    return io_task(
        "stdin",
        f"Write a program that reads one line from standard input and prints {what}.",
        sol,
        bug,
        inputs,
    )


TEMPLATES: list[Callable[[int, random.Random], CodeTask]] = [
    t_add,
    t_multiples,
    t_count_char,
    t_join_reversed,
    t_palindrome,
    t_fib,
    t_gcd_lcm,
    t_clamp,
    t_temperature,
    t_running,
    t_vowels,
    t_fizzbuzz,
    t_digits,
    t_chunk,
    t_dedupe,
    t_second,
    t_caesar,
    t_primes,
    t_flatten,
    t_snake,
    t_base,
    t_anagram,
    t_io_stats,
    t_io_text,
]


def tasks() -> list[tuple[str, CodeTask]]:
    """(id, task) for every record, in file order."""
    rng = random.Random(SEED)
    out: list[tuple[str, CodeTask]] = []
    seen: set[str] = set()
    for v in range(VARIANTS):
        for template in TEMPLATES:
            task = template(v, rng)
            if task.prompt in seen and task.name:  # same behaviour as an earlier variant: rename
                task = task.renamed(f"{task.name}_v{v + 1}")
            seen.add(task.prompt)
            out.append((f"code-{len(out) + 1:04d}", task))
    return out


def record(tid: str, task: CodeTask) -> dict:
    return {
        "id": tid,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task.prompt}],
        "reference_answer": task.reference,
        "domain": "code",
        "topic": task.topic,
    }


def variant_responses(tid: str, task: CodeTask) -> list[tuple[str, str, str]]:
    """(variant, expected outcome: all | not_all | none tests passed, response) for one task."""
    explanation = "This walks the input once and builds the result directly."
    padding = "\n".join(
        f"Step {i}: let me explain this part of the solution again in more detail for clarity."
        for i in range(60)
    )
    out = [
        ("fenced", "all", f"```python\n{task.solution}```\n{explanation}"),
        ("raw", "all", task.solution),
        ("buggy", "not_all", f"```python\n{task.buggy}```\n{explanation}"),
        ("prose", "none", "You can solve this with a simple loop over the input and a running result."),
        ("syntax_error", "none", f"```python\n{task.solution}if True\n    pass\n```"),
        ("padded", "all", f"{padding}\n```python\n{task.solution}```"),
    ]
    if int(tid.rsplit("-", 1)[1]) % 20 == 0:
        out.append(("looping", "none", "```python\nwhile True:\n    pass\n```"))
    return out


def gradable_problem(reference: Any) -> str | None:
    """Why the grader could not judge this reference outside the sandboxed child (None: it can).

    code_tests parses each assert into a call and a literal expected value (see
    nova_rewards.sandbox_verdicts); a template that writes another form must fail here, not later.
    """
    sys.path.insert(0, str(ROOT / "functions"))
    from nova_rewards.sandbox_verdicts import check_reference

    return check_reference(reference)


def render() -> tuple[str, str]:
    """The dataset and responses files' exact text."""
    data_lines, response_lines = [], []
    for tid, task in tasks():
        problem = gradable_problem(task.reference)
        if problem:
            raise SystemExit(f"{tid}: {problem}")
        data_lines.append(json.dumps(record(tid, task), ensure_ascii=False, sort_keys=True))
        for _variant, _outcome, text in variant_responses(tid, task):
            response_lines.append(json.dumps({"id": tid, "response": text}, ensure_ascii=False))
    return "\n".join(data_lines) + "\n", "\n".join(response_lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files are stale")
    args = parser.parse_args(argv)
    dataset, responses = render()
    files = ((DATASET, dataset), (RESPONSES, responses))
    if args.check:
        stale = [path for path, text in files if not path.exists() or path.read_text("utf-8") != text]
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run python {Path(__file__).relative_to(ROOT)})")
        return 1 if stale else 0
    RESPONSES.parent.mkdir(parents=True, exist_ok=True)
    for path, text in files:
        path.write_text(text, "utf-8")
    print(f"wrote {DATASET.relative_to(ROOT)} and {RESPONSES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
