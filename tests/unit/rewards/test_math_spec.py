"""The bundled `math` spec end to end: answer markers, strict/lenient, shotguns, AWS's sample events."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from nova_rewards.dimensions import Sample, ScoringContext
from nova_rewards.dimensions.math import MathAnswerFormat
from nova_rewards.handler import handle
from nova_rewards.spec import CompiledSpec, compile_spec, load_spec

ROOT = Path(__file__).resolve().parents[3]
SPEC_FILE = ROOT / "functions" / "nova_rewards" / "specs" / "math.json"
WORK = "Each box holds 4 pens and there are 2 boxes, so 4 * 2 = 8 pens in total.\n"


def shared_dir() -> Path | None:
    """`../shared` next to the checkout (where CI puts it), or next to an ancestor (a git worktree)."""
    for parent in ROOT.parents:
        candidate = parent / "shared"
        if (candidate / "contract-samples").is_dir():
            return candidate
    return None


def _spec(answer_marker: str | None = None) -> CompiledSpec:
    if answer_marker is None:
        return load_spec("math")
    data = json.loads(SPEC_FILE.read_text())
    for dim in data["dimensions"]:
        if dim["kind"] == "math_answer_format":
            dim["params"]["answer_marker"] = answer_marker
    return compile_spec(data, source="math (variant)")


def _event(response: str, reference: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": "s1",
            "messages": [
                {"role": "user", "content": "How many pens are there?"},
                {"role": "assistant", "content": response},
            ],
            "reference_answer": reference,
        }
    ]


def _score(response: str, reference: Any = None, spec: CompiledSpec | None = None) -> float:
    reference = {"final_answer": "8"} if reference is None else reference
    result = handle(_event(response, reference), None, spec or _spec())
    return result[0]["aggregate_reward_score"]


@pytest.mark.parametrize(
    "marked",
    [
        "\\boxed{8}",
        "So the answer is $\\boxed{8}$.",
        "#### 8",
        "The answer is 8.",
        "The final answer is 8",
        "Final answer: 8",
        "Final Answer: $8$",
        "**Final Answer:** 8",
        "Answer: 8",
        "**Answer:** 8",
        "**Answer**: 8",
        "ANSWER: 25".replace("25", "8"),
        "answer: 8",
        "*Answer:* **8**",
        "<answer>8</answer>",
        "<answer>\nThere are 8 pens.\n</answer>",
        "Answer = 8",
        "答案是 8",
        "\\boxed{8}\n\nFinal Answer: The final answer is $8$. I hope it is correct.",  # repeated, same value
        "The answer is \\\\boxed{8}",  # LaTeX escaped twice
        "\u0410NSWER: \uff18",  # look-alike and fullwidth letters are read as ASCII
    ],
)
def test_every_common_marker_earns_full_credit(marked: str) -> None:
    assert _score(WORK + marked) >= 0.9


@pytest.mark.parametrize(
    "probe",
    [
        "The answer is 6, 7, 8, 9 or 10.",  # a shotgun of candidates
        "\\boxed{7} \\boxed{8} \\boxed{9}",  # several different boxed values
        "The answer is 7 or 8.",
        "The answer is 8 or maybe 9.",
        "Answer: $\\boxed{7}$ and $\\boxed{8}$",
        "<answer>7, 8, 9</answer>",
        "Answer: 7\nAnswer: 8\nAnswer: 9",  # several markers in a row
        "#### 7\n#### 8",
        "**Answer:** 9 or **Answer:** 8",
        "The answer is 8/9.",  # two candidates written as a fraction
        "The answer is [7, 8, 9].",  # a JSON array of candidates
        "<answer>[8, 9]</answer>",
        "The answer is AZ8YK.",  # the number inside a word
        "Answer: 8\n\u0410nswer: 9",  # a competing answer behind a Cyrillic look-alike marker
        "\u0410nswer: 9\nAnswer: 8",
        "The answer is \uff18 or \uff19.",  # fullwidth digits
        "The answer is 9.",  # simply wrong: the format's 0.1, nothing for style
        "The answer is",  # a marker with no answer
        "The answer is:\n",
        "8",  # unmarked under the strict default
        "There are 8 pens.",
    ],
)
def test_shotguns_and_unmarked_answers_score_at_most_a_fifth(probe: str) -> None:
    assert _score(WORK + probe) <= 0.2


def test_a_multi_part_reference_accepts_its_parts_but_not_more() -> None:
    reference = {"final_answer": "2, 3"}
    assert _score(WORK + "The solutions are $\\boxed{2}$ and $\\boxed{3}$.", reference) >= 0.9
    assert _score(WORK + "The answer is $x = 3$ or $x = 2$.", reference) >= 0.9
    assert _score(WORK + "\\boxed{1}, \\boxed{2}, \\boxed{3}", reference) <= 0.2


def test_the_last_explicit_answer_wins() -> None:
    corrected = WORK + "The answer is 9.\nWait, I double counted: 4 * 2 = 8.\nThe answer is \\boxed{8}."
    assert _score(corrected) >= 0.9
    assert _score(corrected, {"final_answer": "9"}) <= 0.2  # a wrong answer: the format's 0.1 only
    boxed_then_phrase = WORK + "So \\boxed{9}. Hmm, no: recount. Final answer: 8"
    assert _score(boxed_then_phrase) >= 0.9


def test_strict_and_lenient_modes_differ_only_on_unmarked_answers() -> None:
    strict, lenient = _spec("strict"), _spec("lenient")
    unmarked = WORK + "So there are 8 pens."
    assert _score(unmarked, spec=strict) <= 0.2
    assert _score(unmarked, spec=lenient) >= 0.9
    shotgun = WORK + "It is 7, 8 or 9."
    assert _score(shotgun, spec=lenient) <= 0.2  # lenient still refuses a shotgun
    assert _score(WORK + "The answer is 8.", spec=strict) == _score(WORK + "The answer is 8.", spec=lenient)


def test_format_dimension_reports_its_findings() -> None:
    dim = MathAnswerFormat(MathAnswerFormat.Params())
    found = dim.score(Sample("s", (), "ANSWER: 25", {"answer": "25"}), ScoringContext())
    assert (found.value, found.metrics["marker_found"]) == (1.0, 1.0)
    shotgun = dim.score(Sample("s", (), "\\boxed{1} \\boxed{2}", "1"), ScoringContext())
    assert (shotgun.value, shotgun.metrics["shotgun"], shotgun.flags) == (0.0, 1.0, ("shotgun",))
    with pytest.raises(ValueError):
        MathAnswerFormat.Params(answer_marker="loose")


@pytest.mark.parametrize(
    "name",
    ["bedrock_samples_nova_gsm8k_test_event.json", "bedrock_samples_nova_finqa_test_event.json"],
)
def test_aws_sample_events_score_as_their_notebooks_expect(name: str) -> None:
    shared = shared_dir()
    if shared is None:
        pytest.skip("../shared/contract-samples is not next to this checkout (CI provides it)")
    event = json.loads((shared / "contract-samples" / name).read_text())
    result = handle(event, None, load_spec("math"))
    assert [item["aggregate_reward_score"] for item in result] == [pytest.approx(1.0)]


class _LambdaContext:
    """The one method of Lambda's context object the handler reads."""

    def __init__(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def test_slow_answers_time_out_alone_and_their_batch_mates_are_scored() -> None:
    # answers whose comparison takes seconds (a power tower) among correct ones that also need the
    # worker, under a deadline: each slow one costs its own 1 s limit and scores the failure value
    # with a `timeout` metric; a warm spare worker takes over for the correct ones
    slow = [(f"slow{i}", WORK + f"The answer is $10^{{10^{{10}}}} + {i}$.", "8") for i in range(3)]
    good = [(f"good{i}", WORK + f"The answer is $(x+{i})^2$.", f"x^2+{2 * i}x+{i * i}") for i in range(5)]
    event = []
    for sample_id, response, reference in [slow[0], *good[:2], slow[1], slow[2], *good[2:]]:
        item = _event(response, {"final_answer": reference})[0]
        event.append({**item, "id": sample_id})
    started = time.monotonic()
    result = handle(event, _LambdaContext(60.0), load_spec("math"))
    assert time.monotonic() - started < 45  # limits, kills and spare starts; not the slow work itself
    by_id = {item["id"]: item for item in result}
    for sample_id, _, _ in good:
        assert by_id[sample_id]["aggregate_reward_score"] == pytest.approx(1.0), by_id[sample_id]
    for sample_id, _, _ in slow:
        assert by_id[sample_id]["aggregate_reward_score"] == 0.0
        assert "timeout" in {m["name"] for m in by_id[sample_id]["metrics_list"]}


def test_buried_and_looped_correct_answers_earn_nothing() -> None:
    filler = " ".join(f"Step {i}: we note that the quantity {i * 7} is not needed here." for i in range(200))
    buried = filler[: len(filler) // 2] + "\nThe answer is 8.\n" + filler[len(filler) // 2 :]
    assert len(buried) > 9000  # 1.5x the spec's max_length_chars
    assert _score(buried) <= 0.2
    looped = " ".join(["So 4 * 2 = 8 pens and the answer is 8."] * 40)
    assert _score(looped) <= 0.2
