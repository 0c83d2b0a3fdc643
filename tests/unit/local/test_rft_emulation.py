"""The emulated RFT run, without LocalStack: fake S3/Lambda/CloudWatch ports, real dataset rules."""

from __future__ import annotations

import json
import math
import random
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from nova_rft_localstack import candidates as cand
from nova_rft_localstack.grader_contract import GraderContractError, check_grader_response
from nova_rft_localstack.rft_emulation import (
    METRICS_NAMESPACE,
    EmulatedRftRun,
    EmulatorSettings,
    RunSpec,
    chunk_samples,
    nova_rft_validator,
    percentile,
)
from tests.unit.local.emulation_fakes import FakePorts, RecordingEvents, dataset_bytes, reference_grader

TRAIN = "s3://data/datasets/train.jsonl"
ARN = (
    "arn:aws:bedrock:us-east-1:000000000000:model-customization-job/amazon.nova-2-lite-v1:0:256k/abcdefabcdef"
)
GRADER = "arn:aws:lambda:us-east-1:000000000000:function:math-grader"


def make_spec(**overrides) -> RunSpec:
    values = dict(
        job_name="job-1",
        job_arn=ARN,
        training_uri=TRAIN,
        output_uri="s3://out/rft-output/job-1/",
        lambda_arn=GRADER,
        batch_size=16,
        samples_per_prompt=4,
        epochs=1,
    )
    values.update(overrides)
    return RunSpec(**values)


def run(
    ports: FakePorts, settings: EmulatorSettings | None = None, events: RecordingEvents | None = None, **spec
):
    events = events or RecordingEvents()
    outcome = EmulatedRftRun(make_spec(**spec), ports, events, nova_rft_validator, settings).run()
    return outcome, events


def metrics_lines(ports: FakePorts, uri: str = "s3://out/rft-output/job-1/emulated-training-metrics.jsonl"):
    return [json.loads(line) for line in ports.objects[uri].decode().splitlines()]


# -- a healthy run -------------------------------------------------------------------------------------


def test_completed_run_invokes_grader_with_bedrock_event_shape():
    ports = FakePorts({TRAIN: dataset_bytes(100)})
    outcome, events = run(ports, EmulatorSettings(max_steps=3, grader_chunk_size=20))

    assert outcome.status == "Completed", outcome.failure_message
    # 3 steps x 16 prompts x 4 samples = 64 samples per step, in chunks of 20 -> 4 invokes per step
    assert outcome.grader_invocations == 12 == len(ports.invocations)
    assert [len(chunk) for chunk in ports.invocations[:4]] == [20, 20, 20, 4]
    sample = ports.invocations[0][0]
    assert set(sample) == {"id", "messages", "metadata"}
    assert [m["role"] for m in sample["messages"]] == ["system", "user", "assistant"]
    assert set(sample["metadata"]) == {"id", "reference_answer", "task_id"}
    ids = [s["id"] for chunk in ports.invocations[:4] for s in chunk]
    assert len(ids) == len(set(ids)) == 64
    assert events.phases == [
        ("validationDetails", "InProgress"),
        ("validationDetails", "Completed"),
        ("dataProcessingDetails", "InProgress"),
        ("dataProcessingDetails", "Completed"),
        ("trainingDetails", "InProgress"),
        ("trainingDetails", "Completed"),
    ]


def test_step_statistics_match_the_grader_scores():
    ports = FakePorts({TRAIN: dataset_bytes(100)})
    outcome, _ = run(ports, EmulatorSettings(max_steps=2, grader_chunk_size=64))

    for step, chunk in zip(outcome.steps, ports.invocations, strict=True):
        scores = [item["aggregate_reward_score"] for item in reference_grader(chunk)]
        assert step["reward_mean"] == pytest.approx(statistics.fmean(scores), abs=1e-6)
        assert step["reward_std"] == pytest.approx(statistics.pstdev(scores), abs=1e-6)
        assert (step["reward_min"], step["reward_max"]) == (min(scores), max(scores))
        assert step["dimensions"]["correctness"] == pytest.approx(step["reward_mean"], abs=1e-6)
        assert step["dimensions"]["length_chars"] > 0
        assert 0.0 <= step["no_spread_group_fraction"] < 1.0
        assert step["grader_errors"] == 0 and step["samples"] == 64
    assert outcome.training_loss == pytest.approx(1 - outcome.steps[-1]["reward_mean"], abs=1e-6)


