"""Generate the grade-school math dataset and its candidate responses (deterministic, seeded).

    python datasets/tools/make_math.py            # writes datasets/math.jsonl and
                                                  # datasets/responses/math.responses.jsonl
    python datasets/tools/make_math.py --check    # exit 1 if the committed files are stale

Each record is a word problem from one of a dozen templates (money, change, time, rates, fractions,
percentages, unit prices, averages, ...) with random names and numbers; `reference_answer` is
`{"final_answer": "<answer>", "solution": "<worked steps> #### <answer>"}`. Exact arithmetic
(`Fraction`) computes every answer; answers are integers, decimals (money), fractions or percents.

Responses: seven variants per prompt, in this order: boxed (right, \\boxed{}), answer_is (right,
"The answer is ...", written in another equivalent form), hashes (right, `#### `), wrong (a
plausible wrong number, well formatted), unformatted (right number, no answer marker: the `math`
spec's format gate stops it), padded (right, but long and repetitive), hedging (lists several
candidate answers). `variant_responses()` returns them labelled with whether the final answer is
right, for tests.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

SEED = 20261122
PER_TEMPLATE = 11
ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "datasets" / "math.jsonl"
RESPONSES = ROOT / "datasets" / "responses" / "math.responses.jsonl"

SYSTEM = (
    "You are a careful math tutor. Solve the word problem step by step, briefly. "
    "End with the final answer on its own line, written as 'The answer is X.' or as \\boxed{X}. "
    "Give a single number (a fraction like 3/4 or a percentage like 25% when the question asks for one)."
)
NAMES = ["Ava", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena"]
ITEMS = [("notebook", "notebooks"), ("pencil", "pencils"), ("apple", "apples"), ("ticket", "tickets")]


@dataclass(frozen=True)
class Problem:
    """One generated problem: the question, the worked steps and the exact answer."""

    topic: str
    question: str
    steps: str
    answer: Fraction
    kind: str = "number"  # number | money | fraction | percent


def fmt(value: Fraction, kind: str = "number") -> str:
    """Canonical text of an answer (what `final_answer` holds)."""
    if kind == "percent":
        return f"{fmt(value)}%"
    if kind == "fraction" and value.denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    if value.denominator == 1:
        return str(value.numerator)
    if kind == "money":
        return f"{float(value):.2f}"
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text


def _money(rng: random.Random) -> Problem:
    name, (item, items) = rng.choice(NAMES), rng.choice(ITEMS)
    qty, cents = rng.randint(3, 24), rng.choice([125, 150, 175, 225, 250, 299, 350, 475])
    price = Fraction(cents, 100)
    total = qty * price
    return Problem(
        "money",
        f"{name} buys {qty} {items} at ${fmt(price, 'money')} per {item}. "
        f"How many dollars does {name} spend?",
        f"{qty} x ${fmt(price, 'money')} = ${fmt(total, 'money')}.",
        total,
        "money",
    )


def _change(rng: random.Random) -> Problem:
    name = rng.choice(NAMES)
    a, b = rng.randint(3, 40), rng.randint(2, 30)
    paid = rng.choice([50, 100, 200])
    change = paid - a - b
    return Problem(
        "money",
        f"{name} pays for a ${a} shirt and a ${b} hat with a ${paid} bill. How much change, in dollars, "
        f"does {name} get?",
        f"The cost is {a} + {b} = {a + b}. The change is {paid} - {a + b} = {change}.",
        Fraction(change),
    )


def _time(rng: random.Random) -> Problem:
    name = rng.choice(NAMES)
    sessions, minutes, days = rng.randint(2, 5), rng.choice([15, 20, 25, 30, 45]), rng.randint(3, 7)
    total = sessions * minutes * days
    return Problem(
        "time",
        f"{name} practises piano {sessions} times a day for {minutes} minutes each time. How many minutes "
        f"does {name} practise in {days} days?",
        f"Per day: {sessions} x {minutes} = {sessions * minutes} minutes. In {days} days: "
        f"{sessions * minutes} x {days} = {total}.",
        Fraction(total),
    )


def _hours(rng: random.Random) -> Problem:
    start, duration = rng.randint(6, 11), rng.choice([90, 150, 210, 270, 330])
    hours = Fraction(duration, 60)
    return Problem(
        "time",
        f"A train leaves at {start}:00 and the trip takes {duration} minutes. "
        "How many hours long is the trip?",
        f"{duration} / 60 = {fmt(hours)} hours.",
        hours,
    )


def _rate(rng: random.Random) -> Problem:
    speed, hours = rng.choice([36, 45, 48, 55, 60, 72, 80]), rng.choice([2, 3, 4, 5])
    extra = rng.choice([Fraction(1, 2), Fraction(1, 4), Fraction(3, 4)])
    distance = speed * (hours + extra)
    return Problem(
        "rates",
        f"A car drives at {speed} km per hour for {fmt(hours + extra)} hours. "
        "How many kilometres does it travel?",
        f"{speed} x {fmt(hours + extra)} = {fmt(distance)}.",
        distance,
    )


def _work_rate(rng: random.Random) -> Problem:
    per_hour, hours, workers = rng.randint(12, 40), rng.randint(2, 8), rng.randint(2, 6)
    total = per_hour * hours * workers
    return Problem(
        "rates",
        f"Each of {workers} bakers makes {per_hour} rolls per hour. How many rolls do they make together in "
        f"{hours} hours?",
        f"{workers} x {per_hour} x {hours} = {total}.",
        Fraction(total),
    )


def _fraction_of(rng: random.Random) -> Problem:
    name = rng.choice(NAMES)
    den = rng.choice([3, 4, 5, 6, 8])
    num = rng.randint(1, den - 1)
    whole = den * rng.randint(3, 15)
    part = Fraction(num, den) * whole
    return Problem(
        "fractions",
        f"{name} has {whole} marbles and gives away {num}/{den} of them. "
        f"How many marbles does {name} give away?",
        f"{num}/{den} x {whole} = {fmt(part)}.",
        part,
    )


def _fraction_sum(rng: random.Random) -> Problem:
    a, b = rng.choice([2, 3, 4, 6]), rng.choice([3, 4, 5, 8])
    total = Fraction(1, a) + Fraction(1, b)
    return Problem(
        "fractions",
        f"A recipe uses 1/{a} cup of sugar and 1/{b} cup of honey. "
        "How many cups of sweetener is that in total? Answer with a fraction.",
        f"1/{a} + 1/{b} = {fmt(total, 'fraction')}.",
        total,
        "fraction",
    )


def _percent_off(rng: random.Random) -> Problem:
    price, pct = rng.choice([40, 60, 80, 120, 150, 240]), rng.choice([10, 15, 20, 25, 30, 40])
    sale = Fraction(price) * (100 - pct) / 100
    return Problem(
        "percentages",
        f"A jacket costs ${price}. It is on sale for {pct}% off. What is the sale price in dollars?",
        f"Discount: {pct}% of {price} = {fmt(Fraction(price * pct, 100))}. Sale price: {fmt(sale, 'money')}.",
        sale,
        "money",
    )


def _percent_of(rng: random.Random) -> Problem:
    total = rng.choice([20, 25, 40, 50, 80, 200])
    part = rng.randint(1, total - 1)
    pct = Fraction(part * 100, total)
    return Problem(
        "percentages",
        f"In a class of {total} students, {part} walk to school. What percentage of the students walk?",
        f"{part} / {total} x 100 = {fmt(pct)}%.",
        pct,
        "percent",
    )


def _big_numbers(rng: random.Random) -> Problem:
    seats, games = rng.randint(12_000, 68_000), rng.randint(11, 41)
    total = seats * games
    return Problem(
        "multi-step",
        f"A stadium has {seats:,} seats and sells out all {games} home games. How many tickets are sold?",
        f"{seats:,} x {games} = {total:,}.",
        Fraction(total),
    )


def _average(rng: random.Random) -> Problem:
    scores = [rng.randint(60, 100) for _ in range(rng.choice([3, 4, 5]))]
    mean = Fraction(sum(scores), len(scores))
    return Problem(
        "multi-step",
        f"The test scores are {', '.join(map(str, scores))}. What is the average score?",
        f"Sum {sum(scores)} / {len(scores)} = {fmt(mean)}.",
        mean,
    )


def _temperature(rng: random.Random) -> Problem:
    start, drop = rng.randint(-5, 12), rng.randint(8, 25)
    end = start - drop
    return Problem(
        "multi-step",
        f"The temperature was {start} degrees at noon and fell by {drop} degrees by midnight. What was the "
        "temperature at midnight, in degrees?",
        f"{start} - {drop} = {end}.",
        Fraction(end),
    )


TEMPLATES: list[Callable[[random.Random], Problem]] = [
    _money,
    _change,
    _time,
    _hours,
    _rate,
    _work_rate,
    _fraction_of,
    _fraction_sum,
    _percent_off,
    _percent_of,
    _big_numbers,
    _average,
]


def problems() -> list[tuple[str, Problem]]:
    """(id, problem) for every record, in file order."""
    rng = random.Random(SEED)
    out: list[tuple[str, Problem]] = []
    seen: set[str] = set()
    for _ in range(PER_TEMPLATE):
        for template in TEMPLATES:
            problem = template(rng)
            while problem.question in seen:
                problem = template(rng)
            seen.add(problem.question)
            out.append((f"math-{len(out) + 1:04d}", problem))
    # one extra template round of negatives, for variety
    for _ in range(PER_TEMPLATE):
        problem = _temperature(rng)
        if problem.question not in seen:
            seen.add(problem.question)
            out.append((f"math-{len(out) + 1:04d}", problem))
    return out


def record(pid: str, problem: Problem) -> dict:
    answer = fmt(problem.answer, problem.kind)
    return {
        "id": pid,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": problem.question}],
        "reference_answer": {"final_answer": answer, "solution": f"{problem.steps}\n#### {answer}"},
        "domain": "math",
        "topic": problem.topic,
    }


def _alternative_form(problem: Problem, rng: random.Random) -> str:
    """The right answer written differently (what a model might write)."""
    value = problem.answer
    if problem.kind == "percent":
        return rng.choice([f"{fmt(value)}\\%", f"{fmt(value)} percent", f"{fmt(value)}%"])
    if problem.kind == "money":
        return f"${float(value):,.2f}"
    if value.denominator != 1:
        whole, rest = divmod(value.numerator, value.denominator)
        if problem.kind == "fraction" or rng.random() < 0.5:
            return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
        if whole > 0:
            return f"{whole} {rest}/{value.denominator}"
        return fmt(value)
    if abs(value) >= 1000:
        return f"{int(value):,}"
    return rng.choice([str(value), f"{value}.0"])


def _wrong(problem: Problem, rng: random.Random) -> Fraction:
    value = problem.answer
    delta = rng.choice([1, 2, 10, -1, -3]) if value.denominator == 1 else Fraction(1, value.denominator)
    return value + delta


def variant_responses(pid: str, problem: Problem) -> list[tuple[str, bool, str]]:
    """(variant, final answer right?, response) for one problem."""
    rng = random.Random(f"{SEED}:{pid}")
    canonical = fmt(problem.answer, problem.kind)
    wrong = fmt(_wrong(problem, rng), problem.kind)
    steps = problem.steps
    padding = " ".join(["Let me double check the arithmetic once more to be completely sure."] * 30)
    return [
        ("boxed", True, f"{steps}\nSo the final answer is \\boxed{{{canonical}}}."),
        ("answer_is", True, f"{steps}\nThe answer is {_alternative_form(problem, rng)}."),
        ("hashes", True, f"{steps}\n#### {canonical}"),
        ("wrong", False, f"Working quickly: the result is {wrong}.\nThe answer is {wrong}."),
        ("unformatted", True, f"{steps}"),
        ("padded", True, f"{steps}\n{padding}\nThe answer is {canonical}."),
        ("hedging", False, f"It could be several things.\nThe answer is {wrong} or {canonical} or 0."),
    ]


def render() -> tuple[str, str]:
    """The dataset and responses files' exact text."""
    data_lines, response_lines = [], []
    for pid, problem in problems():
        data_lines.append(json.dumps(record(pid, problem), ensure_ascii=False, sort_keys=True))
        for _variant, _right, text in variant_responses(pid, problem):
            response_lines.append(json.dumps({"id": pid, "response": text}, ensure_ascii=False))
    return "\n".join(data_lines) + "\n", "\n".join(response_lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files are stale")
    args = parser.parse_args(argv)
    dataset, responses = render()
    if args.check:
        stale = [
            p for p, text in ((DATASET, dataset), (RESPONSES, responses)) if p.read_text("utf-8") != text
        ]
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run python {Path(__file__).relative_to(ROOT)})")
        return 1 if stale else 0
    RESPONSES.parent.mkdir(parents=True, exist_ok=True)
    DATASET.write_text(dataset, "utf-8")
    RESPONSES.write_text(responses, "utf-8")
    print(f"wrote {DATASET.relative_to(ROOT)} and {RESPONSES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
