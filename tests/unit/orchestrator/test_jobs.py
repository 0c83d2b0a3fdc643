"""Bedrock RFT jobs: hyperparameters, idempotent requests, the typed client (Stubber), polling, commands."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from moto import mock_aws

from orchestrator import hyperparams
from orchestrator.aws import AwsConflictError
from orchestrator.errors import ConfigError
from orchestrator.jobs import request as req
from orchestrator.jobs.client import BedrockJobs
from orchestrator.jobs.polling import Backoff, describe_phase, wait_for_job
from tests.unit.orchestrator.orch_helpers import (
    AWS_ENV,
    BUCKET,
    GRADER_ARN,
    ROLE_ARN,
    bedrock_stub,
    job_arn,
    job_response,
    run_orch,
    s3_client,
    write_dataset,
    write_outputs,
)

OUTPUT_MODEL_ARN = (
    "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-2-lite-v1:0:256k/bbbbbbbbbbbb"
)
TRAIN_URI = f"s3://{BUCKET}/datasets/{'a' * 64}/train.jsonl"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "ORCH_ENV"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    return write_outputs(tmp_path / "outputs.json")


def inputs(**changes: Any) -> req.JobInputs:
    base: dict[str, Any] = {
        "training_uri": TRAIN_URI,
        "output_uri": f"s3://{BUCKET}/rft-output/",
        "role_arn": ROLE_ARN,
        "grader_arn": GRADER_ARN,
        "grader_label": "math",
        "hyperparameters": {"epochCount": 2, "batchSize": 64},
    }
    base.update(changes)
    return req.JobInputs(**base)


def not_found(stubber: Any, operation: str = "get_model_customization_job") -> None:
    stubber.add_client_error(operation, "ResourceNotFoundException", "no such job", 404)


def clock(values: list[float]) -> Any:
    """A fake monotonic clock returning the given readings, then the last one forever."""
    readings = iter(values)
    last = [values[-1]]

    def read() -> float:
        last[0] = next(readings, last[0])
        return last[0]

    return read


# -- hyperparameters ---
def test_a_bad_bucket_name_is_reported_with_the_bucket_not_a_placeholder(outputs: Path) -> None:
    run = run_orch(
        ["start-job", "--outputs", str(outputs), "--dataset", TRAIN_URI, "--grader", "math"]
        + ["--bucket", "b", "--dry-run"]
    )
    assert run.exit_code == 2
    assert "output URI 's3://b/" in run.stderr and "pending" not in run.stderr


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"epochCount": 0}, r"epochCount \(--epochs\) must be in 1..50, got 0"),
        ({"batchSize": 513}, r"batchSize \(--batch-size\) must be in 16..512"),
        ({"learningRate": 0.01}, r"learningRate .* must be in 1e-07..0.001"),
        ({"learningRate": float("nan")}, "must be finite"),
        (
            {"trainingSamplePerPrompt": 1},
            r"trainingSamplePerPrompt \(--samples-per-prompt\) must be in 2..16",
        ),
        ({"evalInterval": 101}, "evalInterval"),
        ({"reasoningEffort": "max"}, "must be one of low, medium, high"),
        ({"maxPromptLength": 0}, "must be in >= 1"),
        ({"epochCount": True}, "must be a number"),
        ({"epochCount": 1.5}, "must be an integer"),
        ({"epochs_total": 1}, "unknown hyperparameter 'epochs_total'"),
    ],
)
def test_hyperparameter_errors_name_the_field(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        hyperparams.validate(values)


def test_hyperparameter_file_aliases_and_option_override(tmp_path: Path) -> None:
    path = tmp_path / "hp.json"
    path.write_text(json.dumps({"hyperParameters": {"epochs": 3, "batch_size": 32, "learningRate": 1e-5}}))
    from_file = hyperparams.load_file(path)
    assert from_file == {"epochCount": 3, "batchSize": 32, "learningRate": 1e-5}
    merged = hyperparams.merge(from_file, {"batchSize": 128, "evalInterval": None})
    assert merged == {"epochCount": 3, "batchSize": 128, "learningRate": 1e-5}
    path.write_text('{"batchSize": 8}')
    with pytest.raises(ConfigError, match=f"{path}: batchSize"):
        hyperparams.load_file(path)


def test_hyperparameter_ranges_match_the_service_model() -> None:
    shape = botocore.session.get_session().get_service_model("bedrock").shape_for("RFTHyperParameters")
    for name, member in shape.members.items():
        hp = hyperparams.BY_API_NAME[name]
        if "enum" in member.metadata:
            assert list(hp.choices) == member.metadata["enum"]
        elif "max" in member.metadata:
            assert (hp.minimum, hp.maximum) == (member.metadata["min"], member.metadata["max"])
    assert set(shape.members) == set(hyperparams.BY_API_NAME)


def test_patterns_match_the_service_model() -> None:
    model = botocore.session.get_session().get_service_model("bedrock")
    assert model.shape_for("LambdaArn").metadata["pattern"] == req.LAMBDA_ARN_PATTERN
    assert model.shape_for("RoleArn").metadata["pattern"] == req.ROLE_ARN_PATTERN
    assert model.shape_for("S3Uri").metadata["pattern"] == req.S3_URI_PATTERN
    assert model.shape_for("JobName").metadata["pattern"] == req.JOB_NAME_PATTERN
    assert model.shape_for("CustomModelName").metadata["pattern"] == req.MODEL_NAME_PATTERN


# -- request building and idempotency ---
def test_token_and_names_are_stable_for_equal_inputs() -> None:
    first, second = req.build_request(inputs()), req.build_request(inputs())
    assert first == second
    digest = inputs().digest()
    assert first["clientRequestToken"] == "orch-" + digest[:48]
    assert first["jobName"] == f"nova-rft-math-{digest[:12]}"
    assert first["customModelName"] == first["jobName"]


def test_generated_names_do_not_change_the_token() -> None:
    """The token hashes explicit names only: a default name is derived from the token's hash."""
    assert inputs().client_request_token() == inputs(grader_label="other-label").client_request_token()
    assert inputs(job_name="explicit").client_request_token() != inputs().client_request_token()


