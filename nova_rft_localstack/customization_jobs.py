"""Model customization jobs of the local Bedrock emulator: the control plane, free of LocalStack imports.

`JobService` answers Create/Get/List/Stop with the service's response shapes and errors; each created
job gets an EMULATED RFT run (`rft_emulation.EmulatedRftRun`) in a background thread. AWS lookups
(role, grader, S3 objects) go through the injected `AwsChecks`, so the logic is unit-tested with fakes
and served inside LocalStack by `bedrock.py`.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import json
import logging
import os
import secrets
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from nova_rft_localstack.job_requests import (
    ConflictError,
    CreateJobRequest,
    ResourceNotFoundError,
    ValidationError,
    parse_create_request,
)
from nova_rft_localstack.rft_emulation import (
    EMULATION_NOTE,
    PHASES,
    DatasetValidator,
    EmulatedRftRun,
    EmulationPorts,
    EmulatorSettings,
    RunOutcome,
    RunSpec,
    ThreadEvents,
    job_output_prefix,
)
from nova_rft_localstack.rollouts import ROLLOUTS_TAG

LOG = logging.getLogger(__name__)
STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")
TERMINAL = ("Completed", "Failed", "Stopped")
_ID_ALPHABET = string.ascii_lowercase + string.digits


class AwsChecks(Protocol):
    """Lookups made when a job is created; each returns None when fine, else a message for the caller."""

    def role_problem(self, role_arn: str) -> str | None: ...

    def grader_problem(self, lambda_arn: str) -> str | None: ...

    def object_problem(self, s3_uri: str) -> str | None: ...

    def bucket_problem(self, s3_uri: str) -> str | None: ...


def now_utc() -> datetime:
    return datetime.now(UTC)


def random_id() -> str:
    """12 lowercase letters/digits, like the id part of Bedrock job and custom-model ARNs."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


@dataclass
class JobRecord:
    """One job and its mutable state; every read and write holds `lock`."""

    arn: str
    account: str
    region: str
    request: CreateJobRequest
    raw: dict[str, Any]
    settings: EmulatorSettings
    creation_time: datetime
    status: str = "InProgress"
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    failure_message: str | None = None
    last_modified: datetime | None = None
    end_time: datetime | None = None
    output_model_arn: str | None = None
    training_loss: float | None = None
    validation_losses: list[float] = field(default_factory=list)
    events: ThreadEvents | None = None
    outcome: RunOutcome | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return self.request.job_name

    @property
    def base_model_arn(self) -> str:
        return f"arn:aws:bedrock:{self.region}::foundation-model/{self.request.base_model_id}"

    @property
    def output_prefix(self) -> str:
        """Where this job writes (the emulated metrics file): `<outputDataConfig.s3Uri>/<jobName>/`."""
        return job_output_prefix(self.request.output_uri, self.name)

    def set_phase(self, phase: str, status: str, when: datetime) -> None:
        with self.lock:
            entry = self.details.setdefault(phase, {"creationTime": when})
            entry["status"], entry["lastModifiedTime"] = status, when
            self.last_modified = when

    def finish(self, outcome: RunOutcome, when: datetime, model_arn: str) -> None:
        with self.lock:
            self.outcome = outcome
            self.status = outcome.status
            self.failure_message = outcome.failure_message
            self.training_loss = outcome.training_loss
            self.validation_losses = list(outcome.validation_losses)
            self.end_time = self.last_modified = when
            if outcome.status == "Completed":
                self.output_model_arn = model_arn

    def _status_details(self) -> dict[str, Any]:
        return {phase: dict(self.details[phase]) for phase in PHASES if phase in self.details}

    def describe(self) -> dict[str, Any]:
        """GetModelCustomizationJob response."""
        with self.lock:
            response: dict[str, Any] = {
                "jobArn": self.arn,
                "jobName": self.name,
                "outputModelName": self.request.custom_model_name,
                "roleArn": self.request.role_arn,
                "status": self.status,
                "statusDetails": self._status_details(),
                "creationTime": self.creation_time,
                "lastModifiedTime": self.last_modified or self.creation_time,
                "baseModelArn": self.base_model_arn,
                "trainingDataConfig": self.raw["trainingDataConfig"],
                "validationDataConfig": self.raw.get("validationDataConfig") or {"validators": []},
                "outputDataConfig": self.raw["outputDataConfig"],
                "customizationType": "REINFORCEMENT_FINE_TUNING",
                "customizationConfig": self.raw["customizationConfig"],
            }
            optional = {
                "clientRequestToken": self.request.client_request_token,
                "failureMessage": self.failure_message,
                "endTime": self.end_time,
                "outputModelArn": self.output_model_arn,
                "trainingMetrics": {"trainingLoss": self.training_loss}
                if self.training_loss is not None
                else None,
                "validationMetrics": [{"validationLoss": loss} for loss in self.validation_losses] or None,
            }
            response.update({key: value for key, value in optional.items() if value is not None})
            return response

    def summary(self) -> dict[str, Any]:
        """One ModelCustomizationJobSummary of ListModelCustomizationJobs."""
        with self.lock:
            summary = {
                "jobArn": self.arn,
                "baseModelArn": self.base_model_arn,
                "jobName": self.name,
                "status": self.status,
                "statusDetails": self._status_details(),
                "lastModifiedTime": self.last_modified or self.creation_time,
                "creationTime": self.creation_time,
                "customModelName": self.request.custom_model_name,
                "customizationType": "REINFORCEMENT_FINE_TUNING",
            }
            if self.end_time:
                summary["endTime"] = self.end_time
            if self.output_model_arn:
                summary["customModelArn"] = self.output_model_arn
            return summary


