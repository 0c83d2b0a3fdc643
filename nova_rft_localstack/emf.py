"""CloudWatch Embedded Metric Format (EMF): turn a log line into PutMetricData requests.

In AWS, CloudWatch Logs extracts metrics from EMF log lines on ingestion. LocalStack's CloudWatch
Logs does not, so the host Lambda executor runs every function log line through `metric_requests`
and sends the result to LocalStack's CloudWatch: the grader's metrics then arrive where they would in
AWS. Standard library only (it runs inside LocalStack's own interpreter).
Spec: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

MAX_DATUMS_PER_REQUEST = 1000
MAX_DIMENSIONS = 30


def parse_emf(line: str) -> dict[str, Any] | None:
    """The EMF document of a log line, or None when the line is not EMF."""
    text = line.strip()
    if not text.startswith("{") or '"_aws"' not in text:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    aws = document.get("_aws") if isinstance(document, dict) else None
    if not isinstance(aws, dict) or not isinstance(aws.get("CloudWatchMetrics"), list):
        return None
    return document


def metric_requests(line: str) -> list[dict[str, Any]]:
    """PutMetricData keyword arguments (Namespace, MetricData) for one EMF log line; [] otherwise."""
    document = parse_emf(line)
    if document is None:
        return []
    timestamp = _timestamp(document["_aws"].get("Timestamp"))
    requests: list[dict[str, Any]] = []
    for directive in document["_aws"]["CloudWatchMetrics"]:
        if not isinstance(directive, dict) or not isinstance(directive.get("Namespace"), str):
            continue
        datums = list(_datums(document, directive, timestamp))
        for start in range(0, len(datums), MAX_DATUMS_PER_REQUEST):
            chunk = datums[start : start + MAX_DATUMS_PER_REQUEST]
            requests.append({"Namespace": directive["Namespace"], "MetricData": chunk})
    return requests


def _datums(
    document: dict[str, Any], directive: dict[str, Any], timestamp: datetime
) -> Iterator[dict[str, Any]]:
    dimension_sets = directive.get("Dimensions") or [[]]
    for metric in directive.get("Metrics") or []:
        name = metric.get("Name") if isinstance(metric, dict) else None
        values = _values(document.get(name)) if isinstance(name, str) else []
        if not values:
            continue
        for dimension_names in dimension_sets:
            dimensions = _dimensions(document, dimension_names)
            if dimensions is None:
                continue
            datum: dict[str, Any] = {
                "MetricName": name,
                "Dimensions": dimensions,
                "Timestamp": timestamp,
                "Unit": metric.get("Unit") or "None",
            }
            if len(values) == 1:
                datum["Value"] = values[0]
            else:
                datum["Values"] = values
            if metric.get("StorageResolution") == 1:
                datum["StorageResolution"] = 1
            yield datum


def _dimensions(document: dict[str, Any], names: Any) -> list[dict[str, str]] | None:
    if not isinstance(names, list) or len(names) > MAX_DIMENSIONS:
        return None
    dimensions = []
    for name in names:
        value = document.get(name)
        if not isinstance(name, str) or not isinstance(value, str):
            return None  # EMF requires every dimension to be a string member of the root
        dimensions.append({"Name": name, "Value": value})
    return dimensions


def _values(raw: Any) -> list[float]:
    items = raw if isinstance(raw, list) else [raw]
    values = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item):
            continue
        values.append(float(item))
    return values


def _timestamp(raw: Any) -> datetime:
    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw > 0:
        return datetime.fromtimestamp(raw / 1000, tz=UTC)
    return datetime.now(tz=UTC)
