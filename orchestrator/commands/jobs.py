"""`orch start-job`, `status`, `wait`, `list-jobs`, `stop-job`: Bedrock RFT jobs."""

from __future__ import annotations

import functools
import re
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from orchestrator import hyperparams
from orchestrator.aws import TRANSIENT_ERRORS
from orchestrator.factory import OrchFactory, make_factory
from orchestrator.jobs.client import JOB_STATUSES, StartResult
from orchestrator.jobs.polling import (
    DEFAULT_POLL_INTERVAL_S,
    EXIT_TIMED_OUT,
    WaitOutcome,
    describe_phase,
    wait_for_job,
)
from orchestrator.jobs.progress import (
    TrainingProgress,
    load_progress,
    progress_dict,
    render_progress,
    rerun_hint,
)
from orchestrator.jobs.request import (
    DEFAULT_BASE_MODEL,
    LAMBDA_ARN_PATTERN,
    ROLE_ARN_PATTERN,
    check_pattern,
)
from orchestrator.jobs.starter import JobStarter, StartJobOptions
from orchestrator.options import (
    env_options,
    env_options_from,
    job_env_options,
    json_option,
    positive_float,
    region_options,
)
from orchestrator.output import Output, make_output, transfer_progress

EXIT_CODES_HELP = """\b
Exit codes when following a job:
  0   Completed
  10  Failed
  11  Stopped
  12  timed out (--timeout reached; the job keeps running)
  2 bad option or missing environment output, 3 invalid dataset, 4 AWS error"""

HP_OPTIONS = (
    ("--epochs", "epochCount"),
    ("--batch-size", "batchSize"),
    ("--learning-rate", "learningRate"),
    ("--samples-per-prompt", "trainingSamplePerPrompt"),
    ("--max-prompt-length", "maxPromptLength"),
    ("--inference-max-tokens", "inferenceMaxTokens"),
    ("--reasoning-effort", "reasoningEffort"),
    ("--eval-interval", "evalInterval"),
)


def hyperparameter_options(func: Any) -> Any:
    """One option per RFT hyperparameter; ranges are checked together, before any AWS call."""
    for option, api_name in reversed(HP_OPTIONS):
        hp = hyperparams.BY_API_NAME[api_name]
        kind: Any = click.Choice(hp.choices) if hp.choices else hp.kind
        func = click.option(option, api_name, type=kind, help=f"{api_name} ({hp.describe_range()}).")(func)
    return func


def wait_options(func: Any) -> Any:
    func = click.option(
        "--poll-interval",
        type=float,
        default=DEFAULT_POLL_INTERVAL_S,
        show_default=True,
        callback=positive_float,
        help="First delay between polls in seconds (grows with backoff and jitter; reset on phase changes).",
    )(func)
    return click.option(
        "--timeout", type=float, callback=positive_float, help="Give up after S seconds (exit 12)."
    )(func)