@pytest.mark.parametrize(
    "change",
    [
        {"training_uri": TRAIN_URI.replace("a" * 64, "b" * 64)},  # new dataset content
        {"hyperparameters": {"epochCount": 3, "batchSize": 64}},
        {"run_id": "second-try"},
        {"validation_uri": TRAIN_URI},
        {"base_model": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-2-lite-v1:0:256k"},
    ],
)
def test_any_real_change_makes_a_new_job(change: dict[str, Any]) -> None:
    assert (
        req.build_request(inputs(**change))["clientRequestToken"]
        != req.build_request(inputs())["clientRequestToken"]
    )
    assert req.build_request(inputs(**change))["jobName"] != req.build_request(inputs())["jobName"]


def test_hyperparameter_order_does_not_matter() -> None:
    reordered = inputs(hyperparameters={"batchSize": 64, "epochCount": 2})
    assert reordered.client_request_token() == inputs().client_request_token()


def test_request_shape() -> None:
    request = req.build_request(inputs(validation_uri=TRAIN_URI))
    assert request["customizationType"] == "REINFORCEMENT_FINE_TUNING"
    assert request["baseModelIdentifier"] == "amazon.nova-2-lite-v1:0:256k"
    assert request["customizationConfig"] == {
        "rftConfig": {
            "graderConfig": {"lambdaGrader": {"lambdaArn": GRADER_ARN}},
            "hyperParameters": {"epochCount": 2, "batchSize": 64},
        }
    }
    assert request["validationDataConfig"] == {"validators": [{"s3Uri": TRAIN_URI}]}
    assert "hyperParameters" not in request  # the top-level map is for FINE_TUNING
    # botocore accepts it (parameter validation of the real service model)
    client = botocore.session.get_session().create_client("bedrock", region_name="us-east-1")
    from botocore.validate import validate_parameters

    validate_parameters(
        request, client.meta.service_model.operation_model("CreateModelCustomizationJob").input_shape
    )


def test_long_grader_names_keep_names_valid() -> None:
    name = inputs(grader_label="A very long grader label with spaces " * 3).default_name()
    assert len(name) <= 63
    assert req.re.fullmatch(req.JOB_NAME_PATTERN, name)
    assert req.re.fullmatch(req.MODEL_NAME_PATTERN, name)
    assert inputs(grader_label=None).default_name().startswith("nova-rft-nova-rft-dev-math-")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grader_arn": "arn:aws:lambda:us-east-1:123:function:x"}, "grader Lambda ARN"),
        ({"role_arn": "arn:aws:iam::123456789012:user/x"}, "customization role ARN"),
        ({"training_uri": "s3://Bad_Bucket/x"}, "training dataset URI"),
        ({"job_name": "bad name"}, "--job-name"),
        ({"model_name": "bad..name"}, "--model-name"),
        ({"job_name": "x" * 64}, "longer than 63"),
    ],
)
def test_invalid_fields_are_rejected_before_any_call(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        req.build_request(inputs(**change))


def test_lambda_arn_qualifiers_are_accepted() -> None:
    for arn in (GRADER_ARN + ":$LATEST", GRADER_ARN + ":live", GRADER_ARN + ":7"):
        req.build_request(inputs(grader_arn=arn))


# -- typed client ---
def test_start_creates_when_absent() -> None:
    request = req.build_request(inputs())
    with bedrock_stub() as (client, stubber):
        not_found(stubber)
        stubber.add_response("create_model_customization_job", {"jobArn": job_arn("j")}, request)
        result = BedrockJobs(client).start(request)
    assert (result.job_arn, result.created) == (job_arn("j"), True)


def test_start_finds_the_job_of_an_earlier_run() -> None:
    request = req.build_request(inputs())
    existing = job_response(request["jobName"], "InProgress", request["clientRequestToken"])
    with bedrock_stub() as (client, stubber):
        stubber.add_response("get_model_customization_job", existing, {"jobIdentifier": request["jobName"]})
        result = BedrockJobs(client).start(request)  # no create call is stubbed: none may happen
    assert result.created is False


def test_start_after_a_lost_race_returns_the_winner() -> None:
    request = req.build_request(inputs())
    existing = job_response(request["jobName"], "InProgress", request["clientRequestToken"])
    with bedrock_stub() as (client, stubber):
        not_found(stubber)
        stubber.add_client_error("create_model_customization_job", "ConflictException", "exists", 409)
        stubber.add_response("get_model_customization_job", existing)
        result = BedrockJobs(client).start(request)
    assert result.created is False


def test_same_name_with_other_inputs_is_a_conflict() -> None:
    request = req.build_request(inputs(job_name="fixed-name"))
    with bedrock_stub() as (client, stubber):
        stubber.add_response(
            "get_model_customization_job", job_response("fixed-name", "Completed", "orch-other")
        )
        with pytest.raises(AwsConflictError, match="already exists with different inputs"):
            BedrockJobs(client).start(request)


# -- polling ---
def test_backoff_grows_caps_and_jitters() -> None:
    backoff = Backoff(initial=10, maximum=40, rng=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(6)] == [10, 15, 22.5, 33.75, 40, 40]
    low = Backoff(initial=10, maximum=40, rng=lambda: 0.0)
    assert low.next_delay() == 5  # equal jitter: at least half the base delay


def test_wait_resets_backoff_on_phase_change_and_returns_terminal() -> None:
    phases = [
        {"status": "InProgress", "statusDetails": {"validationDetails": {"status": "InProgress"}}},
        {"status": "InProgress", "statusDetails": {"validationDetails": {"status": "InProgress"}}},
        {"status": "InProgress", "statusDetails": {"validationDetails": {"status": "Completed"}}},
        {"status": "Completed"},
    ]
    sleeps: list[float] = []
    outcome = wait_for_job(
        iter(phases).__next__, timeout=None, poll_interval=10, sleep=sleeps.append, rng=lambda: 1.0
    )
    assert sleeps == [10, 15, 10]  # third poll saw a new phase: back to the initial delay
    assert (outcome.state, outcome.exit_code, outcome.polls) == ("Completed", 0, 4)


@pytest.mark.parametrize(("status", "code"), [("Completed", 0), ("Failed", 10), ("Stopped", 11)])
def test_exit_codes_per_terminal_state(status: str, code: int) -> None:
    outcome = wait_for_job(lambda: {"status": status}, timeout=1, sleep=pytest.fail)
    assert outcome.exit_code == code


def test_wait_honours_the_timeout_without_oversleeping() -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    outcome = wait_for_job(
        lambda: {"status": "Stopping"},
        timeout=100,
        poll_interval=30,
        sleep=sleep,
        clock=lambda: now[0],
        rng=lambda: 1.0,
    )
    assert (outcome.state, outcome.exit_code) == ("TimedOut", 12)
    assert sum(sleeps) == pytest.approx(100)
    assert sleeps[-1] == pytest.approx(100 - 30 - 45)


def test_describe_phase() -> None:
    job = {
        "status": "InProgress",
        "statusDetails": {
            "validationDetails": {"status": "Completed"},
            "dataProcessingDetails": {"status": "InProgress"},
            "trainingDetails": {"status": "NotStarted"},
        },
    }
    assert (
        describe_phase(job)
        == "InProgress (validation Completed, data processing InProgress, training NotStarted)"
    )


# -- commands: start-job ---
def test_dry_run_prints_the_exact_request_and_calls_nothing(outputs: Path) -> None:
    args = [
        "start-job",
        "--outputs",
        str(outputs),
        "--dataset",
        TRAIN_URI,
        "--grader",
        "math",
        "--epochs",
        "2",
    ]
    with bedrock_stub() as (client, _):
        run = run_orch([*args, "--batch-size", "64", "--dry-run"], {"clients": {"bedrock": client}})
    assert run.exit_code == 0, run.stderr
    assert run.json() == req.build_request(inputs())


def test_dry_run_with_a_local_file_plans_the_content_addressed_uri(outputs: Path, tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "train.jsonl")
    sha = hashlib.sha256(dataset.read_bytes()).hexdigest()
    with mock_aws():  # no bucket exists: an upload attempt would fail
        run = run_orch(
            [
                "start-job",
                "--outputs",
                str(outputs),
                "--dataset",
                str(dataset),
                "--grader",
                "math",
                "--dry-run",
            ]
        )
    assert run.exit_code == 0, run.stderr
    assert run.json()["trainingDataConfig"] == {"s3Uri": f"s3://{BUCKET}/datasets/{sha}/train.jsonl"}
    assert "would upload" in run.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--batch-size", "8"], "batchSize (--batch-size) must be in 16..512, got 8"),
        (["--learning-rate", "0.5"], "learningRate (--learning-rate) must be in 1e-07..0.001"),
        (["--reward-arn", "arn:aws:lambda:us-east-1:1:function:f"], "--reward-arn"),
        (["--grader", "code"], "no grader 'code'"),
    ],
)
def test_bad_inputs_fail_before_any_call(outputs: Path, extra: list[str], message: str) -> None:
    args = ["start-job", "--outputs", str(outputs), "--dataset", TRAIN_URI, *extra]
    if "--grader" not in extra:
        args += ["--grader", "math"]
    with bedrock_stub() as (client, _):
        run = run_orch(args, {"clients": {"bedrock": client}})
    assert run.exit_code == 2
    assert message in run.stderr


