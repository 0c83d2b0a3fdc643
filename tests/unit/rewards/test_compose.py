"""Composition: weights, gates, range mapping, failures and the time budget."""

from __future__ import annotations

import math
import time

import pytest
from nova_rewards.compose import score_slots
from nova_rewards.contract import parse_event
from nova_rewards.dimensions.base import ScoringContext

from tests.unit.rewards.core_helpers import build_spec, raw_sample


def run(spec, *samples, deadline: float = math.inf):
    return score_slots(spec, parse_event(list(samples)), ScoringContext(deadline=deadline))


def metrics_of(item: dict) -> dict[str, tuple[float, str]]:
    return {m["name"]: (m["value"], m["type"]) for m in item["metrics_list"]}


def test_weighted_mean_of_reward_dimensions_and_metric_dimensions_logged_only() -> None:
    spec = build_spec(
        {"name": "hit", "kind": "t_keyword", "weight": 3, "params": {"word": "4"}},
        {"name": "half", "kind": "t_const", "weight": 1, "params": {"value": 0.0}},
        {"name": "info", "kind": "t_const", "type": "Metric", "weight": 5, "params": {"value": 0.3}},
    )
    (item,) = run(spec, raw_sample("a", "The answer is 4")).response()
    assert item["aggregate_reward_score"] == pytest.approx(0.75)  # (3*1 + 1*0) / 4
    metrics = metrics_of(item)
    assert metrics["hit"] == (1.0, "Reward")
    assert metrics["half"] == (0.0, "Reward")
    assert metrics["info"] == (0.3, "Metric")
    assert metrics["hit.chars"] == (15.0, "Metric")  # a dimension's own metrics are namespaced


def test_none_values_are_left_out_of_the_mean() -> None:
    spec = build_spec(
        {"name": "hit", "kind": "t_keyword", "weight": 1, "params": {"word": "4"}},
        {"name": "skip", "kind": "t_const", "weight": 9, "params": {"value": None}},
    )
    (item,) = run(spec, raw_sample("a", "4")).response()
    assert item["aggregate_reward_score"] == 1.0
    assert "skip" not in metrics_of(item)


def test_no_value_at_all_gives_failure_score_and_unscored_metric() -> None:
    spec = build_spec({"name": "skip", "kind": "t_const", "params": {"value": None}}, failure_score=0.25)
    outcome = run(spec, raw_sample("a", "4"))
    assert outcome.samples[0].status == "unscored"
    assert outcome.response()[0]["aggregate_reward_score"] == 0.25
    assert metrics_of(outcome.response()[0])["unscored"] == (1.0, "Metric")


def test_gate_zeroes_dimension_and_skips_its_work() -> None:
    spec = build_spec(
        {"name": "format", "kind": "t_keyword", "weight": 0.2, "params": {"word": "answer"}},
        # would raise on "boom": proves the gated dimension is not even run
        {"name": "correct", "kind": "t_raise", "weight": 0.8, "requires": {"format": 1.0}},
    )
    gated, passed = run(spec, raw_sample("g", "boom 4"), raw_sample("p", "the answer is 4")).response()
    assert gated["aggregate_reward_score"] == 0.0
    assert metrics_of(gated)["correct"] == (0.0, "Reward")
    assert metrics_of(gated)["correct.gated"] == (1.0, "Metric")
    assert passed["aggregate_reward_score"] == pytest.approx(1.0)


def test_score_range_mapping_minus_one_to_one() -> None:
    spec = build_spec(
        {"name": "hit", "kind": "t_keyword", "weight": 1, "params": {"word": "4"}},
        {"name": "c", "kind": "t_const", "weight": 1, "params": {"value": 0.5}},
        score_range=[-1, 1],
    )
    right, wrong = run(spec, raw_sample("r", "4"), raw_sample("w", "5")).response()
    assert right["aggregate_reward_score"] == pytest.approx(0.5)  # -1 + 2 * 0.75
    assert wrong["aggregate_reward_score"] == pytest.approx(-0.5)  # -1 + 2 * 0.25


def test_dimension_exception_fails_only_that_sample() -> None:
    spec = build_spec({"name": "r", "kind": "t_raise"}, failure_score=0.1)
    outcome = run(spec, raw_sample("ok", "fine"), raw_sample("bad", "boom"), raw_sample("ok2", "fine"))
    assert [s.status for s in outcome.samples] == ["ok", "error", "ok"]
    ok, bad, ok2 = outcome.response()
    assert ok["aggregate_reward_score"] == ok2["aggregate_reward_score"] == 1.0
    assert bad["aggregate_reward_score"] == 0.1
    assert metrics_of(bad)["error"] == (1.0, "Metric")


def test_dimension_timeout_is_a_sample_timeout_not_an_error() -> None:
    spec = build_spec({"name": "judge", "kind": "t_raise", "params": {"as_timeout": True}})
    outcome = run(spec, raw_sample("late", "boom"), raw_sample("ok", "fine"))
    assert [s.status for s in outcome.samples] == ["timeout", "ok"]
    late = metrics_of(outcome.response()[0])
    assert late["timeout"] == (1.0, "Metric") and "error" not in late


@pytest.mark.parametrize(
    "raw",
    [
        "nan",  # non-finite value returned
        "-inf",
        "x",  # the dimension itself raises (float("x"))
        [1],  # not a number at all
    ],
)
def test_invalid_dimension_values_are_errors(raw: object) -> None:
    spec = build_spec({"name": "v", "kind": "t_raw", "params": {"raw": raw}})
    outcome = run(spec, raw_sample("a", "x"))
    assert outcome.samples[0].status == "error"
    assert math.isfinite(outcome.response()[0]["aggregate_reward_score"])


