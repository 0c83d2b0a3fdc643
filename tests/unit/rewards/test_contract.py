"""The Bedrock grader contract: reading batch events and the exact shape of response items."""

from __future__ import annotations

import json

import pytest
from nova_rewards.contract import metric, parse_event, response_item, response_text
from nova_rewards.errors import EventError

from tests.unit.rewards.core_helpers import raw_sample


def test_bedrock_sample_is_read_with_reference_from_metadata() -> None:
    event = [
        raw_sample(
            "s-17", "12 * 7 = 84.", prompt="What is 12 * 7?", reference={"final_answer": "84"}, task_id="t-17"
        )
    ]
    (slot,) = parse_event(event)
    assert slot.id == "s-17" and slot.problem is None
    sample = slot.sample
    assert sample is not None
    assert sample.response == "12 * 7 = 84."
    assert sample.reference == {"final_answer": "84"}
    assert sample.metadata == {"task_id": "t-17"}  # reference_answer is not repeated in metadata
    assert [m["role"] for m in sample.prompt_messages] == ["system", "user"]
    assert sample.prompt_text == "What is 12 * 7?"


def test_hyperpod_top_level_reference_and_extras() -> None:
    item = {
        "id": 7,
        "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
        "reference_answer": 42,
        "domain": "math",
    }
    (slot,) = parse_event(item)  # a single object is a batch of one
    assert slot.id == "7"  # integer ids become strings
    assert slot.sample is not None
    assert slot.sample.reference == 42
    assert slot.sample.metadata == {"domain": "math"}


def test_metadata_reference_wins_over_top_level() -> None:
    item = raw_sample(reference="from-metadata")
    item["reference_answer"] = "top"
    (slot,) = parse_event([item])
    assert slot.sample is not None and slot.sample.reference == "from-metadata"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("plain", "plain"),
        ([{"text": "a"}, {"type": "text", "text": "b"}], "ab"),  # Converse-style parts
        ([{"type": "image"}, "c"], "c"),  # non-text parts skipped, bare strings kept
        ({"text": "single"}, "single"),
        (None, ""),
        (42, None),  # not a text shape
    ],
)
def test_response_text_shapes(content: object, expected: str | None) -> None:
    assert response_text(content) == expected


def test_event_as_json_string_and_bytes() -> None:
    text = json.dumps([raw_sample("a"), raw_sample("b")])
    assert [s.id for s in parse_event(text)] == ["a", "b"]
    assert [s.id for s in parse_event(text.encode())] == ["a", "b"]


@pytest.mark.parametrize(
    ("item", "problem_fragment"),
    [
        ({"id": "x"}, "`messages`"),
        ({"id": "x", "messages": []}, "`messages`"),
        ({"id": "x", "messages": ["hello"]}, "not an object"),
        ({"id": "x", "messages": [{"role": "user", "content": "q"}]}, "not an assistant"),
        ({"id": "x", "messages": [{"role": "assistant", "content": 3}]}, "neither text"),
        ({"id": "x", "messages": [{"role": "assistant", "content": "a"}], "metadata": [1]}, "`metadata`"),
        ({"id": {"a": 1}, "messages": [{"role": "assistant", "content": "a"}]}, "`id` must be"),
        ({"id": True, "messages": [{"role": "assistant", "content": "a"}]}, "`id` must be"),
        ({"id": "", "messages": [{"role": "assistant", "content": "a"}]}, "empty string"),
        ("not a sample", "not a JSON object"),
    ],
)
def test_per_sample_problems_do_not_raise(item: object, problem_fragment: str) -> None:
    slots = parse_event([raw_sample("ok"), item])
    assert slots[0].sample is not None
    bad = slots[1]
    assert bad.sample is None
    assert bad.problem is not None and problem_fragment in bad.problem
    assert bad.id  # always some id to answer with


def test_missing_id_gets_positional_id() -> None:
    item = raw_sample()
    del item["id"]
    slots = parse_event([raw_sample("a"), item])
    assert slots[1].id == "index-1"
    assert slots[1].sample is not None  # a missing id alone is not a reason to fail the sample


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        ([], "empty batch"),
        (None, "NoneType"),
        (3.5, "float"),
        ("not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ("42", "int"),
    ],
)
def test_events_that_are_not_batches_raise(event: object, fragment: str) -> None:
    with pytest.raises(EventError, match=fragment):
        parse_event(event)


def test_response_item_exact_shape() -> None:
    item = response_item("s", 0.5, [metric("correctness", 1, "Reward"), metric("chars", 31)])
    assert item == {
        "id": "s",
        "aggregate_reward_score": 0.5,
        "metrics_list": [
            {"name": "correctness", "value": 1.0, "type": "Reward"},
            {"name": "chars", "value": 31.0, "type": "Metric"},
        ],
    }
    assert json.loads(json.dumps(item)) == item


def test_metric_never_carries_non_finite_values() -> None:
    assert metric("x", float("nan"))["value"] == 0.0
    assert metric("x", float("inf"))["value"] == 0.0
