"""Structured JSON logs and one CloudWatch EMF record per invocation (names in docs/architecture.md).

Why not aws-lambda-powertools: measured on this project's machine (Python 3.11, after pydantic is
loaded), `from aws_lambda_powertools import Logger, Metrics` costs ~11 ms with cached bytecode and
~40-50 ms without it (Lambda's /var/task is read-only, so a zip without .pyc files pays the second
number on every cold start), out of a 300 ms budget that pydantic alone already spends ~130-450 ms of.
What we need from it is one JSON line in EMF and a JSON log formatter: a few dozen lines of stdlib.
The records below follow the EMF specification exactly, so Powertools can replace this module later
without changing a metric name.

Everything is written to `sys.stdout` looked up at write time, so a caller (the `orch` CLI) can
redirect it with `contextlib.redirect_stdout`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import IO, Any

from nova_rewards import env_vars
from nova_rewards.compose import BatchOutcome

__all__ = [
    "NAMESPACE_ENV",
    "DEFAULT_NAMESPACE",
    "FUNCTION_NAME_ENV",
    "configure_logging",
    "invocation_metrics",
    "emf_record",
    "emit_emf",
]

NAMESPACE_ENV = env_vars.REWARD_METRICS_NAMESPACE
DEFAULT_NAMESPACE = "NovaRFT/Grader"
FUNCTION_NAME_ENV = env_vars.AWS_LAMBDA_FUNCTION_NAME
LOCAL_FUNCTION_NAME = "local"
_MAX_METRICS_PER_DIRECTIVE = 100  # EMF limit

# unit of each invocation metric; per-dimension metrics (Dim.<name>.Mean|Min|Max) are "None"
UNITS: dict[str, str] = {
    "BatchSize": "Count",
    "DurationMs": "Milliseconds",
    "SampleErrors": "Count",
    "SampleTimeouts": "Count",
    "ErrorRate": "None",
    "RewardMean": "None",
    "RewardStd": "None",
    "RewardMin": "None",
    "RewardMax": "None",
    "NoSpreadGroupFraction": "None",
    "HackingFlags": "Count",
    "NoValueDimensions": "Count",
}

_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, with the record's `extra` fields at the top level."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "service": self.service,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever `sys.stdout` is at emit time (redirectable)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def configure_logging(level: str | None = None) -> logging.Logger:
    """JSON logs for the `nova_rewards` logger (idempotent). Level: argument, env, then INFO."""
    logger = logging.getLogger("nova_rewards")
    if not any(isinstance(h, _StdoutHandler) for h in logger.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(JsonFormatter(os.environ.get(env_vars.POWERTOOLS_SERVICE_NAME, "nova-rewards")))
        logger.addHandler(handler)
        logger.propagate = False  # the Lambda runtime's root handler would print every line twice
    chosen = (
        level or os.environ.get(env_vars.POWERTOOLS_LOG_LEVEL) or os.environ.get(env_vars.LOG_LEVEL) or "INFO"
    )
    logger.setLevel(chosen.upper() if isinstance(logging.getLevelName(chosen.upper()), int) else "INFO")
    return logger


def invocation_metrics(outcome: BatchOutcome, duration_ms: float) -> dict[str, float]:
    """The invocation's metric values (names of docs/architecture.md)."""
    samples = outcome.samples
    size = len(samples)
    scores = [s.score for s in samples]
    errors = outcome.count("error", "invalid")
    timeouts = outcome.count("timeout")
    values: dict[str, float] = {
        "BatchSize": float(size),
        "DurationMs": round(duration_ms, 3),
        "SampleErrors": float(errors),
        "SampleTimeouts": float(timeouts),
        "ErrorRate": (errors + timeouts) / size if size else 0.0,
        "RewardMean": statistics.fmean(scores) if scores else 0.0,
        "RewardStd": statistics.pstdev(scores) if len(scores) > 1 else 0.0,
        "RewardMin": min(scores, default=0.0),
        "RewardMax": max(scores, default=0.0),
        "NoSpreadGroupFraction": no_spread_group_fraction(
            (s.group_key, s.score) for s in samples if s.group_key is not None
        ),
        "HackingFlags": float(sum(1 for s in samples if s.hacking)),
        "NoValueDimensions": float(len(outcome.no_value)),
    }
    per_dimension: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        if sample.status == "ok":
            for name, value in sample.dimension_values.items():
                per_dimension[name].append(value)
    for name, dim_values in per_dimension.items():
        values[f"Dim.{name}.Mean"] = statistics.fmean(dim_values)
        values[f"Dim.{name}.Min"] = min(dim_values)
        values[f"Dim.{name}.Max"] = max(dim_values)
    return {k: (v if math.isfinite(v) else 0.0) for k, v in values.items()}


def no_spread_group_fraction(keyed_scores: Iterable[tuple[str, float]]) -> float:
    """Share of prompt groups (>= 2 samples) whose scores are all equal; 0 when there is no group.

    A group without spread gives GRPO-style training no signal, so a high value is worth an alarm.
    """
    groups: dict[str, list[float]] = defaultdict(list)
    for key, score in keyed_scores:
        groups[key].append(score)
    sized = [scores for scores in groups.values() if len(scores) >= 2]
    if not sized:
        return 0.0
    flat = sum(1 for scores in sized if max(scores) - min(scores) <= 1e-12)
    return flat / len(sized)


def emf_record(
    values: Mapping[str, float],
    *,
    namespace: str | None = None,
    function_name: str | None = None,
    properties: Mapping[str, Any] | None = None,
    timestamp_ms: int | None = None,
) -> dict[str, Any]:
    """An EMF record: one dimension set [["FunctionName"]], metrics in directives of <= 100."""
    namespace = namespace or os.environ.get(NAMESPACE_ENV) or DEFAULT_NAMESPACE
    function_name = function_name or os.environ.get(FUNCTION_NAME_ENV) or LOCAL_FUNCTION_NAME
    definitions = [{"Name": name, "Unit": UNITS.get(name, "None")} for name in values]
    directives = [
        {
            "Namespace": namespace,
            "Dimensions": [["FunctionName"]],
            "Metrics": definitions[i : i + _MAX_METRICS_PER_DIRECTIVE],
        }
        for i in range(0, len(definitions), _MAX_METRICS_PER_DIRECTIVE)
    ]
    record: dict[str, Any] = dict(properties or {})
    record["_aws"] = {
        "Timestamp": int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
        "CloudWatchMetrics": directives,
    }
    record["FunctionName"] = function_name
    record.update(values)
    return record


def emit_emf(record: Mapping[str, Any], stream: IO[str] | None = None) -> None:
    """Print the record as one JSON line (CloudWatch extracts the metrics from the log line)."""
    out = stream if stream is not None else sys.stdout
    out.write(json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n")
    out.flush()