def test_retried_start_job_starts_one_job(outputs: Path) -> None:
    args = ["start-job", "--outputs", str(outputs), "--dataset", TRAIN_URI, "--grader", "math", "--json"]
    request = json.loads(run_orch([*args, "--dry-run"]).stdout)
    existing = job_response(request["jobName"], "InProgress", request["clientRequestToken"])
    with bedrock_stub() as (client, stubber):
        not_found(stubber)
        stubber.add_response("create_model_customization_job", {"jobArn": existing["jobArn"]}, request)
        stubber.add_response("get_model_customization_job", existing, {"jobIdentifier": request["jobName"]})
        first = run_orch(args, {"clients": {"bedrock": client}})
        second = run_orch(args, {"clients": {"bedrock": client}})
    assert first.exit_code == second.exit_code == 0
    assert first.json()["created"] is True and second.json()["created"] is False
    for key in ("jobArn", "jobName", "customModelName", "clientRequestToken"):
        assert first.json()[key] == second.json()[key]


def test_start_job_uploads_a_local_dataset_then_creates(outputs: Path, tmp_path: Path) -> None:
    train = write_dataset(tmp_path / "train.jsonl", 150)
    val = write_dataset(tmp_path / "val.jsonl", 100)
    with mock_aws():
        s3 = s3_client()
        s3.create_bucket(Bucket=BUCKET)
        with bedrock_stub() as (client, stubber):
            not_found(stubber)
            stubber.add_response("create_model_customization_job", {"jobArn": job_arn("x")})
            run = run_orch(
                [
                    "start-job",
                    "--outputs",
                    str(outputs),
                    "--dataset",
                    str(train),
                    "--validation-dataset",
                    str(val),
                    "--keep-validation-data",
                    "--grader",
                    "support",
                    "--json",
                ],
                {"clients": {"bedrock": client}},
            )
        assert run.exit_code == 0, run.stderr
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    payload = run.json()
    assert payload["trainingDataUri"] == f"s3://{BUCKET}/{keys[0] if 'train' in keys[0] else keys[1]}"
    assert payload["validationDataUri"].endswith("/val.jsonl")
    assert payload["jobName"].startswith("nova-rft-support-")