def test_out_of_range_values_are_clamped() -> None:
    spec = build_spec({"name": "v", "kind": "t_raw", "params": {"raw": 7}})
    (item,) = run(spec, raw_sample("a", "x")).response()
    assert item["aggregate_reward_score"] == 1.0
    assert metrics_of(item)["v"] == (1.0, "Reward")


def test_dimension_flags_count_as_hacking() -> None:
    spec = build_spec({"name": "v", "kind": "t_raw", "params": {"raw": 1, "flags": ["leak"]}})
    outcome = run(spec, raw_sample("a", "x"))
    assert outcome.samples[0].hacking
    assert metrics_of(outcome.response()[0])["flag.v:leak"] == (1.0, "Metric")


def test_unreadable_samples_keep_their_place() -> None:
    spec = build_spec({"name": "c", "kind": "t_const"})
    outcome = score_slots(
        spec,
        parse_event([raw_sample("a"), {"id": "b"}, raw_sample("c")]),
        ScoringContext(),
    )
    assert [i["id"] for i in outcome.response()] == ["a", "b", "c"]
    assert [s.status for s in outcome.samples] == ["ok", "invalid", "ok"]


def test_empty_response_gets_minimum_without_running_dimensions() -> None:
    spec = build_spec(
        {"name": "r", "kind": "t_raise", "params": {"trigger": ""}}, score_range=[-1, 1], failure_score=0
    )
    (item,) = run(spec, raw_sample("e", "   \n ")).response()
    assert item["aggregate_reward_score"] == -1.0
    assert metrics_of(item)["guard.empty"] == (1.0, "Metric")


def test_deadline_already_passed_times_out_every_sample() -> None:
    spec = build_spec({"name": "c", "kind": "t_const"}, failure_score=0.2)
    outcome = run(spec, raw_sample("a"), raw_sample("b"), deadline=time.monotonic() - 1)
    assert [s.status for s in outcome.samples] == ["timeout", "timeout"]
    for item in outcome.response():
        assert item["aggregate_reward_score"] == 0.2
        assert metrics_of(item)["timeout"] == (1.0, "Metric")


def test_slow_dimension_is_cut_off_at_the_deadline() -> None:
    # chunks of 2, 0.15 s per sample: the first chunk (0.3 s) fits in 0.45 s, the second does not
    spec = build_spec({"name": "slow", "kind": "t_slow", "params": {"seconds": 0.15}}, chunk_size=2)
    started = time.monotonic()
    outcome = run(spec, *[raw_sample(f"s{i}") for i in range(6)], deadline=started + 0.45)
    elapsed = time.monotonic() - started
    assert elapsed < 0.7  # returned at the deadline, not after the 0.9 s the batch needs
    statuses = [s.status for s in outcome.samples]
    assert statuses[:2] == ["ok", "ok"]
    assert statuses[2:] == ["timeout"] * 4


def test_chunks_respect_order_and_every_sample_is_answered() -> None:
    spec = build_spec({"name": "hit", "kind": "t_keyword", "params": {"word": "yes"}}, chunk_size=3)
    samples = [raw_sample(f"s{i}", "yes" if i % 2 else "no") for i in range(10)]
    response = run(spec, *samples).response()
    assert [i["id"] for i in response] == [f"s{i}" for i in range(10)]
    assert [i["aggregate_reward_score"] for i in response] == [float(i % 2) for i in range(10)]


@pytest.mark.parametrize(
    "dimension",
    [
        {"name": "short", "kind": "t_short"},  # score_batch returns too few results
        {"name": "base", "kind": "t_base_exc"},  # a BaseException escapes score_batch
    ],
)
def test_broken_batch_dimension_fails_its_chunk_not_the_batch(dimension: dict) -> None:
    spec = build_spec({"name": "ok", "kind": "t_const"}, dimension, chunk_size=2)
    outcome = run(spec, *[raw_sample(f"s{i}") for i in range(3)])
    assert [s.status for s in outcome.samples] == ["error", "error", "error"]
    assert all(math.isfinite(i["aggregate_reward_score"]) for i in outcome.response())


def test_chunks_shrink_to_fit_the_time_left() -> None:
    # chunk_size 100 would be cut as a whole (20 x 0.05 s = 1 s > 0.6 s budget); adaptive sizing
    # probes 4 samples, then sizes chunks to the time left, so about half the batch is scored.
    spec = build_spec({"name": "slow", "kind": "t_slow", "params": {"seconds": 0.05}}, chunk_size=100)
    started = time.monotonic()
    outcome = run(spec, *[raw_sample(f"s{i}") for i in range(20)], deadline=started + 0.6)
    assert time.monotonic() - started < 0.9
    statuses = [s.status for s in outcome.samples]
    scored = statuses.count("ok")
    assert scored >= 6 and statuses == ["ok"] * scored + ["timeout"] * (20 - scored)


def test_without_deadline_chunk_size_is_the_spec_value() -> None:
    calls: list[int] = []
    spec = build_spec({"name": "c", "kind": "t_const"}, chunk_size=7)
    dimension = spec.dimensions[0].dimension
    original = dimension.score_batch
    dimension.score_batch = lambda samples, ctx: calls.append(len(samples)) or original(samples, ctx)  # type: ignore[method-assign]
    run(spec, *[raw_sample(f"s{i}") for i in range(16)])
    assert calls == [7, 7, 2]
