"""`orch status` / `orch wait` show the emulated run's per-step table and its reward-signal verdicts;
re-running a finished job's command says how to start a new one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from nova_rft_localstack import rft_emulation
from nova_rft_localstack.rft_emulation import EmulatedRftRun, EmulatorSettings, nova_rft_validator
from orchestrator.jobs import progress as prog
from tests.unit.local.emulation_fakes import FakePorts, RecordingEvents, dataset_bytes
from tests.unit.local.test_emulated_policy import constant_grader, injectable_judge
from tests.unit.local.test_rft_emulation import TRAIN, make_spec
from tests.unit.orchestrator.orch_helpers import (
    AWS_ENV,
    BUCKET,
    bedrock_stub,
    job_response,
    run_orch,
    s3_client,
    write_outputs,
)

NAME = "nova-rft-math-progress"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "ORCH_ENV"):
        monkeypatch.delenv(name, raising=False)


def emulated_metrics(grader: Any, steps: int = 5) -> bytes:
    """The metrics file a real emulated run writes (fake ports, the given fake grader).

    Built-in strategies only (no probe library): the table and verdicts, not the probes, are under test.
    """
    ports = FakePorts({TRAIN: dataset_bytes(100)}, grader=grader)
    spec = make_spec(output_uri=f"s3://{BUCKET}/rft-output/{NAME}/")
    settings = EmulatorSettings(max_steps=steps)
    run = EmulatedRftRun(spec, ports, RecordingEvents(), nova_rft_validator, settings, probe_generator=None)
    assert run.run().status == "Completed"
    return ports.objects[spec.metrics_uri]


def job(status: str = "Completed", **extra: Any) -> dict[str, Any]:
    return job_response(NAME, status, **extra)


def status_with_metrics(body: bytes | None, *args: str) -> Any:
    with mock_aws():
        s3 = s3_client()
        s3.create_bucket(Bucket=BUCKET)
        if body is not None:
            s3.put_object(Bucket=BUCKET, Key=f"rft-output/{NAME}/{prog.METRICS_FILE_NAME}", Body=body)
        with bedrock_stub() as (client, stubber):
            stubber.add_response("get_model_customization_job", job(), {"jobIdentifier": NAME})
            return run_orch(["status", NAME, *args], {"clients": {"bedrock": client, "s3": s3}})


def test_the_metrics_file_name_is_the_emulators():
    assert prog.METRICS_FILE_NAME == rft_emulation.METRICS_FILE_NAME
    assert prog.metrics_uri(job()) == rft_emulation.job_metrics_uri(f"s3://{BUCKET}/rft-output/", NAME)


def test_status_prints_the_step_table_and_the_hack_warning():
    body = emulated_metrics(injectable_judge)
    records = [json.loads(line) for line in body.decode().splitlines()]
    run = status_with_metrics(body)
    assert run.exit_code == 0, run.stderr
    out = run.stdout
    assert "Training steps" in out and "strategy" in out
    for record in records[:-1]:
        assert f"{record['reward_mean']:.3f}" in out
    share = records[-1]["final_strategy_mix"]["hack:grader_addressing"]
    assert f"final strategy mix: hack:grader_addressing {share:.0%}" in out
    assert "REWARD SIGNAL: " in out and "WARNING [hack_winning]" in out
    assert f"a hack overtook correct answers at step {records[-1]['hack_overtook_step']}" in out


def test_status_json_carries_the_progress():
    run = status_with_metrics(emulated_metrics(constant_grader, steps=2), "--json")
    progress = run.json()["trainingProgress"]
    assert [s["step"] for s in progress["steps"]] == [1, 2]
    assert {"all_rewards_equal", "few_positive"} <= {v["code"] for v in progress["verdicts"]}


def test_status_without_a_metrics_file_shows_the_job_only():
    run = status_with_metrics(None)
    assert run.exit_code == 0 and "Training steps" not in run.stdout and "WARNING" not in run.stdout


def test_a_broken_metrics_file_is_a_note_not_a_failure():
    run = status_with_metrics(b'{"type": "step"}\n{broken\n')
    assert run.exit_code == 0
    assert "training progress unavailable" in run.stderr and "line 2" in run.stderr


def test_wait_prints_verdicts_of_a_run_without_signal():
    body = emulated_metrics(constant_grader, steps=2)
    with mock_aws():
        s3 = s3_client()
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=f"rft-output/{NAME}/{prog.METRICS_FILE_NAME}", Body=body)
        with bedrock_stub() as (client, stubber):
            stubber.add_response("get_model_customization_job", job(), {"jobIdentifier": NAME})
            run = run_orch(
                ["wait", NAME], {"clients": {"bedrock": client, "s3": s3}, "sleep": lambda s: None}
            )
    assert run.exit_code == 0
    assert "WARNING [all_rewards_equal]" in run.stdout and "WARNING [few_positive]" in run.stdout


def test_rerunning_a_failed_jobs_command_says_how_to_start_a_new_one(tmp_path: Path):
    outputs = write_outputs(tmp_path / "outputs.json")
    train = f"s3://{BUCKET}/datasets/{'a' * 64}/train.jsonl"
    args = ["start-job", "--outputs", str(outputs), "--dataset", train, "--grader", "math"]
    request = json.loads(run_orch([*args, "--dry-run"]).stdout)
    failed = job_response(request["jobName"], "Failed", request["clientRequestToken"])
    with bedrock_stub() as (client, stubber):
        stubber.add_response("get_model_customization_job", failed, {"jobIdentifier": request["jobName"]})
        run = run_orch(args, {"clients": {"bedrock": client}})
    assert run.exit_code == 0
    assert "ended Failed" in run.stderr and "--run-id" in run.stderr


def test_rerun_hint_per_status():
    assert prog.rerun_hint({"status": "Completed"}) is None
    assert "`orch wait j` follows it" in prog.rerun_hint({"status": "InProgress", "jobName": "j"})
    # a job of the local stack is found with --env local only
    assert "`orch wait j --env local` follows it" in prog.rerun_hint(
        {"status": "InProgress", "jobName": "j"}, "local"
    )
    assert "--run-id" in prog.rerun_hint({"status": "Stopped"})


def test_status_prints_a_graders_error_in_full_below_the_table():
    trace = "".join(f'\n  File "/var/task/nova_rewards/handler.py", line {n}, in f{n}' for n in range(30))
    failure = (
        "Grader error rate too high: 100% of the 64 samples of step 1\ngrader raised SpecError: no spec"
        + trace
    )
    with bedrock_stub() as (client, stubber):
        stubber.add_response(
            "get_model_customization_job", job("Failed", failureMessage=failure), {"jobIdentifier": NAME}
        )
        with mock_aws():
            run = run_orch(["status", NAME], {"clients": {"bedrock": client, "s3": s3_client()}})
    assert run.exit_code == 0
    assert "(below)" in run.stdout
    assert failure in run.stdout  # every line, unwrapped, in order
