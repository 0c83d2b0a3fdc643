"""Baseline sampling (retries, fatal errors, incremental and resumable rollouts, Ctrl-C) and its report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.aws import AwsError
from orchestrator.errors import ConfigError
from orchestrator.preflight.baseline import (
    ConverseSampler,
    RolloutsFile,
    SamplingError,
    SamplingSettings,
    converse_request,
    sample_all,
    token_totals,
    write_filtered_dataset,
)
from orchestrator.preflight.stats import Thresholds, reward_report, verdict, zero_spread_share
from tests.unit.preflight.fakes import FakeRuntime, client_error

MODEL = "amazon.nova-2-lite-v1:0:256k"


def record(i: int) -> dict:
    return {
        "id": f"p{i}",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": f"Question {i}?"},
        ],
        "reference_answer": {"final_answer": str(i)},
    }


RECORDS = {f"p{i}": record(i) for i in range(5)}


def sampler(script, **settings) -> tuple[ConverseSampler, FakeRuntime]:
    runtime = FakeRuntime(script)
    options = {"samples": 3, "concurrency": 2, **settings}
    return ConverseSampler(runtime, MODEL, SamplingSettings(**options), sleep=lambda _: None), runtime


def test_converse_request_moves_system_turns_and_sets_temperature() -> None:
    request = converse_request(record(1), MODEL, SamplingSettings(temperature=0.9, max_tokens=77))
    assert request["system"] == [{"text": "Be brief."}]
    assert request["messages"] == [{"role": "user", "content": [{"text": "Question 1?"}]}]
    assert request["inferenceConfig"] == {"temperature": 0.9, "maxTokens": 77}


def test_temperature_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="--temperature must be in"):
        SamplingSettings(temperature=0.0)


def test_throttling_is_retried_and_counted() -> None:
    def script(n: int, request: dict) -> str:
        if n <= 2:
            raise client_error("ThrottlingException", 429, "Converse")
        return "ok"

    sample, _ = sampler(script)
    rollout = sample.sample(record(0))
    assert (rollout.text, rollout.attempts, rollout.throttles) == ("ok", 3, 2)


def test_access_denied_is_fatal_and_keeps_what_was_sampled(tmp_path: Path) -> None:
    def script(n: int, request: dict) -> str:
        if n > 4:
            raise client_error("AccessDeniedException", 403, "Converse")
        return f"answer {n}"

    sample, runtime = sampler(script, concurrency=1)
    rollouts = RolloutsFile(tmp_path / "r.jsonl", MODEL)
    with pytest.raises(AwsError, match="AccessDeniedException.*kept 4 samples"):
        sample_all(RECORDS, sample, rollouts)
    assert runtime.calls == 5  # stops at the first fatal error (concurrency 1)
    assert sum(len(v) for v in rollouts.load().values()) == 4


def test_sampling_writes_k_lines_per_prompt_and_resumes_only_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    sample, runtime = sampler(lambda n, request: f"answer {n}")
    first = sample_all(dict(list(RECORDS.items())[:2]), sample, RolloutsFile(path, MODEL))
    assert (first.sampled, first.resumed, runtime.calls) == (6, 0, 6)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted((entry["id"], entry["sample"]) for entry in lines) == [
        (f"p{i}", k) for i in range(2) for k in range(3)
    ]
    assert all(entry["model"] == MODEL and entry["temperature"] == 0.7 for entry in lines)
    second = sample_all(RECORDS, sample, RolloutsFile(path, MODEL))
    assert (second.resumed, second.sampled, runtime.calls) == (6, 9, 15)  # only p2..p4 sampled now


def test_ctrl_c_keeps_the_samples_and_a_rerun_completes(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"

    def interrupted(n: int, request: dict) -> str:
        if n == 5:
            raise KeyboardInterrupt
        return f"answer {n}"

    sample, _ = sampler(interrupted, concurrency=1)
    with pytest.raises(KeyboardInterrupt):
        sample_all(RECORDS, sample, RolloutsFile(path, MODEL))
    kept = sum(len(v) for v in RolloutsFile(path, MODEL).load().values())
    assert kept == 4
    resumed, runtime = sampler(lambda n, request: "later")
    outcome = sample_all(RECORDS, resumed, RolloutsFile(path, MODEL))
    assert (outcome.resumed, outcome.sampled, runtime.calls) == (4, 11, 11)


def test_torn_last_line_is_cut_and_resampled(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    good = json.dumps({"id": "p0", "sample": 0, "response": "a", "model": MODEL})
    path.write_text(good + "\n" + '{"id": "p0", "sample": 1, "resp')
    assert [len(v) for v in RolloutsFile(path, MODEL).load().values()] == [1]
    assert path.read_text() == good + "\n"


def test_broken_line_in_the_middle_and_other_model_are_one_line_errors(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("{broken\n" + json.dumps({"id": "p0", "response": "a"}) + "\n")
    with pytest.raises(ConfigError, match=r"r\.jsonl:1: not a JSON line"):
        RolloutsFile(path, MODEL).load()
    path.write_text(json.dumps({"id": "p0", "response": "a", "model": "other-model"}) + "\n")
    with pytest.raises(ConfigError, match="sampled from model 'other-model'"):
        RolloutsFile(path, MODEL).load()


def test_token_totals_count_only_the_reported_samples(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    lines = [{"id": "p0", "response": "a", "input_tokens": 10, "output_tokens": 2}] * 4
    lines.append({"id": "zz", "response": "a", "input_tokens": 99, "output_tokens": 99})
    path.write_text("".join(json.dumps(entry) + "\n" for entry in lines))
    assert token_totals({"p0": {}}, path, samples=3) == {"input_tokens": 30, "output_tokens": 6}


def test_filtered_dataset_copies_the_kept_lines_verbatim(tmp_path: Path) -> None:
    dataset = tmp_path / "d.jsonl"
    dataset.write_text('{"id": "a", "messages": []}\n\n{"id": "b", "messages": []}\n{"messages": []}\n')
    target = tmp_path / "out" / "f.jsonl"
    assert write_filtered_dataset(dataset, {"b", "3"}, target) == 2  # "3": 0-based line of the id-less record
    assert target.read_text() == '{"id": "b", "messages": []}\n{"messages": []}\n'


# -- the report ---------------------------------------------------------------------------------------
def items(scores: list[float]) -> list[dict]:
    return [
        {
            "id": "x",
            "aggregate_reward_score": s,
            "metrics_list": [{"name": "correct", "value": s, "type": "Reward"}],
        }
        for s in scores
    ]


def test_reward_report_hand_checked() -> None:
    # a: always solved, b: mixed, c: never solved (all 0.0), 3 samples each
    ids = ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    scores = [1.0, 1.0, 1.0, 1.0, 0.2, 0.0, 0.0, 0.0, 0.0]
    report = reward_report(ids, items(scores), ["correct"], (0.0, 1.0), Thresholds.for_range(0.0, 1.0))
    assert report["pass_threshold"] == 0.5
    assert report["pass_rate"] == pytest.approx(4 / 9)
    assert report["positive_share"] == pytest.approx(5 / 9)  # 1,1,1,1,0.2
    assert report["zero_spread_group_share"] == pytest.approx(2 / 3)  # a and c
    assert (report["always_solved_prompts"], report["never_solved_prompts"]) == (1, 1)
    assert report["_always"] == ["a"] and report["_never"] == ["c"]
    assert report["dimension_means"] == {"correct": pytest.approx(4.2 / 9, abs=1e-6)}
    assert report["reward"]["histogram"] == [4, 0, 1, 0, 0, 0, 0, 0, 0, 4]
    assert report["reward"]["mean"] == pytest.approx(4.2 / 9, abs=1e-6)
    assert report["verdict"] == "rft_suitable"
    assert any("zero spread" in w for w in report["warnings"])


@pytest.mark.parametrize(
    ("pass_rate", "positive", "expected"),
    [
        (0.0, 0.5, "sft_first"),  # about 0% solved
        (0.01, 0.5, "sft_first"),
        (0.02, 0.5, "rft_suitable"),
        (0.95, 0.99, "rft_suitable"),  # 95% is not yet "above 95%"
        (0.96, 0.99, "rft_unlikely_to_help"),
        (0.03, 0.04, "sparse_reward"),  # < 5% positive
    ],
)
def test_verdict_thresholds(pass_rate: float, positive: float, expected: str) -> None:
    assert verdict(pass_rate, positive) == expected


def test_zero_spread_ignores_single_sample_groups() -> None:
    assert zero_spread_share({"a": [1.0], "b": [0.5, 0.5], "c": [0.1, 0.2]}) == 0.5
    assert zero_spread_share({"a": [1.0]}) == 0.0


def test_pass_threshold_and_positive_follow_the_score_range() -> None:
    thresholds = Thresholds.for_range(-1.0, 1.0)
    assert (thresholds.pass_threshold, thresholds.positive_above) == (0.0, 0.0)
    assert Thresholds.for_range(0.0, 1.0, pass_threshold=0.8).pass_threshold == 0.8


def test_content_parts_are_joined_as_text() -> None:
    parts = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
        ]
    }
    assert converse_request(parts, MODEL, SamplingSettings())["messages"][0]["content"] == [{"text": "ab"}]


def test_parameter_errors_are_fatal_not_retried() -> None:
    from botocore.exceptions import ParamValidationError

    def script(n: int, request: dict) -> str:
        raise ParamValidationError(report="bad maxTokens")

    sample, runtime = sampler(script)
    with pytest.raises(SamplingError, match="bad maxTokens") as err:
        sample.sample(record(0))
    assert err.value.fatal and runtime.calls == 1