def test_start_job_rejects_an_invalid_local_dataset(outputs: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [], "reference_answer": "1"}\n' * 100)
    run = run_orch(["start-job", "--outputs", str(outputs), "--dataset", str(bad), "--grader", "math"])
    assert run.exit_code == 3
    assert "line 1: messages: must be a non-empty list" in run.stderr


def test_start_job_wait_follows_to_the_end(outputs: Path) -> None:
    args = ["start-job", "--outputs", str(outputs), "--dataset", TRAIN_URI, "--grader", "math"]
    request = json.loads(run_orch([*args, "--dry-run"]).stdout)
    arn = job_arn(request["jobName"])
    with bedrock_stub() as (client, stubber):
        not_found(stubber)
        stubber.add_response("create_model_customization_job", {"jobArn": arn})
        stubber.add_response(
            "get_model_customization_job",
            job_response(request["jobName"], "InProgress"),
            {"jobIdentifier": arn},
        )
        stubber.add_response(
            "get_model_customization_job",
            job_response(request["jobName"], "Failed", failureMessage="Grader Lambda timed out"),
            {"jobIdentifier": arn},
        )
        run = run_orch([*args, "--wait", "--json"], {"clients": {"bedrock": client}, "sleep": lambda s: None})
    assert run.exit_code == 10
    assert run.json()["final"]["state"] == "Failed"
    assert run.json()["final"]["job"]["failureMessage"] == "Grader Lambda timed out"


