"""The local Bedrock control plane (JobService): request checks, shapes, errors, idempotency, list, stop.

LocalStack is not needed: AWS lookups and the emulated run's ports are fakes. Response shapes are
checked against botocore's own `bedrock` service model.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta

import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import given, settings
from hypothesis import strategies as st

from nova_rft_localstack.aws_ports import trusts_bedrock
from nova_rft_localstack.customization_jobs import JobService
from nova_rft_localstack.job_requests import (
    ConflictError,
    ResourceNotFoundError,
    ValidationError,
    parse_create_request,
)
from nova_rft_localstack.rft_emulation import nova_rft_validator
from tests.unit.local.emulation_fakes import FakePorts, dataset_bytes

ACCOUNT, REGION = "000000000000", "us-east-1"
TRAIN = "s3://data-bucket/datasets/math.jsonl"
GRADER = "arn:aws:lambda:us-east-1:000000000000:function:nova-rft-local-math"
MODEL = botocore.session.get_session().get_service_model("bedrock")


def valid_request(**overrides) -> dict:
    request = {
        "jobName": "math-rft-001",
        "customModelName": "math-rft-v1",
        "roleArn": "arn:aws:iam::000000000000:role/nova-rft-local-customization",
        "baseModelIdentifier": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-2-lite-v1:0:256k",
        "customizationType": "REINFORCEMENT_FINE_TUNING",
        "trainingDataConfig": {"s3Uri": TRAIN},
        "outputDataConfig": {"s3Uri": "s3://data-bucket/rft-output/"},
        "customizationConfig": {
            "rftConfig": {
                "graderConfig": {"lambdaGrader": {"lambdaArn": GRADER}},
                "hyperParameters": {"epochCount": 1, "batchSize": 16, "trainingSamplePerPrompt": 4},
            }
        },
        "jobTags": [{"key": "nova-rft-emulator:max-steps", "value": "2"}],
    }
    request.update(overrides)
    return request


class FakeChecks:
    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def role_problem(self, role_arn):
        return self.problems.get("role")

    def grader_problem(self, lambda_arn):
        return self.problems.get("grader")

    def object_problem(self, s3_uri):
        return self.problems.get(s3_uri)

    def bucket_problem(self, s3_uri):
        return self.problems.get("bucket")


class Clock:
    """A clock that advances one second per reading, so creation times are distinct and ordered."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            self.now += timedelta(seconds=1)
            return self.now


@pytest.fixture
def checks():
    return FakeChecks()


@pytest.fixture
def ports():
    return FakePorts({TRAIN: dataset_bytes(100)})


@pytest.fixture
def service(checks, ports):
    svc = JobService(lambda a, r: checks, lambda record: ports, nova_rft_validator, env={}, clock=Clock())
    yield svc
    for record in svc.running():
        record.events.request_stop()
    svc.wait_all(10)


