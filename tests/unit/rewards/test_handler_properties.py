"""Property tests: any JSON event gives a valid response or a clear EventError, never a crash."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nova_rewards import handler
from nova_rewards.errors import EventError

from tests.unit.rewards.core_helpers import write_spec

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
content = (
    st.text(max_size=200)
    | st.lists(st.fixed_dictionaries({"text": st.text(max_size=50)}), max_size=3)
    | json_values
)
message = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant", "tool"]) | json_scalars, "content": content}
)
sample = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=10) | st.integers() | json_values,
        "messages": st.lists(message, max_size=4) | json_values,
        "metadata": st.dictionaries(st.text(max_size=8), json_values, max_size=3) | json_values,
        "reference_answer": json_values,
    },
)
events = st.lists(sample | json_values, max_size=6) | sample | json_values


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_spec(
        tmp_path_factory.mktemp("spec") / "spec.json",
        {"name": "format", "kind": "t_keyword", "weight": 1, "params": {"word": "a"}},
        {
            "name": "exact",
            "kind": "t_raise",
            "weight": 2,
            "params": {"trigger": "x"},
            "requires": {"format": 1},
        },
        {"name": "maybe", "kind": "t_const", "weight": 1, "params": {"value": None}},
        score_range=[-1, 1],
        failure_score=-0.5,
        chunk_size=2,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=events)
def test_any_event_gives_valid_response_or_event_error(
    event: object, spec_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARD_SPEC", str(spec_path))
    try:
        response = handler.lambda_handler(event, None)
    except EventError as exc:
        assert str(exc)  # the message says what was wrong
        assert not isinstance(event, dict)  # a single object is always answered
        return
    expected = len(event) if isinstance(event, list) else 1
    assert isinstance(response, list) and len(response) == expected
    for index, item in enumerate(response):
        assert isinstance(item["id"], str) and item["id"]
        score = item["aggregate_reward_score"]
        assert math.isfinite(score) and -1.0 <= score <= 1.0
        for entry in item["metrics_list"]:
            assert entry["type"] in ("Reward", "Metric") and math.isfinite(entry["value"])
        raw = event[index] if isinstance(event, list) else event
        if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]:
            assert item["id"] == raw["id"]
    json.dumps(response, allow_nan=False)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=2000))
def test_any_response_text_scores_inside_the_range(
    text: str, spec_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARD_SPEC", str(spec_path))
    event = [
        {"id": "s", "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": text}]}
    ]
    (item,) = handler.lambda_handler(event, None)
    assert -1.0 <= item["aggregate_reward_score"] <= 1.0
