"""The offline apply's evaluation (no emulator needed): the real `local` root and small synthetic roots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.errors import ConfigError
from orchestrator.local_stack import provision, resources, tfconfig
from orchestrator.local_stack.resources import Context

PROJECT_DIR = Path(__file__).resolve().parents[3]
LOCAL_ENV = PROJECT_DIR / "terraform" / "environments" / "local"


def context(env_dir: Path) -> Context:
    return Context(clients=None, account="000000000000", region="us-east-1", env_dir=env_dir)


@pytest.fixture(scope="module")
def local_plan() -> tuple[list[provision.Planned], dict, dict]:
    return provision.plan(LOCAL_ENV, context(LOCAL_ENV))


def by_type(planned: list[provision.Planned], kind: str) -> list[dict]:
    return [item.attrs for item in planned if item.block.type == kind]


def test_local_root_plans_only_known_types_in_dependency_order(local_plan) -> None:
    planned, _outputs, _backend = local_plan
    kinds = [item.block.type for item in planned]
    assert set(kinds) <= set(resources.HANDLERS)
    order = [resources.ORDER[kind] for kind in kinds]
    assert order == sorted(order)
    assert (
        kinds.index("aws_iam_role")
        < kinds.index("aws_lambda_function")
        < kinds.index("aws_cloudwatch_metric_alarm")
    )


def test_references_and_markers_are_resolved(local_plan) -> None:
    planned, _outputs, _backend = local_plan
    assert all(not tfconfig.unresolved(item.attrs) for item in planned)
    functions = {f["function_name"]: f for f in by_type(planned, "aws_lambda_function")}
    math = functions["nova-rft-local-math"]
    assert math["role"] == "arn:aws:iam::000000000000:role/nova-rft-local-math-exec"  # provider-computed ARN
    assert math["kms_key_arn"] is None  # a `var` nothing sets
    assert math["handler"] == "nova_rewards.handler.lambda_handler"
    assert math["environment"]["variables"]["REWARD_SPEC"] == "math"
    assert (
        isinstance(math["reserved_concurrent_executions"], int)
        and math["reserved_concurrent_executions"] >= 1
    )
    alarms = {a["alarm_name"]: a for a in by_type(planned, "aws_cloudwatch_metric_alarm")}
    concurrency = alarms["nova-rft-local-math-concurrency"]
    assert isinstance(concurrency["threshold"], int | float)  # from each.value.threshold
    assert concurrency["threshold"] <= math["reserved_concurrent_executions"]


def test_lifecycle_rule_ids_come_from_the_source(local_plan) -> None:
    planned, _outputs, _backend = local_plan
    [lifecycle] = by_type(planned, "aws_s3_bucket_lifecycle_configuration")
    ids = [rule["id"] for rule in lifecycle["rule"]]
    assert ids == ["expire-noncurrent-versions", "abort-incomplete-multipart-uploads"]


def test_outputs_follow_the_contract(local_plan) -> None:
    _planned, outputs, backend = local_plan
    assert set(outputs) >= {
        "grader_arns",
        "dataset_bucket",
        "dataset_prefix",
        "output_prefix",
        "customization_role_arn",
        "region",
    }
    assert (
        outputs["grader_arns"]["math"] == "arn:aws:lambda:us-east-1:000000000000:function:nova-rft-local-math"
    )
    assert outputs["customization_role_arn"] == "arn:aws:iam::000000000000:role/nova-rft-local-customization"
    assert backend["type"] == "s3" and backend["bucket"] and backend["key"].endswith(".tfstate")


def write_root(tmp_path: Path, body: str) -> Path:
    (tmp_path / "main.tf").write_text(body)
    (tmp_path / "terraform.tfvars").write_text("")
    return tmp_path


def test_unknown_resource_types_are_refused(tmp_path: Path) -> None:
    root = write_root(tmp_path, 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    with pytest.raises(ConfigError, match="aws_sqs_queue"):
        provision.plan(root, context(root))


def test_failed_validation_is_reported_with_its_location(tmp_path: Path) -> None:
    root = write_root(
        tmp_path,
        'variable "n" {\n  type = number\n  default = 5\n  validation {\n    condition = var.n < 3\n'
        '    error_message = "n must be below 3."\n  }\n}\n',
    )
    with pytest.raises(ConfigError, match=r"n must be below 3.*|main.tf"):
        provision.plan(root, context(root))


def test_policy_documents_render_and_policy_arns_resolve(tmp_path: Path) -> None:
    root = write_root(
        tmp_path,
        """
