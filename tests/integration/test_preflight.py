"""Pre-flight commands on the local stack: `orch baseline` (emulated base model + deployed grader),
`orch reward score --remote` (same --json as local scoring), `orch reward loadtest` (throttles, cold
starts) and `orch plan` reading the saved load test. Loopback only: every client talks to the
session's LocalStack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator.local_stack.provision import ProvisionResult
from orchestrator.local_stack.stack import LocalStack

PROJECT_DIR = Path(__file__).resolve().parents[2]
DATASETS = PROJECT_DIR / "datasets"


def orch(
    stack: LocalStack, *args: str, cwd: Path = PROJECT_DIR, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **stack.client_env(), "ORCH_LOCAL_STATE_DIR": str(stack.state_dir)}
    command = [sys.executable, "-c", "from orchestrator.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def env_args(provisioned: ProvisionResult) -> list[str]:
    return ["--env", "local", "--outputs", str(provisioned.outputs_file)]


def baseline(stack: LocalStack, provisioned: ProvisionResult, tmp: Path, *extra: str) -> dict[str, Any]:
    done = orch(
        stack,
        "baseline",
        *env_args(provisioned),
        "--dataset",
        str(DATASETS / "math.jsonl"),
        "--grader",
        "math",
        "--max-records",
        "12",
        "--samples",
        "3",
        "--rollouts",
        str(tmp / "math.rollouts.jsonl"),
        "--json",
        *extra,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_baseline_samples_scores_reports_and_resumes(
    local_stack: LocalStack, provisioned_local: ProvisionResult, tmp_path: Path
) -> None:
    filtered = tmp_path / "filtered.jsonl"
    first = baseline(local_stack, provisioned_local, tmp_path, "--filtered-dataset", str(filtered))
    assert (first["prompts"], first["samples"]) == (12, 36)
    assert first["sampling"]["sampled"] == 36 and first["sampling"]["resumed"] == 0
    assert first["scored_by"] == provisioned_local.outputs["grader_arns"]["math"]
    assert first["verdict"] in ("sft_first", "rft_unlikely_to_help", "sparse_reward", "rft_suitable")
    assert set(first["dimension_means"]) == {"format", "correctness", "conciseness", "repetition"}
    assert first["tokens"]["input_tokens"] > 0 and first["tokens"]["output_tokens"] > 0
    assert 0.0 <= first["pass_rate"] <= 1.0 and first["reward"]["n"] == 36
    lines = [json.loads(line) for line in (tmp_path / "math.rollouts.jsonl").read_text().splitlines()]
    assert len(lines) == 36 and {entry["model"] for entry in lines} == {"amazon.nova-2-lite-v1:0:256k"}
    kept = [json.loads(line)["id"] for line in filtered.read_text().splitlines()]
    assert len(kept) == first["filtered_dataset"]["records"]
    assert len(kept) == 12 - first["always_solved_prompts"] - first["never_solved_prompts"]

    again = baseline(local_stack, provisioned_local, tmp_path)
    assert again["sampling"]["resumed"] == 36 and again["sampling"]["sampled"] == 0
    assert again["reward"] == first["reward"] and again["pass_rate"] == first["pass_rate"]

    local = baseline(local_stack, provisioned_local, tmp_path, "--local-scoring")
    assert local["scored_by"] == "local (math)"
    assert local["reward"] == first["reward"] and local["dimension_means"] == first["dimension_means"]


def test_the_judge_still_answers_judge_requests(local_stack: LocalStack) -> None:
    runtime = local_stack.client("bedrock-runtime")
    prompt = "Score from 1 to 5.\n<response>\nThank you, sorry for the trouble!\n</response>"
    for model in ("amazon.nova-lite-v1:0", "amazon.nova-2-lite-v1:0:256k"):
        reply = runtime.converse(modelId=model, messages=[{"role": "user", "content": [{"text": prompt}]}])
        verdict = json.loads(reply["output"]["message"]["content"][0]["text"])
        assert 1 <= verdict["score"] <= 5, model


@pytest.mark.parametrize("grader", ["math", "json_extraction"])
def test_remote_scoring_json_is_identical_to_local(
    local_stack: LocalStack, provisioned_local: ProvisionResult, grader: str
) -> None:
    files = [
        "--dataset",
        str(DATASETS / f"{grader}.jsonl"),
        "--responses",
        str(DATASETS / "responses" / f"{grader}.responses.jsonl"),
    ]
    local = orch(local_stack, "reward", "score", "--spec", grader, *files, "--json")
    remote = orch(
        local_stack,
        "reward",
        "score",
        "--remote",
        grader,
        *env_args(provisioned_local),
        *files,
        "--batch-size",
        "16",
        "--concurrency",
        "4",
        "--json",
    )
    assert local.returncode == 0 and remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout
    assert len(json.loads(remote.stdout)) > 100


def test_remote_scoring_unknown_grader_is_one_line(
    local_stack: LocalStack, provisioned_local: ProvisionResult
) -> None:
    done = orch(
        local_stack,
        "reward",
        "score",
        "--remote",
        "nope",
        *env_args(provisioned_local),
        "--dataset",
        str(DATASETS / "math.jsonl"),
        "--responses",
        str(DATASETS / "responses" / "math.responses.jsonl"),
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no grader 'nope'" in done.stderr


def _probe_function(
    stack: LocalStack, provisioned: ProvisionResult, reserved: int, spec: str = "math"
) -> str:
    """A copy of the math grader with a small reserved concurrency (so the load test is throttled)."""
    from orchestrator.local_stack.terraform import host_architecture

    client = stack.client("lambda")
    template = client.get_function_configuration(FunctionName=provisioned.outputs["grader_arns"]["math"])
    name = f"preflight-probe-{reserved}-{spec}"
    zip_file = PROJECT_DIR / "build" / f"grader-{host_architecture()}.zip"
    try:
        client.get_function(FunctionName=name)
    except client.exceptions.ResourceNotFoundException:
        client.create_function(
            FunctionName=name,
            Runtime=template["Runtime"],
            Role=template["Role"],
            Handler=template["Handler"],
            Code={"ZipFile": zip_file.read_bytes()},
            Timeout=60,
            MemorySize=512,
            Environment={"Variables": {"REWARD_SPEC": spec}},
            Architectures=[host_architecture()],
        )
    for _ in range(120):
        if client.get_function_configuration(FunctionName=name)["State"] == "Active":
            break
        time.sleep(0.5)
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
    return client.get_function_configuration(FunctionName=name)["FunctionArn"]


def test_loadtest_reports_throttles_cold_starts_and_feeds_the_plan(
    local_stack: LocalStack, provisioned_local: ProvisionResult, tmp_path: Path
) -> None:
    arn = _probe_function(local_stack, provisioned_local, reserved=1)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"grader_arns": {"probe": arn}, "region": "us-east-1"}))
    done = orch(
        local_stack,
        "reward",
        "loadtest",
        "--env",
        "local",
        "--outputs",
        str(outputs),
        "--grader",
        "probe",
        "--dataset",
        str(DATASETS / "math.jsonl"),
        "--responses",
        str(DATASETS / "responses" / "math.responses.jsonl"),
        "--concurrency",
        "3",
        "--duration",
        "4",
        "--max-batches",
        "30",
        "--batch-size",
        "8",
        "--project-dir",
        str(tmp_path),  # where the report is kept, as `orch plan` below reads it
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["batches"] <= 30 and report["batches_ok"] == report["batches"] > 0
    assert report["errors"] == 0
    assert report["throttles"] > 0  # 3 workers against a reservation of 1
    assert report["cold_starts"] >= 1 and report["init_duration_ms"]["p50"] > 0
    assert report["reports"] == report["batches"] and report["max_memory_used_mb"] > 0
    assert report["memory_size_mb"] == 512
    latency = report["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    saved = tmp_path / ".orch" / "preflight" / "loadtest-local-probe.json"
    assert Path(report["saved_to"]) == saved and saved.is_file()

    plan = orch(
        local_stack,
        "plan",
        "--dataset",
        str(DATASETS / "math.jsonl"),
        "--grader",
        "probe",
        "--spec",
        "math",
        "--env",
        "local",
        "--project-dir",
        str(tmp_path),
        "--json",
        cwd=tmp_path,
    )
    assert plan.returncode == 0, plan.stderr
    result = json.loads(plan.stdout)
    assert result["inputs"]["latency_p95_ms"] == latency["p95"]
    assert any("the last load test" in note for note in result["assumptions"])
    assert any(
        "the load test sent 8 samples per call; the plan assumes 1" in n for n in result["assumptions"]
    )


def test_remote_scoring_stays_below_the_reservation(
    local_stack: LocalStack, provisioned_local: ProvisionResult, tmp_path: Path
) -> None:
    arn = _probe_function(local_stack, provisioned_local, reserved=3)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"grader_arns": {"probe": arn}, "region": "us-east-1"}))
    done = orch(
        local_stack,
        "reward",
        "score",
        "--remote",
        "probe",
        "--env",
        "local",
        "--outputs",
        str(outputs),
        "--dataset",
        str(DATASETS / "math.jsonl"),
        "--responses",
        str(DATASETS / "responses" / "math.responses.jsonl"),
        "--batch-size",
        "8",
        "--concurrency",
        "16",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    assert "concurrency 16 capped at 2" in done.stderr


def test_remote_scoring_names_each_failed_batch(
    local_stack: LocalStack, provisioned_local: ProvisionResult, tmp_path: Path
) -> None:
    arn = _probe_function(local_stack, provisioned_local, reserved=4, spec="no-such-spec")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"grader_arns": {"broken": arn}, "region": "us-east-1"}))
    done = orch(
        local_stack,
        "reward",
        "score",
        "--remote",
        "broken",
        "--spec",
        "math",
        "--env",
        "local",
        "--outputs",
        str(outputs),
        "--dataset",
        str(DATASETS / "math.jsonl"),
        "--responses",
        str(DATASETS / "responses" / "math.responses.jsonl"),
        "--batch-size",
        "100",
        "--json",
    )
    assert done.returncode == 6 and done.stdout == ""
    assert "grader batches failed: batch 0 (samples 0..99): function error" in done.stderr
    assert "batch 1 (samples 100..199): function error" in done.stderr


def test_baseline_ctrl_c_keeps_samples_and_resumes(
    local_stack: LocalStack, provisioned_local: ProvisionResult, tmp_path: Path
) -> None:
    rollouts = tmp_path / "r.jsonl"
    args = [
        "baseline",
        *env_args(provisioned_local),
        "--dataset",
        str(DATASETS / "math.jsonl"),
        "--grader",
        "math",
        "--samples",
        "4",
        "--concurrency",
        "1",
        "--rollouts",
        str(rollouts),
        "--json",
    ]
    env = {**os.environ, **local_stack.client_env(), "ORCH_LOCAL_STATE_DIR": str(local_stack.state_dir)}
    # Background jobs inherit SIGINT ignored: restore Python's handler, as a terminal would deliver it.
    code = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    code += "from orchestrator.cli import main; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (
        not rollouts.exists() or len(rollouts.read_text().splitlines()) < 8
    ):
        time.sleep(0.1)
    process.send_signal(subprocess.signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    kept = len(rollouts.read_text().splitlines())
    assert 8 <= kept < 143 * 4 and f"interrupted: {kept} samples kept" in stderr and stdout == ""

    done = orch(local_stack, *args[:-1], "--max-records", "10", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sampling"]["resumed"] == min(kept, 40)
    assert report["sampling"]["resumed"] + report["sampling"]["sampled"] == 40


def test_baseline_of_a_judge_spec_scores_with_the_rubric_model(
    local_stack: LocalStack, provisioned_local: ProvisionResult, tmp_path: Path
) -> None:
    """The base model answers the prompts; the support grader's judge (nova-lite) still gets verdicts."""
    done = orch(
        local_stack,
        "baseline",
        *env_args(provisioned_local),
        "--dataset",
        str(DATASETS / "support.jsonl"),
        "--grader",
        "support",
        "--max-records",
        "4",
        "--samples",
        "2",
        "--rollouts",
        str(tmp_path / "s.jsonl"),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["samples"] == 8 and report["dimension_means"]["tone"] is not None
    responses = [json.loads(line)["response"] for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert not any('"score"' in text for text in responses)  # base-model text, not judge verdicts


def test_preflight_commands_need_nothing_but_env_local(
    local_stack: LocalStack, provisioned_local: ProvisionResult, tmp_path: Path
) -> None:
    """As a new user runs them after `make demo`: no AWS_* variables, no credentials, no --outputs.
    Their Converse and Lambda clients (own timeouts, no botocore retries) went to AWS and found no
    credentials; every other command already reached the stack."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ORCH_"))}
    env.update(
        {
            "ORCH_LOCAL_PORT": str(local_stack.port),
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
    )
    rollouts = tmp_path / "math.rollouts.jsonl"
    data = ["--dataset", str(DATASETS / "math.jsonl")]

    def run(*args: str) -> dict[str, Any]:
        command = [sys.executable, "-c", "from orchestrator.cli import main; main()", *args, "--json"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        return json.loads(done.stdout)

    sampled = run(
        "baseline",
        "--env",
        "local",
        *data,
        "--grader",
        "math",
        "--max-records",
        "4",
        "--samples",
        "2",
        "--rollouts",
        str(rollouts),
        "--project-dir",
        str(PROJECT_DIR),
    )
    assert sampled["samples"] == 8 and sampled["scored_by"].endswith(":function:nova-rft-local-math")
    scores = run(
        "reward",
        "score",
        "--remote",
        "math",
        "--env",
        "local",
        *data,
        "--responses",
        str(rollouts),
        "--project-dir",
        str(PROJECT_DIR),
    )
    assert len(scores) == 8
    load = run(
        "reward",
        "loadtest",
        "--env",
        "local",
        "--grader",
        "math",
        *data,
        "--responses",
        str(rollouts),
        "--max-batches",
        "4",
        "--no-save",
        "--project-dir",
        str(PROJECT_DIR),
    )
    assert load["batches_ok"] == 4 and load["errors"] == 0
