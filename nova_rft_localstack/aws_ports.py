"""The AWS calls of the Bedrock emulator, made with boto3-style clients (LocalStack's internal ones).

Kept apart from `bedrock.py` so it needs no LocalStack import: the provider passes in a
`client_for(service, account, region)` built on `localstack.aws.connect.connect_to`, and tests can pass
moto or stubbed clients.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nova_rewards.env_vars import REWARD_SPEC  # stdlib-free constants

from nova_rft_localstack.job_requests import split_s3_uri
from nova_rft_localstack.rft_emulation import DatasetReadError, GraderMissingError, InvokeResult

ClientFor = Callable[[str, str, str], Any]  # (service, account, region) -> boto3 client
BEDROCK_PRINCIPAL = "bedrock.amazonaws.com"
SPEC_ENV = REWARD_SPEC  # the grader Lambda's spec variable
# The extension is installed editable: the repository (and its bundled specs) is next to this package.
REPO_ROOT = Path(__file__).resolve().parents[1]


def find_spec_file(ref: str, root: Path = REPO_ROOT) -> Path | None:
    """The spec file `REWARD_SPEC=ref` names: a bundled name, an absolute path, or a path in the package."""
    ref = ref.strip()
    if not ref:
        return None
    candidates = [root / "functions" / "nova_rewards" / "specs" / f"{ref}.json"]
    if ref.endswith(".json") or "/" in ref:
        path = Path(ref)
        candidates = [path] if path.is_absolute() else [root / "functions" / path, root / path]
    return next((c for c in candidates if c.is_file()), None)


def load_grader_spec(
    variables: Mapping[str, str], root: Path = REPO_ROOT
) -> tuple[dict[str, Any] | None, str]:
    """(spec, where it came from) for a grader's environment variables; (None, why not) otherwise."""
    ref = variables.get(SPEC_ENV, "")
    if not ref:
        return None, f"the grader has no {SPEC_ENV} variable: generic probes only"
    path = find_spec_file(ref, root)
    if path is None:
        return None, f"{SPEC_ENV}={ref}: spec file not found on this machine: generic probes only"
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"{SPEC_ENV}={ref}: {path} unreadable ({exc}): generic probes only"
    if not isinstance(spec, dict):
        return None, f"{SPEC_ENV}={ref}: {path} is not a JSON object: generic probes only"
    return spec, f"{SPEC_ENV}={ref} ({path})"


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def trusts_bedrock(document: Any) -> bool:
    """True if a role trust policy lets bedrock.amazonaws.com call sts:AssumeRole."""
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    for statement in _as_list(document.get("Statement") if isinstance(document, dict) else None):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action"))
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if BEDROCK_PRINCIPAL in services and any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            return True
    return False


def lambda_location(lambda_arn: str) -> tuple[str, str]:
    """(account, region) of a Lambda function ARN."""
    parts = lambda_arn.split(":")
    return parts[4], parts[3]


class ClientChecks:
    """`customization_jobs.AwsChecks` over boto3 clients of one account and region."""

    def __init__(self, client_for: ClientFor, account: str, region: str) -> None:
        self._client_for = client_for
        self._account = account
        self._region = region

    def _client(self, service: str) -> Any:
        return self._client_for(service, self._account, self._region)

    def role_problem(self, role_arn: str) -> str | None:
        name = role_arn.split(":role/", 1)[1].rsplit("/", 1)[-1]
        try:
            role = self._client("iam").get_role(RoleName=name)["Role"]
        except Exception as exc:
            if _error_code(exc) in ("NoSuchEntity", "NoSuchEntityException"):
                return f"The role {role_arn} does not exist"
            raise
        if not trusts_bedrock(role.get("AssumeRolePolicyDocument")):
            return (
                f"The role {role_arn} does not trust {BEDROCK_PRINCIPAL} (sts:AssumeRole) in its trust policy"
            )
        return None

    def object_problem(self, s3_uri: str) -> str | None:
        bucket, key = split_s3_uri(s3_uri)
        if not key or key.endswith("/"):
            return f"{s3_uri} must name a JSONL object, not a prefix"
        try:
            self._client("s3").head_object(Bucket=bucket, Key=key)
        except Exception as exc:
            if _error_code(exc) in ("404", "NoSuchKey", "NoSuchBucket", "NotFound"):
                return f"The S3 object {s3_uri} does not exist"
            raise
        return None

    def bucket_problem(self, s3_uri: str) -> str | None:
        bucket, _ = split_s3_uri(s3_uri)
        try:
            self._client("s3").head_bucket(Bucket=bucket)
        except Exception as exc:
            if _error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
                return f"The output bucket of {s3_uri} does not exist"
            raise
        return None

    def grader_problem(self, lambda_arn: str) -> str | None:
        return grader_problem(self._client_for, lambda_arn)


def grader_problem(client_for: ClientFor, lambda_arn: str) -> str | None:
    """Why the grader cannot be invoked (missing, or in state Failed), or None."""
    account, region = lambda_location(lambda_arn)
    try:
        config = client_for("lambda", account, region).get_function(FunctionName=lambda_arn)["Configuration"]
    except Exception as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            return f"The grader Lambda function {lambda_arn} does not exist"
        raise
    if config.get("State") == "Failed":
        return f"The grader Lambda function {lambda_arn} is in state Failed: {config.get('StateReason', '')}"
    return None


class ClientPorts:
    """`rft_emulation.EmulationPorts` over boto3 clients; S3 and CloudWatch in the job's account/region."""

    def __init__(self, client_for: ClientFor, account: str, region: str) -> None:
        self._client_for = client_for
        self._account = account
        self._region = region

    def _client(self, service: str) -> Any:
        return self._client_for(service, self._account, self._region)

    def read_object(self, s3_uri: str) -> bytes:
        bucket, key = split_s3_uri(s3_uri)
        try:
            return self._client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            if _error_code(exc) in ("NoSuchKey", "NoSuchBucket", "404"):
                raise DatasetReadError(f"{s3_uri} does not exist") from None
            raise

    def put_object(self, s3_uri: str, body: bytes) -> None:
        bucket, key = split_s3_uri(s3_uri)
        self._client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/x-ndjson")

    def grader_problem(self, lambda_arn: str) -> str | None:
        return grader_problem(self._client_for, lambda_arn)

    def grader_spec(self, lambda_arn: str) -> tuple[dict[str, Any] | None, str]:
        account, region = lambda_location(lambda_arn)
        client = self._client_for("lambda", account, region)
        config = client.get_function_configuration(FunctionName=lambda_arn)
        return load_grader_spec((config.get("Environment") or {}).get("Variables") or {})

    def invoke_grader(self, lambda_arn: str, payload: bytes) -> InvokeResult:
        account, region = lambda_location(lambda_arn)
        client = self._client_for("lambda", account, region)
        try:
            response = client.invoke(
                FunctionName=lambda_arn, InvocationType="RequestResponse", Payload=payload
            )
        except Exception as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                raise GraderMissingError(f"The grader Lambda function {lambda_arn} does not exist") from None
            raise
        return InvokeResult(response["Payload"].read(), response.get("FunctionError"))

    def put_metrics(self, namespace: str, job_name: str, values: Mapping[str, float]) -> None:
        data = [
            {
                "MetricName": name,
                "Dimensions": [{"Name": "JobName", "Value": job_name}],
                "Value": float(value),
                "Unit": "Milliseconds" if name.endswith("Ms") else "None",
            }
            for name, value in values.items()
        ]
        client = self._client("cloudwatch")
        for start in range(0, len(data), 500):
            client.put_metric_data(Namespace=namespace, MetricData=data[start : start + 500])