data "aws_iam_policy_document" "read" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::b/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = ["000000000000"]
    }
  }
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = data.aws_iam_policy_document.read.json
}
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.r.name
  policy_arn = aws_iam_policy.p.arn
}
""",
    )
    planned, _outputs, _backend = provision.plan(root, context(root))
    [policy] = by_type(planned, "aws_iam_policy")
    document = json.loads(policy["policy"])
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": "arn:aws:s3:::b/*",
                "Condition": {"StringEquals": {"aws:SourceAccount": "000000000000"}},
            }
        ],
    }
    [attachment] = by_type(planned, "aws_iam_role_policy_attachment")
    assert attachment == {"role": "r", "policy_arn": "arn:aws:iam::000000000000:policy/p"}


@pytest.mark.parametrize(
    "endpoint", ["http://10.0.0.5:4566", "https://s3.amazonaws.com", "http://example.com"]
)
def test_only_loopback_endpoints_are_provisioned(endpoint: str) -> None:
    with pytest.raises(ConfigError, match="refusing to provision"):
        provision.provision(PROJECT_DIR, endpoint)


def test_terraform_outputs_shape() -> None:
    shaped = provision.terraform_outputs({"region": "us-east-1", "grader_arns": {"math": "arn"}})
    assert shaped["region"] == {"sensitive": False, "type": "string", "value": "us-east-1"}
    assert shaped["grader_arns"]["type"] == ["object", {"math": "string"}]


def test_missing_package_names_the_build_command(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    attrs = {"function_name": "f", "filename": "build/grader-x86_64.zip", "architectures": ["x86_64"]}
    with pytest.raises(ConfigError, match="orch reward package"):
        resources.LambdaFunction().package(ctx, attrs)


class FakeS3:
    def __init__(self) -> None:
        self.buckets: set[str] = set()

    def head_bucket(self, Bucket: str) -> None:  # noqa: N803 - boto3's argument names
        if Bucket not in self.buckets:
            raise RuntimeError("404")

    def create_bucket(self, Bucket: str) -> None:  # noqa: N803
        self.buckets.add(Bucket)


FAKE_TERRAFORM = """#!/bin/sh
echo "$TF_DATA_DIR $*" >> "$(dirname "$0")/calls.log"
case "$*" in
  *" init "*)
    if [ -n "$FAIL_INIT" ]; then echo "Error: Failed to query provider packages" >&2; exit 1; fi ;;
  *" apply "*) exit 0 ;;
  *" output "*) echo '{"region": {"value": "us-east-1", "type": "string", "sensitive": false}}' ;;
esac
"""


@pytest.fixture()
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "terraform"
    script.write_text(FAKE_TERRAFORM)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setattr(provision, "provider_obtainable", lambda timeout=3.0: True)
    return bin_dir


def test_real_terraform_path_runs_init_apply_output(fake_terraform: Path, tmp_path: Path) -> None:
    s3 = FakeS3()
    result = provision.provision(
        PROJECT_DIR,
        "http://127.0.0.1:4999",
        outputs_file=tmp_path / "out.json",
        client_factory=lambda service: s3,
    )
    assert result.method == "terraform" and result.outputs == {"region": "us-east-1"}
    assert "nova-rft-terraform-state-local" in s3.buckets  # the backend bucket exists before init
    calls = (fake_terraform / "calls.log").read_text().splitlines()
    assert [c.split()[2] for c in calls] == ["init", "apply", "output"]
    assert all(
        c.split()[0] == str(PROJECT_DIR / ".orch" / "terraform" / "local") for c in calls
    )  # TF_DATA_DIR
    backend_file = PROJECT_DIR / ".orch" / "terraform" / "local" / "emulator.tfbackend"
    assert f"-backend-config={backend_file}" in calls[0]
    assert 's3 = "http://127.0.0.1:4999"' in backend_file.read_text()
    assert "-var=localstack_endpoint=http://127.0.0.1:4999" in calls[1]
    assert json.loads((tmp_path / "out.json").read_text())["region"]["value"] == "us-east-1"


def test_failed_init_is_an_error_when_terraform_is_required(
    fake_terraform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIL_INIT", "1")
    with pytest.raises(ConfigError, match="terraform init failed"):
        provision.provision(
            PROJECT_DIR,
            "http://127.0.0.1:4999",
            outputs_file=tmp_path / "out.json",
            method="terraform",
            client_factory=lambda service: FakeS3(),
        )


def test_unexpanded_for_each_is_an_error_not_a_missing_resource(tmp_path: Path) -> None:
    root = write_root(
        tmp_path,
        'locals {\n  m = { a = { n = "x" }, b = { n = null } }\n}\n'
        'resource "aws_sns_topic" "t" {\n  for_each = local.m\n  name     = "t-${each.key}"\n}\n',
    )
    with pytest.raises(ConfigError, match="for_each was not expanded"):
        provision.plan(root, context(root))


def test_left_over_interpolations_are_reported_but_policy_variables_pass() -> None:
    assert tfconfig.unresolved({"name": "t-${each.key}"}) == ["name = 't-${each.key}'"]
    assert tfconfig.unresolved({"policy": '{"Resource": "arn:aws:s3:::b/${aws:username}/*"}'}) == []
