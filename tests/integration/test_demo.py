"""`orch demo` end to end on the test session's local stack: twice (idempotent), then with --fresh."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def run_demo(local_stack, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, **local_stack.client_env()}
    command = [
        sys.executable, "-c", "from orchestrator.cli import main; main()",
        "demo", "--port", str(local_stack.port), "--steps", "3", "--timeout", "240", *args,
    ]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    return done, time.monotonic() - started


def job_name(output: str) -> str:
    match = re.search(r"^job (\S+): (\w+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_demo_runs_twice_and_fresh(local_stack):
    first, first_s = run_demo(local_stack)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    name = job_name(out)
    assert f"job {name}: Completed" in out
    means = re.search(r"reward mean per step: (.+)$", out, re.MULTILINE).group(1).split(", ")
    assert len(means) == 3 and all(0.0 <= float(m) <= 1.0 for m in means)
    assert re.search(r"^\s+correctness\s+\d\.\d{3}", out, re.MULTILINE)  # a dimension of the math spec
    uri = re.search(r"metrics file: (s3://\S+)", out).group(1)
    bucket, key = uri[len("s3://") :].split("/", 1)
    lines = local_stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    summary = json.loads(lines[-1])
    assert summary["type"] == "summary" and summary["steps"] == 3 and summary["grader_invocations"] >= 3
    metrics = local_stack.client("cloudwatch").list_metrics(
        Namespace="NovaRFT/EmulatedTraining", Dimensions=[{"Name": "JobName", "Value": name}]
    )["Metrics"]
    assert "RewardMean" in {m["MetricName"] for m in metrics}
    assert "orch local down" in out
    # the math grader is sound: the emulated policy moves to correct answers, and the summary says so
    assert summary["final_kind_shares"]["correct"] > summary["final_kind_shares"]["hack"]
    assert "hack_winning" not in {v["code"] for v in summary["verdicts"]}
    assert "final strategy mix: " in out and "never ahead of correct answers" in out
    assert f"orch report {name} --env local" in out  # the command as it runs

    second, second_s = run_demo(local_stack)
    assert second.returncode == 0, second.stdout + second.stderr
    assert job_name(second.stdout) == name
    assert "same inputs as an earlier run" in second.stdout
    assert "is up to date" in second.stdout  # the grader package is reused
    assert "already at s3://" in second.stdout  # the dataset is not uploaded again
    assert second_s < first_s

    fresh, _ = run_demo(local_stack, "--fresh")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert job_name(fresh.stdout) != name and "started" in fresh.stdout
    print(f"orch demo: first run {first_s:.1f} s, second run {second_s:.1f} s")


def test_demo_with_the_support_grader_uses_the_emulated_judge(local_stack):
    """support's tone dimension calls Bedrock Converse from inside the grader Lambda: on the local
    stack that is the rubric model of the bedrock-runtime provider."""
    done, _ = run_demo(
        local_stack,
        "--grader",
        "support",
        "--dataset",
        str(ROOT / "datasets" / "support.jsonl"),
        "--steps",
        "2",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert f"job {job_name(out)}: Completed" in out
    score = re.search(r"^\s+tone\.judge_score\s+(\d\.\d{3})", out, re.MULTILINE)
    assert score and 1.0 <= float(score.group(1)) <= 5.0, out
    uri = re.search(r"metrics file: (s3://\S+)", out).group(1)
    bucket, key = uri[len("s3://") :].split("/", 1)
    body = local_stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    steps = [json.loads(line) for line in body.splitlines() if '"type": "step"' in line]
    assert len(steps) == 2 and all(s["grader_errors"] == 0 for s in steps)
    assert all(0.0 < s["dimensions"]["tone"] < 1.0 for s in steps)  # judged, with spread


def test_demo_with_a_grader_the_environment_does_not_deploy_names_the_ones_it_does(local_stack):
    done, _ = run_demo(local_stack, "--grader", "triage", "--dataset", str(ROOT / "datasets" / "math.jsonl"))
    assert done.returncode != 0
    assert "no grader 'triage' in environment 'local' (available: code, json_extraction, math, support" in (
        done.stdout + done.stderr
    )


def test_demo_with_user_rollouts(local_stack, tmp_path):
    """The user's rollouts (here: the reference answers, stated) reach the grader as a strategy."""
    records = [json.loads(line) for line in (ROOT / "datasets" / "math.jsonl").read_text().splitlines()]
    rollouts = tmp_path / "base-model.jsonl"
    rollouts.write_text(
        "".join(
            json.dumps(
                {"id": r["id"], "responses": [f"The answer is {r['reference_answer']['final_answer']}."]}
            )
            + "\n"
            for r in records
        )
    )
    done, _ = run_demo(local_stack, "--rollouts", str(rollouts), "--steps", "2", "--fresh")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rollouts: base-model.jsonl uploaded to s3://" in done.stdout
    uri = re.search(r"metrics file: (s3://\S+)", done.stdout).group(1)
    bucket, key = uri[len("s3://") :].split("/", 1)
    lines = local_stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    summary = json.loads(lines[-1])
    assert summary["strategy_sources"]["user_rollouts"] == len(records)
    assert any(json.loads(line).get("strategy_counts", {}).get("rollout:user") for line in lines[:-1])