def test_aws_errors_are_one_line_with_exit_4(outputs: Path) -> None:
    with bedrock_stub() as (client, stubber):
        not_found(stubber)
        stubber.add_client_error(
            "create_model_customization_job", "AccessDeniedException", "not allowed", 403
        )
        run = run_orch(
            ["start-job", "--outputs", str(outputs), "--dataset", TRAIN_URI, "--grader", "math"],
            {"clients": {"bedrock": client}},
        )
    assert run.exit_code == 4
    assert (
        run.stderr.strip()
        .splitlines()[-1]
        .startswith("Error: bedrock:CreateModelCustomizationJob nova-rft-math-")
    )
    assert "AccessDeniedException: not allowed" in run.stderr


# -- commands: status / wait / list / stop ---
def test_status_json_and_human() -> None:
    job = job_response(
        "j1",
        "Completed",
        statusDetails={"trainingDetails": {"status": "Completed"}},
        trainingMetrics={"trainingLoss": 0.25},
        outputModelArn=OUTPUT_MODEL_ARN,
        endTime=datetime(2026, 11, 22, 3, 0, tzinfo=UTC),
    )
    with bedrock_stub() as (client, stubber):
        stubber.add_response("get_model_customization_job", job, {"jobIdentifier": "j1"})
        stubber.add_response("get_model_customization_job", job, {"jobIdentifier": "j1"})
        as_json = run_orch(["status", "j1", "--json"], {"clients": {"bedrock": client}})
        human = run_orch(["status", "j1"], {"clients": {"bedrock": client}})
    assert as_json.json()["trainingMetrics"] == {"trainingLoss": 0.25}
    assert as_json.json()["endTime"] == "2026-11-22T03:00:00+00:00"
    assert as_json.json()["outputModelArn"] == OUTPUT_MODEL_ARN
    for text in ("Completed", "training loss", "0.25", "output model"):
        assert text in human.stdout


def test_status_of_a_missing_job() -> None:
    with bedrock_stub() as (client, stubber):
        not_found(stubber)
        run = run_orch(["status", "nope"], {"clients": {"bedrock": client}})
    assert run.exit_code == 4
    assert "ResourceNotFoundException" in run.stderr