# -- start-job ----------------------------------------------------------------------------------------
@click.command("start-job", epilog=EXIT_CODES_HELP)
@click.option(
    "--dataset",
    required=True,
    help="Training data: an s3:// URI or a local JSONL file (validated, uploaded).",
)
@click.option("--validation-dataset", help="Validation data: an s3:// URI or a local JSONL file.")
@click.option(
    "--keep-validation-data",
    is_flag=True,
    help="Send --validation-dataset even for Nova 2 Lite (AWS's SDK leaves it out there, with a warning).",
)
@click.option("--base-model", default=DEFAULT_BASE_MODEL, show_default=True, help="Base model id or ARN.")
@click.option("--grader", help="Grader name from the environment's `grader_arns` output.")
@click.option("--reward-arn", help="Grader Lambda ARN (instead of --grader).")
@click.option("--role-arn", help="Customization role ARN (overrides `customization_role_arn`).")
@click.option("--bucket", help="Dataset/output bucket (overrides `dataset_bucket`).")
@click.option("--job-name", help="Job name (default: nova-rft-<grader>-<hash of the inputs>).")
@click.option("--model-name", help="Custom model name (default: same as the job name).")
@click.option("--run-id", help="Label that makes an otherwise identical job a new one (part of the token).")
@click.option(
    "--hyperparameters",
    "hyperparameters_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file of hyperparameters (API names, e.g. epochCount); options override it.",
)
@hyperparameter_options
@click.option("--dry-run", is_flag=True, help="Print the exact request JSON; upload and start nothing.")
@click.option("--wait", "follow", is_flag=True, help="Follow the job until it ends (exit codes below).")
@wait_options
@env_options
@json_option
@click.pass_context
def start_job(
    ctx: click.Context,
    dataset: str,
    validation_dataset: str | None,
    keep_validation_data: bool,
    base_model: str,
    grader: str | None,
    job_name: str | None,
    model_name: str | None,
    run_id: str | None,
    dry_run: bool,
    follow: bool,
    timeout: float | None,
    poll_interval: float,
    as_json: bool,
    **kwargs: Any,  # hyperparameter, --reward-arn/--role-arn/--bucket and environment options
) -> None:
    """Start a Nova RFT job on Bedrock (idempotent: a retried command never starts a second job).

    The clientRequestToken is a hash of the normalised inputs (model, role, dataset URIs, output,
    grader, hyperparameters, explicit names, --run-id); default job/model names come from the same
    hash, not from the clock, so re-running the same command finds the job it started. Local
    datasets are validated and uploaded to content-addressed keys first. Hyperparameters are checked
    against the documented ranges before any AWS call.

    \b
    Examples:
      orch start-job --env dev --dataset datasets/math.jsonl --grader math --wait
      orch start-job --dataset s3://bucket/datasets/<sha>/train.jsonl --grader math --epochs 2 --dry-run
      orch start-job --dataset train.jsonl --hyperparameters hp.json --batch-size 64 --json
    """
    output = make_output(as_json)
    options = StartJobOptions(
        dataset=dataset,
        grader=grader,
        validation_dataset=validation_dataset,
        keep_validation_data=keep_validation_data,
        base_model=base_model,
        hyperparameters=collect_hyperparameters(kwargs),
        job_name=job_name,
        model_name=model_name,
        run_id=run_id,
        dry_run=dry_run,
    )
    factory = make_factory(ctx.obj, env_options_from(kwargs, **explicit_flags(kwargs)))
    outputs = factory.outputs()
    jobs = functools.cache(lambda: factory.jobs(outputs.region))  # no client for a dry run
    with transfer_progress(output) as progress:
        job = JobStarter(outputs, factory.uploader(progress), jobs, output).start(options)
    if job.started is None:  # dry run
        output.emit_json(job.request)
        return
    _report_start(output, job.started, factory.options.env)
    if not follow:
        if output.json_mode:
            output.emit_json(job.summary())
        return
    outcome = follow_job(ctx, jobs(), job.started.job_arn, output, timeout, poll_interval)
    training = load_progress(lambda: factory.client("s3", outputs.region), outcome.job, output)
    if output.json_mode:
        output.emit_json({**job.summary(), "final": outcome_dict(outcome, training)})
    else:
        report_outcome(output, outcome, training)
    ctx.exit(outcome.exit_code)


def _report_start(output: Output, started: StartResult, env: str | None) -> None:
    """The job's name and ARN, and a hint when an earlier run had started it already."""
    if not output.json_mode:
        verb = "started" if started.created else "already started earlier (same inputs; nothing new started)"
        output.line(f"job {started.job_name}: {verb}")
        output.line(started.job_arn)
    job = {"status": started.status, "jobName": started.job_name}
    hint = None if started.created else rerun_hint(job, env)
    if hint:
        output.note(hint, style="yellow")


