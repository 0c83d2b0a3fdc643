"""Second, independent held-out set for the bundled `math` spec (`data/math_heldout_b.jsonl`).

The spec was tuned against `math_heldout.jsonl`; these cases were written afterwards by a different
author without reading that file, in the answer styles of Nova, Claude, GPT-4o, Llama 3, Qwen2.5-Math
and DeepSeek-R1 (`<think>` blocks). Each case carries a human verdict (`expected`) and whether a fair
grader could reasonably rule the other way (`debatable`); debatable cases are left out of every assertion.

Every case is scored through `lambda_handler` in one batch, exactly as Bedrock would send it, and
"accepted" means the `correctness` dimension is 1. A wrong answer accepted is a reward the policy can
farm, so each one is its own test; the few the grader accepts today are strict xfails naming their
class, so they stay visible and the marker must go when the parser is fixed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nova_rewards import handler

DATA = Path(__file__).parent / "data" / "math_heldout_b.jsonl"
CASES: list[dict[str, Any]] = [
    json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line
]
CLEAR_CASES = [case for case in CASES if not case["debatable"]]
CLEAR_WRONG = [case for case in CLEAR_CASES if not case["expected"]]

# Measured on 2026-11-30: 348 of 352 clear cases (0.989), the 4 misses all listed below. The floor
# allows two more misses.
ACCURACY_FLOOR = 0.98

# Wrong answers the grader accepts today, by class. Strict xfail: a fix turns them into failures that
# ask for the entry to be removed.
KNOWN_FALSE_POSITIVES = {
    # the reference has no unit, the question did (debatable to fix: a reference without a unit
    # cannot say which one was asked, and dropping units is what credits "18 dollars" for "18")
    "unit-cents-for-dollars": "unit ignored: '18 cents' where dollars were asked",
    "unit-seconds-for-minutes": "unit ignored: '225 seconds' where minutes were asked",
    "unit-km-for-miles": "unit ignored: '60 km' where miles were asked",
    "unit-grams-for-kg": "unit ignored: '1.8 g' where kilograms were asked",
}


def _sample(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": case["id"],
        "messages": [
            {"role": "user", "content": "Solve the problem and state your final answer."},
            {"role": "assistant", "content": case["response"]},
        ],
        "metadata": {"reference_answer": {"final_answer": case["reference"]}},
    }


@pytest.fixture(scope="module")
def accepted() -> Iterator[dict[str, bool]]:
    """id -> whether the bundled math spec scores the answer correct (one batch through the handler)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REWARD_SPEC", "math")
        handler.reset_spec_cache()
        try:
            results = handler.lambda_handler([_sample(case) for case in CASES], None)
        finally:
            handler.reset_spec_cache()
    verdicts = {}
    for item in results:
        metrics = {metric["name"]: metric["value"] for metric in item["metrics_list"]}
        verdicts[item["id"]] = metrics["correctness"] >= 1.0
    yield verdicts


def test_the_data_file_is_well_formed() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert len(CASES) >= 250
    for case in CASES:
        assert set(case) == {"id", "response", "reference", "expected", "debatable", "why"}, case["id"]
        assert isinstance(case["expected"], bool) and isinstance(case["debatable"], bool), case["id"]
        assert case["response"] and case["reference"] and case["why"], case["id"]
    wrong_share = sum(not case["expected"] for case in CASES) / len(CASES)
    assert 0.35 <= wrong_share <= 0.5, wrong_share
    assert set(KNOWN_FALSE_POSITIVES) <= {case["id"] for case in CLEAR_WRONG}


def test_accuracy_on_clear_cases_stays_above_the_measured_floor(accepted: dict[str, bool]) -> None:
    misses = [case["id"] for case in CLEAR_CASES if accepted[case["id"]] != case["expected"]]
    accuracy = 1 - len(misses) / len(CLEAR_CASES)
    assert accuracy >= ACCURACY_FLOOR, f"accuracy {accuracy:.3f} < {ACCURACY_FLOOR}; misses: {misses}"


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case["id"],
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_FALSE_POSITIVES[case["id"]])]
            if case["id"] in KNOWN_FALSE_POSITIVES
            else [],
        )
        for case in CLEAR_WRONG
    ],
)
def test_a_wrong_answer_is_not_scored_correct(case: dict[str, Any], accepted: dict[str, bool]) -> None:
    assert not accepted[case["id"]], f"{case['why']}: {case['response'][-120:]!r} vs {case['reference']!r}"
