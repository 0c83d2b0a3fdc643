"""Checks of a CreateModelCustomizationJob request, as Bedrock makes them (local emulator).

LocalStack parses requests with botocore's service model but enforces neither required members nor
patterns and ranges, so this module does: required fields, the name/ARN/URI patterns of the model
(`bedrock/2023-04-20`), the `customizationConfig` and `graderConfig` unions, and the RFT hyperparameter
ranges. Errors are `ApiError`s carrying the service's error code and HTTP status.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

# -- errors (code and status as in the service model's error shapes) -------------------------------


class ApiError(Exception):
    """An error answer of the Bedrock API."""

    code = "InternalServerException"
    status_code = 500
    sender_fault = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(ApiError):
    code, status_code, sender_fault = "ValidationException", 400, True


class ResourceNotFoundError(ApiError):
    code, status_code, sender_fault = "ResourceNotFoundException", 404, True


class ConflictError(ApiError):
    code, status_code, sender_fault = "ConflictException", 400, True


# -- patterns of the service model -------------------------------------------------------------------

JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*")
CUSTOM_MODEL_NAME = re.compile(r"([0-9a-zA-Z][_-]?){1,63}")
ROLE_ARN = re.compile(r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+")
S3_URI = re.compile(
    r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?"
)
TAG_TEXT = re.compile(r"[a-zA-Z0-9\s._:/=+@-]*")
TOKEN = re.compile(r"[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?")
LAMBDA_ARN = re.compile(
    r"arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}(-gov)?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9-_\.]+"
    r"(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
FOUNDATION_MODEL = re.compile(
    r"(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model/)?"
    r"(?P<id>[a-z0-9-]{1,63}[.][a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})"
)
RFT_BASE_MODELS = ("amazon.nova-2-lite-v1",)  # Nova RFT base model family (the reference, section 2)

REQUIRED = (
    "jobName",
    "customModelName",
    "roleArn",
    "baseModelIdentifier",
    "trainingDataConfig",
    "outputDataConfig",
)

# name -> (python type, minimum, maximum) of the RFT hyperparameters (service model + reference)
RFT_RANGES: dict[str, tuple[type, float, float]] = {
    "epochCount": (int, 1, 50),
    "batchSize": (int, 16, 512),
    "learningRate": (float, 1e-7, 1e-3),
    "trainingSamplePerPrompt": (int, 2, 16),
    "evalInterval": (int, 1, 100),
    "maxPromptLength": (int, 1, 2**31 - 1),
    "inferenceMaxTokens": (int, 1, 2**31 - 1),
}
REASONING_EFFORT = ("low", "medium", "high")
# What Bedrock uses when a hyperparameter is left out. The API reference does not list them all; these
# are the defaults of AWS's own SDK for Bedrock RFT (PyPI `amzn-nova-forge` 1.4.10,
# amzn_nova_forge/recipe/templates/bedrock/override/rft_lora.json, key "default" of each entry).
RFT_DEFAULTS: dict[str, Any] = {
    "epochCount": 1,
    "batchSize": 128,
    "learningRate": 0.00001,
    "maxPromptLength": 8192,
    "trainingSamplePerPrompt": 8,
    "inferenceMaxTokens": 2048,
    "reasoningEffort": "medium",
    "evalInterval": 10,
}


@dataclass(frozen=True)
class CreateJobRequest:
    """The checked parts of a create request the emulator acts on."""

    job_name: str
    custom_model_name: str
    role_arn: str
    base_model_id: str
    training_uri: str
    validation_uris: tuple[str, ...]
    output_uri: str
    lambda_arn: str
    hyper_parameters: dict[str, Any]
    client_request_token: str | None
    tags: dict[str, str]


def _pattern(value: Any, pattern: re.Pattern[str], field: str, max_len: int) -> str:
    if not isinstance(value, str) or not value or len(value) > max_len or not pattern.fullmatch(value):
        raise ValidationError(
            f"1 validation error detected: Value {value!r} at '{field}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern.pattern} (length 1..{max_len})"
        )
    return value


def _union_member(value: Any, field: str, allowed: tuple[str, ...]) -> tuple[str, Any]:
    members = (
        [key for key, item in (value or {}).items() if item is not None] if isinstance(value, dict) else []
    )
    if len(members) != 1:
        raise ValidationError(
            f"'{field}' must set exactly one of {', '.join(allowed)}; it sets {members or 'none'}"
        )
    return members[0], value[members[0]]


def check_hyper_parameters(params: Any) -> dict[str, Any]:
    """RFT hyperparameters in range; returns them with emulator defaults filled in."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ValidationError("'customizationConfig.rftConfig.hyperParameters' must be an object")
    for name, value in params.items():
        field = f"customizationConfig.rftConfig.hyperParameters.{name}"
        if name == "reasoningEffort":
            if value not in REASONING_EFFORT:
                raise ValidationError(
                    f"Value {value!r} at '{field}' must be one of {', '.join(REASONING_EFFORT)}"
                )
            continue
        if name not in RFT_RANGES:
            raise ValidationError(f"Unknown RFT hyperparameter '{field}'")
        kind, low, high = RFT_RANGES[name]
        number_ok = isinstance(value, int | float) and not isinstance(value, bool)
        if kind is int and not (number_ok and float(value).is_integer()):
            raise ValidationError(f"Value {value!r} at '{field}' must be an integer")
        if not number_ok or not math.isfinite(value) or not low <= value <= high:
            raise ValidationError(f"Value {value!r} at '{field}' must be between {low:g} and {high:g}")
    return {**RFT_DEFAULTS, **params}


