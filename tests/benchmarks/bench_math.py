"""Math scoring: throughput and agreement of `math_equivalence` against Math-Verify, same pairs.

    .venv/bin/python tests/benchmarks/bench_math.py [--pairs 10000] [--seed 7]

Generates (response, gold answer, truth) pairs deterministically: the answer written in many
notations (\\boxed{}, `#### x`, "The answer is x", fractions, \\frac/\\dfrac/\\tfrac, percentages,
thousands separators, currency, negatives, decimals), 3% closed forms that need the symbolic
fallback (\\sqrt, \\pi, polynomials), and about a third wrong answers.
`truth` is known by construction. Both graders score every pair on the main thread (Math-Verify's
SIGALRM timeouts need it); the script prints pairs/s for each, their accuracy against the truth,
and the agreement with the truth on the pairs where Math-Verify is right.

Goals: at least as fast as Math-Verify; >= 99% agreement where Math-Verify is right.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction


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


def _ours() -> Callable[[Pair], bool]:
    from nova_rewards.dimensions import Sample, ScoringContext
    from nova_rewards.dimensions.math import MathEquivalence

    dim = MathEquivalence(MathEquivalence.Params())
    ctx = ScoringContext()

    def grade(pair: Pair) -> bool:
        result = dim.score(Sample("b", (), pair.response, {"final_answer": pair.gold}), ctx)
        return result.value == 1.0

    return grade


def _math_verify() -> Callable[[Pair], bool]:
    from math_verify import parse, verify

    def grade(pair: Pair) -> bool:
        return bool(verify(parse(pair.gold), parse(pair.response)))

    return grade


def _run(grade: Callable[[Pair], bool], pairs: list[Pair]) -> tuple[list[bool], float]:
    grade(pairs[0])  # warm-up (imports, caches)
    started = time.perf_counter()
    verdicts = [grade(p) for p in pairs]
    return verdicts, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # Math-Verify logs parse failures
    pairs = make_pairs(args.pairs, args.seed)
    ours, ours_s = _run(_ours(), pairs)
    mv, mv_s = _run(_math_verify(), pairs)

    truth = [p.truth for p in pairs]
    mv_right = [i for i, (v, t) in enumerate(zip(mv, truth, strict=True)) if v == t]
    agree = sum(ours[i] == truth[i] for i in mv_right)
    print(f"pairs: {len(pairs)} ({sum(truth)} right answers, {len(pairs) - sum(truth)} wrong)")
    print(f"math_equivalence: {len(pairs) / ours_s:10.0f} pairs/s  ({ours_s:.2f} s)")
    print(f"Math-Verify     : {len(pairs) / mv_s:10.0f} pairs/s  ({mv_s:.2f} s)")
    print(f"speed-up        : {mv_s / ours_s:10.1f}x")
    plain = [p for p in pairs if not p.form.startswith("symbolic")]
    symbolic = [p for p in pairs if p.form.startswith("symbolic")]
    grade = _ours()  # a fresh dimension; the sympy worker's cache is shared, so symbolic pairs are warm
    for label, group in (("plain numbers", plain), ("symbolic (sympy worker, cached)", symbolic)):
        if group:
            started = time.perf_counter()
            for pair in group:
                grade(pair)
            rate = len(group) / (time.perf_counter() - started)
            print(f"  math_equivalence on {label}: {rate:.0f} pairs/s over {len(group)} pairs")
    print(
        f"accuracy vs truth: ours {sum(o == t for o, t in zip(ours, truth, strict=True)) / len(pairs):.4f}, "
        f"Math-Verify {len(mv_right) / len(pairs):.4f}"
    )
    print(
        f"agreement with truth where Math-Verify is right: {agree / len(mv_right):.4f} "
        f"({agree}/{len(mv_right)})"
    )
    misses = Counter(pairs[i].form for i in mv_right if ours[i] != truth[i])
    if misses:
        print("our misses where Math-Verify is right, by form:", dict(misses.most_common(8)))
    mv_misses = Counter(pairs[i].form for i, (v, t) in enumerate(zip(mv, truth, strict=True)) if v != t)
    if mv_misses:
        print("Math-Verify misses, by form:", dict(mv_misses.most_common(8)))
    fast_enough = ours_s <= mv_s
    agreement_ok = agree / len(mv_right) >= 0.99
    print(
        f"goals: faster than Math-Verify: {'yes' if fast_enough else 'NO'}; "
        f">= 99% agreement: {'yes' if agreement_ok else 'NO'}"
    )
    return 0 if fast_enough and agreement_ok else 1


if __name__ == "__main__":
    sys.exit(main())
