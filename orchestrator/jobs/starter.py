"""Start a Nova RFT job: check the inputs, validate and upload local datasets, send the request.

`orch start-job` only turns its options into a `StartJobOptions` and prints the `JobStart`; the
order of the work is here: every ARN and name is checked before anything is uploaded, local
datasets are validated and uploaded to content-addressed keys (only planned on a dry run), then the
idempotent request (`request.py`) is sent, unless it is a dry run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from orchestrator.datasets.validation import load_report, require_valid
from orchestrator.environment import EnvironmentOutputs
from orchestrator.errors import ConfigError
from orchestrator.jobs.client import StartResult
from orchestrator.jobs.request import (
    DEFAULT_BASE_MODEL,
    JobInputs,
    build_request,
    check_settings,
    output_uri,
    validation_data_note,
    validation_data_supported,
)


class Notes(Protocol):
    """Where the service reports what it did (`orchestrator.output.Output` on stderr)."""

    def note(self, text: str, *, style: str | None = ...) -> None: ...


class Uploader(Protocol):
    """`orchestrator.datasets.upload.DatasetUploader`: content-addressed dataset keys."""

    def plan(self, path: Path, bucket: str, prefix: str) -> tuple[Any, str]: ...

    def upload(self, path: Path, bucket: str, prefix: str) -> Any: ...


class JobsApi(Protocol):
    """`orchestrator.jobs.client.BedrockJobs`: an idempotent CreateModelCustomizationJob."""

    def start(self, request: dict[str, Any]) -> StartResult: ...


@dataclass(frozen=True)
class StartJobOptions:
    """What `orch start-job` was asked for. Datasets are s3:// URIs or local JSONL files."""

    dataset: str
    grader: str | None = None
    validation_dataset: str | None = None
    keep_validation_data: bool = False  # send validation data even where AWS's SDK leaves it out
    base_model: str = DEFAULT_BASE_MODEL
    hyperparameters: dict[str, Any] = field(default_factory=dict)  # API names, range-checked
    job_name: str | None = None
    model_name: str | None = None
    run_id: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class JobStart:
    """The request sent (or, on a dry run, the one that would be) and Bedrock's answer."""

    request: dict[str, Any]
    training_uri: str
    validation_uri: str | None
    region: str | None
    started: StartResult | None = None  # None on a dry run

    def summary(self) -> dict[str, Any]:
        """What `--json` prints for a started job."""
        if self.started is None:
            raise ValueError("a dry run started no job")
        return {
            "jobArn": self.started.job_arn,
            "jobName": self.started.job_name,
            "customModelName": self.request["customModelName"],
            "clientRequestToken": self.request["clientRequestToken"],
            "created": self.started.created,
            "trainingDataUri": self.training_uri,
            "validationDataUri": self.validation_uri,
            "region": self.region,
        }


class JobStarter:
    """Builds and sends a job request from `StartJobOptions` and the environment's outputs."""

    def __init__(
        self,
        outputs: EnvironmentOutputs,
        uploader: Uploader,
        jobs: Callable[[], JobsApi],
        notes: Notes,
    ) -> None:
        self.outputs = outputs
        self.uploader = uploader
        self.jobs = jobs  # called only when a request is really sent (a dry run needs no client)
        self.notes = notes

    def start(self, options: StartJobOptions) -> JobStart:
        """Check, upload, send; a dry run only plans the uploads and sends nothing."""
        settings = self._settings(options)
        check_settings(  # every ARN and name is checked before anything is uploaded
            grader_arn=settings["grader_arn"],
            role_arn=settings["role_arn"],
            output_uri=settings["output_uri"],
            job_name=options.job_name,
            model_name=options.model_name,
            base_model=options.base_model,
        )
        max_prompt = options.hyperparameters.get("maxPromptLength")
        training = self._dataset_uri(options.dataset, options.dry_run, max_prompt)
        validation_arg = self._validation_dataset(options)
        validation = (
            self._dataset_uri(validation_arg, options.dry_run, max_prompt) if validation_arg else None
        )
        inputs = JobInputs(training_uri=training, validation_uri=validation, **settings)
        request = build_request(inputs)
        started = None if options.dry_run else self.jobs().start(request)
        return JobStart(request, training, validation, self.outputs.region, started)

    def _settings(self, options: StartJobOptions) -> dict[str, Any]:
        """The `JobInputs` fields other than the dataset URIs."""
        bucket = self.outputs.require("dataset_bucket", "--bucket")
        return {
            "output_uri": output_uri(bucket, self.outputs.output_prefix),
            "role_arn": self.outputs.require("customization_role_arn", "--role-arn"),
            "grader_arn": self.outputs.grader_arn(options.grader),
            "grader_label": None if self.outputs.reward_arn else options.grader,
            "base_model": options.base_model,
            "hyperparameters": options.hyperparameters,
            "job_name": options.job_name,
            "model_name": options.model_name,
            "run_id": options.run_id,
        }

    def _validation_dataset(self, options: StartJobOptions) -> str | None:
        """--validation-dataset, left out (with a note) for Nova 2 Lite as AWS's SDK does."""
        value = options.validation_dataset
        if value and not (options.keep_validation_data or validation_data_supported(options.base_model)):
            self.notes.note(validation_data_note(options.base_model))
            return None
        return value

    def _dataset_uri(self, value: str, dry_run: bool, max_prompt_length: int | None) -> str:
        """An s3:// URI as given, or a local file validated and uploaded (only planned on a dry run)."""
        if value.startswith("s3://"):
            return value
        path = Path(value)
        if not path.is_file():
            raise ConfigError(f"dataset {value!r} is neither an s3:// URI nor a readable file")
        # The prompt length is an estimate: over-long prompts are warnings here, never a blocker.
        report = load_report(path, max_prompt_length=max_prompt_length, prompt_length_is_error=False)
        require_valid(report)
        if report.warning_count:
            self.notes.note(f"{path}: {report.warning_count} warning(s); first: {report.warnings[0]}")
        bucket = self.outputs.require("dataset_bucket", "--bucket")
        if dry_run:
            _, key = self.uploader.plan(path, bucket, self.outputs.dataset_prefix)
            self.notes.note(f"dry run: would upload {path} to s3://{bucket}/{key}")
            return f"s3://{bucket}/{key}"
        result = self.uploader.upload(path, bucket, self.outputs.dataset_prefix)
        self.notes.note(f"{path}: {'uploaded to' if result.uploaded else 'already at'} {result.uri}")
        return str(result.uri)