def test_metrics_go_to_cloudwatch_and_the_jsonl_file():
    ports = FakePorts({TRAIN: dataset_bytes(100)})
    outcome, _ = run(ports, EmulatorSettings(max_steps=2))

    assert [(ns, job) for ns, job, _ in ports.metrics] == [(METRICS_NAMESPACE, "job-1")] * 2
    first = ports.metrics[0][2]
    assert first["RewardMean"] == outcome.steps[0]["reward_mean"]
    assert {
        "RewardStd",
        "NoSpreadGroupFraction",
        "GraderErrors",
        "GraderLatencyP95Ms",
        "Dim.correctness.Mean",
    } <= set(first)
    lines = metrics_lines(ports)
    assert [line["type"] for line in lines] == ["step", "step", "summary"]
    assert lines[-1]["reward_mean_per_step"] == [s["reward_mean"] for s in outcome.steps]
    assert lines[-1]["grader_invocations"] == outcome.grader_invocations
    assert "EMULATED" in lines[-1]["note"]


def test_steps_follow_epochs_and_batch_size_up_to_max_steps():
    ports = FakePorts({TRAIN: dataset_bytes(100)})
    outcome, _ = run(ports, EmulatorSettings(max_steps=50), batch_size=32, epochs=2, samples_per_prompt=2)
    assert len(outcome.steps) == 2 * math.ceil(100 / 32)
    assert all(step["prompts"] == 32 and step["samples"] == 64 for step in outcome.steps)


def test_batch_larger_than_the_dataset_wraps_around():
    ports = FakePorts({TRAIN: dataset_bytes(100)})
    outcome, _ = run(
        ports, EmulatorSettings(max_steps=2, grader_chunk_size=512), batch_size=256, samples_per_prompt=2
    )
    assert outcome.status == "Completed" and len(outcome.steps) == 1  # one step per epoch
    event = ports.invocations[0]
    assert len(event) == 512 and len({s["id"] for s in event}) == 512
    assert len({s["metadata"]["id"] for s in event}) == 100  # every record, some of them twice or more


def test_run_is_deterministic_per_job_and_differs_between_jobs():
    def payloads(arn: str) -> list:
        ports = FakePorts({TRAIN: dataset_bytes(100)})
        run(ports, EmulatorSettings(max_steps=2), job_arn=arn)
        return ports.invocations

    assert payloads(ARN) == payloads(ARN)
    assert payloads(ARN) != payloads(ARN.replace("abcdefabcdef", "123456123456"))


def test_rewards_rise_when_the_sound_grader_teaches_correct_answers():
    ports = FakePorts({TRAIN: dataset_bytes(200)})
    outcome, _ = run(ports, EmulatorSettings(max_steps=6), batch_size=32)
    means = [s["reward_mean"] for s in outcome.steps]
    assert statistics.fmean(means[-2:]) > statistics.fmean(means[:2]) + 0.15


