"""Every environment root planned by real Terraform with the real provider, no AWS account needed
(conftest.py's `root_plan`), with assertions on the planned resources: a broken environment fails here.

Plus static checks of what a plan does not show: the S3 backends, the local provider's endpoints and
that the roots differ only in their variables, backend and provider.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.tf_helpers import (
    ARCHITECTURE_MD,
    BUILD_DIR,
    ENVIRONMENTS,
    contract_outputs,
    env_dir,
    load_hcl,
    tfvars,
)

pytestmark = pytest.mark.terraform

ALARM_PURPOSES = {
    "errors",
    "throttles",
    "concurrency",
    "duration-p99",
    "error-rate",
    "reward-mean",
    "no-spread",
}
ALARM_METRICS = {
    "errors": ("AWS/Lambda", "Errors"),
    "throttles": ("AWS/Lambda", "Throttles"),
    "concurrency": ("AWS/Lambda", "ConcurrentExecutions"),
    "duration-p99": ("AWS/Lambda", "Duration"),
    "error-rate": ("NovaRFT/Grader", "ErrorRate"),
    "reward-mean": ("NovaRFT/Grader", "RewardMean"),
    "no-spread": ("NovaRFT/Grader", "NoSpreadGroupFraction"),
}


@pytest.fixture(params=ENVIRONMENTS)
def env(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def plan(env: str, root_plan: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    return root_plan(env)


def planned(plan: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    """The planned (create) resources of one type, with their address and `after` values."""
    found = []
    for change in plan["resource_changes"]:
        if change["type"] == rtype:
            assert change["change"]["actions"] == ["create"], change["address"]
            found.append({"address": change["address"], **change["change"]["after"]})
    return found


def grader_of(item: dict[str, Any]) -> str:
    return item["address"].split('module.grader["', 1)[1].split('"', 1)[0]


def function_name(env: str, grader: str) -> str:
    return f"nova-rft-{env}-{grader}"


def statements(document: str) -> list[dict[str, Any]]:
    found = json.loads(document)["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_resource_is_planned(env: str, plan: dict[str, Any]) -> None:
    graders = tfvars(env)["graders"]
    judged = [name for name, g in graders.items() if g.get("judge_model_arns")]
    counts: dict[str, int] = {}
    for change in plan["resource_changes"]:
        counts[change["type"]] = counts.get(change["type"], 0) + 1
    n = len(graders)
    assert counts["aws_lambda_function"] == n and counts["aws_cloudwatch_log_group"] == n
    assert counts["aws_cloudwatch_metric_alarm"] == 7 * n
    assert counts["aws_cloudwatch_dashboard"] == (n if tfvars(env).get("create_dashboards", True) else 0)
    assert counts["aws_iam_role"] == n + 1  # one execution role per grader, the customization role
    xray = n if tfvars(env).get("enable_xray") else 0
    assert counts["aws_iam_role_policy"] == n + len(judged) + xray + 1  # logs, judge, xray, customization
    for single in ("aws_s3_bucket", "aws_s3_bucket_versioning", "aws_s3_bucket_policy"):
        assert counts[single] == 1, single


def test_functions_deploy_the_package_for_their_architecture(env: str, plan: dict[str, Any]) -> None:
    graders = tfvars(env)["graders"]
    for fn in planned(plan, "aws_lambda_function"):
        grader = graders[grader_of(fn)]
        arch = grader.get("architecture", "arm64")
        assert fn["function_name"] == function_name(env, grader_of(fn))
        assert fn["architectures"] == [arch]
        assert fn["handler"] == "nova_rewards.handler.lambda_handler" and fn["runtime"] == "python3.12"
        package = BUILD_DIR / f"grader-{arch}.zip"
        if tfvars(env).get("packages_via_s3"):  # uploaded once per zip, created from the bucket
            assert fn.get("filename") is None and fn["s3_key"] == f"lambda-packages/{package.name}"
        else:
            assert (env_dir(env) / fn["filename"]).resolve() == package.resolve()
        digest = base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode()
        assert fn["source_code_hash"] == digest, "source_code_hash must be the zip's SHA-256"
        assert fn["environment"][0]["variables"]["REWARD_SPEC"] == grader["spec"]
        assert fn["memory_size"] == grader.get("memory_size", 512) and fn["timeout"] == grader.get(
            "timeout", 300
        )


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_handler_exists_in_the_package(arch: str) -> None:
    with zipfile.ZipFile(BUILD_DIR / f"grader-{arch}.zip") as archive:
        source = archive.read("nova_rewards/handler.py").decode("utf-8")
    assert "def lambda_handler(" in source


def test_reserved_concurrency_comes_from_sizing(env: str, plan: dict[str, Any]) -> None:
    training = tfvars(env)["training"]
    invocations = math.ceil(
        training["batch_size"]
        * training["samples_per_prompt"]
        / training.get("max_samples_per_invocation", 1)
    )
    expected = math.ceil(invocations * training.get("safety_factor", 1.5))
    reserved = {
        grader_of(fn): fn["reserved_concurrent_executions"] for fn in planned(plan, "aws_lambda_function")
    }
    assert set(reserved.values()) == {expected}, reserved
    concurrency_alarms = [
        a for a in planned(plan, "aws_cloudwatch_metric_alarm") if a["alarm_name"].endswith("-concurrency")
    ]
    assert all(1 <= a["threshold"] <= expected for a in concurrency_alarms)


def test_every_grader_has_every_alarm(env: str, plan: dict[str, Any]) -> None:
    alarms = planned(plan, "aws_cloudwatch_metric_alarm")
    for grader in tfvars(env)["graders"]:
        fn = function_name(env, grader)
        mine = {
            a["alarm_name"].removeprefix(f"{fn}-"): a for a in alarms if a["alarm_name"].startswith(f"{fn}-")
        }
        assert set(mine) == ALARM_PURPOSES, grader
        for purpose, alarm in mine.items():
            assert (alarm["namespace"], alarm["metric_name"]) == ALARM_METRICS[purpose], purpose
            assert alarm["dimensions"] == {"FunctionName": fn}
            assert alarm["treat_missing_data"] == "notBreaching"
    assert "NovaRFT/Grader" in ARCHITECTURE_MD.read_text(encoding="utf-8")  # the documented namespace


def test_no_wildcard_actions_and_wildcard_resources_only_for_xray(plan: dict[str, Any]) -> None:
    for policy in planned(plan, "aws_iam_role_policy"):
        for statement in statements(policy["policy"]):
            actions = as_list(statement["Action"])
            assert not any(a == "*" or a.endswith(":*") for a in actions), (policy["address"], actions)
            if "*" in as_list(statement["Resource"]):
                assert all(a.startswith("xray:") for a in actions), policy["address"]


def test_roles_trust_only_their_service(env: str, plan: dict[str, Any]) -> None:
    account = tfvars(env)["account_id"]
    for role in planned(plan, "aws_iam_role"):
        (statement,) = statements(role["assume_role_policy"])
        if role["name"].endswith("-customization"):
            assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"}
            assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
            assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(
                f":{account}:model-customization-job/*"
            )
        else:
            assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}, role["name"]


def test_dataset_bucket_is_hardened(env: str, plan: dict[str, Any]) -> None:
    (block,) = planned(plan, "aws_s3_bucket_public_access_block")
    assert all(
        block[k]
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    (versioning,) = planned(plan, "aws_s3_bucket_versioning")
    assert versioning["versioning_configuration"][0]["status"] == "Enabled"
    (ownership,) = planned(plan, "aws_s3_bucket_ownership_controls")
    assert ownership["rule"][0]["object_ownership"] == "BucketOwnerEnforced"
    (policy,) = planned(plan, "aws_s3_bucket_policy")
    assert statements(policy["policy"])[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    lifecycle = planned(plan, "aws_s3_bucket_lifecycle_configuration")
    settings = tfvars(env)
    if settings.get("bucket_lifecycle_rules", True) is False:
        assert settings["force_destroy_bucket"] is True, (
            "only a throw-away bucket may skip the lifecycle rules"
        )
        assert lifecycle == []
    else:
        (rules,) = lifecycle
        assert [r["id"] for r in rules["rule"]] == [
            "expire-noncurrent-versions",
            "abort-incomplete-multipart-uploads",
        ]


def test_real_accounts_keep_lifecycle_rules(root_plan: Callable[[str], dict[str, Any]]) -> None:
    for env in ("dev", "staging", "prod"):
        assert len(planned(root_plan(env), "aws_s3_bucket_lifecycle_configuration")) == 1, env


def test_outputs_are_the_contract(env: str, plan: dict[str, Any]) -> None:
    settings = tfvars(env)
    outputs = {name: entry.get("value") for name, entry in plan["planned_values"]["outputs"].items()}
    assert sorted(outputs) == sorted(contract_outputs())
    account, region = settings["account_id"], settings["region"]
    assert outputs["grader_arns"] == {
        g: f"arn:aws:lambda:{region}:{account}:function:{function_name(env, g)}" for g in settings["graders"]
    }
    assert outputs["dataset_bucket"] == f"nova-rft-{env}-datasets-{account}"
    assert outputs["dataset_prefix"] == "datasets/" and outputs["output_prefix"] == "rft-output/"
    assert outputs["customization_role_arn"] == f"arn:aws:iam::{account}:role/nova-rft-{env}-customization"
    assert outputs["region"] == region


def test_local_graders_use_the_supported_host_architecture() -> None:
    """See the comment in environments/local/terraform.tfvars: the stack runs graders as host processes."""
    assert {g["architecture"] for g in tfvars("local")["graders"].values()} == {"x86_64"}


# ---- static: what a plan does not show ------------------------------------------------------------


def test_backend_is_s3_with_locking(env: str) -> None:
    (terraform,) = load_hcl(env_dir(env) / "backend.tf")["terraform"]
    ((kind, backend),) = [(k, v) for b in terraform["backend"] for k, v in b.items() if k != "__is_block__"]
    assert kind == "s3"
    assert backend["bucket"] and backend["key"].endswith(f"{env}/terraform.tfstate")
    assert backend["use_lockfile"] is True
    if env == "local":
        assert backend["endpoints"] == {"s3": "http://127.0.0.1:4566"}  # orch points it at the stack's port
        assert backend["access_key"] == "test" and backend["use_path_style"] is True
    else:
        assert backend["encrypt"] is True and "access_key" not in backend


SERVICE_OF = {
    "aws_lambda_": "lambda",
    "aws_iam_": "iam",
    "aws_s3_": "s3",
    "aws_cloudwatch_log_group": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cloudwatch_dashboard": "cloudwatch",
}


def test_local_provider_sends_every_used_service_to_the_stack(
    root_plan: Callable[[str], dict[str, Any]],
) -> None:
    (provider,) = [p["aws"] for p in load_hcl(env_dir("local") / "providers.tf")["provider"]]
    (endpoints,) = provider["endpoints"]
    endpoints = {k: v for k, v in endpoints.items() if k != "__is_block__"}
    assert set(endpoints.values()) == {"${var.localstack_endpoint}"}
    types = {change["type"] for change in root_plan("local")["resource_changes"]}
    unmapped = {t for t in types if not any(t.startswith(p) for p in SERVICE_OF)}
    assert unmapped == set(), "a new resource type needs its service in SERVICE_OF and a local endpoint"
    used = {service for t in types for prefix, service in SERVICE_OF.items() if t.startswith(prefix)}
    assert used | {"sts"} <= set(endpoints)


def test_environments_differ_only_in_variables_backend_and_provider() -> None:
    shared = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
    for name in shared:
        texts = {env: (env_dir(env) / name).read_text(encoding="utf-8") for env in ENVIRONMENTS}
        assert len(set(texts.values())) == 1, f"{name} differs between environments"
    for env in ENVIRONMENTS:
        files = {p.name for p in env_dir(env).iterdir() if p.is_file() and p.name != ".terraform.lock.hcl"}
        allowed = set(shared) | {"backend.tf", "providers.tf", "terraform.tfvars", "README.md"}
        assert files <= allowed, files - allowed


def test_no_provider_mirror_path_in_the_terraform_files() -> None:
    """The mirror is found by orch (ORCH_TF_PROVIDER_MIRROR or a well-known directory), never written here."""
    for path in Path(env_dir("local")).parents[1].rglob("*.tf"):
        text = path.read_text(encoding="utf-8")
        assert "tf-plugins" not in text and "filesystem_mirror" not in text, path
