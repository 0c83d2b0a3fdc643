"""The Lambda handler end to end: response shape, one EMF record on stdout, spec cache, time budget."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
from nova_rewards import handler
from nova_rewards.errors import EventError, SpecError

from tests.unit.rewards.core_helpers import FakeContext, WarmDim, raw_sample, write_spec

DIMENSIONS = (
    {"name": "format", "kind": "t_keyword", "weight": 0.2, "params": {"word": "answer"}},
    {
        "name": "correct",
        "kind": "t_keyword",
        "weight": 0.8,
        "params": {"word": "4"},
        "requires": {"format": 1},
    },
    {"name": "length", "kind": "t_const", "type": "Metric", "weight": 0, "params": {"value": 0.5}},
)


@pytest.fixture
def spec_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_spec(tmp_path / "spec.json", *DIMENSIONS, name="handler-test")
    monkeypatch.setenv("REWARD_SPEC", str(path))
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "grader-fn")
    handler.reset_spec_cache()
    yield path
    handler.reset_spec_cache()


def emf_records(out: str) -> list[dict]:
    records = []
    for line in out.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if "_aws" in entry:
                records.append(entry)
    return records


def assert_valid_response(response: object, ids: list[str], lo: float = 0.0, hi: float = 1.0) -> None:
    assert isinstance(response, list) and [item["id"] for item in response] == ids
    for item in response:
        assert set(item) == {"id", "aggregate_reward_score", "metrics_list"}
        score = item["aggregate_reward_score"]
        assert isinstance(score, float) and math.isfinite(score) and lo <= score <= hi
        for entry in item["metrics_list"]:
            assert set(entry) == {"name", "value", "type"}
            assert isinstance(entry["name"], str) and entry["type"] in ("Reward", "Metric")
            assert isinstance(entry["value"], float) and math.isfinite(entry["value"])
    json.dumps(response, allow_nan=False)  # serialisable as strict JSON


def test_batch_response_and_single_emf_record(spec_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = [
        raw_sample("right", "the answer is 4"),
        raw_sample("wrong", "the answer is 5"),
        raw_sample("no-format", "4"),
        {"id": "broken", "messages": []},
    ]
    response = handler.lambda_handler(event, FakeContext(60_000, request_id="r-42"))
    assert_valid_response(response, ["right", "wrong", "no-format", "broken"])
    scores = [item["aggregate_reward_score"] for item in response]
    assert scores == pytest.approx([1.0, 0.2, 0.0, 0.0])
    assert response[0]["metrics_list"] == [
        {"name": "format", "value": 1.0, "type": "Reward"},
        {"name": "correct", "value": 1.0, "type": "Reward"},
        {"name": "length", "value": 0.5, "type": "Metric"},
        {"name": "format.chars", "value": 15.0, "type": "Metric"},
        {"name": "correct.chars", "value": 15.0, "type": "Metric"},
    ]
    assert {"name": "error", "value": 1.0, "type": "Metric"} in response[3]["metrics_list"]
    (record,) = emf_records(capsys.readouterr().out)
    assert record["FunctionName"] == "grader-fn" and record["RequestId"] == "r-42"
    assert record["SpecName"] == "handler-test"
    assert record["BatchSize"] == 4 and record["SampleErrors"] == 1 and record["ErrorRate"] == 0.25
    assert record["RewardMax"] == 1.0 and record["Dim.correct.Mean"] == pytest.approx(1 / 3)


def test_works_without_context(spec_env: Path) -> None:
    response = handler.lambda_handler([raw_sample("a", "the answer is 4")], None)
    assert_valid_response(response, ["a"])


def test_non_batch_event_raises_clear_error(spec_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(EventError, match="empty batch"):
        handler.lambda_handler([], None)
    assert emf_records(capsys.readouterr().out) == []


def test_spec_is_cached_between_invocations(spec_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = handler.get_spec()
    loads = []
    monkeypatch.setattr(handler, "load_spec", lambda ref=None: loads.append(ref))
    handler.lambda_handler([raw_sample()], None)
    assert handler.get_spec() is first and loads == []  # warm invocation: no reload


def test_bad_spec_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "x", "dimensions": [{"name": "a", "kind": "t_const", "weight": -1}]}))
    monkeypatch.setenv("REWARD_SPEC", str(path))
    handler.reset_spec_cache()
    with pytest.raises(SpecError, match=r"dimensions\[0\]\.weight"):
        handler.lambda_handler([raw_sample()], None)
    handler.reset_spec_cache()


def test_deadline_from_context() -> None:
    ctx = FakeContext(10_000)
    deadline = handler.deadline_from_context(ctx, 1500, now=100.0)
    assert deadline == pytest.approx(108.5, abs=0.05)
    assert handler.deadline_from_context(None, 1500) == math.inf
    assert handler.deadline_from_context(object(), 1500) == math.inf


def test_time_budget_with_slow_dimension(tmp_path: Path, monkeypatch, capsys) -> None:
    # 0.1 s per sample, chunks of 2, 1.5 s of Lambda time minus a 1 s margin: 0.5 s to score 8 samples
    path = write_spec(
        tmp_path / "slow.json",
        {"name": "slow", "kind": "t_slow", "params": {"seconds": 0.1}},
        name="slow",
        chunk_size=2,
        time_budget_margin_ms=1000,
        failure_score=0.0,
    )
    monkeypatch.setenv("REWARD_SPEC", str(path))
    handler.reset_spec_cache()
    handler.get_spec()
    context = FakeContext(1500)
    started = time.monotonic()
    response = handler.lambda_handler([raw_sample(f"s{i}") for i in range(8)], context)
    elapsed = time.monotonic() - started
    assert context.get_remaining_time_in_millis() > 800  # answered well before the Lambda deadline
    assert elapsed < 0.75
    assert_valid_response(response, [f"s{i}" for i in range(8)])
    timed_out = [
        item["id"]
        for item in response
        if {"name": "timeout", "value": 1.0, "type": "Metric"} in item["metrics_list"]
    ]
    assert 2 <= len(timed_out) <= 6 and timed_out == [f"s{i}" for i in range(8 - len(timed_out), 8)]
    (record,) = emf_records(capsys.readouterr().out)
    assert record["SampleTimeouts"] == len(timed_out)
    handler.reset_spec_cache()


def test_score_range_respected_with_negative_range(tmp_path: Path, monkeypatch) -> None:
    path = write_spec(
        tmp_path / "neg.json",
        {"name": "k", "kind": "t_keyword", "params": {"word": "4"}},
        score_range=[-1, 1],
    )
    monkeypatch.setenv("REWARD_SPEC", str(path))
    handler.reset_spec_cache()
    response = handler.lambda_handler([raw_sample("a", "4"), raw_sample("b", "5"), {"id": "c"}], None)
    assert_valid_response(response, ["a", "b", "c"], lo=-1, hi=1)
    assert [i["aggregate_reward_score"] for i in response] == [1.0, -1.0, -1.0]
    handler.reset_spec_cache()


def test_warm_invocation_after_a_timeout_is_unaffected(tmp_path: Path, monkeypatch, capsys) -> None:
    # the first invocation abandons a worker thread mid-chunk; its late results must not leak
    path = write_spec(
        tmp_path / "slow.json",
        {"name": "slow", "kind": "t_slow", "params": {"seconds": 0.2}},
        name="slow",
        chunk_size=4,
        time_budget_margin_ms=1000,
    )
    monkeypatch.setenv("REWARD_SPEC", str(path))
    handler.reset_spec_cache()
    first = handler.lambda_handler([raw_sample(f"a{i}") for i in range(4)], FakeContext(1100))
    assert all(any(m["name"] == "timeout" for m in item["metrics_list"]) for item in first)
    second = handler.lambda_handler([raw_sample("b0"), raw_sample("b1")], FakeContext(10_000))
    assert [(i["id"], i["aggregate_reward_score"]) for i in second] == [("b0", 1.0), ("b1", 1.0)]
    first_record, second_record = emf_records(capsys.readouterr().out)
    assert first_record["SampleTimeouts"] == 4 and second_record["SampleTimeouts"] == 0
    handler.reset_spec_cache()


def test_init_phase_loads_spec_and_warms_dimensions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_spec(tmp_path / "warm.json", {"name": "w", "kind": "t_warm"}, name="warm-test")
    monkeypatch.setenv("REWARD_SPEC", str(path))
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "grader-fn")
    handler.reset_spec_cache()
    before = WarmDim.warm_ups
    handler.prepare_execution_environment()
    assert WarmDim.warm_ups == before + 1
    assert handler.get_spec().name == "warm-test"  # cached: the first invocation does not reload
    handler.reset_spec_cache()


def test_init_phase_does_nothing_outside_lambda_or_with_a_broken_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_spec(tmp_path / "warm.json", {"name": "w", "kind": "t_warm"}, name="warm-test")
    monkeypatch.setenv("REWARD_SPEC", str(path))
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    handler.reset_spec_cache()
    before = WarmDim.warm_ups
    handler.prepare_execution_environment()
    assert WarmDim.warm_ups == before
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "grader-fn")
    monkeypatch.setenv("REWARD_SPEC", str(tmp_path / "missing.json"))
    handler.prepare_execution_environment()  # the invocation, not init, reports the spec error
    with pytest.raises(SpecError):
        handler.lambda_handler([raw_sample("a", "x")], FakeContext(60_000))
    handler.reset_spec_cache()