def test_validation_passes_at_eval_interval_and_at_the_end():
    valid = "s3://data/datasets/val.jsonl"
    ports = FakePorts({TRAIN: dataset_bytes(100), valid: dataset_bytes(100)})
    outcome, _ = run(ports, EmulatorSettings(max_steps=5), validation_uris=(valid,), eval_interval=2)
    assert outcome.status == "Completed", outcome.failure_message
    assert [v["step"] for v in outcome.validations] == [2, 4, 5]
    assert all(v["samples"] == 16 and v["type"] == "validation" for v in outcome.validations)
    eval_chunks = [c for c in ports.invocations if c[0]["id"].startswith("eval")]
    assert len(eval_chunks) == 3 and all(len(c) == 16 for c in eval_chunks)
    assert all(s["metadata"]["id"].startswith("rec-") for s in eval_chunks[0])
    assert outcome.validation_losses == [pytest.approx(1 - outcome.validations[-1]["reward_mean"], abs=1e-6)]
    kinds = [line["type"] for line in metrics_lines(ports)]
    assert kinds == [
        "step",
        "step",
        "validation",
        "step",
        "step",
        "validation",
        "step",
        "validation",
        "summary",
    ]
    assert sum("ValidationRewardMean" in values for _, _, values in ports.metrics) == 3


def test_a_validation_set_of_one_record_is_refused_as_start_job_refuses_it():
    valid = "s3://data/datasets/val.jsonl"
    ports = FakePorts({TRAIN: dataset_bytes(100), valid: dataset_bytes(1)})
    outcome, _ = run(ports, validation_uris=(valid,))
    assert outcome.status == "Failed" and outcome.failure_message.startswith("Validation dataset invalid:")
    assert "1 records; Nova RFT needs at least 100" in outcome.failure_message


def test_invalid_validation_dataset_fails():
    valid = "s3://data/datasets/val.jsonl"
    ports = FakePorts({TRAIN: dataset_bytes(100), valid: b'{"messages": []}\n'})
    outcome, _ = run(ports, validation_uris=(valid,))
    assert outcome.status == "Failed" and outcome.failure_message.startswith("Validation dataset invalid:")
    assert "line 1" in outcome.failure_message


# -- failures ------------------------------------------------------------------------------------------


def test_invalid_dataset_fails_with_the_first_errors():
    lines = dataset_bytes(100).decode().splitlines()
    lines[2] = json.dumps({"messages": [{"role": "user", "content": "hi"}]})  # no reference_answer
    ports = FakePorts({TRAIN: ("\n".join(lines) + "\n").encode()})
    outcome, events = run(ports)
    assert outcome.status == "Failed"
    assert outcome.failure_message.startswith("Dataset invalid:")
    assert "line 3" in outcome.failure_message and "reference_answer" in outcome.failure_message
    assert events.phases[-1] == ("validationDetails", "Failed")
    assert ports.invocations == []


def test_too_small_dataset_fails():
    outcome, _ = run(FakePorts({TRAIN: dataset_bytes(20)}))
    assert outcome.status == "Failed" and "Dataset invalid" in outcome.failure_message
    assert "100" in outcome.failure_message


def test_unreadable_dataset_fails():
    outcome, _ = run(FakePorts({}))
    assert outcome.status == "Failed" and "could not be read" in outcome.failure_message


def test_missing_grader_fails_in_validation():
    outcome, events = run(FakePorts({TRAIN: dataset_bytes(100)}, grader=None))
    assert outcome.status == "Failed"
    assert outcome.failure_message.startswith("Grader missing:") and GRADER in outcome.failure_message
    assert events.phases[-1] == ("validationDetails", "Failed")


def test_grader_deleted_during_training_fails():
    ports = FakePorts({TRAIN: dataset_bytes(100)})
    ports.grader_problem = lambda arn: None  # present at validation ...
    ports.grader = None  # ... gone when invoked
    outcome, events = run(ports)
    assert outcome.status == "Failed" and outcome.failure_message.startswith("Grader missing:")
    assert events.phases[-1] == ("trainingDetails", "Failed")


