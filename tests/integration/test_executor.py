"""The host Lambda runtime executor inside LocalStack, with a toy function: results, errors like AWS,
timeouts, warm reuse, logs in CloudWatch Logs, EMF metrics in CloudWatch, reserved concurrency."""

from __future__ import annotations

import base64
import io
import json
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orchestrator.local_stack.stack import LocalStack

TOY = """
import json, os, time
import boto3

CALLS = 0

def handler(event, context):
    global CALLS
    CALLS += 1
    print(json.dumps({"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
        {"Namespace": "Toy/Executor", "Dimensions": [["FunctionName"]],
         "Metrics": [{"Name": "Calls", "Unit": "Count"}]}]},
        "FunctionName": context.function_name, "Calls": 1}))
    action = event.get("action")
    if action == "raise":
        raise ValueError("toy failure")
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "s3":
        return sorted(b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"])
    if action == "allocate":
        blob = bytearray(event["mb"] * 1024 * 1024)
        return len(blob)
    return {"calls": CALLS, "function": context.function_name, "memory": context.memory_limit_in_mb,
            "request_id": context.aws_request_id, "remaining_ms": context.get_remaining_time_in_millis(),
            "endpoint": os.environ.get("AWS_ENDPOINT_URL"), "custom": os.environ.get("TOY_SETTING")}
"""


def toy_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("toy.py", TOY)
    return buffer.getvalue()


def create_toy(stack: LocalStack, *, timeout: int = 3, memory: int = 256, reserved: int | None = None) -> str:
    name = f"toy-{uuid.uuid4().hex[:8]}"
    iam, lam = stack.client("iam"), stack.client("lambda")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
        ],
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="toy.handler",
        Code={"ZipFile": toy_zip()},
        Timeout=timeout,
        MemorySize=memory,
        Environment={"Variables": {"TOY_SETTING": "on"}},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    if reserved is not None:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
    return name


def invoke(stack: LocalStack, name: str, event: dict[str, Any], **kwargs: Any) -> tuple[dict[str, Any], Any]:
    response = stack.client("lambda", read_timeout=120, retries={"max_attempts": 1}).invoke(
        FunctionName=name, Payload=json.dumps(event), **kwargs
    )
    return response, json.loads(response["Payload"].read())


@pytest.fixture(scope="module")
def toy(local_stack: LocalStack) -> str:
    return create_toy(local_stack)


def test_result_context_and_environment(local_stack: LocalStack, toy: str) -> None:
    response, body = invoke(local_stack, toy, {})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert body["function"] == toy and body["memory"] == "256" and body["custom"] == "on"
    assert body["endpoint"] == local_stack.endpoint_url
    assert 0 < body["remaining_ms"] <= 3000


def test_warm_invokes_reuse_the_runtime(local_stack: LocalStack, toy: str) -> None:
    first = invoke(local_stack, toy, {})[1]["calls"]
    second = invoke(local_stack, toy, {})[1]["calls"]
    assert second == first + 1


def test_handler_exception_is_an_unhandled_function_error(local_stack: LocalStack, toy: str) -> None:
    response, body = invoke(local_stack, toy, {"action": "raise"})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "toy failure"
    assert body["requestId"] and any("toy.py" in frame for frame in body["stackTrace"])
    assert invoke(local_stack, toy, {})[0].get("FunctionError") is None  # environment still usable


def test_handler_reaches_localstack_with_boto3(local_stack: LocalStack, toy: str) -> None:
    bucket = f"toy-{uuid.uuid4().hex[:8]}"
    local_stack.client("s3").create_bucket(Bucket=bucket)
    assert bucket in invoke(local_stack, toy, {"action": "s3"})[1]


def test_timeout_kills_the_invocation_and_a_fresh_runtime_follows(local_stack: LocalStack) -> None:
    name = create_toy(local_stack, timeout=1)
    started = time.monotonic()
    response, body = invoke(local_stack, name, {"action": "sleep", "seconds": 10})
    assert time.monotonic() - started < 7  # cut at 1 s (+ kill), not after the 10 s sleep
    assert response["FunctionError"] == "Unhandled"
    assert (
        body["errorType"] == "Sandbox.Timedout"
        and "Task timed out after 1.00 seconds" in body["errorMessage"]
    )
    assert invoke(local_stack, name, {})[1]["calls"] == 1  # re-initialised, as on AWS


def test_memory_cap_stops_a_runaway_allocation(local_stack: LocalStack) -> None:
    name = create_toy(local_stack, memory=128)
    response, body = invoke(local_stack, name, {"action": "allocate", "mb": 2048})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "MemoryError"
    assert invoke(local_stack, name, {"action": "allocate", "mb": 16})[1] == 16 * 1024 * 1024


def test_logs_reach_cloudwatch_logs_with_lambda_framing(local_stack: LocalStack, toy: str) -> None:
    response, _ = invoke(local_stack, toy, {}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert tail.startswith("START RequestId:") and "END RequestId:" in tail and "REPORT RequestId:" in tail
    logs = local_stack.client("logs")
    deadline = time.monotonic() + 20
    messages: list[str] = []
    while time.monotonic() < deadline and not any(m.startswith("REPORT") for m in messages):
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{toy}").get("events", [])
        messages = [e["message"] for e in events]
        time.sleep(0.3)
    assert any(m.startswith("REPORT") and "Max Memory Used" in m for m in messages)
    assert any('"_aws"' in m for m in messages)


def test_emf_lines_become_cloudwatch_metrics(local_stack: LocalStack, toy: str) -> None:
    invoke(local_stack, toy, {})
    cloudwatch = local_stack.client("cloudwatch")
    deadline = time.monotonic() + 20
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not found:
        found = cloudwatch.list_metrics(
            Namespace="Toy/Executor", MetricName="Calls", Dimensions=[{"Name": "FunctionName", "Value": toy}]
        )["Metrics"]
        time.sleep(0.3)
    assert found, "EMF metric did not arrive in CloudWatch"


def test_reserved_concurrency_throttles_the_excess(local_stack: LocalStack) -> None:
    name = create_toy(local_stack, timeout=10, reserved=1)
    invoke(local_stack, name, {})  # warm one environment

    def call(_: int) -> str:
        try:
            response, _body = invoke(local_stack, name, {"action": "sleep", "seconds": 1.5})
        except ClientError as exc:
            return exc.response["Error"]["Code"]
        return response.get("FunctionError") or "ok"

    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(call, range(3)))
    assert outcomes.count("ok") >= 1
    assert "TooManyRequestsException" in outcomes


def test_import_error_is_reported_like_lambda(local_stack: LocalStack) -> None:
    name = create_toy(local_stack)
    lam = local_stack.client("lambda")
    lam.update_function_configuration(FunctionName=name, Handler="missing_module.handler")
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    response, body = invoke(local_stack, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'missing_module'" in body["errorMessage"]


def test_non_python_runtimes_are_refused_with_a_reason(local_stack: LocalStack) -> None:
    name = f"node-{uuid.uuid4().hex[:8]}"
    role = local_stack.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = local_stack.client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": toy_zip()},
    )
    deadline = time.monotonic() + 30
    config = lam.get_function_configuration(FunctionName=name)
    while config["State"] == "Pending" and time.monotonic() < deadline:
        time.sleep(0.3)
        config = lam.get_function_configuration(FunctionName=name)
    assert config["State"] == "Failed"
    assert "Python runtimes only" in config.get("StateReason", "")
