"""The pre-flight commands' wiring, exit codes and one-line errors (fakes for AWS; the local stack
runs them for real in tests/integration/test_preflight.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.orchestrator.orch_helpers import AWS_ENV, run_orch
from tests.unit.preflight.fakes import FakeLambda, FakeRuntime

ROOT = Path(__file__).resolve().parents[3]
MATH = ROOT / "datasets" / "math.jsonl"
SUPPORT = ROOT / "datasets" / "support.jsonl"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:nova-rft-dev-math"


def outputs(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"grader_arns": {"math": ARN}, "region": "us-east-1"}))
    return path


def test_plan_without_latency_says_what_to_do(tmp_path: Path) -> None:
    run = run_orch(["plan", "--dataset", str(MATH), "--grader", "math", "--project-dir", str(tmp_path)])
    assert run.exit_code == 2
    assert "pass --latency-ms P95 or run `orch reward loadtest --env dev --grader math` first" in run.stderr


def test_plan_reads_the_environment_and_prices_the_judge() -> None:
    run = run_orch(
        [
            "plan",
            "--dataset",
            str(SUPPORT),
            "--grader",
            "support",
            "--project-dir",
            str(ROOT),
            "--latency-ms",
            "4000",
            "--epochs",
            "2",
            "--json",
        ]
    )
    assert run.exit_code == 0, run.stderr
    plan = run.json()
    inputs = plan["inputs"]
    # terraform/environments/dev/terraform.tfvars: training 32 x 4, 4 per call; support has 1024 MB
    assert (inputs["batch_size"], inputs["samples_per_prompt"], inputs["samples_per_invocation"]) == (
        32,
        4,
        4,
    )
    assert inputs["memory_mb"] == 1024 and inputs["prompts"] == 120 and inputs["epochs"] == 2
    assert [j["dimension"] for j in inputs["judges"]] == ["tone"]
    assert plan["per_step"]["judge"]["calls"] == 128 and plan["per_step"]["judge"]["usd"] > 0
    assert plan["total_steps"] == 8  # ceil(120 / 32) = 4 per epoch x 2
    assert plan["prices"]["as_of"] and plan["prices"]["source"]
    assert len(plan["variations"]) == 9


def test_plan_table_for_people() -> None:
    run = run_orch(
        [
            "plan",
            "--dataset",
            str(MATH),
            "--grader",
            "math",
            "--project-dir",
            str(ROOT),
            "--latency-ms",
            "900",
        ]
    )
    assert run.exit_code == 0, run.stderr
    assert "steps per epoch / total" in run.stdout and "by batchSize (batch)" in run.stdout


def test_reward_score_needs_a_spec_or_remote() -> None:
    responses = ROOT / "datasets" / "responses" / "math.responses.jsonl"
    run = run_orch(["reward", "score", "--dataset", str(MATH), "--responses", str(responses)])
    assert run.exit_code == 2 and "pass --spec" in run.stderr


def test_baseline_command_with_fake_clients(tmp_path: Path, monkeypatch) -> None:
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    runtime = FakeRuntime(lambda n, request: "Step by step. The answer is 80.50." if n % 2 else "no idea")
    grader = FakeLambda()
    rollouts = tmp_path / "r.jsonl"
    args = [
        "baseline",
        "--env",
        "dev",
        "--outputs",
        str(outputs(tmp_path)),
        "--dataset",
        str(MATH),
        "--grader",
        "math",
        "--max-records",
        "3",
        "--samples",
        "2",
        "--rollouts",
        str(rollouts),
        "--json",
    ]
    run = run_orch(args, obj={"clients": {"bedrock-runtime": runtime, "lambda": grader}})
    assert run.exit_code == 0, run.stderr
    report = run.json()
    assert (report["samples"], report["prompts"], runtime.calls) == (6, 3, 6)
    assert report["scored_by"] == ARN and grader.calls == 1  # 6 samples fit one batch
    assert report["tokens"] == {"input_tokens": 60, "output_tokens": 3 * len("no idea") + 3 * 34}
    local = run_orch([*args, "--local-scoring"], obj={"clients": {"bedrock-runtime": runtime}})
    assert local.exit_code == 0 and local.json()["sampling"]["resumed"] == 6 and runtime.calls == 6
    assert local.json()["dimension_means"]["correctness"] > 0  # math-0001's answer is 80.50


def test_loadtest_inputs_default_to_the_repository_samples(tmp_path: Path) -> None:
    import pytest

    from orchestrator.commands.remote_grader import _loadtest_inputs
    from orchestrator.errors import ConfigError

    assert _loadtest_inputs(ROOT, "math", None, None) == (
        ROOT / "datasets" / "math.jsonl",
        ROOT / "datasets" / "responses" / "math.responses.jsonl",
    )
    given = (tmp_path / "d.jsonl", tmp_path / "r.jsonl")
    assert _loadtest_inputs(ROOT, "math", *given) == given  # explicit files are not checked here
    with pytest.raises(ConfigError, match=r"custom\.jsonl.*pass --dataset and --responses"):
        _loadtest_inputs(ROOT, "/specs/custom.json", None, None)


def test_baseline_table_for_people(tmp_path: Path, monkeypatch) -> None:
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    runtime = FakeRuntime(lambda n, request: "no idea")
    filtered = tmp_path / "f.jsonl"
    run = run_orch(
        [
            "baseline",
            "--env",
            "dev",
            "--outputs",
            str(outputs(tmp_path)),
            "--dataset",
            str(MATH),
            "--grader",
            "math",
            "--max-records",
            "2",
            "--samples",
            "2",
            "--rollouts",
            str(tmp_path / "r.jsonl"),
            "--local-scoring",
            "--filtered-dataset",
            str(filtered),
        ],
        obj={"clients": {"bedrock-runtime": runtime}},
    )
    assert run.exit_code == 0, run.stderr
    assert "sft_first" in run.stdout and "per-dimension means" in run.stdout and "correctness" in run.stdout
    assert filtered.read_text() == ""  # every prompt is never solved: nothing left to learn from
    # a filtered file too small for a job says so, or the `start-job` that follows fails on it
    assert "f.jsonl (0 records)" in run.stdout
    assert "keeps 0 of 2 prompts; an RFT job needs at least 100" in run.stdout


def test_loadtest_where_no_batch_is_answered_fails_and_saves_nothing(tmp_path: Path, monkeypatch) -> None:
    """Every invoke failing (e.g. no credentials) printed a report, exited 0 and saved a file without a
    latency, which then broke `orch plan`."""
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)

    def no_credentials(n: int, batch: list) -> list:
        raise RuntimeError("Unable to locate credentials")

    args = ["reward", "loadtest", "--env", "dev", "--outputs", str(outputs(tmp_path)), "--grader", "math"]
    args += ["--max-batches", "3", "--concurrency", "1", "--project-dir", str(tmp_path)]
    args += ["--dataset", str(MATH), "--responses", str(ROOT / "datasets/responses/math.responses.jsonl")]
    failing = run_orch(args, obj={"clients": {"lambda": FakeLambda(no_credentials)}, "cwd": tmp_path})
    assert failing.exit_code == 6
    assert "answered none of 3 batches" in failing.stderr and "Unable to locate credentials" in failing.stderr
    assert not (tmp_path / ".orch" / "preflight").exists()
    answered = run_orch(args, obj={"clients": {"lambda": FakeLambda()}, "cwd": tmp_path})
    assert answered.exit_code == 0, answered.stderr
    assert (tmp_path / ".orch" / "preflight" / "loadtest-dev-math.json").is_file()  # --project-dir's
