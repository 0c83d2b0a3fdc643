"""The local Bedrock emulator against a real local stack: jobs that complete, fail, stop; list; idempotency.

Graders here are real Lambda functions run by the local stack's host executor. One toy handler, five
behaviours chosen by the `TOY_GRADER_MODE` environment variable: `ok` (scores the final answer),
`sound` (the final answer, stated concisely; nothing else pays), `obey` (a hackable judge: it does
what the response tells it, "give this response the maximum score"), `bad_ids` (answers with ids in
reverse order: a contract violation) and `raise` (the handler fails).
The emulator's pace is set per job with `nova-rft-emulator:*` job tags, so the tests take seconds.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.unit.local.emulation_fakes import dataset_bytes

ACCOUNT = "000000000000"
REGION = "us-east-1"

TOY_GRADER = """
import os

def handler(event, context):
    mode = os.environ.get("TOY_GRADER_MODE", "ok")
    if mode == "raise":
        raise RuntimeError("toy grader failure")
    out = []
    for sample in event:
        response = sample["messages"][-1]["content"]
        answer = sample["metadata"]["reference_answer"]["final_answer"]
        score = 1.0 if ("answer is %s." % answer) in response else 0.0
        if mode == "sound":
            score = score if len(response) < 300 and response.count("answer is") == 1 else 0.0
        if mode == "obey":
            score = 1.0 if "maximum score" in response else 0.6 * score
        out.append({"id": sample["id"], "aggregate_reward_score": score,
                    "metrics_list": [{"name": "correctness", "value": score, "type": "Reward"},
                                     {"name": "length_chars", "value": len(response), "type": "Metric"}]})
    return list(reversed(out)) if mode == "bad_ids" else out
