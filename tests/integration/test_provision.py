"""`orch local provision` (offline stand-in for terraform apply) against the session's local stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.environment import EnvironmentResolver
from orchestrator.local_stack.provision import ProvisionResult, provision
from orchestrator.local_stack.stack import LocalStack

PROJECT_DIR = Path(__file__).resolve().parents[2]
CONTRACT_OUTPUTS = {
    "grader_arns",
    "dataset_bucket",
    "dataset_prefix",
    "output_prefix",
    "customization_role_arn",
    "region",
}


def test_outputs_follow_the_contract(provisioned_local: ProvisionResult) -> None:
    outputs = provisioned_local.outputs
    assert provisioned_local.method == "offline"
    assert set(outputs) >= CONTRACT_OUTPUTS
    assert outputs["region"] == "us-east-1"
    assert outputs["dataset_prefix"] == "datasets/" and outputs["output_prefix"] == "rft-output/"
    assert set(outputs["grader_arns"]) >= {"math", "support", "json_extraction"}
    written = json.loads(provisioned_local.outputs_file.read_text())
    assert {name: entry["value"] for name, entry in written.items()} == outputs


def test_graders_are_deployed_as_configured(
    local_stack: LocalStack, provisioned_local: ProvisionResult
) -> None:
    lam = local_stack.client("lambda")
    for name, arn in provisioned_local.outputs["grader_arns"].items():
        config = lam.get_function_configuration(FunctionName=arn)
        assert config["State"] == "Active", name
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
    lifecycle = {r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert lifecycle == {"expire-noncurrent-versions", "abort-incomplete-multipart-uploads"}
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    iam = local_stack.client("iam")
    role_name = provisioned_local.outputs["customization_role_arn"].rsplit("/", 1)[-1]
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "bedrock.amazonaws.com"}
    access = iam.get_role_policy(RoleName=role_name, PolicyName="rft-job-access")["PolicyDocument"]
    invoke = [s for s in access["Statement"] if s["Sid"] == "InvokeGraders"][0]
    assert set(provisioned_local.outputs["grader_arns"].values()) <= set(invoke["Resource"])


def test_second_run_changes_nothing(
    local_stack: LocalStack, provisioned_local: ProvisionResult, tmp_path: Path
) -> None:
    again = provision(
        PROJECT_DIR, local_stack.endpoint_url, outputs_file=provisioned_local.outputs_file, method="offline"
    )
    assert set(again.changes.values()) == {"unchanged"}
    assert again.changes.keys() == provisioned_local.changes.keys()
    assert again.state_changed is False
    assert again.outputs == provisioned_local.outputs


def test_state_object_sits_in_the_backend_bucket(
    local_stack: LocalStack, provisioned_local: ProvisionResult
) -> None:
    assert (
        provisioned_local.state_location
        == "s3://nova-rft-terraform-state-local/nova-rft/local/terraform.tfstate"
    )
    body = (
        local_stack.client("s3")
        .get_object(Bucket="nova-rft-terraform-state-local", Key="nova-rft/local/terraform.tfstate")["Body"]
        .read()
    )
    state = json.loads(body)
    assert state["version"] == 4 and state["lineage"]
    assert state["outputs"]["grader_arns"]["value"] == provisioned_local.outputs["grader_arns"]
    functions = [r for r in state["resources"] if r["type"] == "aws_lambda_function"]
    assert all("index_key" not in i for r in functions for i in r["instances"])  # `this`: no key
    alarm_instances = [
        i for r in state["resources"] if r["type"] == "aws_cloudwatch_metric_alarm" for i in r["instances"]
    ]
    keyed = [i for i in alarm_instances if "index_key" in i]
    assert keyed and all(i["attributes"]["alarm_name"].endswith("-" + i["index_key"]) for i in keyed)
    deployed = local_stack.client("cloudwatch").describe_alarms(MaxRecords=100)["MetricAlarms"]
    assert {i["attributes"]["alarm_name"] for i in alarm_instances} <= {a["AlarmName"] for a in deployed}
    assert {r["module"] for r in functions} == {
        f'module.stack.module.grader["{name}"]' for name in provisioned_local.outputs["grader_arns"]
    }


@pytest.mark.parametrize("source", ["state", "file"])
def test_orch_finds_the_outputs(
    local_stack: LocalStack, provisioned_local: ProvisionResult, source: str
) -> None:
    if source == "state":
        resolver = EnvironmentResolver(
            "local",
            project_dir=PROJECT_DIR,
            environ={"PATH": ""},  # no terraform: the S3 backend state is the source
            s3_client_factory=lambda backend: local_stack.client("s3"),
        )
    else:
        resolver = EnvironmentResolver(
            "local", project_dir=PROJECT_DIR, outputs_file=provisioned_local.outputs_file
        )
    outputs = resolver.resolve()
    assert outputs.grader_arns == provisioned_local.outputs["grader_arns"]
    assert outputs.dataset_bucket == provisioned_local.outputs["dataset_bucket"]
    assert outputs.customization_role_arn == provisioned_local.outputs["customization_role_arn"]
    assert outputs.grader_arn("math").endswith(":function:nova-rft-local-math")


ROOT_TF = """
resource "aws_iam_role" "fn" {
  name               = "upd-fn-exec"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}
