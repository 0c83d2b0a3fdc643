"""Math grading, side by side with Math-Verify 0.9.0 in one run: accuracy, throughput, worst inputs.

    .venv/bin/python tests/benchmarks/bench_math.py [--pairs 3000] [--seed 7]

1. **Peer suite** (headline): the non-debatable cases of `../shared/benchmarks/peer-math/cases.jsonl`
   (413 (reference, response, verdict) cases from the test suites of Math-Verify, lighteval,
   NeMo-Skills, AReaL, hendrycks/math, TRL, verl...; read where CI puts it, next to the checkout, never
   copied into the repo). `math_equivalence` with its default parameters (a per-sample time limit of
   1 s; a timeout counts as wrong) against Math-Verify's `verify(parse("$gold$"), parse(response))`,
   both on the main thread of this process, interleaved case by case (load from other processes on a
   shared machine then slows both alike). Printed: accuracy (all cases, and without the cases
   Math-Verify wrote for itself), false positives, cases/s, the slowest single input.
2. **Held-out cases** (`tests/unit/rewards/data/math_heldout.jsonl`, non-debatable): responses written
   like real model outputs against GSM8K / MATH / plain references, near misses included. The
   bundled `math` spec through the handler (its `correctness` dimension: a marked answer only; the
   spec's 1 s limit) against Math-Verify's `verify(parse(gold), parse(response))` (gold: the text
   after `####`, else the reference in `$...$`). Printed: accuracy, false negatives, false positives.
3. **Adversarial inputs**: long answer sentences, 1 MB of digits, deep braces, `\\boxed{` x 10^4, a
   power tower: our time per input (Math-Verify's, in a child process cut at 20 s, beside it).
4. **Generated GSM8K-style pairs** (plain numbers in many notations, a few closed forms): throughput.

Goals (issue 10): >= 99% of the peer cases right and ahead of Math-Verify; >= 3x its throughput on
the peer cases; no single peer input over 1 s; >= 99% of the held-out cases right with no false
positive. The script exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ADVERSARIAL_MV_LIMIT_S = 20.0


@dataclass(frozen=True)
class Pair:
    form: str
    response: str
    gold: str
    truth: bool


def _num(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.6f}".rstrip("0").rstrip(".")


def _thousands(value: int) -> str:
    return f"{value:,}"


def _value(rng: random.Random) -> Fraction:
    kind = rng.random()
    if kind < 0.45:
        return Fraction(rng.randint(0, 500))
    if kind < 0.6:
        return Fraction(rng.randint(1000, 9_999_999))
    if kind < 0.75:
        return Fraction(rng.randint(1, 9999), 100)  # money-like decimals
    if kind < 0.9:
        den = rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 12])
        return Fraction(rng.randint(1, 3 * den), den)
    return -Fraction(rng.randint(1, 300))


def _wrong(value: Fraction, rng: random.Random) -> Fraction:
    options = [value + 1, value - 1, value * 2, value + Fraction(1, 2), -value if value else Fraction(7)]
    if value.denominator != 1:
        options.append(Fraction(value.denominator, value.numerator) if value.numerator else Fraction(3))
    choice = rng.choice(options)
    return choice if choice != value else value + 3


def _written(value: Fraction, rng: random.Random) -> tuple[str, str]:
    """(form name, the value written in one of many notations)."""
    if value.denominator == 1:
        n = value.numerator
        forms = [("int", str(n)), ("int.0", f"{n}.0")]
        if abs(n) >= 1000:
            forms += [("thousands", _thousands(n)), ("thousands", _thousands(n))]
        if n >= 0:
            forms.append(("currency", f"\\${n}"))
        return rng.choice(forms)
    if value.denominator in (2, 4, 5, 10, 20, 25, 50, 100):  # a terminating decimal
        forms = [("decimal", _num(value))]
        if value > 0:
            forms.append(("currency", f"\\${float(value):.2f}"))
        if value.denominator <= 8:
            forms.append(("frac", f"\\frac{{{value.numerator}}}{{{value.denominator}}}"))
        return rng.choice(forms)
    num, den = value.numerator, value.denominator
    forms = [
        ("frac", f"\\frac{{{num}}}{{{den}}}"),
        ("dfrac", f"\\dfrac{{{num}}}{{{den}}}"),
        ("tfrac", f"\\tfrac{{{num}}}{{{den}}}"),
        ("slash", f"{num}/{den}"),
    ]
    return rng.choice(forms)


def _wrap(answer: str, rng: random.Random) -> tuple[str, str]:
    """(wrapper name, a response ending in the answer)."""
    lead = rng.choice(
        ["", "Let me work through it. 12 + 30 = 42, then adjust.\n", "First we find the rate: 3 per hour.\n"]
    )
    wrappers = [
        ("boxed", f"{lead}So the result is $\\boxed{{{answer}}}$."),
        ("hashes", f"{lead}#### {answer}"),
        ("answer_is", f"{lead}The answer is ${answer}$."),
        ("final_answer", f"{lead}Final answer: ${answer}$"),
    ]
    return rng.choice(wrappers)


def _percent_pair(rng: random.Random) -> Pair:
    pct = rng.choice([5, 10, 12.5, 20, 25, 40, 50, 75, 80])
    gold = f"{pct}\\%"
    right = rng.random() < 0.65
    shown = pct if right else pct + rng.choice([5, 10, -1])
    written = rng.choice([f"{shown}\\%", f"{shown}\\%", f"{shown}"])
    wrapper, response = _wrap(written, rng)
    return Pair(f"percent/{wrapper}", response, gold, right)


def _symbolic_pair(rng: random.Random) -> Pair:
    """Closed forms that are not plain numbers: these take the sympy fallback."""
    a, b = rng.randint(2, 9), rng.choice([2, 3, 5, 6, 7])
    templates = [
        ("sqrt", f"{a}\\sqrt{{{b}}}", f"\\sqrt{{{a * a * b}}}", f"\\sqrt{{{a * b}}}"),
        (
            "rationalised",
            f"\\frac{{\\sqrt{{{b}}}}}{{{b}}}",
            f"\\frac{{1}}{{\\sqrt{{{b}}}}}",
            f"\\frac{{1}}{{{b}}}",
        ),
        ("pi", f"{a}\\pi", f"\\pi \\cdot {a}", f"{a + 1}\\pi"),
        ("polynomial", f"x^2+{2 * a}x+{a * a}", f"(x+{a})^2", f"(x+{a + 1})^2"),
    ]
    name, gold, right_form, wrong_form = rng.choice(templates)
    right = rng.random() < 0.65
    wrapper, response = _wrap(right_form if right else wrong_form, rng)
    return Pair(f"symbolic-{name}/{wrapper}", response, f"${gold}$", right)


def make_pairs(count: int, seed: int) -> list[Pair]:
    rng = random.Random(seed)
    pairs = []
    while len(pairs) < count:
        roll = rng.random()
        if roll < 0.08:
            pairs.append(_percent_pair(rng))
            continue
        if roll < 0.11:
            pairs.append(_symbolic_pair(rng))
            continue
        value = _value(rng)
        right = rng.random() < 0.65
        shown = value if right else _wrong(value, rng)
        form, written = _written(shown, rng)
        wrapper, response = _wrap(written, rng)
        gold = f"${_gold_text(value)}$"
        pairs.append(Pair(f"{form}/{wrapper}", response, gold, right))
    return pairs


def _gold_text(value: Fraction) -> str:
    if value.denominator == 1 or value.denominator in (2, 4, 5, 10, 20, 25, 50, 100):
        return _num(value)
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def _peer_cases() -> list[dict[str, Any]] | None:
    for parent in ROOT.parents:  # ../shared next to the checkout, or next to an ancestor (worktrees)
        path = parent / "shared" / "benchmarks" / "peer-math" / "cases.jsonl"
        if path.is_file():
            cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            return [case for case in cases if not case["debatable"]]
    return None


def _our_grader(**params: Any) -> Callable[[str, str], bool]:
    from nova_rewards.dimensions import Sample, ScoringContext
    from nova_rewards.dimensions.math import MathEquivalence

    dim = MathEquivalence(MathEquivalence.Params(**params))

    def grade(response: str, gold: str) -> bool:
        try:
            result = dim.score(Sample("b", (), response, {"final_answer": gold}), ScoringContext())
        except TimeoutError:  # the composition scores it as the failure value
            return False
        return result.value == 1.0

    return grade


def _math_verify_grader() -> Callable[[str, str], bool]:
    from math_verify import parse, verify

    def grade(response: str, gold: str) -> bool:
        gold_text = gold if "$" in gold or "\\boxed" in gold else f"${gold}$"
        return bool(verify(parse(gold_text), parse(response)))

    return grade


@dataclass
class Run:
    verdicts: list[bool]
    seconds: float
    worst_s: float
    worst_input: str


def _side_by_side(
    ours_grade: Callable[[str, str], bool],
    theirs_grade: Callable[[str, str], bool],
    items: list[tuple[str, str]],
) -> tuple[Run, Run]:
    """Both graders on every item, interleaved item by item: on a shared machine, a burst of load
    from other processes slows both alike instead of whichever ran during it."""
    for grade in (ours_grade, theirs_grade):
        grade("The answer is $\\frac{1}{2}$", "0.5")  # warm-up: imports, the worker process
        grade("\\boxed{\\sin^2 x + \\cos^2 x}", "1")  # a trigonometric identity: only the worker decides it
    runs = (Run([], 0.0, 0.0, ""), Run([], 0.0, 0.0, ""))
    for response, gold in items:
        for grade, run in zip((ours_grade, theirs_grade), runs, strict=True):
            started = time.perf_counter()
            run.verdicts.append(grade(response, gold))
            took = time.perf_counter() - started
            run.seconds += took
            if took > run.worst_s:
                run.worst_s, run.worst_input = took, response
    return runs


def _peer_section(cases: list[dict[str, Any]]) -> bool:
    items = [(c["response"], str(c["reference"])) for c in cases]
    truth = [bool(c["expected"]) for c in cases]
    own_cases = [i for i, c in enumerate(cases) if not c["source"].startswith("huggingface/Math-Verify")]
    ours, mv = _side_by_side(_our_grader(), _math_verify_grader(), items)

    def accuracy(run: Run, subset: list[int]) -> float:
        return sum(run.verdicts[i] == truth[i] for i in subset) / len(subset)

    def false_positives(run: Run) -> int:
        return sum(v and not t for v, t in zip(run.verdicts, truth, strict=True))

    everything = list(range(len(cases)))
    print(f"peer suite: {len(cases)} non-debatable cases ({sum(truth)} equivalent)")
    print(f"{'':34}{'math_equivalence':>18}{'Math-Verify 0.9.0':>19}")
    rows = [
        ("accuracy, all cases", f"{accuracy(ours, everything):.2%}", f"{accuracy(mv, everything):.2%}"),
        (
            f"accuracy, not Math-Verify's ({len(own_cases)})",
            f"{accuracy(ours, own_cases):.2%}",
            f"{accuracy(mv, own_cases):.2%}",
        ),
        ("false positives", str(false_positives(ours)), str(false_positives(mv))),
        ("cases/s", f"{len(cases) / ours.seconds:.0f}", f"{len(cases) / mv.seconds:.0f}"),
        ("total seconds", f"{ours.seconds:.2f}", f"{mv.seconds:.2f}"),
        ("slowest single input (s)", f"{ours.worst_s:.3f}", f"{mv.worst_s:.3f}"),
    ]
    for label, a, b in rows:
        print(f"  {label:32}{a:>18}{b:>19}")
    print(f"  our slowest input: {ours.worst_input[:70]!r}")
    print(f"  speed-up: {mv.seconds / ours.seconds:.1f}x")
    misses = Counter(cases[i]["category"] for i in everything if ours.verdicts[i] != truth[i])
    mv_misses = Counter(cases[i]["category"] for i in everything if mv.verdicts[i] != truth[i])
    print(f"  our misses by category: {dict(misses.most_common())}")
    print(f"  Math-Verify misses by category: {dict(mv_misses.most_common())}")
    ours_acc, mv_acc = accuracy(ours, everything), accuracy(mv, everything)
    goals = {
        ">= 99% right": ours_acc >= 0.99,
        "ahead of Math-Verify": ours_acc > mv_acc,
        ">= 3x Math-Verify's throughput": mv.seconds / ours.seconds >= 3.0,
        "no single input over 1 s": ours.worst_s < 1.0,
    }
    print("  goals: " + "; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in goals.items()))
    return all(goals.values())


HELDOUT = ROOT / "tests" / "unit" / "rewards" / "data" / "math_heldout.jsonl"


def _spec_grader() -> Callable[[str, Any], bool]:
    """The bundled `math` spec through the handler: is the `correctness` dimension 1?"""
    import contextlib
    import io

    from nova_rewards.handler import handle
    from nova_rewards.spec import load_spec

    spec = load_spec("math")

    def grade(response: str, reference: Any) -> bool:
        event = [
            {
                "id": "h",
                "messages": [
                    {"role": "user", "content": "Solve."},
                    {"role": "assistant", "content": response},
                ],
                "reference_answer": {"final_answer": reference},
            }
        ]
        with contextlib.redirect_stdout(io.StringIO()):  # the handler's metrics record
            scored = handle(event, None, spec)
        return {m["name"]: m["value"] for m in scored[0]["metrics_list"]}["correctness"] == 1.0

    return grade


def _math_verify_gold(reference: Any) -> str:
    text = str(reference)
    if "####" in text:
        return text.rsplit("####", 1)[1].strip()
    return text


def _heldout_section() -> bool:
    cases = [json.loads(line) for line in HELDOUT.read_text().splitlines() if line.strip()]
    cases = [case for case in cases if not case["debatable"]]
    mv_grade = _math_verify_grader()
    items = [(c["response"], c["reference"]) for c in cases]
    ours, mv = _side_by_side(
        _spec_grader(), lambda response, reference: mv_grade(response, _math_verify_gold(reference)), items
    )
    truth = [bool(c["expected"]) for c in cases]

    def counts(run: Run) -> tuple[float, int, int]:
        pairs = list(zip(run.verdicts, truth, strict=True))
        false_negatives = sum(t and not v for v, t in pairs)
        false_positives = sum(v and not t for v, t in pairs)
        return 1 - (false_negatives + false_positives) / len(cases), false_negatives, false_positives

    (ours_acc, ours_fn, ours_fp), (mv_acc, mv_fn, mv_fp) = counts(ours), counts(mv)
    print(f"\nheld-out cases: {len(cases)} non-debatable ({sum(truth)} equivalent), {HELDOUT.name}")
    print(f"{'':34}{'math spec':>18}{'Math-Verify 0.9.0':>19}")
    rows = [
        ("accuracy", f"{ours_acc:.2%}", f"{mv_acc:.2%}"),
        ("false negatives", str(ours_fn), str(mv_fn)),
        ("false positives", str(ours_fp), str(mv_fp)),
        ("cases/s", f"{len(cases) / ours.seconds:.0f}", f"{len(cases) / mv.seconds:.0f}"),
    ]
    for label, a, b in rows:
        print(f"  {label:32}{a:>18}{b:>19}")
    misses = Counter(
        cases[i]["category"] for i, (v, t) in enumerate(zip(ours.verdicts, truth, strict=True)) if v != t
    )
    mv_misses = Counter(
        cases[i]["category"] for i, (v, t) in enumerate(zip(mv.verdicts, truth, strict=True)) if v != t
    )
    print(f"  our misses by category: {dict(misses.most_common())}")
    print(f"  Math-Verify misses by category: {dict(mv_misses.most_common())}")
    goals = {">= 99% right": ours_acc >= 0.99, "no false positive": ours_fp == 0}
    print("  goals: " + "; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in goals.items()))
    return all(goals.values())


def _matrix(entry: str, size: int) -> str:
    rows = " \\\\ ".join(" & ".join([entry] * size) for _ in range(size))
    return f"\\begin{{pmatrix}}{rows}\\end{{pmatrix}}"


ADVERSARIAL: dict[str, Callable[[], tuple[str, str]]] = {
    "long answer sentence (2,000 words)": lambda: (
        "The final answer is " + "the maximum number of points in the domain of f " * 200 + "which is 19.",
        "19",
    ),
    "1 MB of digits": lambda: ("1" * 1_000_000, "1"),
    "1 MB of digits, boxed": lambda: ("\\boxed{" + "1" * 1_000_000 + "}", "1"),
    "deep braces (10^4)": lambda: ("\\boxed{" + "{" * 10_000 + "1" + "}" * 10_000 + "}", "1"),
    "\\boxed{ x 10^4, unclosed": lambda: ("\\boxed{" * 10_000, "1"),
    "\\boxed{1} x 10^4": lambda: ("\\boxed{1}" * 10_000, "1"),
    "9,000 spaces in an answer": lambda: ("\\boxed{1" + " " * 9_000 + "x}", "1"),
    "\\[ x 5 * 10^4 (unclosed display math)": lambda: ("\\[" * 50_000, "1"),
    "power tower 10^{10^{10}}": lambda: ("\\boxed{10^{10^{10}}}", "1"),
    "(x+1)^{2000} vs (x+2)^{2000}": lambda: ("\\boxed{(x+1)^{2000}}", "(x+2)^{2000}"),
    "10^4 candidates": lambda: ("The answer is " + ", ".join(map(str, range(10_000))), "42"),
    "20 x 20 polynomial parts (in-process)": lambda: (
        "\\boxed{" + ", ".join(f"(x+{i})^{{20}}" for i in range(20)) + "}",
        ", ".join(f"(x+{i})^{{20}}" for i in range(1, 21)),
    ),
    "10 x 10 matrix of polynomials": lambda: (
        "\\boxed{" + _matrix("(x+1)^{9}(y+2)^{9}", 10) + "}",
        _matrix("(y+2)^{9}(x+1)^{9}", 10),
    ),
    "union of 20 intervals": lambda: (
        "\\boxed{" + " \\cup ".join(f"[{i}, {i}.5)" for i in range(20)) + "}",
        " \\cup ".join(f"[{i}, {i}.5)" for i in range(19, -1, -1)),
    ),
}

_MV_CHILD = """
import json, logging, sys
logging.disable(logging.WARNING)
from math_verify import parse, verify
response, gold = json.load(sys.stdin)
verify(parse("$" + gold + "$"), parse(response))
"""


def _math_verify_child_seconds(response: str, gold: str) -> str:
    started = time.perf_counter()
    try:
        subprocess.run(
            [sys.executable, "-c", _MV_CHILD],
            input=json.dumps([response, gold]).encode(),
            timeout=ADVERSARIAL_MV_LIMIT_S,
            capture_output=True,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"> {ADVERSARIAL_MV_LIMIT_S:.0f}"
    return f"{time.perf_counter() - started:.3f}"


def _adversarial_section() -> float:
    grade = _our_grader()
    grade("\\boxed{\\sin^2 x + \\cos^2 x}", "1")  # the worker is running, as in a warm Lambda
    print("\nadversarial inputs (seconds per input; Math-Verify in a fresh child process, import included)")
    worst = 0.0
    for name, make in ADVERSARIAL.items():
        response, gold = make()
        started = time.perf_counter()
        grade(response, gold)
        took = time.perf_counter() - started
        worst = max(worst, took)
        print(f"  {name:36} ours {took:7.3f}   Math-Verify {_math_verify_child_seconds(response, gold):>7}")
    print(f"  worst case, ours: {worst:.3f} s (the per-sample limit is 1 s; a killed worker is replaced)")
    return worst


def _generated_section(count: int, seed: int) -> None:
    pairs = make_pairs(count, seed)
    items = [(p.response, p.gold) for p in pairs]
    ours, mv = _side_by_side(_our_grader(), _math_verify_grader(), items)
    truth = [p.truth for p in pairs]
    ours_acc = sum(v == t for v, t in zip(ours.verdicts, truth, strict=True)) / len(pairs)
    mv_acc = sum(v == t for v, t in zip(mv.verdicts, truth, strict=True)) / len(pairs)
    print(f"\ngenerated GSM8K-style pairs: {len(pairs)}")
    print(f"  math_equivalence: {len(pairs) / ours.seconds:8.0f} pairs/s, accuracy {ours_acc:.4f}")
    print(f"  Math-Verify     : {len(pairs) / mv.seconds:8.0f} pairs/s, accuracy {mv_acc:.4f}")
    print(f"  speed-up: {mv.seconds / ours.seconds:.1f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # Math-Verify logs parse failures
    cases = _peer_cases()
    ok = True
    if cases is None:
        print("peer suite not found: ../shared/benchmarks/peer-math/cases.jsonl (CI provides it)")
    else:
        ok = _peer_section(cases)
    ok = _heldout_section() and ok
    _adversarial_section()
    _generated_section(args.pairs, args.seed)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