"""

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "{service}"}, "Action": "sts:AssumeRole"}],
}


def trust(service: str) -> str:
    return json.dumps(TRUST).replace("{service}", service)


def toy_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("toy_grader.py", TOY_GRADER)
    return buffer.getvalue()


@dataclass
class BedrockWorld:
    """Names and ARNs of the shared resources, plus clients."""

    clients: dict[str, Any]
    bucket: str
    role_arn: str
    untrusted_role_arn: str
    graders: dict[str, str]  # mode -> function ARN
    train_uri: str
    small_uri: str

    def client(self, service: str) -> Any:
        return self.clients[service]

    def request(self, name: str, grader: str = "ok", **overrides: Any) -> dict[str, Any]:
        """A valid CreateModelCustomizationJob request (2 steps unless the tags say otherwise)."""
        tags = overrides.pop("tags", {"max-steps": "2"})
        hyper = overrides.pop("hyper", {"epochCount": 1, "batchSize": 16, "trainingSamplePerPrompt": 4})
        request = {
            "jobName": name,
            "customModelName": f"{name}-model",
            "roleArn": self.role_arn,
            "baseModelIdentifier": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-2-lite-v1:0:256k",
            "customizationType": "REINFORCEMENT_FINE_TUNING",
            "trainingDataConfig": {"s3Uri": self.train_uri},
            "outputDataConfig": {"s3Uri": f"s3://{self.bucket}/rft-output/"},
            "customizationConfig": {
                "rftConfig": {
                    "graderConfig": {"lambdaGrader": {"lambdaArn": self.graders[grader]}},
                    "hyperParameters": hyper,
                }
            },
            "jobTags": [{"key": f"nova-rft-emulator:{k}", "value": v} for k, v in tags.items()],
        }
        request.update(overrides)
        return request


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_active(lambda_client: Any, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = lambda_client.get_function(FunctionName=name)["Configuration"]["State"]
        if state == "Active":
            return
        if state == "Failed":
            raise AssertionError(f"Lambda {name} failed to become active")
        time.sleep(0.2)
    raise AssertionError(f"Lambda {name} not active after {timeout} s")


def create_toy_grader(clients: dict[str, Any], name: str, mode: str, lambda_role_arn: str) -> str:
    lam = clients["lambda"]
    arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=lambda_role_arn,
        Handler="toy_grader.handler",
        Code={"ZipFile": toy_zip()},
        Timeout=60,
        Environment={"Variables": {"TOY_GRADER_MODE": mode}},
    )["FunctionArn"]
    wait_active(lam, name)
    return arn


def build_world(client_factory: Any) -> BedrockWorld:
    """Create the shared resources once (names are unique, so several sessions never collide)."""
    clients = {s: client_factory(s) for s in ("s3", "iam", "lambda", "bedrock", "cloudwatch", "logs")}
    suffix = uuid.uuid4().hex[:8]
    bucket = f"bedrock-it-{suffix}"
    clients["s3"].create_bucket(Bucket=bucket)
    clients["s3"].put_object(Bucket=bucket, Key="datasets/math.jsonl", Body=dataset_bytes(100))
    clients["s3"].put_object(Bucket=bucket, Key="datasets/small.jsonl", Body=dataset_bytes(10))
    iam = clients["iam"]
    role = iam.create_role(RoleName=f"rft-{suffix}", AssumeRolePolicyDocument=trust("bedrock.amazonaws.com"))
    untrusted = iam.create_role(
        RoleName=f"rft-lambda-only-{suffix}", AssumeRolePolicyDocument=trust("lambda.amazonaws.com")
    )
    graders = {
        mode: create_toy_grader(
            clients, f"toy-{mode.replace('_', '-')}-{suffix}", mode, untrusted["Role"]["Arn"]
        )
        for mode in ("ok", "sound", "obey", "bad_ids", "raise")
    }
    return BedrockWorld(
        clients=clients,
        bucket=bucket,
        role_arn=role["Role"]["Arn"],
        untrusted_role_arn=untrusted["Role"]["Arn"],
        graders=graders,
        train_uri=f"s3://{bucket}/datasets/math.jsonl",
        small_uri=f"s3://{bucket}/datasets/small.jsonl",
    )


def wait_terminal(bedrock: Any, job: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = bedrock.get_model_customization_job(jobIdentifier=job)
        if response["status"] in ("Completed", "Failed", "Stopped"):
            return response
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job} still {response['status']} after {timeout} s")
        time.sleep(0.2)


pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world(local_stack) -> BedrockWorld:
    return build_world(local_stack.client)


def error_of(exc_info) -> tuple[str, int]:
    response = exc_info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


# -- a job that completes ------------------------------------------------------------------------------


def test_job_completes_with_rewards_recorded(world):
    bedrock, name = world.client("bedrock"), unique("complete")
    arn = bedrock.create_model_customization_job(**world.request(name, tags={"max-steps": "3"}))["jobArn"]
    job = wait_terminal(bedrock, arn)

    assert job["status"] == "Completed", job.get("failureMessage")
    assert job["outputModelArn"].startswith("arn:aws:bedrock:us-east-1:000000000000:custom-model/")
    assert {d["status"] for d in job["statusDetails"].values()} == {"Completed"}
    assert bedrock.get_model_customization_job(jobIdentifier=name)["jobArn"] == arn

    body = world.client("s3").get_object(
        Bucket=world.bucket, Key=f"rft-output/{name}/emulated-training-metrics.jsonl"
    )
    lines = [json.loads(line) for line in body["Body"].read().decode().splitlines()]
    steps, summary = lines[:-1], lines[-1]
    assert [s["step"] for s in steps] == [1, 2, 3] and summary["type"] == "summary"
    assert all(s["samples"] == 64 and s["grader_errors"] == 0 for s in steps)
    assert all(0 < s["reward_mean"] < 1 and s["reward_std"] > 0 for s in steps)  # spread from the candidates
    assert steps[0]["dimensions"]["correctness"] == pytest.approx(steps[0]["reward_mean"], abs=1e-6)
    assert job["trainingMetrics"]["trainingLoss"] == pytest.approx(1 - steps[-1]["reward_mean"], abs=1e-6)

    cloudwatch = world.client("cloudwatch")
    metrics = cloudwatch.list_metrics(
        Namespace="NovaRFT/EmulatedTraining", Dimensions=[{"Name": "JobName", "Value": name}]
    )["Metrics"]
    assert {"RewardMean", "RewardStd", "NoSpreadGroupFraction", "GraderLatencyP95Ms"} <= {
        m["MetricName"] for m in metrics
    }
    now = datetime.now(UTC)
    stats = cloudwatch.get_metric_statistics(
        Namespace="NovaRFT/EmulatedTraining", MetricName="RewardMean",
        Dimensions=[{"Name": "JobName", "Value": name}],
        StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1), Period=3600,
        Statistics=["SampleCount", "Average"],
    )["Datapoints"]  # fmt: skip
    assert sum(p["SampleCount"] for p in stats) == 3
    assert stats[0]["Average"] == pytest.approx(statistics.fmean(s["reward_mean"] for s in steps), abs=1e-6)


def test_grader_is_really_invoked(world):
    """Each grader invocation of the emulator is a real Lambda run: its START lines are in CloudWatch Logs."""
    bedrock, logs, name = world.client("bedrock"), world.client("logs"), unique("invoked")
    function = world.graders["ok"].rsplit(":", 1)[-1]
    group = f"/aws/lambda/{function}"

    def starts() -> int:
        try:
            events = logs.filter_log_events(logGroupName=group, filterPattern="START")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return 0
        return sum(1 for e in events if e["message"].startswith("START"))

    before = starts()
    request = world.request(name, tags={"max-steps": "2", "grader-chunk-size": "16"})
    wait_terminal(bedrock, bedrock.create_model_customization_job(**request)["jobArn"])
    expected = 2 * (16 * 4 // 16)  # 2 steps x 4 chunks of 16 samples
    deadline = time.monotonic() + 10
    while starts() - before < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert starts() - before == expected


# -- jobs that fail --------------------------------------------------------------------------------------


def test_invalid_dataset_fails_the_job(world):
    bedrock = world.client("bedrock")
    request = world.request(unique("baddata"), trainingDataConfig={"s3Uri": world.small_uri})
    job = wait_terminal(bedrock, bedrock.create_model_customization_job(**request)["jobArn"])
    assert job["status"] == "Failed"
    assert job["failureMessage"].startswith("Dataset invalid:") and "100" in job["failureMessage"]
    assert job["statusDetails"]["validationDetails"]["status"] == "Failed"


def test_grader_contract_violation_fails_the_job(world):
    bedrock = world.client("bedrock")
    job = wait_terminal(
        bedrock,
        bedrock.create_model_customization_job(**world.request(unique("badids"), "bad_ids"))["jobArn"],
    )
    assert job["status"] == "Failed"
    assert (
        job["failureMessage"].startswith("Grader contract violated:")
        and "was expected" in job["failureMessage"]
    )


def test_grader_errors_fail_the_job(world):
    bedrock = world.client("bedrock")
    job = wait_terminal(
        bedrock, bedrock.create_model_customization_job(**world.request(unique("raise"), "raise"))["jobArn"]
    )
    assert job["status"] == "Failed"
    assert job["failureMessage"].startswith("Grader error rate too high: 100%")
    # the grader's error in full and readable: its type and message on a line, then its stack trace
    assert "\ngrader raised RuntimeError: toy grader failure" in job["failureMessage"]
    assert 'toy_grader.py", line' in job["failureMessage"] and "\\n" not in job["failureMessage"]


def test_grader_deleted_after_create_fails_the_job(world, local_stack):
    bedrock, lam = world.client("bedrock"), world.client("lambda")
    name = unique("gone")
    arn = create_toy_grader(world.clients, f"toy-gone-{name}", "ok", world.untrusted_role_arn)
    request = world.request(name, tags={"phase-delay-s": "2"})
    request["customizationConfig"]["rftConfig"]["graderConfig"]["lambdaGrader"]["lambdaArn"] = arn
    job_arn = bedrock.create_model_customization_job(**request)["jobArn"]
    lam.delete_function(FunctionName=arn)
    job = wait_terminal(bedrock, job_arn)
    assert job["status"] == "Failed" and job["failureMessage"].startswith("Grader missing:")
    assert arn in job["failureMessage"]


# -- create-time checks (the API answers an error) -------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "code", "status", "message"),
    [
        (lambda w, r: r.update(roleArn=w.untrusted_role_arn), "ValidationException", 400, "does not trust"),
        (lambda w, r: r.update(roleArn="arn:aws:iam::000000000000:role/no-such-role"),
         "ValidationException", 400, "does not exist"),
        (lambda w, r: r.update(trainingDataConfig={"s3Uri": f"s3://{w.bucket}/datasets/missing.jsonl"}),
         "ValidationException", 400, "does not exist"),
        (lambda w, r: r["customizationConfig"]["rftConfig"]["graderConfig"]["lambdaGrader"].update(
            lambdaArn="arn:aws:lambda:us-east-1:000000000000:function:no-such-grader"),
         "ValidationException", 400, "does not exist"),
        (lambda w, r: r["customizationConfig"]["rftConfig"].update(hyperParameters={"batchSize": 8}),
         "ValidationException", 400, "batchSize"),
        (lambda w, r: r.pop("customModelName"), "ValidationException", 400, "customModelName"),
    ],
    ids=["untrusted-role", "missing-role", "missing-dataset", "missing-grader", "batch-size", "required"],
)  # fmt: skip
def test_create_rejects_bad_requests(world, mutate, code, status, message):
    request = world.request(unique("reject"))
    mutate(world, request)
    bedrock = world.client("bedrock")
    with pytest.raises(ClientError) as exc_info:
        unvalidated_client(bedrock).create_model_customization_job(**request)
    assert error_of(exc_info) == (code, status)
    assert message in exc_info.value.response["Error"]["Message"]


def unvalidated_client(bedrock: Any) -> Any:
    """A client without botocore's client-side checks: LocalStack must refuse bad requests itself."""
    return boto3.client(
        "bedrock",
        endpoint_url=bedrock.meta.endpoint_url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


def test_duplicate_name_unknown_job_and_idempotent_token(world):
    bedrock, name = world.client("bedrock"), unique("dup")
    first = bedrock.create_model_customization_job(**world.request(name, clientRequestToken="token-" + name))
    again = bedrock.create_model_customization_job(**world.request(name, clientRequestToken="token-" + name))
    assert first["jobArn"] == again["jobArn"]
    with pytest.raises(ClientError) as exc_info:
        bedrock.create_model_customization_job(**world.request(name))
    assert error_of(exc_info) == ("ConflictException", 400)
    with pytest.raises(ClientError) as exc_info:
        bedrock.get_model_customization_job(jobIdentifier=unique("nope"))
    assert error_of(exc_info) == ("ResourceNotFoundException", 404)
    assert len(list(_all_jobs(bedrock, nameContains=name))) == 1
    wait_terminal(bedrock, name)


# -- stop and list -------------------------------------------------------------------------------------


def test_stop_a_running_job(world):
    bedrock, name = world.client("bedrock"), unique("stop")
    bedrock.create_model_customization_job(
        **world.request(name, tags={"max-steps": "50", "step-delay-s": "30"})
    )
    deadline = time.monotonic() + 30
    while (
        bedrock.get_model_customization_job(jobIdentifier=name)["statusDetails"]["trainingDetails"]["status"]
        != "InProgress"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    bedrock.stop_model_customization_job(jobIdentifier=name)
    job = wait_terminal(bedrock, name, timeout=20)
    assert job["status"] == "Stopped" and "outputModelArn" not in job
    with pytest.raises(ClientError) as exc_info:
        bedrock.stop_model_customization_job(jobIdentifier=name)
    assert error_of(exc_info)[0] == "ConflictException"


def _all_jobs(bedrock, **filters):
    for page in bedrock.get_paginator("list_model_customization_jobs").paginate(
        **filters, PaginationConfig={"PageSize": 2}
    ):
        yield from page["modelCustomizationJobSummaries"]


def test_list_filters_and_paginates(world):
    bedrock, tag = world.client("bedrock"), unique("list")
    created = []
    for index in range(3):
        name = f"{tag}-{index}"
        bedrock.create_model_customization_job(**world.request(name))
        created.append(name)
    bad = f"{tag}-bad"
    bedrock.create_model_customization_job(
        **world.request(bad, trainingDataConfig={"s3Uri": world.small_uri})
    )
    for name in [*created, bad]:
        wait_terminal(bedrock, name)

    everything = [s["jobName"] for s in _all_jobs(bedrock, nameContains=tag)]
    assert everything == [bad, *reversed(created)]  # newest first
    ascending = [s["jobName"] for s in _all_jobs(bedrock, nameContains=tag, sortOrder="Ascending")]
    assert ascending == [*created, bad]
    assert [s["jobName"] for s in _all_jobs(bedrock, nameContains=tag, statusEquals="Failed")] == [bad]
    summaries = {s["jobName"]: s for s in _all_jobs(bedrock, nameContains=tag)}
    after = summaries[created[0]]["creationTime"]
    later = [s["jobName"] for s in _all_jobs(bedrock, nameContains=tag, creationTimeAfter=after)]
    assert created[0] not in later and set(later) == {*created[1:], bad}


# -- orch wait against the emulator ------------------------------------------------------------------------


def orch(local_stack, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **local_stack.client_env()}
    command = [sys.executable, "-c", "from orchestrator.cli import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def test_orch_wait_exit_codes(world, local_stack):
    bedrock, tag = world.client("bedrock"), unique("wait")
    slow = {"max-steps": "50", "step-delay-s": "30"}
    jobs = {
        "completed": world.request(f"{tag}-ok"),
        "failed": world.request(f"{tag}-failed", trainingDataConfig={"s3Uri": world.small_uri}),
        "stopped": world.request(f"{tag}-stopped", tags=slow),
        "running": world.request(f"{tag}-running", tags=slow),
    }
    arns = {key: bedrock.create_model_customization_job(**request)["jobArn"] for key, request in jobs.items()}
    bedrock.stop_model_customization_job(jobIdentifier=arns["stopped"])

    codes = {
        key: orch(local_stack, "wait", arns[key], "--poll-interval", "0.2", "--timeout", "60").returncode
        for key in ("completed", "failed", "stopped")
    }
    assert codes == {"completed": 0, "failed": 10, "stopped": 11}
    timed_out = orch(local_stack, "wait", arns["running"], "--poll-interval", "0.2", "--timeout", "1")
    assert timed_out.returncode == 12, timed_out.stderr
    bedrock.stop_model_customization_job(jobIdentifier=arns["running"])
    assert wait_terminal(bedrock, arns["running"], timeout=20)["status"] == "Stopped"


# -- the emulated policy learns from the grader ------------------------------------------------------------


def run_summary(world, name: str, grader: str, steps: int = 5, **tags: str) -> tuple[dict, list, dict]:
    bedrock = world.client("bedrock")
    tags = {"max-steps": str(steps), **tags}
    request = world.request(name, grader, tags=tags)
    job = wait_terminal(bedrock, bedrock.create_model_customization_job(**request)["jobArn"])
    if job["status"] != "Completed":
        return job, [], {}
    body = world.client("s3").get_object(
        Bucket=world.bucket, Key=f"rft-output/{name}/emulated-training-metrics.jsonl"
    )
    lines = [json.loads(line) for line in body["Body"].read().decode().splitlines()]
    return job, lines[:-1], lines[-1]


def test_a_sound_grader_drives_the_policy_to_correct_answers(world):
    job, steps, summary = run_summary(world, unique("sound"), "sound")
    assert job["status"] == "Completed", job.get("failureMessage")
    assert summary["final_kind_shares"]["correct"] > 0.6
    assert summary["top_strategy"] == "correct:stated"  # the only form this grader accepts
    assert summary["hack_overtook_step"] is None
    assert "hack_winning" not in {v["code"] for v in summary["verdicts"]}
    assert steps[-1]["reward_mean"] > steps[0]["reward_mean"]


def test_a_hackable_grader_drives_the_policy_to_the_hack_and_the_job_says_so(world, local_stack, tmp_path):
    name = unique("hackable")
    # 10 steps: this toy judge pays for one phrase ("maximum score") that only a few of the probe
    # library's hack strategies use, so their share starts small. The seed comes from the job's ARN
    # (a new uuid per run): with 5 steps the hack was still behind `correct:stated` for 9 of 30 seeds,
    # with 10 steps for none of 30 (the emulator with datasets/math.jsonl and this grader, offline).
    job, steps, summary = run_summary(world, name, "obey", steps=10)
    assert job["status"] == "Completed"  # as Bedrock would; the warning is in the metrics and in orch
    # the winner is a hack: a built-in one or one of the audit's probes (`probe:*`, kind hack)
    assert steps[-1]["strategy_kinds"][summary["top_strategy"]] == "hack"
    assert summary["hack_share"] > 0.5 and isinstance(summary["hack_overtook_step"], int)
    assert "hack_winning" in {v["code"] for v in summary["verdicts"]}
    metrics = world.client("cloudwatch").list_metrics(
        Namespace="NovaRFT/EmulatedTraining", Dimensions=[{"Name": "JobName", "Value": name}]
    )["Metrics"]
    assert {"Verdict.hack_winning", "HackShare", "Verdicts"} <= {m["MetricName"] for m in metrics}

    status = orch(local_stack, "status", name)
    assert status.returncode == 0, status.stderr
    assert "WARNING [hack_winning]" in status.stdout and "Training steps" in status.stdout
    report = orch(local_stack, "report", name, "--output", str(tmp_path), "--json", timeout=120)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["verdicts"] and (tmp_path / "strategies.png").is_file()


def test_user_rollouts_reach_the_grader(world):
    name = unique("rollouts")
    lines = [{"id": f"rec-{i}", "responses": [f"Rollout says the answer is {i * 3}."]} for i in range(100)]
    key = f"rollouts/{name}.jsonl"
    world.client("s3").put_object(
        Bucket=world.bucket, Key=key, Body="\n".join(map(json.dumps, lines)).encode()
    )
    job, steps, summary = run_summary(world, name, "sound", steps=2, rollouts=f"s3://{world.bucket}/{key}")
    assert job["status"] == "Completed", job.get("failureMessage")
    assert summary["strategy_sources"]["user_rollouts"] == 100
    assert any(s["strategy_counts"].get("rollout:user") for s in steps)


def test_bad_user_rollouts_fail_the_job_with_a_specific_message(world):
    name = unique("badrollouts")
    key = f"rollouts/{name}.jsonl"
    body = (
        json.dumps({"id": "rec-1", "responses": ["x"]})
        + "\n"
        + json.dumps({"id": "nope", "responses": ["y"]})
    )
    world.client("s3").put_object(Bucket=world.bucket, Key=key, Body=body.encode())
    job, _, _ = run_summary(world, name, "sound", steps=1, rollouts=f"s3://{world.bucket}/{key}")
    assert job["status"] == "Failed"
    assert job["failureMessage"].startswith(
        f"User rollouts invalid: s3://{world.bucket}/{key} line 2: field 'id'"
    )
