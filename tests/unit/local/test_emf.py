"""EMF log lines become the PutMetricData requests CloudWatch Logs would derive from them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from nova_rft_localstack import emf


def _line(**root: object) -> str:
    document = {
        "_aws": {
            "Timestamp": 1_700_000_000_000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "NovaRFT/Grader",
                    "Dimensions": [["FunctionName"]],
                    "Metrics": [{"Name": "BatchSize", "Unit": "Count"}, {"Name": "RewardMean"}],
                }
            ],
        },
        "FunctionName": "nova-rft-local-math",
        "BatchSize": 4,
        "RewardMean": 0.5,
    }
    document.update(root)
    return json.dumps(document)


def test_emf_line_gives_one_datum_per_metric_and_dimension_set() -> None:
    [request] = emf.metric_requests(_line())
    assert request["Namespace"] == "NovaRFT/Grader"
    by_name = {datum["MetricName"]: datum for datum in request["MetricData"]}
    assert by_name["BatchSize"]["Value"] == 4.0
    assert by_name["BatchSize"]["Unit"] == "Count"
    assert by_name["RewardMean"]["Unit"] == "None"
    assert by_name["RewardMean"]["Dimensions"] == [{"Name": "FunctionName", "Value": "nova-rft-local-math"}]
    assert by_name["BatchSize"]["Timestamp"] == datetime.fromtimestamp(1_700_000_000, tz=UTC)


def test_list_values_become_values_and_non_finite_are_dropped() -> None:
    [request] = emf.metric_requests(_line(BatchSize=[1, 2, 3], RewardMean=float("nan")))
    [datum] = request["MetricData"]
    assert datum["MetricName"] == "BatchSize"
    assert datum["Values"] == [1.0, 2.0, 3.0]


def test_missing_dimension_value_skips_the_datum() -> None:
    line = json.loads(_line())
    del line["FunctionName"]
    assert emf.metric_requests(json.dumps(line)) == []


def test_non_emf_lines_are_ignored() -> None:
    for line in ("START RequestId: x", "{not json", json.dumps({"a": 1}), json.dumps({"_aws": {}}), ""):
        assert emf.metric_requests(line) == []