@pytest.mark.parametrize(("status", "code"), [("Completed", 0), ("Failed", 10), ("Stopped", 11)])
def test_wait_exit_codes(status: str, code: int) -> None:
    with bedrock_stub() as (client, stubber):
        stubber.add_response("get_model_customization_job", job_response("j", "InProgress"))
        stubber.add_response("get_model_customization_job", job_response("j", "Stopping"))
        stubber.add_response("get_model_customization_job", job_response("j", status))
        run = run_orch(["wait", "j", "--json"], {"clients": {"bedrock": client}, "sleep": lambda s: None})
    assert run.exit_code == code
    assert run.json()["state"] == status
    assert run.json()["polls"] == 3


def test_wait_times_out_with_exit_12() -> None:
    with bedrock_stub() as (client, stubber):
        for _ in range(2):
            stubber.add_response("get_model_customization_job", job_response("j", "InProgress"))
        obj = {"clients": {"bedrock": client}, "sleep": lambda s: None, "clock": clock([0.0, 5.0, 61.0])}
        run = run_orch(["wait", "j", "--timeout", "60", "--poll-interval", "5"], obj)
    assert run.exit_code == 12
    assert "timed out after 61 s" in run.stdout


def test_wait_rejects_a_non_positive_timeout() -> None:
    run = run_orch(["wait", "j", "--timeout", "0"])
    assert run.exit_code == 2
    assert "must be greater than 0" in run.stderr


def test_list_jobs_paginates_and_filters() -> None:
    created = datetime(2026, 11, 20, tzinfo=UTC)

    def summary(name: str) -> dict[str, Any]:
        return {
            "jobArn": job_arn(name),
            "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-2-lite-v1:0:256k",
            "jobName": name,
            "status": "Completed",
            "creationTime": created,
        }

    base = {
        "sortBy": "CreationTime",
        "sortOrder": "Descending",
        "statusEquals": "Completed",
        "nameContains": "math",
    }
    with bedrock_stub() as (client, stubber):
        stubber.add_response(
            "list_model_customization_jobs",
            {"modelCustomizationJobSummaries": [summary("math-1"), summary("math-2")], "nextToken": "t1"},
            {**base, "maxResults": 3},
        )
        stubber.add_response(
            "list_model_customization_jobs",
            {"modelCustomizationJobSummaries": [summary("math-3"), summary("math-4")]},
            {**base, "maxResults": 3, "nextToken": "t1"},
        )
        run = run_orch(
            ["list-jobs", "--status", "Completed", "--name-contains", "math", "--max-results", "3", "--json"],
            {"clients": {"bedrock": client}},
        )
    assert run.exit_code == 0, run.stderr
    assert [j["jobName"] for j in run.json()] == ["math-1", "math-2", "math-3"]


def test_list_jobs_since_and_human_table() -> None:
    with bedrock_stub() as (client, stubber):
        stubber.add_response(
            "list_model_customization_jobs",
            {"modelCustomizationJobSummaries": []},
            {
                "sortBy": "CreationTime",
                "sortOrder": "Descending",
                "creationTimeAfter": datetime(2026, 11, 1, tzinfo=UTC),
                "maxResults": 50,
            },
        )
        run = run_orch(["list-jobs", "--since", "2026-11-01"], {"clients": {"bedrock": client}})
    assert run.exit_code == 0, run.stderr
    assert "0 job(s)" in run.stdout
    assert run_orch(["list-jobs", "--since", "yesterday"]).exit_code == 2


def test_stop_job() -> None:
    with bedrock_stub() as (client, stubber):
        stubber.add_response("stop_model_customization_job", {}, {"jobIdentifier": "j"})
        stubber.add_response("get_model_customization_job", job_response("j", "Stopping"))
        run = run_orch(["stop-job", "j", "--json"], {"clients": {"bedrock": client}})
    assert run.json() == {"job": "j", "stopRequested": True, "status": "Stopping"}


