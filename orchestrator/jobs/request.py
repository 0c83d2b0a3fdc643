"""Build the `CreateModelCustomizationJob` request of a Nova RFT job, idempotently.

Idempotency: `clientRequestToken` is a hash of the normalised inputs (base model, role, dataset URIs,
output URI, grader ARN, hyperparameters, explicit names and `--run-id`). Generated names are NOT
inputs: the default job and model names are derived from the same hash. They deliberately carry no
clock time: a retry one minute later (after a timeout, a lost response, a Ctrl-C) must produce the very
same request, or Bedrock would either start a second job (new token) or reject a reused token with
different parameters. Local datasets are uploaded to content-addressed keys first, so their URIs (and
therefore the token) change exactly when their content changes. To start a deliberate second run
with identical inputs, pass `--run-id` (or explicit names).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from orchestrator.errors import ConfigError

CUSTOMIZATION_TYPE = "REINFORCEMENT_FINE_TUNING"
DEFAULT_BASE_MODEL = "amazon.nova-2-lite-v1:0:256k"
NAME_PREFIX = "nova-rft"
TOKEN_PREFIX = "orch-"
HASH_CHARS = 12
NAME_MAX = 63

# Patterns of the Bedrock service model (botocore bedrock/2023-04-20); a unit test pins them.
LAMBDA_ARN_PATTERN = (
    r"arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}(-gov)?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9-_\.]+"
    r"(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
ROLE_ARN_PATTERN = r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+"
S3_URI_PATTERN = (
    r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?"
)
JOB_NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*"
MODEL_NAME_PATTERN = r"([0-9a-zA-Z][_-]?){1,63}"


def check_pattern(value: str, pattern: str, what: str, max_length: int | None = None) -> str:
    """`value` if it fully matches `pattern` (and length), else ConfigError naming `what`."""
    if not re.fullmatch(pattern, value or ""):
        raise ConfigError(f"{what} {value!r} is not valid (must match {pattern})")
    if max_length is not None and len(value) > max_length:
        raise ConfigError(f"{what} {value!r} is longer than {max_length} characters")
    return value


def function_name(lambda_arn: str) -> str:
    """The function name of a Lambda ARN (for default job names)."""
    return lambda_arn.split(":function:", 1)[-1].split(":", 1)[0]


def _slug(text: str) -> str:
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9]", "-", text.lower())).strip("-") or "grader"


def check_settings(
    *,
    grader_arn: str,
    role_arn: str,
    output_uri: str,
    job_name: str | None,
    model_name: str | None,
    base_model: str,
) -> None:
    """Check the job's fields other than the dataset URIs (`start-job` does so before uploading)."""
    check_pattern(grader_arn, LAMBDA_ARN_PATTERN, "grader Lambda ARN (lambdaArn)", 512)
    check_pattern(role_arn, ROLE_ARN_PATTERN, "customization role ARN (roleArn)", 2048)
    # the output URI is built from the dataset bucket: a bad bucket name is reported here
    check_pattern(output_uri, S3_URI_PATTERN, "output URI", 1024)
    if job_name is not None:
        check_pattern(job_name, JOB_NAME_PATTERN, "--job-name", NAME_MAX)
    if model_name is not None:
        check_pattern(model_name, MODEL_NAME_PATTERN, "--model-name", NAME_MAX)
    if not base_model or len(base_model) > 2048:
        raise ConfigError("--base-model must be a model id or ARN of at most 2048 characters")