def _reorder(items):
    return list(reversed(items))


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda out: {"results": out}, "must be a JSON array"),
        (lambda out: out[:-1], "items for"),
        (_reorder, "was expected"),
        (lambda out: [{**i, "aggregate_reward_score": "0.5"} for i in out], "finite number"),
        (lambda out: [{**i, "aggregate_reward_score": float("nan")} for i in out], "finite number"),
        (
            lambda out: [{k: v for k, v in i.items() if k != "aggregate_reward_score"} for i in out],
            "finite number",
        ),
        (
            lambda out: [{**i, "metrics_list": [{"name": "x", "value": 1, "type": "Score"}]} for i in out],
            "'type'",
        ),
        (lambda out: [{**i, "metrics_list": {"x": 1}} for i in out], "must be an array"),
    ],
    ids=[
        "not-array",
        "short",
        "order",
        "string-score",
        "nan",
        "missing-score",
        "metric-type",
        "metrics-object",
    ],
)
def test_grader_contract_violations_fail_the_job(tamper, expected):
    ports = FakePorts({TRAIN: dataset_bytes(100)}, grader=lambda event: tamper(reference_grader(event)))
    outcome, _ = run(ports)
    assert outcome.status == "Failed"
    assert outcome.failure_message.startswith("Grader contract violated:")
    assert expected in outcome.failure_message


def test_non_json_grader_response_fails():
    ports = FakePorts({TRAIN: dataset_bytes(100)})
    ports.invoke_grader = lambda arn, payload: __import__(
        "nova_rft_localstack.rft_emulation", fromlist=["InvokeResult"]
    ).InvokeResult(b"not json")
    outcome, _ = run(ports)
    assert outcome.status == "Failed" and "not JSON" in outcome.failure_message


def test_grader_error_rate_above_threshold_fails():
    ports = FakePorts({TRAIN: dataset_bytes(100)}, function_error=lambda call: "boom: KeyError 'x'")
    outcome, events = run(ports, EmulatorSettings(max_grader_error_rate=0.2))
    assert outcome.status == "Failed"
    assert outcome.failure_message.startswith("Grader error rate too high: 100%")
    assert "boom" in outcome.failure_message and "threshold 20%" in outcome.failure_message
    assert events.phases[-1] == ("trainingDetails", "Failed")


def test_grader_errors_below_threshold_are_recorded_not_fatal():
    # 64 samples in 4 chunks of 16; every 4th invoke fails -> 25% errors per step, threshold 30%
    ports = FakePorts(
        {TRAIN: dataset_bytes(100)}, function_error=lambda call: "flaky" if call % 4 == 0 else None
    )
    outcome, _ = run(
        ports,
        EmulatorSettings(max_steps=2, grader_chunk_size=16, grader_concurrency=1, max_grader_error_rate=0.3),
    )
    assert outcome.status == "Completed"
    assert [s["grader_errors"] for s in outcome.steps] == [16, 16]
    assert outcome.steps[0]["grader_error_rate"] == 0.25
    assert "flaky" in outcome.steps[0]["first_grader_error"]


# -- stop ----------------------------------------------------------------------------------------------


def test_stop_before_training_ends_stopped():
    events = RecordingEvents()
    events.stop.set()
    outcome, _ = run(FakePorts({TRAIN: dataset_bytes(100)}), events=events)
    assert outcome.status == "Stopped"
    assert events.phases == [("validationDetails", "Stopped")]


def test_stop_during_training_ends_stopped_after_the_current_step():
    events = RecordingEvents()

    def grader(event):
        events.stop.set()  # the stop request arrives while step 1 is being scored
        return reference_grader(event)

    ports = FakePorts({TRAIN: dataset_bytes(100)}, grader=grader)
    outcome, _ = run(ports, EmulatorSettings(max_steps=5, grader_chunk_size=64), events=events)
    assert outcome.status == "Stopped"
    assert events.phases[-1] == ("trainingDetails", "Stopped")
    assert len(ports.invocations) == 1


# -- settings, helpers ---------------------------------------------------------------------------------


def test_settings_resolve_tag_over_env_over_default():
    settings = EmulatorSettings.resolve(
        {"NOVA_RFT_EMULATOR_MAX_STEPS": "7", "NOVA_RFT_EMULATOR_STEP_DELAY_S": "0.5"},
        {"nova-rft-emulator:max-steps": "2"},
    )
    assert (settings.max_steps, settings.step_delay_s, settings.grader_chunk_size) == (2, 0.5, 32)