def collect_hyperparameters(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Hyperparameters from --hyperparameters FILE and the options (which win), range-checked."""
    option_values = {api_name: kwargs.pop(api_name) for _, api_name in HP_OPTIONS}
    path = kwargs.pop("hyperparameters_file")
    file_values = hyperparams.load_file(path) if path else {}
    return hyperparams.merge(file_values, option_values)


def explicit_flags(kwargs: dict[str, Any]) -> dict[str, str | None]:
    """--reward-arn, --role-arn and --bucket, the ARNs checked against the service model."""
    reward_arn, role_arn = kwargs.pop("reward_arn"), kwargs.pop("role_arn")
    if reward_arn:
        check_pattern(reward_arn, LAMBDA_ARN_PATTERN, "--reward-arn")
    if role_arn:
        check_pattern(role_arn, ROLE_ARN_PATTERN, "--role-arn")
    return {"reward_arn": reward_arn, "role_arn": role_arn, "bucket": kwargs.pop("bucket")}


# -- status / wait --------------------------------------------------------------------------------------
def job_region(job: str, region: str | None) -> str | None:
    """--region, else the region inside a job ARN, else None (boto3's default)."""
    if region:
        return region
    match = re.match(r"arn:aws[^:]*:bedrock:([a-z0-9-]+):", job)
    return match.group(1) if match else None


def jobs_factory(ctx: click.Context, kwargs: dict[str, Any]) -> OrchFactory:
    """The factory of a command about existing jobs; an explicit --env must name an environment."""
    explicit = ctx.get_parameter_source("env_name") == click.core.ParameterSource.COMMANDLINE
    factory = make_factory(ctx.obj, env_options_from({"env_name": "", **kwargs}))
    factory.stack_target(strict=explicit)
    return factory


def print_job(output: Output, job: dict[str, Any]) -> None:
    details = job.get("statusDetails") or {}
    metrics = job.get("trainingMetrics") or {}
    validation = [m.get("validationLoss") for m in job.get("validationMetrics") or []]
    failure = job.get("failureMessage") or ""
    long_failure = "\n" in failure or len(failure) > 200  # a grader's stack trace: printed below, in full
    output.key_values(
        f"Job {job.get('jobName')}",
        [
            ("status", job.get("status")),
            ("validation", (details.get("validationDetails") or {}).get("status")),
            ("data processing", (details.get("dataProcessingDetails") or {}).get("status")),
            ("training", (details.get("trainingDetails") or {}).get("status")),
            ("failure message", "(below)" if long_failure else failure),
            ("training loss", metrics.get("trainingLoss")),
            ("validation loss", ", ".join(str(v) for v in validation if v is not None)),
            ("output model", job.get("outputModelArn") or job.get("outputModelName")),
            ("job ARN", job.get("jobArn")),
            ("base model", job.get("baseModelArn")),
            ("created", job.get("creationTime")),
            ("last modified", job.get("lastModifiedTime")),
            ("ended", job.get("endTime")),
        ],
    )
    if long_failure:
        output.line("failure message:", style="bold red")
        output.line(failure)


@click.command("status")
@click.argument("job")
@region_options
@job_env_options
@json_option
@click.pass_context
def status(ctx: click.Context, job: str, as_json: bool, **kwargs: Any) -> None:
    """Show a job: status, sub-statuses, failure message, metrics, output model.

    JOB is a job name or ARN. The region comes from --region, the ARN, or the AWS configuration.

    \b
    Examples:
      orch status nova-rft-math-1a2b3c4d5e6f
      orch status nova-rft-math-1a2b3c4d5e6f --env local   # a job of the local stack (make demo)
      orch status arn:aws:bedrock:us-east-1:123456789012:model-customization-job/... --json
    """
    output = make_output(as_json)
    region = job_region(job, kwargs.get("region"))
    factory = jobs_factory(ctx, kwargs)
    details = factory.jobs(region).get(job)
    progress = load_progress(lambda: factory.client("s3", region), details, output)
    if as_json:
        output.emit_json(
            {**details, "trainingProgress": progress_dict(progress)} if progress.found else details
        )
    else:
        print_job(output, details)
        render_progress(output, progress)


def follow_job(
    ctx: click.Context, jobs: Any, job: str, output: Output, timeout: float | None, poll_interval: float
) -> WaitOutcome:
    """Poll with backoff; a rich status line on stderr shows the phase and the elapsed time."""
    obj = ctx.obj or {}
    spinner = output.stderr.status(f"waiting for {job}") if output.interactive else nullcontext()
    with spinner as status:

        def on_update(current: dict[str, Any], elapsed: float) -> None:
            if status is not None:
                status.update(f"{current.get('jobName', job)}: {describe_phase(current)} - {elapsed:.0f} s")

        return wait_for_job(
            lambda: jobs.get(job),
            timeout=timeout,
            poll_interval=poll_interval,
            sleep=obj.get("sleep", time.sleep),
            clock=obj.get("clock", time.monotonic),
            on_update=on_update,
            transient=TRANSIENT_ERRORS,
        )


def outcome_dict(outcome: WaitOutcome, progress: TrainingProgress | None = None) -> dict[str, Any]:
    result = {
        "state": outcome.state,
        "exitCode": outcome.exit_code,
        "elapsedSeconds": round(outcome.elapsed, 1),
        "polls": outcome.polls,
        "job": outcome.job,
    }
    if progress is not None and progress.found:
        result["trainingProgress"] = progress_dict(progress)
    return result


def report_outcome(output: Output, outcome: WaitOutcome, progress: TrainingProgress | None = None) -> None:
    if output.json_mode:
        output.emit_json(outcome_dict(outcome, progress))
        return
    print_job(output, outcome.job)
    if progress is not None:
        render_progress(output, progress)
    if outcome.exit_code == EXIT_TIMED_OUT:
        output.line(
            f"timed out after {outcome.elapsed:.0f} s; the job is still {describe_phase(outcome.job)}"
        )
    else:
        output.line(f"job ended: {outcome.state} (exit {outcome.exit_code})")


@click.command("wait", epilog=EXIT_CODES_HELP)
@click.argument("job")
@wait_options
@region_options
@job_env_options
@json_option
@click.pass_context
def wait(
    ctx: click.Context, job: str, timeout: float | None, poll_interval: float, as_json: bool, **kwargs: Any
) -> None:
    """Wait until a job ends; the exit code tells how it ended.

    Polls GetModelCustomizationJob with exponential backoff and jitter (starting at
    --poll-interval, at most 5 minutes apart, faster again after each phase change).

    \b
    Examples:
      orch wait nova-rft-math-1a2b3c4d5e6f --timeout 14400
      orch wait "$JOB_ARN" --json > final.json; echo $?
    """
    output = make_output(as_json)
    region = job_region(job, kwargs.get("region"))
    factory = jobs_factory(ctx, kwargs)
    outcome = follow_job(ctx, factory.jobs(region), job, output, timeout, poll_interval)
    report_outcome(output, outcome, load_progress(lambda: factory.client("s3", region), outcome.job, output))
    ctx.exit(outcome.exit_code)


# -- list / stop --------------------------------------------------------------------------------------------
_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """Click callback: '7d', '12h', '30m', '2w' ago, or an ISO date/datetime (UTC when naive)."""
    if value is None:
        return None
    match = _RELATIVE.match(value.strip().lower())
    if match:
        return datetime.now(UTC) - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter("use e.g. 7d, 12h, 30m, 2w or an ISO date such as 2026-11-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command("list-jobs")
@click.option("--status", "status_filter", type=click.Choice(JOB_STATUSES), help="Only jobs in this status.")
@click.option("--name-contains", help="Only jobs whose name contains this text.")
@click.option("--max-results", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option(
    "--since", callback=parse_since, help="Created after: 7d, 12h, 30m, 2w or an ISO date/datetime."
)
@region_options
@job_env_options
@json_option
@click.pass_context
def list_jobs(
    ctx: click.Context,
    status_filter: str | None,
    name_contains: str | None,
    max_results: int,
    since: datetime | None,
    as_json: bool,
    **kwargs: Any,
) -> None:
    """List model customization jobs, newest first (all pages, up to --max-results).

    \b
    Examples:
      orch list-jobs --status InProgress
      orch list-jobs --env local                     # the jobs of the local stack (make demo)
      orch list-jobs --name-contains nova-rft-math --since 7d --json
    """
    output = make_output(as_json)
    jobs = jobs_factory(ctx, kwargs).jobs(kwargs.get("region"))
    summaries = list(
        jobs.list(status=status_filter, name_contains=name_contains, since=since, max_results=max_results)
    )
    if as_json:
        output.emit_json(summaries)
        return
    output.table(
        f"{len(summaries)} job(s)",
        ("name", "status", "type", "created", "ended", "custom model"),
        (
            (
                s.get("jobName"),
                s.get("status"),
                s.get("customizationType"),
                _when(s.get("creationTime")),
                _when(s.get("endTime")),
                s.get("customModelName"),
            )
            for s in summaries
        ),
    )


def _when(value: Any) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else (value or "")


@click.command("stop-job")
@click.argument("job")
@region_options
@job_env_options
@json_option
@click.pass_context
def stop_job(ctx: click.Context, job: str, as_json: bool, **kwargs: Any) -> None:
    """Ask Bedrock to stop a running job (it goes to Stopping, then Stopped).

    \b
    Examples:
      orch stop-job nova-rft-math-1a2b3c4d5e6f
      orch stop-job "$JOB_ARN" --json
    """
    output = make_output(as_json)
    jobs = jobs_factory(ctx, kwargs).jobs(job_region(job, kwargs.get("region")))
    jobs.stop(job)
    details = jobs.get(job)
    if as_json:
        output.emit_json({"job": job, "stopRequested": True, "status": details.get("status")})
        return
    output.line(f"stop requested: {details.get('jobName', job)} is {describe_phase(details)}")
