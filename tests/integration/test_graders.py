"""The deployed graders through the local stack: Bedrock-shaped batches in, the exact contract out,
EMF metrics in CloudWatch, logs in CloudWatch Logs, and the errors alarm firing when the grader fails."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orchestrator.local_stack.provision import ProvisionResult
from orchestrator.local_stack.stack import LocalStack
from tests.integration.grader_batches import SPECS_DIR, bedrock_batch, score_range

GRADERS = ("math", "support", "json_extraction", "code")


def eventually(probe: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline, delay = time.monotonic() + timeout, 0.2
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:.0f} s")
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


def invoke(stack: LocalStack, arn: str, event: Any) -> tuple[dict[str, Any], Any]:
    client = stack.client("lambda", read_timeout=320, retries={"max_attempts": 1})
    response = client.invoke(FunctionName=arn, Payload=json.dumps(event))
    return response, json.loads(response["Payload"].read())


def grader_arn(provisioned: ProvisionResult, name: str) -> str:
    arns = provisioned.outputs["grader_arns"]
    if name not in arns:
        pytest.skip(f"grader {name} is not in the local environment")
    if not (SPECS_DIR / f"{name}.json").is_file():
        pytest.skip(f"spec {name} is not bundled yet")
    return arns[name]


@pytest.mark.parametrize("name", GRADERS)
def test_grader_answers_a_bedrock_batch_with_the_contract(
    local_stack: LocalStack, provisioned_local: ProvisionResult, name: str
) -> None:
    arn = grader_arn(provisioned_local, name)
    batch = bedrock_batch(name)
    response, body = invoke(local_stack, arn, batch)
    assert response.get("FunctionError") is None, body
    assert isinstance(body, list) and [item["id"] for item in body] == [sample["id"] for sample in batch]
    low, high = score_range(name)
    for item in body:
        assert set(item) <= {"id", "aggregate_reward_score", "metrics_list"}
        score = item["aggregate_reward_score"]
        assert isinstance(score, int | float) and math.isfinite(score) and low <= score <= high
        for metric in item.get("metrics_list", []):
            assert set(metric) == {"name", "value", "type"} and metric["type"] in ("Reward", "Metric")
            assert isinstance(metric["value"], int | float) and math.isfinite(metric["value"])
    assert len({item["aggregate_reward_score"] for item in body}) > 1, (
        "the sample responses should not all tie"
    )


def test_math_grader_scores_right_above_wrong(
    local_stack: LocalStack, provisioned_local: ProvisionResult
) -> None:
    arn = grader_arn(provisioned_local, "math")
    sample = bedrock_batch("math", 1)[0]
    answer = sample["metadata"]["reference_answer"]["final_answer"]
    right = {
        **sample,
        "id": "right",
        "messages": [*sample["messages"][:-1], {"role": "assistant", "content": f"The answer is {answer}."}],
    }
    wrong = {
        **sample,
        "id": "wrong",
        "messages": [*sample["messages"][:-1], {"role": "assistant", "content": "The answer is 123456789."}],
    }
    _response, body = invoke(local_stack, arn, [right, wrong])
    scores = {item["id"]: item["aggregate_reward_score"] for item in body}
    assert scores["right"] > scores["wrong"]


def test_emf_metrics_reach_cloudwatch(local_stack: LocalStack, provisioned_local: ProvisionResult) -> None:
    arn = grader_arn(provisioned_local, "math")
    function = arn.rsplit(":", 1)[-1]
    invoke(local_stack, arn, bedrock_batch("math", 4))
    cloudwatch = local_stack.client("cloudwatch")
    dimension = [{"Name": "FunctionName", "Value": function}]

    def names() -> set[str]:
        metrics = cloudwatch.list_metrics(Namespace="NovaRFT/Grader", Dimensions=dimension)["Metrics"]
        return {m["MetricName"] for m in metrics}

    found = eventually(
        lambda: names() >= {"BatchSize", "RewardMean", "ErrorRate"} and names(), what="EMF metrics"
    )
    assert {"DurationMs", "RewardMin", "RewardMax", "SampleErrors"} <= found
    assert any(name.startswith("Dim.") and name.endswith(".Mean") for name in found)
    now = time.time()
    stats = cloudwatch.get_metric_statistics(
        Namespace="NovaRFT/Grader",
        MetricName="BatchSize",
        Dimensions=dimension,
        StartTime=now - 600,
        EndTime=now + 60,
        Period=60,
        Statistics=["Maximum"],
    )
    assert max(point["Maximum"] for point in stats["Datapoints"]) >= 4


def test_grader_logs_reach_cloudwatch_logs(
    local_stack: LocalStack, provisioned_local: ProvisionResult
) -> None:
    arn = grader_arn(provisioned_local, "json_extraction")
    invoke(local_stack, arn, bedrock_batch("json_extraction", 2))
    logs = local_stack.client("logs")
    group = f"/aws/lambda/{arn.rsplit(':', 1)[-1]}"

    def messages() -> list[str]:
        return [event["message"] for event in logs.filter_log_events(logGroupName=group).get("events", [])]

    found = eventually(lambda: [m for m in messages() if m.startswith("REPORT")] and messages(), what="logs")
    assert any('"NovaRFT/Grader"' in m for m in found)  # the EMF record, as CloudWatch Logs stores it


def test_errors_alarm_fires_when_the_grader_fails(
    local_stack: LocalStack, provisioned_local: ProvisionResult
) -> None:
    arn = grader_arn(provisioned_local, "json_extraction")
    function = arn.rsplit(":", 1)[-1]
    response, body = invoke(local_stack, arn, [])  # an empty batch is not a batch: the handler raises
    assert response["FunctionError"] == "Unhandled" and body["errorType"] and body["errorMessage"]
    cloudwatch = local_stack.client("cloudwatch")
    dimension = [{"Name": "FunctionName", "Value": function}]

    def errors() -> float:
        """Errors in the window the alarm evaluates: [now - Period, now] (a datapoint stamped a moment
        ahead of the clock counts only once that moment has passed)."""
        now = datetime.now(tz=UTC)
        query = {
            "Id": "errors",
            "MetricStat": {
                "Metric": {"Namespace": "AWS/Lambda", "MetricName": "Errors", "Dimensions": dimension},
                "Period": 300,
                "Stat": "Sum",
            },
        }
        result = cloudwatch.get_metric_data(
            MetricDataQueries=[query], StartTime=now - timedelta(seconds=300), EndTime=now
        )["MetricDataResults"][0]
        return sum(result["Values"])

    eventually(errors, what="AWS/Lambda Errors datapoint")
    [alarm] = cloudwatch.describe_alarms(AlarmNames=[f"{function}-errors"])["MetricAlarms"]
    # LocalStack evaluates an alarm when it is put and then every Period x EvaluationPeriods (300 s here).
    # Re-putting the deployed definition unchanged (what a no-op `terraform apply` does) evaluates it now.
    keep = (
        "AlarmName",
        "AlarmDescription",
        "Namespace",
        "MetricName",
        "Dimensions",
        "Statistic",
        "Period",
        "EvaluationPeriods",
        "ComparisonOperator",
        "Threshold",
        "TreatMissingData",
        "AlarmActions",
        "OKActions",
    )
    cloudwatch.put_metric_alarm(**{key: alarm[key] for key in keep if key in alarm})

    def state() -> str | None:
        found = cloudwatch.describe_alarms(AlarmNames=[alarm["AlarmName"]])["MetricAlarms"][0]
        return found["StateValue"] if found["StateValue"] == "ALARM" else None

    assert eventually(state, what="errors alarm in ALARM") == "ALARM"
