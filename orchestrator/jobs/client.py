"""Typed wrapper of the Bedrock model-customization calls `orch` makes.

Every call goes through `translate_errors`, so commands only ever see `OrchError`s. `start` is
idempotent twice over: the request carries a deterministic `clientRequestToken`, and a job that
already exists under the same name with the same token is reported instead of started again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orchestrator.aws import AwsConflictError, AwsNotFoundError, translate_errors

JOB_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")
PAGE_SIZE = 100


@dataclass(frozen=True)
class StartResult:
    job_arn: str
    job_name: str
    created: bool  # False: an earlier run of the same command had started it already
    status: str | None = None  # of that earlier job, when `created` is False


def clean(response: dict[str, Any]) -> dict[str, Any]:
    """A response without boto3's ResponseMetadata."""
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


class BedrockJobs:
    """Create, read, list and stop Bedrock model customization jobs."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, job: str) -> dict[str, Any]:
        with translate_errors(f"bedrock:GetModelCustomizationJob {job}"):
            return clean(self.client.get_model_customization_job(jobIdentifier=job))

    def find(self, job: str) -> dict[str, Any] | None:
        try:
            return self.get(job)
        except AwsNotFoundError:
            return None

    def start(self, request: dict[str, Any]) -> StartResult:
        name, token = request["jobName"], request["clientRequestToken"]
        existing = self.find(name)
        if existing is not None:
            return self._existing(existing, token)
        try:
            with translate_errors(f"bedrock:CreateModelCustomizationJob {name}"):
                response = self.client.create_model_customization_job(**request)
        except AwsConflictError:
            # Lost a race with another run of the same command (or a name clash): look again.
            existing = self.find(name)
            if existing is None:
                raise
            return self._existing(existing, token)
        return StartResult(job_arn=response["jobArn"], job_name=name, created=True)

    @staticmethod
    def _existing(job: dict[str, Any], token: str) -> StartResult:
        if job.get("clientRequestToken") != token:
            raise AwsConflictError(
                f"a job named {job.get('jobName')!r} already exists with different inputs "
                f"({job.get('jobArn')}); choose another --job-name or a --run-id"
            )
        return StartResult(
            job_arn=job["jobArn"], job_name=job["jobName"], created=False, status=job.get("status")
        )

    def stop(self, job: str) -> None:
        with translate_errors(f"bedrock:StopModelCustomizationJob {job}"):
            self.client.stop_model_customization_job(jobIdentifier=job)

    def list(
        self,
        *,
        status: str | None = None,
        name_contains: str | None = None,
        since: datetime | None = None,
        max_results: int = 50,
    ) -> Iterator[dict[str, Any]]:
        """Job summaries, newest first, across pages (boto3 paginator), at most `max_results`."""
        params: dict[str, Any] = {"sortBy": "CreationTime", "sortOrder": "Descending"}
        if status:
            params["statusEquals"] = status
        if name_contains:
            params["nameContains"] = name_contains
        if since:
            params["creationTimeAfter"] = since
        paging = {"MaxItems": max_results, "PageSize": min(max_results, PAGE_SIZE)}
        with translate_errors("bedrock:ListModelCustomizationJobs"):
            paginator = self.client.get_paginator("list_model_customization_jobs")
            for page in paginator.paginate(**params, PaginationConfig=paging):
                yield from page.get("modelCustomizationJobSummaries", [])
