"""LocalStack provider `nova_rft` for bedrock-runtime: an EMULATED judge model, not an LLM.

Entry point `bedrock-runtime:nova_rft` (group `localstack.aws.provider`), selected with
`PROVIDER_OVERRIDE_BEDROCK_RUNTIME=nova_rft`. Converse and InvokeModel answer every model id with the
deterministic rubric model (`rubric_model.py`) in the service's response shapes (`judge_api.py`), so
LLM-judge reward dimensions run end to end on the local stack. Converse for a BASE model id (Nova 2,
see `base_model.py`) that is not a judge request is answered by the emulated base model instead, so
`orch baseline` runs offline; those answers are derived from the prompt, they are not a model's.

Imported only inside LocalStack's own Python (pinned localstack-core 2026.3.0).
"""

from __future__ import annotations

from typing import Any

from localstack.aws.api import RequestContext, ServiceException, handler
from localstack.services.plugins import Service, aws_provider

from nova_rft_localstack import judge_api
from nova_rft_localstack.base_model import BaseModelEmulator, wants_base_model
from nova_rft_localstack.job_requests import ApiError, ValidationError


class ValidationException(ServiceException):
    code = "ValidationException"
    status_code = 400
    sender_fault = True


def _validation(exc: ApiError) -> ValidationException:
    return ValidationException(exc.message)


class NovaRftBedrockRuntimeProvider:
    """Converse / InvokeModel served by the rubric model."""

    service = "bedrock-runtime"
    version = "2023-09-30"

    def __init__(self) -> None:
        self.base_model = BaseModelEmulator()

    @handler("Converse", expand=False)
    def converse(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        try:
            if wants_base_model(dict(request)):
                if not request.get("messages"):
                    raise ValidationError("messages must be a non-empty list")
                return self.base_model.converse(dict(request))
            return judge_api.converse(dict(request))
        except ApiError as exc:
            raise _validation(exc) from None

    @handler("InvokeModel", expand=False)
    def invoke_model(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raw = request.get("body") or b""
        if hasattr(raw, "read"):  # LocalStack hands blob payloads over as a stream
            raw = raw.read()
        try:
            body = judge_api.invoke_model(raw)
        except ApiError as exc:
            raise _validation(exc) from None
        return {"body": body, "contentType": "application/json"}


@aws_provider(api="bedrock-runtime", name="nova_rft")
def bedrock_runtime_nova_rft() -> Service:
    return Service.for_provider(NovaRftBedrockRuntimeProvider())