@pytest.mark.parametrize(
    ("env", "tags"),
    [({"NOVA_RFT_EMULATOR_MAX_STEPS": "zero"}, {}), ({}, {"nova-rft-emulator:max-steps": "0"}),
     ({"NOVA_RFT_EMULATOR_STEP_DELAY_S": "-1"}, {}),
     ({}, {"nova-rft-emulator:max-grader-error-rate": "nan"})],
)  # fmt: skip
def test_settings_reject_bad_values(env, tags):
    with pytest.raises(ValueError, match="NOVA_RFT_EMULATOR_"):
        EmulatorSettings.resolve(env, tags)


def test_chunks_respect_count_and_payload_size():
    samples = [{"id": str(i), "messages": [{"role": "assistant", "content": "x" * 100}]} for i in range(10)]
    one = len(json.dumps(samples[0]).encode()) + 2
    assert [len(c) for c in chunk_samples(samples, 4, 10**9)] == [4, 4, 2]
    assert [len(c) for c in chunk_samples(samples, 100, 2 + 3 * one)] == [3, 3, 3, 1]
    assert [len(c) for c in chunk_samples(samples, 100, 10)] == [
        1
    ] * 10  # a sample above the limit goes alone
    assert [s for c in chunk_samples(samples, 3, 500) for s in c] == samples
    for chunk in chunk_samples(samples, 100, 2 + 3 * one):
        assert len(json.dumps(chunk).encode()) <= 2 + 3 * one


def test_percentile_nearest_rank():
    assert percentile([], 95) == 0.0
    assert percentile([5.0], 50) == 5.0
    assert percentile(list(map(float, range(1, 101))), 95) == 95.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0


def test_contract_check_accepts_a_valid_response():
    out = check_grader_response(
        [
            {
                "id": "a",
                "aggregate_reward_score": 1,
                "metrics_list": [{"name": "m", "value": 2.5, "type": "Metric"}],
            }
        ],
        ["a"],
    )
    assert out[0].score == 1.0 and out[0].metrics == (("m", 2.5, "Metric"),)
    with pytest.raises(GraderContractError, match="boolean|finite"):
        check_grader_response([{"id": "a", "aggregate_reward_score": True}], ["a"])


# -- built-in strategies ------------------------------------------------------------------------------


def _texts(reference, kind=None, seed=7):
    return [c for c in cand.builtin_candidates(reference, random.Random(seed)) if kind in (None, c.kind)]


@pytest.mark.parametrize(
    ("reference", "style"),
    [
        ({"final_answer": "16"}, "final_answer"),  # gsm8k style
        (42, "final_answer"),
        ("3.5", "final_answer"),
        ({"name": "Ada", "age": 36}, "json"),  # extraction target
        (
            {
                "entry_point": "add",
                "solution": "def add(a, b):\n    return a + b\n",
                "tests": ["add(1, 2) == 3"],
            },
            "code",
        ),
        ("We refund within 14 days of purchase.", "text"),  # support answer
        ({"answer": "Your order has shipped with USPS.", "required_facts": ["USPS"]}, "text"),
        ({"name": "Ada", "answer": "yes"}, "json"),  # a short field named answer: still a JSON target
    ],
)
def test_builtin_strategies_cover_every_kind_and_are_deterministic(reference, style):
    assert cand.reference_style(reference) == style
    first = _texts(reference)
    assert first == _texts(reference)
    assert {c.kind for c in first} == {cand.CORRECT, cand.WRONG, cand.HACK}
    names = [c.strategy for c in first]
    assert len(names) == len(set(names)) and all(n.split(":")[0] in cand.KINDS for n in names)
    assert len({c.text for c in first}) == len(first)  # every strategy is a different response


