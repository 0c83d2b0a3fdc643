"""The bundled `math` spec on held-out cases written like real model outputs (`data/math_heldout.jsonl`).

Each case is a (reference, response) pair in the forms datasets and models use - GSM8K `#### 72`
and worked solutions, MATH `\\boxed{}` references, JSON numbers; chains of thought ending in
`\\boxed{}`, "**Answer:**", `<answer>` tags, headings, self-corrections, units, thousands separators,
repeating decimals, intervals, choices, bases, clock times - with a verdict decided by hand and a
`why`. Near misses (off by one, wrong sign, rounding, one root of two, a hedge, a number next to a
variable) measure false positives, not only false negatives. Cases marked `debatable` are left out.

Scored end to end: the handler, the spec's `correctness` dimension (which counts only behind a
marked answer). The floor is an agreement level and no credited wrong answer, never a list of
cases: a miss is fixed by handling its class of answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nova_rewards.handler import handle
from nova_rewards.spec import CompiledSpec, compile_spec

from tests.unit.rewards.test_math_spec import SPEC_FILE

HELDOUT = Path(__file__).parent / "data" / "math_heldout.jsonl"
AGREEMENT_FLOOR = 0.99


def bundled_spec_with_generous_time_limit() -> CompiledSpec:
    """The bundled spec, its symbolic time limit raised: this measures correctness on a loaded
    machine (a timeout would score 0); speed is `bench_math.py`'s."""
    data = json.loads(SPEC_FILE.read_text())
    for dim in data["dimensions"]:
        if dim["kind"] == "math_equivalence":
            dim["params"]["symbolic_timeout_s"] = 20.0
    return compile_spec(data, source="math (generous time limit)")


def heldout_cases() -> list[dict[str, Any]]:
    """The non-debatable held-out cases."""
    cases = [json.loads(line) for line in HELDOUT.read_text().splitlines() if line.strip()]
    return [case for case in cases if not case["debatable"]]


def _event(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": case["id"],
            "messages": [
                {"role": "user", "content": "Solve the problem. Give your final answer clearly."},
                {"role": "assistant", "content": case["response"]},
            ],
            "reference_answer": {"final_answer": case["reference"]},
        }
    ]


def test_heldout_cases_are_well_formed() -> None:
    cases = [json.loads(line) for line in HELDOUT.read_text().splitlines() if line.strip()]
    assert len(cases) >= 300
    assert len({case["id"] for case in cases}) == len(cases)
    for case in cases:
        assert set(case) >= {"id", "reference", "response", "expected", "category", "why", "debatable"}
        assert isinstance(case["expected"], bool) and case["why"].strip()
    wrong = [case for case in cases if not case["expected"]]
    assert len(wrong) >= 100, "near misses measure false positives"


@pytest.mark.slow
def test_heldout_agreement_and_no_false_positive() -> None:
    spec = bundled_spec_with_generous_time_limit()
    disagreements: list[str] = []
    false_positives: list[str] = []
    cases = heldout_cases()
    for case in cases:
        metrics = {m["name"]: m["value"] for m in handle(_event(case), None, spec)[0]["metrics_list"]}
        credited = metrics["correctness"] == 1.0
        if credited != case["expected"]:
            line = f"{case['id']} {case['category']}: {case['reference']!r} <- {case['response'][-80:]!r}"
            disagreements.append(line)
            if credited:
                false_positives.append(line)
    agreement = 1 - len(disagreements) / len(cases)
    assert not false_positives, "credited wrong answers:\n" + "\n".join(false_positives)
    assert agreement >= AGREEMENT_FLOOR, f"{agreement:.4f} on {len(cases)} cases:\n" + "\n".join(
        disagreements
    )