PortsFactory = Callable[[JobRecord], EmulationPorts]


class JobService:
    """All jobs of the emulator, keyed by (account, region); thread-safe."""

    def __init__(
        self,
        checks_for: Callable[[str, str], AwsChecks],
        ports_for: PortsFactory,
        validator: DatasetValidator,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = now_utc,
        new_id: Callable[[], str] = random_id,
    ) -> None:
        self._checks_for = checks_for
        self._ports_for = ports_for
        self._validator = validator
        self._env = env if env is not None else os.environ
        self._clock = clock
        self._new_id = new_id
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, str], dict[str, JobRecord]] = {}
        self._tokens: dict[tuple[str, str, str], tuple[str, str]] = {}
        self.threads: list[threading.Thread] = []

    # -- Create --------------------------------------------------------------------------------------

    def create(self, account: str, region: str, raw: dict[str, Any]) -> dict[str, Any]:
        request = parse_create_request(raw)
        try:
            settings = EmulatorSettings.resolve(self._env, request.tags)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        fingerprint = json.dumps(
            {k: v for k, v in raw.items() if k != "clientRequestToken"}, sort_keys=True, default=str
        )
        token_key = (account, region, request.client_request_token or "")
        with self._lock:
            earlier = self._earlier_answer(request, token_key, fingerprint)
            if earlier is not None:
                return earlier
        self._check_resources(self._checks_for(account, region), request)
        record = JobRecord(
            arn=f"arn:aws:bedrock:{region}:{account}:model-customization-job/{request.base_model_id}/{self._new_id()}",
            account=account,
            region=region,
            request=request,
            raw=raw,
            settings=settings,
            creation_time=self._clock(),
        )
        for phase in PHASES:
            record.set_phase(phase, "NotStarted", record.creation_time)
        # before the job is visible, so that a stop request can never miss the run
        record.events = ThreadEvents(lambda phase, status: record.set_phase(phase, status, self._clock()))
        with self._lock:  # again: another create may have won the race during the lookups
            earlier = self._earlier_answer(request, token_key, fingerprint)
            if earlier is not None:
                return earlier
            self._jobs.setdefault((account, region), {})[record.arn] = record
            if request.client_request_token:
                self._tokens[token_key] = (fingerprint, record.arn)
        self._start(record)
        return {"jobArn": record.arn}

    def _earlier_answer(
        self, request: CreateJobRequest, token_key: tuple[str, str, str], fingerprint: str
    ) -> dict[str, Any] | None:
        """The answer of an earlier create with the same token, or a conflict; None for a new job.

        Call with `self._lock` held.
        """
        if request.client_request_token and token_key in self._tokens:
            previous_fingerprint, arn = self._tokens[token_key]
            if previous_fingerprint == fingerprint:
                return {"jobArn": arn}
            raise ConflictError(
                f"clientRequestToken {request.client_request_token} was already used with different "
                "parameters"
            )
        if self._find_by_name(token_key[0], token_key[1], request.job_name):
            raise ConflictError(f"A model customization job named {request.job_name} already exists")
        return None

    @staticmethod
    def _check_resources(checks: AwsChecks, request: CreateJobRequest) -> None:
        problems = [
            checks.role_problem(request.role_arn),
            checks.object_problem(request.training_uri),
            *(checks.object_problem(uri) for uri in request.validation_uris),
            checks.bucket_problem(request.output_uri),
            checks.grader_problem(request.lambda_arn),
        ]
        for problem in problems:
            if problem:
                raise ValidationError(problem)

    def _start(self, record: JobRecord) -> None:
        assert record.events is not None
        params = record.request.hyper_parameters
        spec = RunSpec(
            job_name=record.name,
            job_arn=record.arn,
            training_uri=record.request.training_uri,
            output_uri=record.output_prefix,
            lambda_arn=record.request.lambda_arn,
            batch_size=params["batchSize"],
            samples_per_prompt=params["trainingSamplePerPrompt"],
            epochs=params["epochCount"],
            max_prompt_length=params.get("maxPromptLength"),
            validation_uris=record.request.validation_uris,
            eval_interval=params.get("evalInterval"),
            learning_rate=params.get("learningRate"),
            rollouts_uri=record.request.tags.get(ROLLOUTS_TAG) or None,
        )
        run = EmulatedRftRun(spec, self._ports_for(record), record.events, self._validator, record.settings)
        model_arn = (
            f"arn:aws:bedrock:{record.region}:{record.account}:custom-model/"
            f"{record.request.base_model_id}/{self._new_id()}"
        )

        def target() -> None:
            LOG.info("emulated RFT job %s started (grader %s)", record.name, spec.lambda_arn)
            outcome = run.run()
            record.finish(outcome, self._clock(), model_arn)
            LOG.info(
                "emulated RFT job %s %s after %d steps, %d grader invocations%s",
                record.name,
                outcome.status,
                len(outcome.steps),
                outcome.grader_invocations,
                f": {outcome.failure_message}" if outcome.failure_message else "",
            )

        thread = threading.Thread(target=target, name=f"emulated-rft-{record.name}", daemon=True)
        self.threads.append(thread)
        thread.start()

    # -- Get / Stop ----------------------------------------------------------------------------------

    def _find_by_name(self, account: str, region: str, name: str) -> JobRecord | None:
        return next((r for r in self._jobs.get((account, region), {}).values() if r.name == name), None)

    def find(self, account: str, region: str, identifier: str) -> JobRecord:
        if not identifier:
            raise ValidationError("jobIdentifier is required")
        with self._lock:
            jobs = self._jobs.get((account, region), {})
            record = (
                jobs.get(identifier)
                if identifier.startswith("arn:")
                else self._find_by_name(account, region, identifier)
            )
        if record is None:
            raise ResourceNotFoundError(
                f"Could not find a model customization job with identifier {identifier}"
            )
        return record

    def get(self, account: str, region: str, identifier: str) -> dict[str, Any]:
        return self.find(account, region, identifier).describe()

    def stop(self, account: str, region: str, identifier: str) -> dict[str, Any]:
        record = self.find(account, region, identifier)
        with record.lock:
            if record.status != "InProgress":
                raise ConflictError(
                    f"Job {record.name} is {record.status}; only an InProgress job can be stopped"
                )
            record.status = "Stopping"
            record.last_modified = self._clock()
        if record.events:
            record.events.request_stop()
        return {}

    # -- List ----------------------------------------------------------------------------------------

    def list(self, account: str, region: str, query: dict[str, Any]) -> dict[str, Any]:
        status = query.get("statusEquals")
        if status is not None and status not in STATUSES:
            raise ValidationError(f"statusEquals must be one of {', '.join(STATUSES)}")
        order = query.get("sortOrder") or "Descending"
        if (
            order not in ("Ascending", "Descending")
            or (query.get("sortBy") or "CreationTime") != "CreationTime"
        ):
            raise ValidationError("sortBy must be CreationTime and sortOrder Ascending or Descending")
        max_results = query.get("maxResults")
        max_results = 100 if max_results is None else max_results
        if not isinstance(max_results, int) or not 1 <= max_results <= 1000:
            raise ValidationError("maxResults must be between 1 and 1000")
        with self._lock:
            records = list(self._jobs.get((account, region), {}).values())
        summaries = [r.summary() for r in records]
        summaries = [s for s in summaries if _matches(s, query)]
        summaries.sort(key=lambda s: (s["creationTime"], s["jobArn"]), reverse=order == "Descending")
        start = _decode_token(query.get("nextToken"))
        page = summaries[start : start + int(max_results)]
        response: dict[str, Any] = {"modelCustomizationJobSummaries": page}
        if start + int(max_results) < len(summaries):
            response["nextToken"] = _encode_token(start + int(max_results))
        return response

    def running(self) -> builtins.list[JobRecord]:  # `list` here is the method above
        """Jobs whose emulated run has not ended."""
        with self._lock:
            records = [r for jobs in self._jobs.values() for r in jobs.values()]
        return [r for r in records if r.status in ("InProgress", "Stopping")]

    def wait_all(self, timeout: float) -> None:
        """Join every run thread (tests and shutdown)."""
        for thread in list(self.threads):
            thread.join(timeout)


def _matches(summary: dict[str, Any], query: dict[str, Any]) -> bool:
    if query.get("statusEquals") and summary["status"] != query["statusEquals"]:
        return False
    if query.get("nameContains") and query["nameContains"].lower() not in summary["jobName"].lower():
        return False
    created = summary["creationTime"]
    if query.get("creationTimeAfter") and not created > _aware(query["creationTimeAfter"]):
        return False
    return not (query.get("creationTimeBefore") and not created < _aware(query["creationTimeBefore"]))


def _aware(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValidationError(f"Invalid nextToken {token!r}") from None
    if not isinstance(offset, int) or offset < 0:
        raise ValidationError(f"Invalid nextToken {token!r}")
    return offset


__all__ = ["EMULATION_NOTE", "AwsChecks", "JobRecord", "JobService"]
