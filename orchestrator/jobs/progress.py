"""A job's training progress: per-step rewards, strategies and reward-signal verdicts.

The local emulator writes them, one JSON object per line, to
`<outputDataConfig.s3Uri>/<jobName>/emulated-training-metrics.jsonl` (records of type `step`,
`validation` and, at the end, `summary`; see docs/architecture.md). Real Bedrock jobs have no such
file: `read_progress` then returns an empty `TrainingProgress` and `orch report` uses CloudWatch.
`orch status` and `orch wait` print `render_progress`; `--json` adds `progress_dict`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.output import Output

# The emulator's metrics file name: pinned against nova_rft_localstack.rft_emulation by a test (the
# CLI does not import the LocalStack extension).
METRICS_FILE_NAME = "emulated-training-metrics.jsonl"
STEP_COLUMNS = ("step", "reward mean", "min", "max", "std", "error rate", "top strategy", "hack share")


class ProgressError(Exception):
    """The metrics file exists but cannot be read or parsed."""


@dataclass
class TrainingProgress:
    """The records of a job's metrics file, split by type."""

    uri: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] | None = None

    @property
    def found(self) -> bool:
        return bool(self.steps or self.summary)

    def verdicts(self) -> list[dict[str, Any]]:
        """The final verdicts once the run ended, else those of the latest step."""
        if self.summary is not None:
            return list(self.summary.get("verdicts", []))
        return list(self.steps[-1].get("verdicts", [])) if self.steps else []


def metrics_uri(job: dict[str, Any]) -> str | None:
    """Where the emulator writes a job's metrics: `<output s3Uri>/<jobName>/<METRICS_FILE_NAME>`."""
    output = (job.get("outputDataConfig") or {}).get("s3Uri")
    name = job.get("jobName")
    if not output or not name:
        return None
    return f"{output}{'' if output.endswith('/') else '/'}{name}/{METRICS_FILE_NAME}"


def parse_records(text: str, source: str) -> TrainingProgress:
    """The metrics file's lines -> TrainingProgress; ProgressError names the line that is broken."""
    import json

    progress = TrainingProgress(uri=source)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:  # JSONDecodeError, or an integer past the digit limit
            raise ProgressError(f"{source} line {number}: not JSON ({_json_error(exc)})") from None
        kind = record.get("type") if isinstance(record, dict) else None
        if kind == "step":
            progress.steps.append(record)
        elif kind == "validation":
            progress.validations.append(record)
        elif kind == "summary":
            progress.summary = record
    return progress


def read_progress(s3: Any, job: dict[str, Any]) -> TrainingProgress:
    """The job's metrics file from S3; empty when there is none (a real Bedrock job, or not started)."""
    uri = metrics_uri(job)
    if uri is None:
        return TrainingProgress()
    bucket, _, key = uri[len("s3://") :].partition("/")
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:
        code = str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code", ""))
        if code in ("NoSuchKey", "404", "NoSuchBucket"):
            return TrainingProgress(uri=uri)
        raise ProgressError(f"{uri}: {code or type(exc).__name__}: {exc}") from None
    return parse_records(body.decode("utf-8", "replace"), uri)


def _number(value: Any, digits: int = 3) -> str:
    return "" if value is None else f"{float(value):.{digits}f}"


def step_rows(steps: Iterable[dict[str, Any]]) -> list[tuple[str, ...]]:
    """One row per step: reward mean/min/max/std, grader error rate, top strategy, hack share."""
    return [
        (
            str(step.get("step", "")),
            _number(step.get("reward_mean")),
            _number(step.get("reward_min"), 2),
            _number(step.get("reward_max"), 2),
            _number(step.get("reward_std")),
            f"{float(step.get('grader_error_rate', 0.0)):.0%}",
            str(step.get("top_strategy") or ""),
            f"{float(step.get('hack_share', 0.0)):.0%}",
        )
        for step in steps
    ]


def summary_lines(progress: TrainingProgress) -> list[str]:
    """The run's outcome in words: final strategy mix, hack share, the step a hack overtook."""
    summary = progress.summary
    if summary is None:
        return []
    mix = sorted((summary.get("final_strategy_mix") or {}).items(), key=lambda item: (-item[1], item[0]))
    top = ", ".join(f"{name} {share:.0%}" for name, share in mix[:4])
    lines = [f"final strategy mix: {top}" if top else "final strategy mix: (none)"]
    shares = summary.get("final_kind_shares") or {}
    if shares:
        lines.append(
            "by kind: " + ", ".join(f"{kind} {share:.0%}" for kind, share in shares.items() if share >= 0.005)
        )
    overtook = summary.get("hack_overtook_step")
    lines.append(
        f"hacking strategies: {float(summary.get('hack_share', 0.0)):.0%} of the policy; "
        + (
            f"a hack overtook correct answers at step {overtook}"
            if overtook
            else "never ahead of correct answers"
        )
    )
    return lines


def verdict_lines(verdicts: Sequence[dict[str, Any]]) -> list[str]:
    return [f"WARNING [{v.get('code')}] step {v.get('step')}: {v.get('message')}" for v in verdicts]


def render_progress(output: Output, progress: TrainingProgress) -> None:
    """Per-step table, the run's summary and the verdicts (warnings, on stdout and in bold)."""
    if not progress.found:
        return
    output.table(f"Training steps ({progress.uri})", STEP_COLUMNS, step_rows(progress.steps))
    for line in summary_lines(progress):
        output.line(line)
    verdicts = progress.verdicts()
    if verdicts:
        output.line(
            f"REWARD SIGNAL: {len(verdicts)} warning(s) - this grader may not teach the task",
            style="bold red",
        )
        for line in verdict_lines(verdicts):
            output.line(line, style="bold yellow")


def progress_dict(progress: TrainingProgress) -> dict[str, Any]:
    """The JSON form for `--json`: steps, summary and verdicts."""
    return {
        "metricsUri": progress.uri,
        "steps": progress.steps,
        "summary": progress.summary,
        "verdicts": progress.verdicts(),
    }


def load_progress(make_s3: Any, job: dict[str, Any], output: Output) -> TrainingProgress:
    """`read_progress` for display: a problem reading the file is a note on stderr, never a failure."""
    try:
        return read_progress(make_s3(), job)
    except Exception as exc:  # progress is extra information: status/wait must still answer
        output.note(f"training progress unavailable: {exc}")
        return TrainingProgress()


def rerun_hint(job: dict[str, Any], env: str | None = None) -> str | None:
    """For a command that found its earlier job instead of starting one: how to start a new one (or
    follow it: with the command's `--env`, which a job of the local stack needs)."""
    status = job.get("status")
    if status in ("Failed", "Stopped"):
        return (
            f"this is the earlier job of the same inputs, which ended {status}; to start a NEW job, run "
            "the same command with --run-id <label> (e.g. --run-id retry-2)"
        )
    if status in ("InProgress", "Stopping"):
        env_option = f" --env {env}" if env else ""
        return f"it is still {status}: `orch wait {job.get('jobName')}{env_option}` follows it"
    return None


def _json_error(exc: ValueError) -> str:
    """What `json.loads` objected to (a JSONDecodeError's message lacks the position `str` adds)."""
    import json

    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
