"""`math_equivalence` on the peer suite: 413 graded cases other projects wrote for their checkers.

The suite lives outside the repository (`../shared/benchmarks/peer-math/cases.jsonl`, see its README);
cases marked `debatable` are left out. The floor is an accuracy, not a list of cases: a failure is
fixed by handling its class of answers, never by special-casing the case.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from nova_rewards.dimensions import Sample, ScoringContext
from nova_rewards.dimensions.math import MathEquivalence

from tests.unit.rewards.test_math_spec import shared_dir

ACCURACY_FLOOR = 0.99


def _cases() -> list[dict[str, Any]]:
    shared = shared_dir()
    path = shared / "benchmarks" / "peer-math" / "cases.jsonl" if shared else None
    if path is None or not path.is_file():
        pytest.skip("../shared/benchmarks/peer-math/cases.jsonl is not next to this checkout (CI has it)")
    cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [case for case in cases if not case["debatable"]]


@pytest.mark.slow
def test_peer_suite_accuracy_floor() -> None:
    cases = _cases()
    # a generous time limit: this measures correctness on a loaded machine; speed is bench_math.py's
    dim = MathEquivalence(MathEquivalence.Params(symbolic_timeout_s=20))
    wrong: list[str] = []
    false_positives = 0
    by_category: Counter[str] = Counter()
    for case in cases:
        sample = Sample("peer", (), case["response"], {"final_answer": case["reference"]})
        verdict = dim.score(sample, ScoringContext()).value == 1.0
        if verdict != case["expected"]:
            wrong.append(f"{case['category']}: {case['reference']!r} <- {case['response'][-80:]!r}")
            by_category[case["category"]] += 1
            false_positives += verdict
    accuracy = 1 - len(wrong) / len(cases)
    assert accuracy >= ACCURACY_FLOOR, f"{accuracy:.4f} on {len(cases)} cases; wrong:\n" + "\n".join(wrong)
    assert false_positives == 0, "credited wrong answers:\n" + "\n".join(wrong)
