"""`orch local provision` (real `terraform apply` with the AWS provider) against the session's local stack.

The session fixture applies terraform/environments/local once. These tests check what Terraform built,
that a second plan finds nothing to change, that `orch` reads the outputs from the state Terraform wrote
(with no AWS variables in its environment: the port of the running stack and the backend block's
credentials), and, last of the session (see conftest), that `terraform destroy` removes everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestrator.environment import EnvironmentResolver
from orchestrator.local_stack.provision import ProvisionResult, provision
from orchestrator.local_stack.stack import LocalStack
from orchestrator.local_stack.terraform import host_architecture

PROJECT_DIR = Path(__file__).resolve().parents[2]
STATE_BUCKET, STATE_KEY = "nova-rft-terraform-state-local", "nova-rft/local/terraform.tfstate"
CONTRACT_OUTPUTS = {
    "grader_arns",
    "dataset_bucket",
    "dataset_prefix",
    "output_prefix",
    "customization_role_arn",
    "region",
}


def read_state(local_stack: LocalStack) -> dict:
    body = local_stack.client("s3").get_object(Bucket=STATE_BUCKET, Key=STATE_KEY)["Body"].read()
    return json.loads(body)


def test_outputs_follow_the_contract(provisioned_local: ProvisionResult) -> None:
    outputs = provisioned_local.outputs
    assert provisioned_local.method == "terraform"
    assert set(outputs) >= CONTRACT_OUTPUTS
    assert outputs["region"] == "us-east-1"
    assert outputs["dataset_prefix"] == "datasets/" and outputs["output_prefix"] == "rft-output/"
    assert set(outputs["grader_arns"]) >= {"math", "support", "json_extraction"}
    written = json.loads(provisioned_local.outputs_file.read_text())
    assert {name: entry["value"] for name, entry in written.items()} == outputs


def test_state_is_terraforms_own(local_stack: LocalStack, provisioned_local: ProvisionResult) -> None:
    state = read_state(local_stack)
    assert state["version"] == 4 and state["terraform_version"].startswith("1.")
    assert {name: entry["value"] for name, entry in state["outputs"].items()} == provisioned_local.outputs
    managed = [r for r in state["resources"] if r["mode"] == "managed"]
    addresses = {f"{r['module']}.{r['type']}.{r['name']}" for r in managed}
    assert 'module.stack.module.grader["math"].aws_lambda_function.this' in addresses
    # On a session's first apply every resource of the state was planned as "create".
    created = {a for a, action in provisioned_local.changes.items() if action == "create"}
    instances = sum(len(r["instances"]) for r in managed)
    assert not created or len(created) == instances


def test_graders_are_deployed_as_configured(
    local_stack: LocalStack, provisioned_local: ProvisionResult
) -> None:
    lam = local_stack.client("lambda")
    for name, arn in provisioned_local.outputs["grader_arns"].items():
        config = lam.get_function_configuration(FunctionName=arn)
        assert config["State"] == "Active", name
        assert config["Architectures"] == [host_architecture()], name  # the zip Terraform deployed
        assert config["Handler"] == "nova_rewards.handler.lambda_handler"
        assert config["Runtime"] == "python3.12"
        assert config["Timeout"] == 300
        assert config["Environment"]["Variables"]["REWARD_METRICS_NAMESPACE"] == "NovaRFT/Grader"
        assert config["Role"].endswith(f"role/{config['FunctionName']}-exec")
        reserved = lam.get_function_concurrency(FunctionName=arn)["ReservedConcurrentExecutions"]
        assert reserved >= 1
        group = f"/aws/lambda/{config['FunctionName']}"
        groups = local_stack.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        assert [g["retentionInDays"] for g in groups if g["logGroupName"] == group] == [7]


def test_alarms_and_dashboards_exist(local_stack: LocalStack, provisioned_local: ProvisionResult) -> None:
    cloudwatch = local_stack.client("cloudwatch")
    names = {a["AlarmName"] for a in cloudwatch.describe_alarms(MaxRecords=100)["MetricAlarms"]}
    for arn in provisioned_local.outputs["grader_arns"].values():
        function = arn.rsplit(":", 1)[-1]
        for purpose in (
            "errors",
            "throttles",
            "concurrency",
            "duration-p99",
            "error-rate",
            "reward-mean",
            "no-spread",
        ):
            assert f"{function}-{purpose}" in names
        assert cloudwatch.get_dashboard(DashboardName=function)["DashboardName"] == function


def test_bucket_and_roles_are_locked_down(
    local_stack: LocalStack, provisioned_local: ProvisionResult
) -> None:
    s3, bucket = local_stack.client("s3"), provisioned_local.outputs["dataset_bucket"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    iam = local_stack.client("iam")
    role_name = provisioned_local.outputs["customization_role_arn"].rsplit("/", 1)[-1]
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "bedrock.amazonaws.com"}
    access = iam.get_role_policy(RoleName=role_name, PolicyName="rft-job-access")["PolicyDocument"]
    invoke = [s for s in access["Statement"] if s["Sid"] == "InvokeGraders"][0]
    assert set(provisioned_local.outputs["grader_arns"].values()) <= set(invoke["Resource"])


def test_second_run_plans_no_changes(local_stack: LocalStack, provisioned_local: ProvisionResult) -> None:
    serial = read_state(local_stack)["serial"]
    again = provision(PROJECT_DIR, local_stack.endpoint_url, outputs_file=provisioned_local.outputs_file)
    assert again.changes == {}  # `plan -detailed-exitcode` exited 0: nothing applied
    assert again.summary() == "no changes"
    assert again.outputs == provisioned_local.outputs
    assert read_state(local_stack)["serial"] == serial


def orch_without_aws_settings(stack: LocalStack, *args: str) -> subprocess.CompletedProcess[str]:
    """`orch` as a new user runs it: no AWS_* variables, no `eval "$(orch local env)"`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "ORCH_ENV"}
    env.update({"ORCH_LOCAL_PORT": str(stack.port), "AWS_CONFIG_FILE": "/dev/null"})
    env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
    command = [sys.executable, "-c", "from orchestrator.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=PROJECT_DIR)


def test_orch_reads_the_outputs_from_terraforms_state(
    local_stack: LocalStack, provisioned_local: ProvisionResult
) -> None:
    resolver = EnvironmentResolver(
        "local",
        project_dir=PROJECT_DIR,
        environ={"PATH": os.environ["PATH"], "ORCH_LOCAL_PORT": str(local_stack.port)},
    )
    outputs = resolver.resolve()
    assert outputs.source.startswith("S3 state s3://nova-rft-terraform-state-local/")
    assert local_stack.endpoint_url in outputs.source
    assert outputs.grader_arns == provisioned_local.outputs["grader_arns"]
    assert outputs.grader_arn("math").endswith(":function:nova-rft-local-math")

    bucket = provisioned_local.outputs["dataset_bucket"]
    dataset = f"s3://{bucket}/datasets/0123abcd/train.jsonl"
    done = orch_without_aws_settings(
        local_stack, "start-job", "--env", "local", "--dataset", dataset, "--grader", "math", "--dry-run"
    )
    assert done.returncode == 0, done.stderr
    request = json.loads(done.stdout)
    assert request["roleArn"] == provisioned_local.outputs["customization_role_arn"]
    assert request["trainingDataConfig"]["s3Uri"] == dataset
    listed = orch_without_aws_settings(local_stack, "list-jobs", "--env", "local", "--json")
    assert listed.returncode == 0, listed.stderr
    assert isinstance(json.loads(listed.stdout), list)


def test_destroy_removes_everything(local_stack: LocalStack, provisioned_local: ProvisionResult) -> None:
    """Runs last in the session (conftest orders it): the other tests need the provisioned stack."""
    from orchestrator.local_stack.provision import destroy

    destroy(PROJECT_DIR, local_stack.endpoint_url)
    functions = {f["FunctionName"] for f in local_stack.client("lambda").list_functions()["Functions"]}
    assert not functions & {
        arn.rsplit(":", 1)[-1] for arn in provisioned_local.outputs["grader_arns"].values()
    }
    buckets = {b["Name"] for b in local_stack.client("s3").list_buckets()["Buckets"]}
    assert provisioned_local.outputs["dataset_bucket"] not in buckets
    state = read_state(local_stack)
    assert state["resources"] == [] and state["outputs"] == {}
