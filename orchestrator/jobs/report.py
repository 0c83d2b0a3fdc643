"""What `orch report` shows about a job, gathered from where the job left it.

- Emulated jobs (local stack): the emulator's metrics file (`progress.read_progress`): per-step rewards,
  per-dimension means, strategy mix, reward samples, grader latency, verdicts.
- Real Bedrock jobs: Bedrock returns no reward curve, so the report uses the grader's own CloudWatch
  metrics (namespace `NovaRFT/Grader`, dimension `FunctionName` = the job's grader function) over the
  job's time window, one point per period, and lists what the job wrote under its output location.
  The verdicts that can be computed from those series are computed; the rest is said to be missing.

Rendering (plots and HTML) is in `report_render.py`; this module only gathers `ReportData`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.jobs.progress import TrainingProgress, read_progress

GRADER_NAMESPACE = "NovaRFT/Grader"
MAX_POINTS = 100  # CloudWatch periods per series: enough for a curve, one GetMetricData call per 500 series
SERIES = (  # (report key, CloudWatch metric, statistic)
    ("reward_mean", "RewardMean", "Average"),
    ("reward_min", "RewardMin", "Minimum"),
    ("reward_max", "RewardMax", "Maximum"),
    ("reward_std", "RewardStd", "Average"),
    ("grader_error_rate", "ErrorRate", "Average"),
    ("no_spread_group_fraction", "NoSpreadGroupFraction", "Average"),
    ("grader_latency_ms_p50", "DurationMs", "Average"),
    ("grader_latency_ms_p95", "DurationMs", "Maximum"),
)


@dataclass
class ReportData:
    """Everything the report shows; `points` are per step (emulated) or per period (CloudWatch)."""

    job: dict[str, Any]
    source: str
    x_label: str
    points: list[dict[str, Any]] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    output_files: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def emulated(self) -> bool:
        return self.x_label == "step"


def from_progress(job: dict[str, Any], progress: TrainingProgress) -> ReportData:
    """An emulated job's report data from its metrics file."""
    return ReportData(
        job=job,
        source=f"emulated run, metrics file {progress.uri}",
        x_label="step",
        points=[dict(step, x=step["step"]) for step in progress.steps],
        verdicts=progress.verdicts(),
        summary=progress.summary,
    )


def function_name(job: dict[str, Any]) -> str | None:
    """The grader Lambda's function name (CloudWatch dimension FunctionName) from the job's config."""
    config = (job.get("customizationConfig") or {}).get("rftConfig") or {}
    arn = ((config.get("graderConfig") or {}).get("lambdaGrader") or {}).get("lambdaArn")
    if not arn:
        return None
    return str(arn).split(":function:", 1)[-1].split(":", 1)[0]


def job_window(job: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    start = job.get("creationTime") or now - timedelta(hours=1)
    end = job.get("endTime") or job.get("lastModifiedTime") or now
    if job.get("status") in ("InProgress", "Stopping"):
        end = now
    start, end = _aware(start), _aware(end)
    return start, max(end, start + timedelta(minutes=1))


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def period_for(start: datetime, end: datetime) -> int:
    """A CloudWatch period (multiple of 60 s) giving at most MAX_POINTS points over the window."""
    seconds = (end - start).total_seconds()
    return max(60, math.ceil(seconds / MAX_POINTS / 60) * 60)


def grader_dimensions(cloudwatch: Any, function: str) -> list[str]:
    """The spec dimensions the grader reported (`Dim.<name>.Mean` metrics)."""
    names: set[str] = set()
    paginator = cloudwatch.get_paginator("list_metrics")
    pages = paginator.paginate(
        Namespace=GRADER_NAMESPACE, Dimensions=[{"Name": "FunctionName", "Value": function}]
    )
    for page in pages:
        for metric in page.get("Metrics", []):
            name = metric["MetricName"]
            if name.startswith("Dim.") and name.endswith(".Mean"):
                names.add(name[len("Dim.") : -len(".Mean")])
    return sorted(names)


def fetch_series(
    cloudwatch: Any, function: str, start: datetime, end: datetime, dimensions: list[str]
) -> dict[str, dict[datetime, float]]:
    """{report key: {timestamp: value}} for SERIES and every dimension, one GetMetricData pass."""
    period = period_for(start, end)
    wanted = list(SERIES) + [(f"dim:{d}", f"Dim.{d}.Mean", "Average") for d in dimensions]
    queries = [
        {
            "Id": f"m{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": GRADER_NAMESPACE,
                    "MetricName": metric,
                    "Dimensions": [{"Name": "FunctionName", "Value": function}],
                },
                "Period": period,
                "Stat": stat,
            },
            "ReturnData": True,
        }
        for index, (_, metric, stat) in enumerate(wanted)
    ]
    series: dict[str, dict[datetime, float]] = {key: {} for key, _, _ in wanted}
    token: str | None = None
    while True:
        extra = {"NextToken": token} if token else {}
        response = cloudwatch.get_metric_data(
            MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending", **extra
        )
        for result in response.get("MetricDataResults", []):
            key = wanted[int(result["Id"][1:])][0]
            for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                series[key][_aware(stamp)] = float(value)
        token = response.get("NextToken")
        if not token:
            return series