def test_builtin_strategy_names_do_not_depend_on_the_record():
    names = {tuple(c.strategy for c in _texts({"final_answer": str(n)}, seed=n)) for n in range(30)}
    assert len(names) == 1


def test_correct_json_candidates_parse_to_the_reference():
    reference = {"name": "Ada", "age": 36}
    texts = [c.text for c in _texts(reference, cand.CORRECT)]
    assert len(texts) >= 2
    for text in texts:
        body = text[text.index("{") : text.rindex("}") + 1]
        assert json.loads(body) == reference


# -- the demo's reading of the metrics file ------------------------------------------------------------


def test_demo_dimension_means_weight_by_reporting_samples():
    from orchestrator.local_stack.demo import dimension_means, summary_lines

    ports = FakePorts({TRAIN: dataset_bytes(100)})
    outcome, _ = run(ports, EmulatorSettings(max_steps=2))
    records = metrics_lines(ports)
    means = dimension_means([r for r in records if r["type"] == "step"])
    scores = [i["aggregate_reward_score"] for chunk in ports.invocations for i in reference_grader(chunk)]
    assert means["correctness"] == (pytest.approx(statistics.fmean(scores)), 128)
    sparse = [
        {"type": "step", "samples": 10, "dimensions": {"guard.x": 1.0}, "dimension_counts": {"guard.x": 2}},
        {"type": "step", "samples": 10, "dimensions": {"guard.x": 0.5}, "dimension_counts": {"guard.x": 6}},
    ]
    assert dimension_means(sparse) == {"guard.x": (pytest.approx(0.625), 8)}
    job = {"jobName": "job-1", "status": "Completed", "outputModelArn": "arn:x"}
    text = "\n".join(summary_lines(job, records, "s3://out/m.jsonl"))
    assert "reward mean per step: " + ", ".join(f"{s['reward_mean']:.3f}" for s in outcome.steps) in text
    assert "s3://out/m.jsonl" in text and "NovaRFT/EmulatedTraining" in text and "JobName=job-1" in text


def _code_of(text: str) -> str:
    return text.split("```python\n", 1)[1].rsplit("```", 1)[0]


def test_code_candidates_from_tests_only_references_pass_or_fail_them():
    reference = {"tests": ["assert add_3(0) == 3", "assert add_3(-5) == -2", "assert add_3(82) == 85"]}
    assert cand.reference_style(reference) == "code"
    rng = random.Random(5)
    by_name = {c.strategy: c.text for c in cand.builtin_candidates(reference, rng)}
    correct, wrong = by_name["correct:fenced"], by_name["wrong:broken"]
    for text, should_pass in ((correct, True), (wrong, False)):
        namespace: dict = {}
        exec(_code_of(text), namespace)  # the emulator's own generated code, not untrusted input
        results = [eval(test.removeprefix("assert "), namespace) for test in reference["tests"]]
        assert all(results) is should_pass


def test_code_candidates_for_stdin_stdout_references():
    reference = {"inputs": ["1\n10\n", "2\n1 2\n"], "outputs": ["10\n", "3\n"]}
    by_name = {c.strategy: c.text for c in cand.builtin_candidates(reference, random.Random(1))}
    correct, wrong = _code_of(by_name["correct:fenced"]), _code_of(by_name["wrong:broken"])
    for stdin, stdout in zip(reference["inputs"], reference["outputs"], strict=True):
        for code, expected in ((correct, stdout), (wrong, "0\n")):
            done = subprocess.run(
                [sys.executable, "-c", code], input=stdin, capture_output=True, text=True, timeout=30
            )
            assert done.stdout == expected


def test_json_candidates_target_expected_when_the_reference_has_a_schema():
    reference = {"expected": {"name": "Ada"}, "schema": {"type": "object"}}
    texts = [c.text for c in _texts(reference, cand.CORRECT)]
    assert texts and all(json.loads(t[t.index("{") : t.rindex("}") + 1]) == {"name": "Ada"} for t in texts)