def wait_terminal(service: JobService, identifier: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = service.get(ACCOUNT, REGION, identifier)
        if job["status"] in ("Completed", "Failed", "Stopped"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {identifier} still {job['status']}")


def assert_shape(value: dict, shape_name: str) -> None:
    report = ParamValidator().validate(value, MODEL.shape_for(shape_name))
    assert not report.has_errors(), report.generate_report()


# -- create --------------------------------------------------------------------------------------------


def test_create_returns_an_arn_of_the_service_pattern(service):
    arn = service.create(ACCOUNT, REGION, valid_request())["jobArn"]
    pattern = MODEL.shape_for("ModelCustomizationJobArn").metadata["pattern"]
    assert re.fullmatch(pattern, arn)
    assert arn.startswith(
        f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/amazon.nova-2-lite-v1:0:256k/"
    )


def test_job_completes_and_get_works_by_name_and_arn(service, ports):
    arn = service.create(ACCOUNT, REGION, valid_request())["jobArn"]
    job = wait_terminal(service, "math-rft-001")
    assert job == service.get(ACCOUNT, REGION, arn)
    assert job["status"] == "Completed", job.get("failureMessage")
    assert_shape(job, "GetModelCustomizationJobResponse")
    assert {d["status"] for d in job["statusDetails"].values()} == {"Completed"}
    assert re.fullmatch(MODEL.shape_for("CustomModelArn").metadata["pattern"], job["outputModelArn"])
    assert job["trainingMetrics"]["trainingLoss"] >= 0
    assert job["endTime"] >= job["creationTime"]
    assert len(ports.metrics) == 2  # max-steps tag = 2
    assert "s3://data-bucket/rft-output/math-rft-001/emulated-training-metrics.jsonl" in ports.objects


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("roleArn"), "roleArn"),
        (lambda r: r.pop("trainingDataConfig"), "trainingDataConfig"),
        (lambda r: r.update(jobName="bad name!"), "jobName"),
        (lambda r: r.update(roleArn="arn:aws:iam::1:user/x"), "roleArn"),
        (lambda r: r.update(baseModelIdentifier="amazon.nova-pro-v1:0"), "does not support"),
        (lambda r: r.update(customizationType="FINE_TUNING"), "REINFORCEMENT_FINE_TUNING"),
        (lambda r: r.pop("customizationType"), "REINFORCEMENT_FINE_TUNING"),
        (lambda r: r.update(hyperParameters={"epochCount": "1"}), "FINE_TUNING"),
        (lambda r: r.update(trainingDataConfig={"s3Uri": "https://x/y"}), "trainingDataConfig.s3Uri"),
        (lambda r: r.update(customizationConfig={}), "exactly one"),
        (lambda r: r.update(customizationConfig={"rftConfig": {}}), "graderConfig"),
        (lambda r: r["customizationConfig"]["rftConfig"]["graderConfig"]["lambdaGrader"].update(
            lambdaArn="arn:aws:lambda:us-east-1:12345:function:x"), "lambdaArn"),
        (lambda r: r.update(clientRequestToken="-bad-"), "clientRequestToken"),
        (lambda r: r.update(validationDataConfig={"validators": [{"s3Uri": "nope"}]}), "validators[0]"),
        (lambda r: r.update(jobTags=[{"key": "nova-rft-emulator:max-steps", "value": "0"}]), "max-steps"),
        (lambda r: r.update(jobTags=[{"key": "team#1", "value": "x"}]), "jobTags[0].key"),
        (lambda r: r.update(jobTags=[{"key": "team", "value": "a" * 257}]), "jobTags[0].value"),
    ],
)  # fmt: skip
def test_create_rejects_invalid_requests(service, mutate, message):
    request = copy.deepcopy(valid_request())
    mutate(request)
    with pytest.raises(ValidationError, match=re.escape(message)):
        service.create(ACCOUNT, REGION, request)


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("epochCount", 1, True), ("epochCount", 50, True),
        ("epochCount", 0, False), ("epochCount", 51, False),
        ("batchSize", 16, True), ("batchSize", 512, True),
        ("batchSize", 15, False), ("batchSize", 513, False),
        ("learningRate", 1e-7, True), ("learningRate", 1e-3, True), ("learningRate", 2e-3, False),
        ("learningRate", 1e-8, False), ("learningRate", float("nan"), False),
        ("trainingSamplePerPrompt", 2, True), ("trainingSamplePerPrompt", 16, True),
        ("trainingSamplePerPrompt", 1, False), ("trainingSamplePerPrompt", 17, False),
        ("evalInterval", 1, True), ("evalInterval", 100, True), ("evalInterval", 101, False),
        ("reasoningEffort", "high", True), ("reasoningEffort", "extreme", False),
        ("batchSize", 16.5, False), ("batchSize", True, False), ("maxPromptLength", 0, False),
        ("inferenceMaxTokens", 8192, True), ("momentum", 0.9, False),
    ],
)  # fmt: skip
def test_rft_hyperparameter_ranges(name, value, ok):
    request = valid_request()
    request["customizationConfig"]["rftConfig"]["hyperParameters"] = {name: value}
    if ok:
        assert parse_create_request(request).hyper_parameters[name] == value
    else:
        with pytest.raises(ValidationError, match=name):
            parse_create_request(request)


@pytest.mark.parametrize("qualifier", ["", ":$LATEST", ":live", ":7"])
def test_lambda_arn_may_carry_a_version_or_alias(qualifier):
    request = valid_request()
    request["customizationConfig"]["rftConfig"]["graderConfig"]["lambdaGrader"]["lambdaArn"] = (
        GRADER + qualifier
    )
    assert parse_create_request(request).lambda_arn == GRADER + qualifier


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("role", "The role x does not trust bedrock.amazonaws.com"),
        (TRAIN, "The S3 object s3://data-bucket/datasets/math.jsonl does not exist"),
        ("bucket", "The output bucket does not exist"),
        ("grader", "The grader Lambda function does not exist"),
    ],
)
def test_create_checks_the_referenced_resources(service, checks, problem, message):
    checks.problems[problem] = message
    with pytest.raises(ValidationError, match=re.escape(message)):
        service.create(ACCOUNT, REGION, valid_request())
    assert service.list(ACCOUNT, REGION, {})["modelCustomizationJobSummaries"] == []


