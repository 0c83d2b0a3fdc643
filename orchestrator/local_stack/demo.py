"""The service behind `orch demo`: the whole kit on the local stack, in one command, no AWS account.

Steps: start the local stack (or reuse the one running), build the grader package for this host,
provision the `local` Terraform environment on the stack, validate and upload `datasets/math.jsonl`,
start a Bedrock RFT job on the math grader (`--grader` picks any grader the `local` environment
deploys, `--dataset` its data) with small, fast hyperparameters, follow it, and print a reward summary,
the strategy the emulated policy converged to, and the reward-signal verdicts. The job is an
EMULATION (the local Bedrock provider trains no model, but really calls the grader Lambda; see
nova_rft_localstack/rft_emulation.py).

Running it again is cheap and safe: the stack, the package, the provisioned resources and the
uploaded dataset are reused, and, as with `orch start-job`, the same inputs name the same job, so a
second run shows that job's result instead of starting another (`--fresh` starts a new one). The stack
keeps running afterwards (`orch local down` stops it, or pass `--stop`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.errors import ConfigError, LocalStackError

GRADERS = ("math", "support", "json_extraction", "code")  # bundled specs with a sample dataset each
DEFAULT_GRADER = "math"
HYPERPARAMETERS = {"epochCount": 1, "batchSize": 16, "trainingSamplePerPrompt": 4, "learningRate": 1e-5}
EXIT_CODES = {"Completed": 0, "Failed": 10, "Stopped": 11, "TimedOut": 12}

Echo = Callable[[str], None]


@dataclass(frozen=True)
class DemoSettings:
    """Options of one demo run."""

    project_dir: Path
    port: int | None = None
    grader: str = DEFAULT_GRADER
    dataset: Path | None = None  # default: datasets/<grader>.jsonl
    rollouts: Path | None = None  # the user's sampled responses per prompt id (emulator strategy)
    var_files: tuple[Path, ...] = ()  # variables files of the user's (custom_graders), as -var-file
    steps: int = 5
    fresh: bool = False
    timeout: float = 600.0
    stop: bool = False


def orch_command(
    executable: str | None = None, cwd: Path | None = None, which: Callable[[str], str | None] | None = None
) -> str:
    """How the user types `orch` after this run: plain `orch` when it is on PATH, else the path of this
    venv's (`make demo` runs `.venv/bin/orch`, which a new shell does not find)."""
    import shutil
    import sys

    mine = Path(executable or sys.executable).parent / "orch"
    found = (which or shutil.which)("orch")
    if found is not None and Path(found).resolve() == mine.resolve():
        return "orch"
    try:
        return str(mine.relative_to(cwd or Path.cwd()))
    except ValueError:
        return str(mine)


# -- steps ---------------------------------------------------------------------------------------------


def start_stack(settings: DemoSettings, echo: Echo) -> Any:
    """Start the local stack, or reuse the one already answering on the port."""
    from orchestrator.local_stack.stack import LocalStack

    stack = LocalStack(settings.project_dir, settings.port)
    result = stack.start()
    if result.state == "external" and "bedrock" not in (stack.health() or {}).get("services", {}):
        # e.g. a LocalStack of another project (its Docker image has no Bedrock): the job would fail late
        raise LocalStackError(
            f"a LocalStack without this kit's Bedrock emulator answers on {stack.endpoint_url}: stop it, "
            f"or run the demo on another port (ORCH_LOCAL_PORT={stack.port + 1} make demo, or --port)"
        )
    verbs = {"started": f"started in {result.seconds:.1f} s", "already-running": "already running"}
    verb = verbs.get(result.state, "reusing the instance already answering")
    echo(f"local stack: {verb} at {stack.endpoint_url}")
    return stack


def ensure_package(root: Path, echo: Echo, var_files: tuple[Path, ...] = ()) -> list[Path]:
    """The grader packages `local` deploys for this machine (rebuilt only when their inputs changed)."""
    from orchestrator.local_stack.packages import ensure_packages
    from orchestrator.local_stack.provision import environment_dir
    from orchestrator.local_stack.terraform import host_architecture

    env_dir = environment_dir(root, "local")
    return ensure_packages(root, env_dir, host_architecture(), echo, var_files)


def provision_local(stack: Any, echo: Echo, var_files: tuple[Path, ...] = ()) -> Any:
    """Deploy terraform/environments/local to the stack; returns the environment's outputs."""
    from orchestrator.environment import outputs_from_mapping
    from orchestrator.local_stack.provision import provision

    result = provision(stack.project_dir, stack.endpoint_url, environment="local", var_files=var_files)
    echo(f"provision local: {result.summary()} (terraform apply, {result.seconds:.1f} s)")
    for warning in result.warnings():
        echo(f"warning: {warning}")
    return outputs_from_mapping("local", f"Terraform state {result.state_location}", result.outputs)