def points_from_series(series: dict[str, dict[datetime, float]], start: datetime) -> list[dict[str, Any]]:
    """One point per period that has a RewardMean; x = minutes since the job started."""
    points = []
    for stamp in sorted(series.get("reward_mean", {})):
        point: dict[str, Any] = {
            "x": round((stamp - start).total_seconds() / 60, 2),
            "time": stamp.isoformat(),
        }
        point["dimensions"] = {}
        for key, values in series.items():
            if stamp not in values:
                continue
            if key.startswith("dim:"):
                point["dimensions"][key[4:]] = values[stamp]
            else:
                point[key] = values[stamp]
        points.append(point)
    return points


def series_verdicts(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The verdicts CloudWatch's per-period aggregates allow (the emulator's codes and thresholds)."""
    if not points:
        return []
    found = []
    last = len(points)
    if all(p.get("reward_max", 0.0) - p.get("reward_min", 0.0) < 1e-9 for p in points):
        value = points[0].get("reward_min", 0.0)
        found.append(_verdict("all_rewards_equal", last, f"every grader batch scored every sample {value:g}"))
    if all(p.get("reward_max", 0.0) <= 0 for p in points):
        found.append(_verdict("few_positive", last, "no batch had a positive reward"))
    rates = [p.get("grader_error_rate", 0.0) for p in points]
    if len(rates) >= 3:
        cut = max(1, len(rates) * 2 // 3)
        early, late = sum(rates[:cut]) / cut, sum(rates[cut:]) / (len(rates) - cut)
        if late >= 0.05 and late > 2 * early:
            found.append(
                _verdict("rising_error_rate", last, f"grader error rate rose from {early:.0%} to {late:.0%}")
            )
    spreads = [p["no_spread_group_fraction"] for p in points if "no_spread_group_fraction" in p]
    if spreads and sum(spreads) / len(spreads) > 0.5:
        share = sum(spreads) / len(spreads)
        found.append(
            _verdict("zero_spread_groups", last, f"{share:.0%} of prompt groups had no reward spread")
        )
    return found


def _verdict(code: str, step: int, message: str) -> dict[str, Any]:
    return {"code": code, "step": step, "message": message}


def from_cloudwatch(job: dict[str, Any], cloudwatch: Any, s3: Any, now: datetime) -> ReportData:
    """A real job's report data: grader metrics over the job's window, files under its output prefix."""
    function = function_name(job)
    start, end = job_window(job, now)
    data = ReportData(job=job, source="", x_label="minutes since the job was created")
    if function is None:
        data.notes.append("the job names no Lambda grader: no grader metrics to show")
        return data
    dimensions = grader_dimensions(cloudwatch, function)
    series = fetch_series(cloudwatch, function, start, end, dimensions)
    data.points = points_from_series(series, start)
    data.source = (
        f"CloudWatch {GRADER_NAMESPACE} FunctionName={function}, {start.isoformat(timespec='seconds')} to "
        f"{end.isoformat(timespec='seconds')}, period {period_for(start, end)} s (per-period aggregates "
        "of the grader's invocations, not Bedrock's own training steps)"
    )
    if not data.points:
        data.notes.append(f"no {GRADER_NAMESPACE} metrics for {function} in the job's time window")
    data.verdicts = series_verdicts(data.points)
    data.notes.append(
        "strategy mix and per-sample score histograms exist only for emulated jobs; hacking is not "
        "observable from aggregates (run the job locally, or `orch reward audit`)"
    )
    data.output_files = list_output(s3, job)
    return data


def list_output(s3: Any, job: dict[str, Any]) -> list[tuple[str, int]]:
    """(s3 URI, bytes) of what the job wrote under `<output s3Uri>/<jobName>/` (at most 1000)."""
    output = (job.get("outputDataConfig") or {}).get("s3Uri")
    if not output or not job.get("jobName"):
        return []
    bucket, _, prefix = output[len("s3://") :].partition("/")
    prefix = f"{prefix}{'' if not prefix or prefix.endswith('/') else '/'}{job['jobName']}/"
    response = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1000)
    return [(f"s3://{bucket}/{o['Key']}", int(o["Size"])) for o in response.get("Contents", [])]


def gather(job: dict[str, Any], s3: Any, cloudwatch: Any, now: datetime | None = None) -> ReportData:
    """Report data for any job: the emulator's metrics file when there is one, else CloudWatch."""
    progress = read_progress(s3, job)
    if progress.found:
        return from_progress(job, progress)
    return from_cloudwatch(job, cloudwatch, s3, now or datetime.now(UTC))