def test_duplicate_job_name_is_a_conflict(service):
    service.create(ACCOUNT, REGION, valid_request())
    with pytest.raises(ConflictError, match="already exists"):
        service.create(ACCOUNT, REGION, valid_request(customModelName="other"))


def test_client_request_token_is_idempotent(service):
    first = service.create(ACCOUNT, REGION, valid_request(clientRequestToken="tok-1"))
    again = service.create(ACCOUNT, REGION, valid_request(clientRequestToken="tok-1"))
    assert first == again
    assert len(service.list(ACCOUNT, REGION, {})["modelCustomizationJobSummaries"]) == 1
    with pytest.raises(ConflictError, match="different parameters"):
        service.create(ACCOUNT, REGION, valid_request(clientRequestToken="tok-1", customModelName="changed"))
    assert service.get(ACCOUNT, REGION, first["jobArn"])["clientRequestToken"] == "tok-1"


def test_concurrent_retries_with_one_token_create_one_job(service, checks):
    slow = threading.Event()
    checks.role_problem = lambda role_arn: slow.wait(0.05) and None  # widen the race window
    barrier = threading.Barrier(4)
    answers: list[str] = []

    def create() -> None:
        barrier.wait()
        answers.append(service.create(ACCOUNT, REGION, valid_request(clientRequestToken="same"))["jobArn"])

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(answers) == 4 and len(set(answers)) == 1
    assert len(service.list(ACCOUNT, REGION, {})["modelCustomizationJobSummaries"]) == 1


def test_jobs_are_scoped_by_account_and_region(service):
    arn = service.create(ACCOUNT, REGION, valid_request())["jobArn"]
    with pytest.raises(ResourceNotFoundError):
        service.get(ACCOUNT, "eu-west-1", arn)
    service.create("111111111111", REGION, valid_request())  # same name, other account: fine


# -- get / stop ----------------------------------------------------------------------------------------


def test_unknown_job_is_not_found(service):
    for identifier in (
        "nope",
        "arn:aws:bedrock:us-east-1:000000000000:model-customization-job/a.b/abcdefabcdef",
    ):
        with pytest.raises(ResourceNotFoundError, match="Could not find"):
            service.get(ACCOUNT, REGION, identifier)
        with pytest.raises(ResourceNotFoundError):
            service.stop(ACCOUNT, REGION, identifier)