def validate_dataset(path: Path) -> Any:
    """The dataset's report under the Nova RFT rules; DatasetError (exit 3) when it breaks them. First of
    all steps: a broken line must not cost a stack start and a Terraform run before it is named."""
    from orchestrator.commands.datasets import load_report, require_valid

    report = load_report(path)
    require_valid(report)
    return report


def check_rollouts(rollouts: Path, dataset: Path) -> None:
    """The emulator's own check of a rollouts file against the dataset, run here first: a bad line must
    not cost a stack start and a Terraform run, then fail the job naming an S3 copy of the file."""
    from nova_rft_localstack.rollouts import RolloutsError, parse_rollouts, prompt_key

    lines = [line for line in dataset.read_text(encoding="utf-8").splitlines() if line.strip()]
    keys = [prompt_key(json.loads(line), index) for index, line in enumerate(lines)]
    try:
        parse_rollouts(rollouts.read_text(encoding="utf-8"), str(rollouts), keys)
    except RolloutsError as exc:
        raise ConfigError(f"--rollouts {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"--rollouts {rollouts}: not UTF-8 ({exc.reason} at byte {exc.start})") from None


def upload_dataset(stack: Any, outputs: Any, path: Path, report: Any, echo: Echo) -> str:
    """Upload the validated dataset to its content-addressed key."""
    from orchestrator.datasets.upload import DatasetUploader

    bucket = outputs.require("dataset_bucket", "--bucket")
    result = DatasetUploader(stack.client("s3")).upload(path, bucket, outputs.dataset_prefix)
    records = report.stats.get("records", "?")
    echo(
        f"dataset: {path.name} valid ({records} records), "
        f"{'uploaded to' if result.uploaded else 'already at'} {result.uri}"
    )
    return str(result.uri)


ROLLOUTS_TAG = "nova-rft-emulator:rollouts"  # read by nova_rft_localstack/rollouts.py


def upload_rollouts(stack: Any, outputs: Any, path: Path, echo: Echo) -> str:
    """Put the rollouts file at a content-addressed key next to the datasets; returns its s3:// URI."""
    import hashlib

    body = path.read_bytes()
    bucket = outputs.require("dataset_bucket", "--bucket")
    key = f"{outputs.dataset_prefix}rollouts/{hashlib.sha256(body).hexdigest()[:16]}/{path.name}"
    stack.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/x-ndjson")
    echo(f"rollouts: {path.name} uploaded to s3://{bucket}/{key}")
    return f"s3://{bucket}/{key}"


def job_request(
    outputs: Any, training_uri: str, settings: DemoSettings, rollouts_uri: str | None = None
) -> dict[str, Any]:
    """The CreateModelCustomizationJob request, built like `orch start-job` builds it."""
    from orchestrator.jobs.request import JobInputs, build_request, output_uri

    inputs = JobInputs(
        training_uri=training_uri,
        output_uri=output_uri(outputs.require("dataset_bucket", "--bucket"), outputs.output_prefix),
        role_arn=outputs.require("customization_role_arn", "--role-arn"),
        grader_arn=outputs.grader_arn(settings.grader),
        grader_label=settings.grader,
        hyperparameters=dict(HYPERPARAMETERS),
        # The step count is an emulator setting (a job tag), not a job input: put it in the run id so
        # that another --steps is another job, and --fresh adds the time for a new job every run.
        # Rollouts are a tag too: their content-addressed key joins the run id, so other rollouts run anew.
        run_id=f"demo-{settings.steps}-steps"
        + (f"-rollouts-{rollouts_uri.rsplit('/', 2)[-2]}" if rollouts_uri else "")
        + (datetime.now(UTC).strftime("-%Y%m%dT%H%M%S") if settings.fresh else ""),
    )
    request = build_request(inputs)
    # How many emulated training steps to run (an emulator setting; ignored by real Bedrock).
    request["jobTags"] = [{"key": "nova-rft-emulator:max-steps", "value": str(settings.steps)}]
    if rollouts_uri:
        request["jobTags"].append({"key": ROLLOUTS_TAG, "value": rollouts_uri})
    return request


def dataset_path(root: Path, grader: str, dataset: Path | None = None) -> Path:
    """--dataset, else the sample dataset of a bundled grader: datasets/<grader>.jsonl."""
    if dataset is not None:
        if not dataset.is_file():
            raise ConfigError(f"--dataset {dataset}: no such file")
        return dataset
    path = root / "datasets" / f"{grader}.jsonl"
    if not path.is_file():
        import difflib

        close = difflib.get_close_matches(grader, GRADERS, n=1)
        typo = f"did you mean --grader {close[0]}? Else " if close else ""
        raise ConfigError(
            f"no sample dataset for grader '{grader}' ({path} is missing): {typo}pass --dataset FILE "
            "(a Nova RFT JSONL whose reference_answer your grader understands)"
        )
    return path


def metrics_uri(request: dict[str, Any]) -> str:
    from nova_rft_localstack.rft_emulation import job_metrics_uri

    return job_metrics_uri(request["outputDataConfig"]["s3Uri"], request["jobName"])


def read_metrics(s3: Any, uri: str) -> list[dict[str, Any]]:
    """The emulator's metrics file (one JSON object per line); [] while it does not exist yet."""
    from nova_rft_localstack.job_requests import split_s3_uri

    bucket, key = split_s3_uri(uri)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    except s3.exceptions.NoSuchKey:
        return []
    return [json.loads(line) for line in body.splitlines() if line.strip()]


class Progress:
    """Prints phase changes and each new training step while the job runs."""

    def __init__(self, s3: Any, uri: str, echo: Echo) -> None:
        self.s3, self.uri, self.echo = s3, uri, echo
        self.phase: str | None = None
        self.steps_seen = 0
        self.explained: set[str] = set()  # verdict codes whose message was printed

    def __call__(self, job: dict[str, Any], elapsed: float) -> None:
        from orchestrator.jobs.polling import describe_phase

        phase = describe_phase(job)
        if phase != self.phase:
            self.echo(f"  [{elapsed:5.1f} s] {phase}")
            self.phase = phase
        for step in [s for s in read_metrics(self.s3, self.uri) if s.get("type") == "step"][
            self.steps_seen :
        ]:
            self.echo(
                f"  [{elapsed:5.1f} s] step {step['step']}: reward mean {step['reward_mean']:.3f} "
                f"(min {step['reward_min']:.2f}, max {step['reward_max']:.2f}, "
                f"std {step['reward_std']:.3f}), "
                f"{step['samples']} samples, {step['grader_invocations']} grader calls, "
                f"p95 {step['grader_latency_ms_p95']:.0f} ms"
                + (f", top strategy {step['top_strategy']}" if step.get("top_strategy") else "")
            )
            for verdict in step.get("verdicts", []):
                self.echo(f"           {self.warning_line(verdict)}")
            self.steps_seen += 1

    def warning_line(self, verdict: dict[str, Any]) -> str:
        """A step's verdict: its explanation the first time its code shows, the code alone after."""
        code, message = str(verdict.get("code")), verdict.get("message")
        if code in self.explained:
            return f"warning [{code}] (as above)"
        if not message:
            return f"warning [{code}]"
        self.explained.add(code)
        return f"warning [{code}]: {message}"


def follow_job(stack: Any, job_arn: str, uri: str, settings: DemoSettings, echo: Echo) -> Any:
    from orchestrator.jobs.client import BedrockJobs
    from orchestrator.jobs.polling import wait_for_job

    jobs = BedrockJobs(stack.client("bedrock"))
    progress = Progress(stack.client("s3"), uri, echo)
    outcome = wait_for_job(
        lambda: jobs.get(job_arn),
        timeout=settings.timeout,
        poll_interval=0.5,
        max_interval=2.0,
        on_update=progress,
    )
    progress(outcome.job, outcome.elapsed)  # steps written after the last poll
    return outcome


# -- summary -------------------------------------------------------------------------------------------


def dimension_means(steps: list[dict[str, Any]]) -> dict[str, tuple[float, int]]:
    """Per grader metric (the grader's metrics_list): (mean over the samples that reported it, how many).

    Weighted by each step's count, so a metric reported by few samples (a guard that fired) is not
    mistaken for one every sample has.
    """
    totals: dict[str, list[float]] = {}
    for step in steps:
        counts = step.get("dimension_counts", {})
        for name, mean in step.get("dimensions", {}).items():
            count = counts.get(name, step.get("samples", 1))
            entry = totals.setdefault(name, [0.0, 0])
            entry[0] += mean * count
            entry[1] += count
    return {
        name: (total / count if count else 0.0, int(count)) for name, (total, count) in sorted(totals.items())
    }


def summary_lines(job: dict[str, Any], records: list[dict[str, Any]], uri: str) -> list[str]:
    """The demo's closing report: status, rewards per step, dimensions, where the metrics are."""
    steps = [r for r in records if r.get("type") == "step"]
    final = next((r for r in records if r.get("type") == "summary"), {})
    from orchestrator.jobs.progress import parse_records, verdict_lines
    from orchestrator.jobs.progress import summary_lines as outcome_lines

    lines = [f"job {job['jobName']}: {job['status']}"]
    if job.get("failureMessage"):
        message = job["failureMessage"].splitlines() or [""]
        lines.append(f"  failure: {message[0]}")
        lines += [f"    {line}" for line in message[1:]]
    if job.get("outputModelArn"):
        lines.append(f"  output model (emulated): {job['outputModelArn']}")
    if steps:
        lines.append("  reward mean per step: " + ", ".join(f"{s['reward_mean']:.3f}" for s in steps))
        samples = sum(s["samples"] for s in steps)
        lines.append(f"  per-dimension means over {samples} samples (the grader's metrics_list):")
        for name, (mean, count) in dimension_means(steps).items():
            only = f"  (reported by {count} samples)" if count < samples else ""
            lines.append(f"    {name:<32} {mean:10.3f}{only}")
    if final:
        lines.append(
            f"  grader: {final['grader_invocations']} invocations, "
            f"latency p50 {final['grader_latency_ms_p50']:.0f} ms, "
            f"p95 {final['grader_latency_ms_p95']:.0f} ms"
        )
    progress = parse_records("\n".join(json.dumps(r) for r in records), uri)
    lines += [f"  {line}" for line in outcome_lines(progress)]
    verdicts = progress.verdicts()
    if verdicts:
        lines.append(f"  REWARD SIGNAL: {len(verdicts)} warning(s) - this grader may not teach the task:")
        lines += [f"  {line}" for line in verdict_lines(verdicts)]
    lines += [
        f"  metrics file: {uri}",
        f"  CloudWatch: namespace NovaRFT/EmulatedTraining, dimension JobName={job['jobName']}; "
        "the grader's own metrics: namespace NovaRFT/Grader, dimension FunctionName",
    ]
    return lines


# -- the whole run -------------------------------------------------------------------------------------


def run_demo(settings: DemoSettings, echo: Echo = print) -> int:
    """Run every step; returns the exit code (0 Completed, 10 Failed, 11 Stopped, 12 timed out)."""
    started = time.monotonic()
    root = settings.project_dir
    dataset = dataset_path(root, settings.grader, settings.dataset)
    report = validate_dataset(dataset)
    if settings.rollouts:
        check_rollouts(settings.rollouts, dataset)
    stack = start_stack(settings, echo)
    try:
        ensure_package(root, echo, settings.var_files)
        outputs = provision_local(stack, echo, settings.var_files)
        training_uri = upload_dataset(stack, outputs, dataset, report, echo)
        rollouts_uri = upload_rollouts(stack, outputs, settings.rollouts, echo) if settings.rollouts else None
        request = job_request(outputs, training_uri, settings, rollouts_uri)
        from orchestrator.jobs.client import BedrockJobs

        started_job = BedrockJobs(stack.client("bedrock")).start(request)
        verb = (
            "started"
            if started_job.created
            else "found (same inputs as an earlier run; --fresh starts a new one)"
        )
        echo(f"RFT job {started_job.job_name}: {verb}")
        uri = metrics_uri(request)
        outcome = follow_job(stack, started_job.job_arn, uri, settings, echo)
        echo("")
        for line in summary_lines(outcome.job, read_metrics(stack.client("s3"), uri), uri):
            echo(line)
        echo(f"  report: {orch_command()} report {started_job.job_name} --env local (HTML and PNG plots)")
        if outcome.state in ("Failed", "Stopped") and not started_job.created:
            echo("  this is the result of an earlier run with the same inputs: --fresh starts a new job")
        if outcome.state == "TimedOut":
            echo(
                f"  timed out after {settings.timeout:g} s; the job keeps running "
                f"({orch_command()} wait --env local {started_job.job_arn}, "
                f"with the stack on port {stack.port})"
            )
    finally:
        if settings.stop:
            stack.stop()
            echo("local stack: stopped")
    echo(f"demo finished in {time.monotonic() - started:.1f} s")
    if not settings.stop:
        echo(
            f"the local stack keeps running on port {stack.port}: "
            f"`{orch_command()} local down --port {stack.port}` stops it"
        )
    return EXIT_CODES.get(outcome.state, 1)