@dataclass(frozen=True)
class JobInputs:
    """Everything that defines a job. Two equal `JobInputs` are the same job."""

    training_uri: str
    output_uri: str
    role_arn: str
    grader_arn: str
    base_model: str = DEFAULT_BASE_MODEL
    validation_uri: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    grader_label: str | None = None  # a name for default job names; not part of the identity
    job_name: str | None = None
    model_name: str | None = None
    run_id: str | None = None

    def validate(self) -> None:
        """Check every field against the service model's patterns (botocore checks only minimums)."""
        check_settings(
            grader_arn=self.grader_arn,
            role_arn=self.role_arn,
            output_uri=self.output_uri,
            job_name=self.job_name,
            model_name=self.model_name,
            base_model=self.base_model,
        )
        check_pattern(self.training_uri, S3_URI_PATTERN, "training dataset URI", 1024)
        if self.validation_uri is not None:
            check_pattern(self.validation_uri, S3_URI_PATTERN, "validation dataset URI", 1024)

    def identity(self) -> dict[str, Any]:
        """The normalised inputs that the token hashes (sorted keys; generated names excluded)."""
        return {
            "customizationType": CUSTOMIZATION_TYPE,
            "baseModelIdentifier": self.base_model,
            "roleArn": self.role_arn,
            "trainingDataUri": self.training_uri,
            "validationDataUri": self.validation_uri,
            "outputDataUri": self.output_uri,
            "lambdaArn": self.grader_arn,
            "hyperParameters": dict(sorted(self.hyperparameters.items())),
            "jobName": self.job_name,
            "customModelName": self.model_name,
            "runId": self.run_id,
        }

    def digest(self) -> str:
        canonical = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def client_request_token(self) -> str:
        return TOKEN_PREFIX + self.digest()[:48]

    def default_name(self) -> str:
        """`nova-rft-<grader>-<hash>`: stable for equal inputs, unique for different ones."""
        label = _slug(self.grader_label or function_name(self.grader_arn))
        suffix = "-" + self.digest()[:HASH_CHARS]
        room = NAME_MAX - len(NAME_PREFIX) - 1 - len(suffix)
        return f"{NAME_PREFIX}-{label[:room].strip('-')}{suffix}"

    def resolved_job_name(self) -> str:
        return self.job_name or self.default_name()

    def resolved_model_name(self) -> str:
        return self.model_name or self.default_name()


# AWS's SDK leaves `validationDataConfig` out for Nova 2 Lite on Bedrock, with the warning "Validation
# datasets are not supported for Nova Lite 2 models on Bedrock" (PyPI amzn-nova-forge 1.4.10,
# amzn_nova_forge/manager/runtime_manager.py, Bedrock job request; it matches these substrings of the
# base model id). Its `RFTDatasetValidator` only accepts Nova 2 Lite at all.
NO_VALIDATION_DATA_MODELS = ("nova-2-lite", "nova-lite-2")


def validation_data_supported(base_model: str) -> bool:
    """False for the base models whose jobs AWS's SDK sends without validation data (Nova 2 Lite)."""
    return not any(marker in base_model for marker in NO_VALIDATION_DATA_MODELS)


def validation_data_note(base_model: str) -> str:
    """The warning printed when validation data is left out (names the flag that keeps it)."""
    return (
        f"validation data left out: AWS does not support validation datasets for Nova 2 Lite on Bedrock "
        f"({base_model}; AWS's SDK drops them too). Pass --keep-validation-data to send it anyway."
    )


def build_request(inputs: JobInputs) -> dict[str, Any]:
    """The exact keyword arguments of `create_model_customization_job` (also what --dry-run prints)."""
    inputs.validate()
    rft_config: dict[str, Any] = {"graderConfig": {"lambdaGrader": {"lambdaArn": inputs.grader_arn}}}
    if inputs.hyperparameters:
        rft_config["hyperParameters"] = dict(inputs.hyperparameters)
    request: dict[str, Any] = {
        "jobName": inputs.resolved_job_name(),
        "customModelName": inputs.resolved_model_name(),
        "roleArn": inputs.role_arn,
        "baseModelIdentifier": inputs.base_model,
        "customizationType": CUSTOMIZATION_TYPE,
        "clientRequestToken": inputs.client_request_token(),
        "trainingDataConfig": {"s3Uri": inputs.training_uri},
        "outputDataConfig": {"s3Uri": inputs.output_uri},
        "customizationConfig": {"rftConfig": rft_config},
    }
    if inputs.validation_uri:
        request["validationDataConfig"] = {"validators": [{"s3Uri": inputs.validation_uri}]}
    return request


def output_uri(bucket: str, prefix: str) -> str:
    """`s3://bucket/prefix/`: Bedrock writes each job's artefacts under it."""
    prefix = prefix.strip("/")
    return f"s3://{bucket}/{prefix}/" if prefix else f"s3://{bucket}/"
