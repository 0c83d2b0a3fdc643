"""The `start-job` service (`orchestrator/jobs/starter.py`) without the CLI: order of checks, dry runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.environment import EnvironmentOutputs
from orchestrator.errors import ConfigError, DatasetError
from orchestrator.jobs.client import StartResult
from orchestrator.jobs.starter import JobStarter, StartJobOptions

GRADER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:nova-rft-dev-math"
ROLE_ARN = "arn:aws:iam::123456789012:role/nova-rft-dev-customization"
OUTPUTS = EnvironmentOutputs(
    name="dev",
    source="test",
    grader_arns={"math": GRADER_ARN},
    dataset_bucket="nova-rft-dev-data",
    customization_role_arn=ROLE_ARN,
    region="us-east-1",
)


class RecordingUploader:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Path]] = []

    def plan(self, path: Path, bucket: str, prefix: str) -> tuple[Any, str]:
        self.calls.append(("plan", path))
        return None, f"{prefix}planned/{path.name}"

    def upload(self, path: Path, bucket: str, prefix: str) -> Any:
        raise AssertionError("nothing may be uploaded in these tests")


class RecordingJobs:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def start(self, request: dict[str, Any]) -> StartResult:
        self.requests.append(request)
        return StartResult(
            job_arn=f"arn:aws:bedrock:us-east-1:123456789012:job/{request['jobName']}",
            job_name=request["jobName"],
            created=True,
        )


class Notes:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, text: str, *, style: str | None = "dim") -> None:
        self.lines.append(text)


def _starter(jobs: RecordingJobs | None = None) -> tuple[JobStarter, RecordingUploader, Notes, list[int]]:
    uploader, notes, made = RecordingUploader(), Notes(), []
    fake_jobs = jobs or RecordingJobs()

    def make_jobs() -> RecordingJobs:
        made.append(1)
        return fake_jobs

    return JobStarter(OUTPUTS, uploader, make_jobs, notes), uploader, notes, made


def test_a_bad_job_name_is_refused_before_the_dataset_is_read(tmp_path: Path) -> None:
    dataset = tmp_path / "train.jsonl"
    dataset.write_text("not even JSON\n")
    starter, uploader, _, made = _starter()
    with pytest.raises(ConfigError, match="--job-name"):
        starter.start(
            StartJobOptions(dataset=str(dataset), grader="math", job_name="-bad name-", dry_run=True)
        )
    assert uploader.calls == [] and made == []


def test_a_dry_run_builds_the_request_and_creates_no_jobs_client() -> None:
    starter, _, _, made = _starter()
    job = starter.start(
        StartJobOptions(dataset="s3://nova-rft-dev-data/d/train.jsonl", grader="math", dry_run=True)
    )
    assert job.started is None and made == []
    assert job.request["trainingDataConfig"] == {"s3Uri": "s3://nova-rft-dev-data/d/train.jsonl"}
    assert (
        job.request["customizationConfig"]["rftConfig"]["graderConfig"]["lambdaGrader"]["lambdaArn"]
        == GRADER_ARN
    )
    with pytest.raises(ValueError):
        job.summary()


def test_a_started_job_is_summarised_with_its_inputs() -> None:
    jobs = RecordingJobs()
    starter, _, _, _ = _starter(jobs)
    job = starter.start(
        StartJobOptions(
            dataset="s3://nova-rft-dev-data/d/train.jsonl",
            validation_dataset="s3://nova-rft-dev-data/d/val.jsonl",
            base_model="amazon.nova-pro-v1:0",
            grader="math",
        )
    )
    assert jobs.requests == [job.request]
    summary = job.summary()
    assert summary["validationDataUri"] == "s3://nova-rft-dev-data/d/val.jsonl"
    assert summary["clientRequestToken"] == job.request["clientRequestToken"]
    assert summary["region"] == "us-east-1" and summary["created"] is True


@pytest.mark.parametrize("keep", [False, True])
def test_validation_data_for_nova_2_lite_is_left_out_unless_kept(keep: bool) -> None:
    starter, _, notes, _ = _starter()
    job = starter.start(
        StartJobOptions(
            dataset="s3://nova-rft-dev-data/d/train.jsonl",
            validation_dataset="s3://nova-rft-dev-data/d/val.jsonl",
            keep_validation_data=keep,
            grader="math",
            dry_run=True,
        )
    )
    assert ("validationDataConfig" in job.request) is keep
    assert any("--keep-validation-data" in line for line in notes.lines) is not keep


def test_a_local_dataset_is_validated_then_only_planned_on_a_dry_run(tmp_path: Path) -> None:
    broken = tmp_path / "train.jsonl"
    broken.write_text("{}\n")
    starter, uploader, notes, _ = _starter()
    with pytest.raises(DatasetError):
        starter.start(StartJobOptions(dataset=str(broken), grader="math", dry_run=True))
    assert uploader.calls == []
    bundled = Path(__file__).resolve().parents[3] / "datasets" / "math.jsonl"
    job = starter.start(StartJobOptions(dataset=str(bundled), grader="math", dry_run=True))
    assert uploader.calls == [("plan", bundled)]
    assert job.training_uri == "s3://nova-rft-dev-data/datasets/planned/math.jsonl"
    assert any("dry run: would upload" in line for line in notes.lines)
