"""`orch` end to end on the local stack: provision through the CLI, then upload a dataset to the
environment's bucket (content-addressed; a second upload is a no-op)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from orchestrator.local_stack.provision import ProvisionResult
from orchestrator.local_stack.stack import LocalStack

PROJECT_DIR = Path(__file__).resolve().parents[2]
DATASET = PROJECT_DIR / "datasets" / "math.jsonl"


def orch(stack: LocalStack, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **stack.client_env(), "ORCH_LOCAL_STATE_DIR": str(stack.state_dir)}
    command = [sys.executable, "-c", "from orchestrator.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=PROJECT_DIR)


def test_provision_command_is_idempotent(
    local_stack: LocalStack, provisioned_local: ProvisionResult, tmp_path: Path
) -> None:
    outputs_file = tmp_path / "local.json"
    done = orch(
        local_stack,
        "local",
        "provision",
        "--port",
        str(local_stack.port),
        "--outputs-file",
        str(outputs_file),
    )
    assert done.returncode == 0, done.stderr
    assert "local: no changes (terraform apply" in done.stdout
    state = "s3://nova-rft-terraform-state-local/nova-rft/local/terraform.tfstate"
    assert f"state: {state} on {local_stack.endpoint_url}" in done.stdout
    written = {name: entry["value"] for name, entry in json.loads(outputs_file.read_text()).items()}
    assert written == provisioned_local.outputs


def test_provision_refuses_without_a_stack(tmp_path: Path) -> None:
    from orchestrator.local_stack.stack import free_port

    port = str(free_port())
    env = {**os.environ, "ORCH_LOCAL_STATE_DIR": str(tmp_path)}
    command = [
        sys.executable,
        "-c",
        "from orchestrator.cli import main; main()",
        "local",
        "provision",
        "--port",
        port,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 5 and "orch local up" in done.stderr


def test_upload_dataset_is_content_addressed_and_idempotent(
    local_stack: LocalStack, provisioned_local: ProvisionResult
) -> None:
    outputs = str(provisioned_local.outputs_file)
    first = orch(
        local_stack, "upload-dataset", str(DATASET), "--env", "local", "--outputs", outputs, "--json"
    )
    assert first.returncode == 0, first.stderr
    digest = hashlib.sha256(DATASET.read_bytes()).hexdigest()
    bucket = provisioned_local.outputs["dataset_bucket"]
    key = f"{provisioned_local.outputs['dataset_prefix']}{digest}/{DATASET.name}"
    assert json.loads(first.stdout)["training"]["uri"] == f"s3://{bucket}/{key}"
    s3 = local_stack.client("s3")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == DATASET.read_bytes()
    second = orch(
        local_stack, "upload-dataset", str(DATASET), "--env", "local", "--outputs", outputs, "--json"
    )
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)["training"]
    assert again["uri"] == f"s3://{bucket}/{key}" and again["uploaded"] is False
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    assert len(versions) == 1  # versioned bucket: a second write would have made a second version