def test_stop_moves_to_stopping_then_stopped(service):
    tags = [{"key": "nova-rft-emulator:step-delay-s", "value": "30"}]
    service.create(ACCOUNT, REGION, valid_request(jobTags=tags))
    deadline = time.monotonic() + 5
    while (
        service.get(ACCOUNT, REGION, "math-rft-001")["statusDetails"]["trainingDetails"]["status"]
        != "InProgress"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert service.stop(ACCOUNT, REGION, "math-rft-001") == {}
    assert service.get(ACCOUNT, REGION, "math-rft-001")["status"] in ("Stopping", "Stopped")
    job = wait_terminal(service, "math-rft-001")
    assert job["status"] == "Stopped" and "outputModelArn" not in job
    assert job["statusDetails"]["trainingDetails"]["status"] == "Stopped"
    with pytest.raises(ConflictError, match="only an InProgress job"):
        service.stop(ACCOUNT, REGION, "math-rft-001")


def test_validation_data_gives_validation_metrics(service, ports):
    ports.objects["s3://data-bucket/datasets/val.jsonl"] = dataset_bytes(100)
    request = valid_request(
        validationDataConfig={"validators": [{"s3Uri": "s3://data-bucket/datasets/val.jsonl"}]}
    )
    service.create(ACCOUNT, REGION, request)
    job = wait_terminal(service, "math-rft-001")
    assert job["status"] == "Completed", job.get("failureMessage")
    assert_shape(job, "GetModelCustomizationJobResponse")
    assert len(job["validationMetrics"]) == 1 and 0 <= job["validationMetrics"][0]["validationLoss"] <= 1
    assert job["validationDataConfig"] == request["validationDataConfig"]


def test_failed_job_reports_failure_message(service, ports):
    ports.objects[TRAIN] = dataset_bytes(10)
    service.create(ACCOUNT, REGION, valid_request())
    job = wait_terminal(service, "math-rft-001")
    assert job["status"] == "Failed" and job["failureMessage"].startswith("Dataset invalid")
    assert job["statusDetails"]["validationDetails"]["status"] == "Failed"
    assert job["statusDetails"]["trainingDetails"]["status"] == "NotStarted"
    assert_shape(job, "GetModelCustomizationJobResponse")


# -- list ----------------------------------------------------------------------------------------------


def make_jobs(service: JobService, names: list[str]) -> None:
    for name in names:
        service.create(ACCOUNT, REGION, valid_request(jobName=name))


def names_of(response: dict) -> list[str]:
    return [s["jobName"] for s in response["modelCustomizationJobSummaries"]]


def test_list_sorts_filters_and_matches_the_shape(service):
    make_jobs(service, ["alpha-1", "beta-1", "alpha-2"])
    service.wait_all(10)
    response = service.list(ACCOUNT, REGION, {})
    assert_shape(response, "ListModelCustomizationJobsResponse")
    assert names_of(response) == ["alpha-2", "beta-1", "alpha-1"]  # newest first by default
    assert names_of(service.list(ACCOUNT, REGION, {"sortOrder": "Ascending"})) == [
        "alpha-1",
        "beta-1",
        "alpha-2",
    ]
    assert names_of(service.list(ACCOUNT, REGION, {"nameContains": "ALPHA"})) == ["alpha-2", "alpha-1"]
    assert names_of(service.list(ACCOUNT, REGION, {"statusEquals": "Completed"})) == [
        "alpha-2",
        "beta-1",
        "alpha-1",
    ]
    assert names_of(service.list(ACCOUNT, REGION, {"statusEquals": "Failed"})) == []


def test_list_filters_by_creation_time(service):
    make_jobs(service, ["j1", "j2", "j3"])
    created = {
        s["jobName"]: s["creationTime"]
        for s in service.list(ACCOUNT, REGION, {})["modelCustomizationJobSummaries"]
    }
    after = service.list(ACCOUNT, REGION, {"creationTimeAfter": created["j1"]})
    assert names_of(after) == ["j3", "j2"]
    window = {"creationTimeAfter": created["j1"], "creationTimeBefore": created["j3"]}
    assert names_of(service.list(ACCOUNT, REGION, window)) == ["j2"]


def test_list_paginates_with_next_token(service):
    names = [f"job-{i}" for i in range(5)]
    make_jobs(service, names)
    seen, token, pages = [], None, 0
    while True:
        query = {"maxResults": 2, "sortOrder": "Ascending", **({"nextToken": token} if token else {})}
        page = service.list(ACCOUNT, REGION, query)
        seen += names_of(page)
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert seen == names and pages == 3


@pytest.mark.parametrize(
    "query",
    [{"nextToken": "garbage"}, {"maxResults": 0}, {"statusEquals": "Running"}, {"sortOrder": "Sideways"},
     {"sortBy": "Name"}],
)  # fmt: skip
def test_list_rejects_bad_queries(service, query):
    with pytest.raises(ValidationError):
        service.list(ACCOUNT, REGION, query)


# -- role trust policy -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "trusted"),
    [
        ({"Statement": [{"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"},
                         "Action": "sts:AssumeRole"}]}, True),
        ({"Statement": {"Effect": "Allow",
                        "Principal": {"Service": ["lambda.amazonaws.com", "bedrock.amazonaws.com"]},
                        "Action": ["sts:AssumeRole"]}}, True),
        ("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22bedrock."
         "amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D", True),
        ({"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                         "Action": "sts:AssumeRole"}]}, False),
        ({"Statement": [{"Effect": "Deny", "Principal": {"Service": "bedrock.amazonaws.com"},
                         "Action": "sts:AssumeRole"}]}, False),
        ({"Statement": [{"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"},
                         "Action": "s3:GetObject"}]}, False),
        ({}, False),
    ],
)  # fmt: skip
def test_trust_policy_must_allow_bedrock(document, trusted):
    assert trusts_bedrock(document) is trusted


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(["epochCount", "batchSize", "trainingSamplePerPrompt", "evalInterval"]),
    value=st.integers(min_value=-5, max_value=600),
)
def test_integer_hyperparameters_accepted_exactly_in_range(name, value):
    low, high = {"epochCount": (1, 50), "batchSize": (16, 512), "trainingSamplePerPrompt": (2, 16),
                 "evalInterval": (1, 100)}[name]  # fmt: skip
    request = valid_request()
    request["customizationConfig"]["rftConfig"]["hyperParameters"] = {name: value}
    if low <= value <= high:
        assert parse_create_request(request).hyper_parameters[name] == value
    else:
        with pytest.raises(ValidationError):
            parse_create_request(request)