def test_provider_docstring_documents_every_setting_and_its_default():
    """bedrock.py imports LocalStack, so read its source: the documented settings must not drift."""
    from dataclasses import fields
    from pathlib import Path

    from nova_rft_localstack import emulation_settings

    source = Path(emulation_settings.__file__).with_name("bedrock.py").read_text()
    doc = source.split('"""')[1]
    names = [getattr(emulation_settings, n) for n in dir(emulation_settings) if n.startswith("ENV_")]
    assert len(names) == len(fields(EmulatorSettings)) == 6
    for name in names:
        assert name in doc, name
    defaults = EmulatorSettings()
    assert f"max-steps (default {defaults.max_steps})" in doc
    assert f"max-grader-error-rate ({defaults.max_grader_error_rate:g})" in doc
    assert f"grader-chunk-size ({defaults.grader_chunk_size} samples" in doc
    assert f"grader-concurrency ({defaults.grader_concurrency} invokes" in doc


def test_demo_summary_shows_a_grader_failure_in_full_and_the_verdicts():
    from orchestrator.local_stack.demo import summary_lines

    ports = FakePorts(
        {TRAIN: dataset_bytes(100)},
        grader=lambda samples: [{"id": s["id"], "aggregate_reward_score": 0.0} for s in samples],
    )
    run(ports, EmulatorSettings(max_steps=2))
    records = metrics_lines(ports)
    failure = (
        "grader raised SpecError: spec 'triage' not found\ngrader stack trace:\n  File handler.py, line 40"
    )
    job = {"jobName": "job-1", "status": "Failed", "failureMessage": failure}
    text = "\n".join(summary_lines(job, records, "s3://out/m.jsonl"))
    assert "  failure: grader raised SpecError: spec 'triage' not found\n    grader stack trace:\n" in text
    assert "    File handler.py, line 40" in text
    assert "REWARD SIGNAL:" in text and "WARNING [all_rewards_equal]" in text
    assert "final strategy mix:" in text


def test_demo_dataset_is_given_or_the_graders_sample(tmp_path):
    from orchestrator.errors import ConfigError
    from orchestrator.local_stack.demo import dataset_path

    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "math.jsonl").write_text("{}\n")
    assert dataset_path(tmp_path, "math") == tmp_path / "datasets" / "math.jsonl"
    mine = tmp_path / "triage.jsonl"
    mine.write_text("{}\n")
    assert dataset_path(tmp_path, "triage", mine) == mine
    with pytest.raises(ConfigError, match="no sample dataset for grader 'triage'.*--dataset FILE"):
        dataset_path(tmp_path, "triage")


def test_demo_rollouts_become_a_job_tag_and_a_new_job():
    from nova_rft_localstack.rollouts import ROLLOUTS_TAG
    from orchestrator.environment import outputs_from_mapping
    from orchestrator.local_stack import demo

    assert demo.ROLLOUTS_TAG == ROLLOUTS_TAG  # the CLI does not import the extension at run time
    outputs = outputs_from_mapping(
        "local",
        "test",
        {
            "grader_arns": {"math": GRADER},
            "dataset_bucket": "data",
            "dataset_prefix": "datasets/",
            "output_prefix": "rft-output/",
            "customization_role_arn": "arn:aws:iam::000000000000:role/rft",
            "region": "us-east-1",
        },
    )
    settings = demo.DemoSettings(project_dir=Path("."), grader="math")
    plain = demo.job_request(outputs, TRAIN, settings)
    uri = "s3://data/datasets/rollouts/0123456789abcdef/base.jsonl"
    with_rollouts = demo.job_request(outputs, TRAIN, settings, uri)
    assert {"key": ROLLOUTS_TAG, "value": uri} in with_rollouts["jobTags"]
    assert all(tag["key"] != ROLLOUTS_TAG for tag in plain["jobTags"])
    assert with_rollouts["clientRequestToken"] != plain["clientRequestToken"]
