"""Shared helpers of the `orch` dataset/job command tests: running the CLI, datasets, AWS emulation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from click.testing import CliRunner

from orchestrator.cli import cli
from orchestrator.errors import OrchError

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "nova-rft-dev-datasets-123456789012"
GRADER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:nova-rft-dev-math"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/nova-rft-dev-customization"
OUTPUTS = {
    "grader_arns": {"math": GRADER_ARN, "support": GRADER_ARN.replace("math", "support")},
    "dataset_bucket": BUCKET,
    "dataset_prefix": "datasets/",
    "output_prefix": "rft-output/",
    "customization_role_arn": ROLE_ARN,
    "region": REGION,
}
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_orch(args: list[str], obj: dict[str, Any] | None = None) -> Run:
    """Invoke `orch` in-process with test hooks in ctx.obj, mapping OrchError like `cli.main` does."""
    result = CliRunner().invoke(cli, args, obj=dict(obj or {}), catch_exceptions=True)
    exc = result.exception
    if isinstance(exc, OrchError):
        return Run(exc.exit_code, result.stdout, result.stderr + f"Error: {exc}\n", exc)
    if exc is not None and not isinstance(exc, SystemExit):
        raise exc
    return Run(result.exit_code, result.stdout, result.stderr, exc)


def record(index: int, **extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You are a careful math tutor."},
            {"role": "user", "content": f"What is {index} * 3? Think step by step."},
        ],
        "reference_answer": {"final_answer": str(index * 3)},
        "id": f"math-{index}",
        **extra,
    }


def write_dataset(path: Path, count: int = 100, *, pad: int = 0) -> Path:
    """A valid dataset; `pad` adds that many characters to each record (to make big files)."""
    filler = "x" * pad
    with open(path, "w", encoding="utf-8") as handle:
        for index in range(count):
            rec = record(index, notes=filler) if pad else record(index)
            handle.write(json.dumps(rec) + "\n")
    return path


def write_outputs(path: Path, values: dict[str, Any] | None = None, *, terraform_shape: bool = True) -> Path:
    values = dict(OUTPUTS if values is None else values)
    if terraform_shape:
        document = {k: {"value": v, "type": "string", "sensitive": False} for k, v in values.items()}
    else:
        document = values
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def s3_client() -> Any:
    return boto3.client("s3", region_name=REGION)


def pending_uploads(client: Any, bucket: str) -> list[dict[str, Any]]:
    return client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def all_keys(client: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


@contextmanager
def bedrock_stub() -> Iterator[tuple[Any, Any]]:
    """A real botocore Bedrock client whose responses come from a Stubber (moto's Bedrock is thin)."""
    from botocore.stub import Stubber

    client = boto3.client(
        "bedrock", region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )
    with Stubber(client) as stubber:
        yield client, stubber
    stubber.assert_no_pending_responses()


def job_arn(name: str = "nova-rft-math-abc") -> str:
    """A job ARN in the service model's shape; its id is derived from the name."""
    import hashlib

    job_id = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/amazon.nova-2-lite-v1:0:256k/{job_id}"


def job_response(name: str, status: str, token: str = "orch-x", **extra: Any) -> dict[str, Any]:
    """A GetModelCustomizationJob response with the required members of the service model."""
    from datetime import UTC, datetime

    return {
        "jobArn": job_arn(name),
        "jobName": name,
        "outputModelName": name,
        "roleArn": ROLE_ARN,
        "clientRequestToken": token,
        "status": status,
        "creationTime": datetime(2026, 11, 22, 1, 0, tzinfo=UTC),
        "baseModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-2-lite-v1:0:256k",
        "trainingDataConfig": {"s3Uri": f"s3://{BUCKET}/datasets/x/train.jsonl"},
        "validationDataConfig": {"validators": []},
        "outputDataConfig": {"s3Uri": f"s3://{BUCKET}/rft-output/"},
        **extra,
    }