def test_region_comes_from_the_job_arn(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.commands.jobs import job_region

    assert job_region(job_arn("x").replace("us-east-1", "eu-west-1"), None) == "eu-west-1"
    assert job_region("name", None) is None
    assert job_region(job_arn("x"), "ap-south-1") == "ap-south-1"


def test_start_job_wait_human_output(outputs: Path) -> None:
    args = ["start-job", "--outputs", str(outputs), "--dataset", TRAIN_URI, "--grader", "math"]
    request = json.loads(run_orch([*args, "--dry-run"]).stdout)
    arn = job_arn(request["jobName"])
    with bedrock_stub() as (client, stubber):
        not_found(stubber)
        stubber.add_response("create_model_customization_job", {"jobArn": arn})
        stubber.add_response("get_model_customization_job", job_response(request["jobName"], "Completed"))
        run = run_orch([*args, "--wait"], {"clients": {"bedrock": client}, "sleep": lambda s: None})
    assert run.exit_code == 0, run.stderr
    assert f"job {request['jobName']}: started" in run.stdout
    assert "job ended: Completed (exit 0)" in run.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--grader", "code"], "no grader 'code'"),
        (["--grader", "math", "--job-name", "bad name"], "--job-name"),
    ],
)
def test_environment_and_name_errors_come_before_any_upload(
    outputs: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    train = write_dataset(tmp_path / "train.jsonl")
    with mock_aws():
        s3 = s3_client()
        s3.create_bucket(Bucket=BUCKET)
        run = run_orch(["start-job", "--outputs", str(outputs), "--dataset", str(train), *extra])
        assert s3.list_objects_v2(Bucket=BUCKET).get("Contents") is None
    assert run.exit_code == 2
    assert message in run.stderr


class Flaky:
    """fetch() that raises the given errors first, then returns the given jobs."""

    def __init__(self, errors: list[BaseException], jobs: list[dict[str, Any]]) -> None:
        self.errors, self.jobs, self.calls = list(errors), list(jobs), 0

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.jobs.pop(0)


def test_wait_rides_out_transient_errors() -> None:
    from orchestrator.aws import TRANSIENT_ERRORS, AwsThrottledError, AwsUnavailableError

    fetch = Flaky([AwsThrottledError("slow down"), AwsUnavailableError("503")], [{"status": "Completed"}])
    sleeps: list[float] = []
    outcome = wait_for_job(
        fetch, timeout=None, poll_interval=2, sleep=sleeps.append, rng=lambda: 1.0, transient=TRANSIENT_ERRORS
    )
    assert (outcome.state, outcome.polls, fetch.calls) == ("Completed", 1, 3)
    assert sleeps == [2, 3]  # the failed polls back off too


def test_wait_gives_up_after_too_many_transient_errors() -> None:
    from orchestrator.aws import TRANSIENT_ERRORS, AwsThrottledError

    fetch = Flaky([AwsThrottledError(f"#{i}") for i in range(5)], [])
    with pytest.raises(AwsThrottledError, match="#4"):
        wait_for_job(
            fetch, timeout=None, sleep=lambda s: None, transient=TRANSIENT_ERRORS, max_transient_failures=5
        )


def test_wait_does_not_retry_other_errors() -> None:
    from orchestrator.aws import TRANSIENT_ERRORS, AwsNotFoundError

    fetch = Flaky([AwsNotFoundError("gone")], [{"status": "Completed"}])
    with pytest.raises(AwsNotFoundError):
        wait_for_job(fetch, timeout=None, sleep=pytest.fail, transient=TRANSIENT_ERRORS)
    assert fetch.calls == 1


def test_orch_wait_survives_a_throttled_poll() -> None:
    with bedrock_stub() as (client, stubber):
        stubber.add_client_error("get_model_customization_job", "ThrottlingException", "Rate exceeded", 400)
        stubber.add_client_error("get_model_customization_job", "InternalServerException", "oops", 500)
        stubber.add_response("get_model_customization_job", job_response("j", "Stopped"))
        run = run_orch(["wait", "j", "--json"], {"clients": {"bedrock": client}, "sleep": lambda s: None})
    assert run.exit_code == 11, run.stderr


def test_token_is_pinned_across_versions_and_processes() -> None:
    """Golden value: a change in normalisation would make a retry after an upgrade start a 2nd job.

    If this fails on purpose, say so in the release notes (retries across the change are not
    idempotent).
    """
    assert inputs().client_request_token() == "orch-60eab5f6d9e602064ce58ac70c4d432d96e52d9d92b2241a"
    assert inputs().default_name() == "nova-rft-math-60eab5f6d9e6"
    code = (
        "from orchestrator.jobs.request import JobInputs;"
        f"print(JobInputs(training_uri={TRAIN_URI!r}, output_uri='s3://{BUCKET}/rft-output/',"
        f" role_arn={ROLE_ARN!r}, grader_arn={GRADER_ARN!r}, grader_label='math',"
        " hyperparameters={'batchSize': 64, 'epochCount': 2}).client_request_token())"
    )
    import os
    import subprocess
    import sys

    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert other.stdout.strip() == inputs().client_request_token()