def _tags(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list) or not all(
        isinstance(t, dict) and "key" in t and "value" in t for t in value
    ):
        raise ValidationError("'jobTags' must be a list of {key, value} objects")
    if len(value) > 200:
        raise ValidationError("'jobTags' has more than 200 tags")
    for position, tag in enumerate(value):
        _pattern(tag["key"], TAG_TEXT, f"jobTags[{position}].key", 128)
        if tag["value"] != "":
            _pattern(tag["value"], TAG_TEXT, f"jobTags[{position}].value", 256)
    return {str(t["key"]): str(t["value"]) for t in value}


def parse_create_request(request: dict[str, Any]) -> CreateJobRequest:
    """Check a CreateModelCustomizationJob request; raises ValidationError naming the first problem."""
    missing = [name for name in REQUIRED if request.get(name) in (None, "")]
    if missing:
        raise ValidationError(f"Missing required parameter(s): {', '.join(missing)}")
    job_name = _pattern(request["jobName"], JOB_NAME, "jobName", 63)
    model_name = _pattern(request["customModelName"], CUSTOM_MODEL_NAME, "customModelName", 63)
    role_arn = _pattern(request["roleArn"], ROLE_ARN, "roleArn", 2048)
    token = request.get("clientRequestToken")
    if token is not None:
        _pattern(token, TOKEN, "clientRequestToken", 256)
    base = request["baseModelIdentifier"]
    match = FOUNDATION_MODEL.fullmatch(base) if isinstance(base, str) else None
    if match is None:
        raise ValidationError(f"Value {base!r} at 'baseModelIdentifier' is not a foundation model id or ARN")
    base_id = match.group("id")
    if not base_id.startswith(RFT_BASE_MODELS):
        raise ValidationError(f"The base model {base_id} does not support REINFORCEMENT_FINE_TUNING")
    kind = request.get("customizationType") or "FINE_TUNING"
    if kind != "REINFORCEMENT_FINE_TUNING":
        raise ValidationError(
            f"customizationType {kind} is not supported by the local emulator: use REINFORCEMENT_FINE_TUNING"
        )
    if request.get("hyperParameters"):
        raise ValidationError(
            "'hyperParameters' applies to FINE_TUNING; set RFT hyperparameters in "
            "customizationConfig.rftConfig.hyperParameters"
        )
    training = request["trainingDataConfig"]
    training_uri = _pattern(
        training.get("s3Uri") if isinstance(training, dict) else None,
        S3_URI,
        "trainingDataConfig.s3Uri",
        1024,
    )
    output = request["outputDataConfig"]
    output_uri = _pattern(
        output.get("s3Uri") if isinstance(output, dict) else None, S3_URI, "outputDataConfig.s3Uri", 1024
    )
    validation_uris = _validators(request.get("validationDataConfig"))
    member, rft = _union_member(request.get("customizationConfig"), "customizationConfig", ("rftConfig",))
    if member != "rftConfig" or not isinstance(rft, dict):
        raise ValidationError("REINFORCEMENT_FINE_TUNING needs customizationConfig.rftConfig")
    grader_member, grader = _union_member(
        rft.get("graderConfig"), "customizationConfig.rftConfig.graderConfig", ("lambdaGrader",)
    )
    if grader_member != "lambdaGrader" or not isinstance(grader, dict):
        raise ValidationError("customizationConfig.rftConfig.graderConfig must set lambdaGrader")
    lambda_arn = _pattern(
        grader.get("lambdaArn"),
        LAMBDA_ARN,
        "customizationConfig.rftConfig.graderConfig.lambdaGrader.lambdaArn",
        512,
    )
    return CreateJobRequest(
        job_name=job_name,
        custom_model_name=model_name,
        role_arn=role_arn,
        base_model_id=base_id,
        training_uri=training_uri,
        validation_uris=validation_uris,
        output_uri=output_uri,
        lambda_arn=lambda_arn,
        hyper_parameters=check_hyper_parameters(rft.get("hyperParameters")),
        client_request_token=token,
        tags=_tags(request.get("jobTags")),
    )


def _validators(config: Any) -> tuple[str, ...]:
    if config is None:
        return ()
    validators = config.get("validators") if isinstance(config, dict) else None
    if not isinstance(validators, list) or len(validators) > 10:
        raise ValidationError(
            "'validationDataConfig.validators' must be a list of at most 10 {s3Uri} objects"
        )
    return tuple(
        _pattern(
            v.get("s3Uri") if isinstance(v, dict) else None,
            S3_URI,
            f"validationDataConfig.validators[{i}].s3Uri",
            1024,
        )
        for i, v in enumerate(validators)
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/key -> (bucket, key)."""
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key