@settings(max_examples=200, deadline=None)
@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_learning_rate_accepted_exactly_in_range(value):
    request = valid_request()
    request["customizationConfig"]["rftConfig"]["hyperParameters"] = {"learningRate": value}
    if 1e-7 <= value <= 1e-3:
        assert parse_create_request(request).hyper_parameters["learningRate"] == value
    else:
        with pytest.raises(ValidationError):
            parse_create_request(request)


# -- the AWS lookups of the provider, over boto3 clients (moto) -------------------------------------------


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        import boto3

        def client_for(service: str, account: str, region: str):
            return boto3.client(service, region_name=region)

        yield client_for


def _role(client_for, name: str, service: str) -> str:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    return client_for("iam", ACCOUNT, REGION).create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(document)
    )["Role"]["Arn"]


def test_client_checks_over_boto3(aws):
    from nova_rft_localstack.aws_ports import ClientChecks

    checks = ClientChecks(aws, ACCOUNT, REGION)
    trusted, untrusted = _role(aws, "rft", "bedrock.amazonaws.com"), _role(aws, "fn", "lambda.amazonaws.com")
    assert checks.role_problem(trusted) is None
    assert "does not trust bedrock.amazonaws.com" in checks.role_problem(untrusted)
    assert "does not exist" in checks.role_problem(f"arn:aws:iam::{ACCOUNT}:role/missing")
    s3 = aws("s3", ACCOUNT, REGION)
    s3.create_bucket(Bucket="data-bucket")
    s3.put_object(Bucket="data-bucket", Key="datasets/math.jsonl", Body=b"{}")
    assert checks.object_problem(TRAIN) is None
    assert "does not exist" in checks.object_problem("s3://data-bucket/datasets/other.jsonl")
    assert "not a prefix" in checks.object_problem("s3://data-bucket/datasets/")
    assert checks.bucket_problem("s3://data-bucket/rft-output/") is None
    assert "does not exist" in checks.bucket_problem("s3://no-such-bucket/out/")
    assert "does not exist" in checks.grader_problem(GRADER)


def test_client_ports_over_boto3(aws):
    from nova_rft_localstack.aws_ports import ClientPorts
    from nova_rft_localstack.rft_emulation import DatasetReadError, GraderMissingError

    calls: list[int] = []

    def counting(service: str, account: str, region: str):
        client = aws(service, account, region)
        client.meta.events.register(
            "provide-client-params.cloudwatch.PutMetricData",
            lambda params, **_: calls.append(len(params["MetricData"])),
        )
        return client

    ports = ClientPorts(counting, ACCOUNT, REGION)
    aws("s3", ACCOUNT, REGION).create_bucket(Bucket="data-bucket")
    ports.put_object("s3://data-bucket/out/metrics.jsonl", b'{"a": 1}\n')
    assert ports.read_object("s3://data-bucket/out/metrics.jsonl") == b'{"a": 1}\n'
    with pytest.raises(DatasetReadError):
        ports.read_object("s3://data-bucket/out/missing.jsonl")
    with pytest.raises(GraderMissingError):
        ports.invoke_grader(GRADER, b"[]")
    ports.put_metrics("NovaRFT/EmulatedTraining", "job-1", {f"M{i}": float(i) for i in range(600)})
    listed = (
        aws("cloudwatch", ACCOUNT, REGION)
        .get_paginator("list_metrics")
        .paginate(Namespace="NovaRFT/EmulatedTraining", Dimensions=[{"Name": "JobName", "Value": "job-1"}])
    )
    assert sum(len(page["Metrics"]) for page in listed) == 600
    assert calls == [500, 100]  # PutMetricData takes at most 1000 values per call
