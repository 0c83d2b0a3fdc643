"""LocalStack provider `nova_rft` for Bedrock's control plane: model customization jobs, EMULATED.

Community LocalStack has no Bedrock. This plugin (entry point `bedrock:nova_rft` in the
`localstack.aws.provider` group, selected with `PROVIDER_OVERRIDE_BEDROCK=nova_rft`) serves
Create/Get/List/StopModelCustomizationJob. Each job runs an emulated RFT loop that really invokes the
grader Lambda (see `rft_emulation.py`); no model is trained. The logic lives in LocalStack-free modules
(`customization_jobs`, `job_requests`, `aws_ports`); this file only adapts it to LocalStack: the
`@aws_provider` factory, `@handler` methods, error classes and internal clients (`connect_to`).

What a job does on the local stack (details in rft_emulation.py):

- CreateModelCustomizationJob checks what Bedrock checks: required members, name/ARN/URI patterns,
  REINFORCEMENT_FINE_TUNING with `customizationConfig.rftConfig.graderConfig.lambdaGrader`, the RFT
  hyperparameter ranges, that the role exists and trusts bedrock.amazonaws.com, that the datasets and
  the output bucket exist and that the grader function exists (ValidationException otherwise); a
  reused job name is a ConflictException; the same clientRequestToken and request return the same ARN.
- The job then validates the dataset (same rules as `orch validate-dataset`), and runs emulated
  training steps: a policy over response strategies (`policy.py`) samples responses, the grader
  scores them (Bedrock's event shape), group-relative advantages update the policy; reward-signal
  verdicts are checked every step (`verdicts.py`); per-step reward statistics go to
  `<outputDataConfig.s3Uri>/<jobName>/emulated-training-metrics.jsonl` and to CloudWatch namespace
  `NovaRFT/EmulatedTraining` (dimension JobName).
- Pace: environment of the LocalStack process, or a job tag `nova-rft-emulator:<name>` for one job:
  NOVA_RFT_EMULATOR_MAX_STEPS / max-steps (default 5), NOVA_RFT_EMULATOR_STEP_DELAY_S / step-delay-s (0),
  NOVA_RFT_EMULATOR_PHASE_DELAY_S / phase-delay-s (0), NOVA_RFT_EMULATOR_MAX_GRADER_ERROR_RATE /
  max-grader-error-rate (0.2), NOVA_RFT_EMULATOR_GRADER_CHUNK_SIZE / grader-chunk-size (32 samples per
  invoke), NOVA_RFT_EMULATOR_GRADER_CONCURRENCY / grader-concurrency (2 invokes at a time).
- The user's rollouts: job tag `nova-rft-emulator:rollouts` = s3:// URI of a JSONL file
  (`{"id": <prompt id>, "responses": [...]}` per line; see docs/architecture.md).

Imported only inside LocalStack's own Python (pinned localstack-core 2026.3.0).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from botocore.config import Config
from localstack.aws.api import RequestContext, ServiceException, handler
from localstack.aws.connect import connect_to
from localstack.services.plugins import Service, ServiceLifecycleHook, aws_provider

from nova_rft_localstack.aws_ports import ClientChecks, ClientPorts
from nova_rft_localstack.customization_jobs import JobRecord, JobService
from nova_rft_localstack.job_requests import ApiError
from nova_rft_localstack.rft_emulation import nova_rft_validator

# Lambda can run 15 minutes; throttling is retried with botocore's standard backoff and jitter.
_CLIENT_CONFIG = Config(connect_timeout=10, read_timeout=900, retries={"max_attempts": 4, "mode": "standard"})


def _service_error(code: str, status: int) -> type[ServiceException]:
    return type(
        code, (ServiceException,), {"code": code, "status_code": status, "sender_fault": status < 500}
    )


_ERRORS: dict[str, type[ServiceException]] = {
    cls.code: cls
    for cls in (
        _service_error("ValidationException", 400),
        _service_error("ResourceNotFoundException", 404),
        _service_error("ConflictException", 400),
        _service_error("AccessDeniedException", 403),
        _service_error("InternalServerException", 500),
    )
}


def _api_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the control plane's ApiError into LocalStack's ServiceException of the same code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ApiError as exc:
            raise _ERRORS[exc.code](exc.message) from None

    return wrapper


@functools.lru_cache(maxsize=64)
def _client_for(service: str, account: str, region: str) -> Any:
    """One internal client per (service, account, region), reused (boto3 clients are thread-safe).

    LocalStack's own client cache misses whenever a config is passed (it merges it into a new
    object), and creating a client takes tens of milliseconds: cache them here.
    """
    factory = connect_to(aws_access_key_id=account, region_name=region, config=_CLIENT_CONFIG)
    return factory.get_client(service)


class NovaRftBedrockProvider(ServiceLifecycleHook):
    """Bedrock control plane for RFT jobs; every job is an emulated run in a background thread."""

    service = "bedrock"
    version = "2023-04-20"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.jobs = JobService(
            checks_for=lambda account, region: ClientChecks(_client_for, account, region),
            ports_for=self._ports_for,
            validator=nova_rft_validator,
        )

    @staticmethod
    def _ports_for(record: JobRecord) -> ClientPorts:
        return ClientPorts(_client_for, record.account, record.region)

    def on_before_stop(self) -> None:
        """Ask running emulated jobs to stop, so LocalStack's shutdown is not held up by them."""
        for thread_record in self.jobs.running():
            if thread_record.events:
                thread_record.events.request_stop()

    @handler("CreateModelCustomizationJob", expand=False)
    @_api_errors
    def create_model_customization_job(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        return self.jobs.create(context.account_id, context.region, dict(request))

    @handler("GetModelCustomizationJob", expand=False)
    @_api_errors
    def get_model_customization_job(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self.jobs.get(context.account_id, context.region, request.get("jobIdentifier", ""))

    @handler("ListModelCustomizationJobs", expand=False)
    @_api_errors
    def list_model_customization_jobs(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        return self.jobs.list(context.account_id, context.region, dict(request))

    @handler("StopModelCustomizationJob", expand=False)
    @_api_errors
    def stop_model_customization_job(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        return self.jobs.stop(context.account_id, context.region, request.get("jobIdentifier", ""))


@aws_provider(api="bedrock", name="nova_rft")
def bedrock_nova_rft() -> Service:
    return Service.for_provider(NovaRftBedrockProvider())