resource "aws_iam_role_policy" "logs" {
  name = "logs"
  role = aws_iam_role.fn.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["logs:PutLogEvents"], Resource = ["*"] }]
  })
}
resource "aws_lambda_function" "fn" {
  function_name                  = "upd-fn"
  role                           = aws_iam_role.fn.arn
  handler                        = "app.handler"
  runtime                        = "python3.12"
  filename                       = "fn.zip"
  memory_size                    = var.memory
  reserved_concurrent_executions = 2
  environment {
    variables = { GREETING = var.greeting }
  }
}
variable "memory" {
  type = number
}
variable "greeting" {
  type = string
}
"""


def write_function_zip(path: Path, reply: str) -> None:
    import zipfile

    entry = zipfile.ZipInfo("app.py", date_time=(2020, 1, 1, 0, 0, 0))  # same code, same bytes
    code = f"import os\ndef handler(e, c):\n    return [{reply!r}, os.environ['GREETING']]\n"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(entry, code)


def test_changes_are_applied_in_place_and_only_them(local_stack: LocalStack, tmp_path: Path) -> None:
    from orchestrator.local_stack.provision import apply_offline

    (tmp_path / "main.tf").write_text(ROOT_TF)
    factory = local_stack.client
    lam = local_stack.client("lambda")

    def apply(memory: int, greeting: str, reply: str) -> dict[str, str]:
        (tmp_path / "terraform.tfvars").write_text(f'memory = {memory}\ngreeting = "{greeting}"\n')
        write_function_zip(tmp_path / "fn.zip", reply)
        return apply_offline(tmp_path, factory, tmp_path / "outputs.json").changes

    first = apply(256, "hello", "v1")
    assert set(first.values()) == {"created"}
    assert json.loads(lam.invoke(FunctionName="upd-fn")["Payload"].read()) == ["v1", "hello"]
    assert set(apply(256, "hello", "v1").values()) == {"unchanged"}
    changed = apply(512, "bonjour", "v2")
    assert changed["aws_lambda_function.fn"] == "updated"
    assert changed["aws_iam_role.fn"] == "unchanged" and changed["aws_iam_role_policy.logs"] == "unchanged"
    config = lam.get_function_configuration(FunctionName="upd-fn")
    assert config["MemorySize"] == 512 and config["Environment"]["Variables"] == {"GREETING": "bonjour"}
    assert json.loads(lam.invoke(FunctionName="upd-fn")["Payload"].read()) == ["v2", "bonjour"]
    assert lam.get_function_concurrency(FunctionName="upd-fn")["ReservedConcurrentExecutions"] == 2
