"""Every environment root evaluated offline with tfparse (no AWS provider needed), with assertions on
what would be deployed: sizing, alarms, dashboards, the handler, IAM, S3 hardening and the outputs
`orch` reads. Fast (~0.3 s per root), so not marked `terraform` (that marker is for Terraform core)."""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.tf_helpers import (
    BUILD_DIR,
    ENVIRONMENTS,
    REPO,
    SPEC_DIR,
    as_list,
    by_path,
    contract_metrics,
    contract_namespace,
    contract_outputs,
    env_dir,
    evaluate,
    failed_validations,
    grader_of,
    policy,
    resources,
    root_outputs,
    statements,
    tfvars,
    unresolved,
)

HANDLER = "nova_rewards.handler.lambda_handler"  # docs/architecture.md, "Grader Lambda"
GRADERS = {"math", "support", "json_extraction", "code"}
LAMBDA_ARN = re.compile(
    r"^arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}(-gov)?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9-_\.]+$"
)  # Bedrock's lambdaArn pattern (nova-rft-reference.md), unqualified
EXPECTED_ALARMS = {
    # alarm suffix: (namespace, metric, statistic or extended statistic, comparison)
    "errors": ("AWS/Lambda", "Errors", "Sum", "GreaterThanThreshold"),
    "throttles": ("AWS/Lambda", "Throttles", "Sum", "GreaterThanThreshold"),
    "duration-p99": ("AWS/Lambda", "Duration", "p99", "GreaterThanThreshold"),
    "concurrency": ("AWS/Lambda", "ConcurrentExecutions", "Maximum", "GreaterThanOrEqualToThreshold"),
    "error-rate": ("grader", "ErrorRate", "Average", "GreaterThanThreshold"),
    "reward-mean": ("grader", "RewardMean", "Average", "LessThanThreshold"),
    "no-spread": ("grader", "NoSpreadGroupFraction", "Average", "GreaterThanThreshold"),
}
# Actions that have no resource-level permissions: "*" is the only valid Resource for them.
UNSCOPABLE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


@pytest.fixture(params=ENVIRONMENTS)
def env(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def evaluated(env: str) -> dict[str, Any]:
    return evaluate(env_dir(env))


@pytest.fixture
def tv(env: str) -> dict[str, Any]:
    return tfvars(env)


def _function_name(env: str, grader: str) -> str:
    return f"nova-rft-{env}-{grader}"


def _expected_reserved(tv: dict[str, Any]) -> int:
    """The sizing formula, recomputed independently of Terraform from terraform.tfvars."""
    training = tv["training"]
    responses = training["batch_size"] * training["samples_per_prompt"]
    invocations = math.ceil(responses / training.get("max_samples_per_invocation", 1))
    return math.ceil(invocations * training.get("safety_factor", 1.5))


# --- guards against tfparse's silent failures -------------------------------------------------------


def test_tfvars_were_applied(env: str, evaluated: dict[str, Any], tv: dict[str, Any]) -> None:
    """Without the explicit tfvars path tfparse ignores terraform.tfvars: required values go missing."""
    assert root_outputs(evaluated)["region"] == tv["region"]
    names = {f["function_name"] for f in resources(evaluated, "aws_lambda_function")}
    assert names == {_function_name(env, g) for g in tv["graders"]}


def test_evaluation_without_tfvars_is_detectably_incomplete(env: str) -> None:
    """The guard above can fail: evaluated without tfvars, the graders map is empty or unresolved."""
    bare = evaluate(env_dir(env), vars_file=None)
    assert len(resources(bare, "aws_lambda_function")) != len(tfvars(env)["graders"])


def test_expected_resource_counts(evaluated: dict[str, Any], tv: dict[str, Any]) -> None:
    """A null in a for_each map silently stops tfparse's expansion: count every instance."""
    graders = len(tv["graders"])
    judges = sum(1 for g in tv["graders"].values() if g.get("judge_model_arns"))
    xray = graders if tv.get("enable_xray") else 0
    expected = {
        "aws_lambda_function": graders,
        "aws_cloudwatch_log_group": graders,
        "aws_cloudwatch_metric_alarm": graders * len(EXPECTED_ALARMS),
        "aws_cloudwatch_dashboard": graders,
        "aws_iam_role": graders + 1,
        "aws_iam_role_policy": graders + judges + xray + 1,
        "aws_s3_bucket": 1,
        "aws_s3_bucket_versioning": 1,
        "aws_s3_bucket_server_side_encryption_configuration": 1,
        "aws_s3_bucket_public_access_block": 1,
        "aws_s3_bucket_ownership_controls": 1,
        "aws_s3_bucket_policy": 1,
        "aws_s3_bucket_lifecycle_configuration": 1,
    }
    counts = {rtype: len(resources(evaluated, rtype)) for rtype in expected}
    assert counts == expected
    assert set(tv["graders"]) == GRADERS


def test_no_unresolved_values(evaluated: dict[str, Any]) -> None:
    """A typo or an unevaluable expression shows up as a marker, not an error: find none."""
    problems = []
    for rtype, blocks in evaluated.items():
        for block in blocks:
            meta = block.get("__tfmeta", {})
            is_root_output = rtype == "output" and meta.get("path", "").startswith("output.")
            if meta.get("type") == "resource" or is_root_output:
                problems += [f"{meta['path']}{where}" for where in unresolved(block)]
    assert problems == []


def test_every_validation_holds(evaluated: dict[str, Any]) -> None:
    """tfparse reports a failed validation as `condition: false` and carries on."""
    assert failed_validations(evaluated) == []


# --- graders: package, handler, sizing --------------------------------------------------------------


def test_functions_use_the_package_and_handler(
    env: str, evaluated: dict[str, Any], tv: dict[str, Any]
) -> None:
    root = env_dir(env)
    for fn in resources(evaluated, "aws_lambda_function"):
        grader = tv["graders"][grader_of(fn)]
        arch = grader.get("architecture", "arm64")
        assert fn["handler"] == HANDLER
        assert fn["runtime"] == "python3.12"
        assert fn["architectures"] == [arch]
        package = (root / fn["filename"]).resolve()
        assert package == (BUILD_DIR / f"grader-{arch}.zip").resolve()
        if package.is_file():  # `make package` ran: the hash redeploys on a new build
            digest = base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode()
            assert fn["source_code_hash"] == digest
        else:  # filebase64sha256 of a missing file: tfparse gives null (Terraform would fail the plan)
            assert fn["source_code_hash"] is None
        assert fn["timeout"] == grader.get("timeout", 300)
        assert fn["memory_size"] == grader.get("memory_size", 512)
        env_vars = fn["environment"]["variables"]
        assert env_vars["REWARD_SPEC"] == grader["spec"]
        assert env_vars["REWARD_METRICS_NAMESPACE"] == contract_namespace()


def _defines_function(source: str, name: str) -> bool:
    tree = ast.parse(source)
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name for node in tree.body
    ) or any(  # or re-exported: `lambda_handler = ...` / `from x import lambda_handler`
        isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets)
        for node in tree.body
    )


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_handler_exists_in_the_package(arch: str) -> None:
    """The handler string names a function of the built zip, or of the source tree before `make package`."""
    module, function = HANDLER.rsplit(".", 1)
    member = module.replace(".", "/") + ".py"
    package = BUILD_DIR / f"grader-{arch}.zip"
    if package.is_file():
        with zipfile.ZipFile(package) as archive:
            assert member in archive.namelist(), f"{package} has no {member}"
            source = archive.read(member).decode("utf-8")
    else:
        source = (REPO / "functions" / member).read_text(encoding="utf-8")
    assert _defines_function(source, function), f"{member} defines no {function}"


def test_handler_check_detects_a_missing_function() -> None:
    assert not _defines_function("def other(event, context):\n    return []\n", "lambda_handler")
    assert _defines_function("def lambda_handler(event, context):\n    return []\n", "lambda_handler")


def test_reserved_concurrency_comes_from_sizing(evaluated: dict[str, Any], tv: dict[str, Any]) -> None:
    sizing = {
        o["__tfmeta"]["path"]: o["value"]
        for o in evaluated["output"]
        if ".module.sizing[" in o["__tfmeta"]["path"]
    }
    expected = _expected_reserved(tv)
    for fn in resources(evaluated, "aws_lambda_function"):
        grader = grader_of(fn)
        from_module = sizing[f'module.stack.module.sizing["{grader}"].output.reserved_concurrency']
        assert fn["reserved_concurrent_executions"] == from_module == expected
    assert expected * len(tv["graders"]) <= tv.get("account_concurrency_limit", 1000) - 100


# --- alarms and dashboards ---------------------------------------------------------------------------


def test_every_grader_has_every_alarm(env: str, evaluated: dict[str, Any], tv: dict[str, Any]) -> None:
    alarms = {a["alarm_name"]: a for a in resources(evaluated, "aws_cloudwatch_metric_alarm")}
    namespace = contract_namespace()
    training_timeout_ms = {g: tv["graders"][g].get("timeout", 300) * 1000 for g in tv["graders"]}
    reserved = _expected_reserved(tv)
    actions = [tv["alarm_sns_topic_arn"]] if tv.get("alarm_sns_topic_arn") else []
    for grader in tv["graders"]:
        fn = _function_name(env, grader)
        for suffix, (ns, metric, stat, comparison) in EXPECTED_ALARMS.items():
            alarm = alarms.get(f"{fn}-{suffix}")
            assert alarm is not None, f"{fn} has no {suffix} alarm"
            assert alarm["namespace"] == (namespace if ns == "grader" else ns)
            assert alarm["metric_name"] == metric
            assert alarm["dimensions"] == {"FunctionName": fn}
            assert stat in (alarm.get("statistic"), alarm.get("extended_statistic"))
            assert alarm["comparison_operator"] == comparison
            assert alarm["alarm_actions"] == actions
            if ns == "grader":
                assert metric in contract_metrics()
        duration = alarms[f"{fn}-duration-p99"]["threshold"]
        assert 0 < duration < training_timeout_ms[grader]
        assert duration == math.floor(training_timeout_ms[grader] * 0.8)
        concurrency = alarms[f"{fn}-concurrency"]["threshold"]
        assert concurrency == max(1, math.floor(reserved * 0.8))


def _spec_dimensions(spec: str) -> list[str]:
    path = SPEC_DIR / f"{spec}.json"
    assert path.is_file(), f"bundled spec {path} is missing: Terraform's file() would fail the plan"
    return [d["name"] for d in json.loads(path.read_text(encoding="utf-8"))["dimensions"]]


def test_dashboards_show_every_spec_dimension_and_lambda_health(
    env: str, evaluated: dict[str, Any], tv: dict[str, Any]
) -> None:
    dashboards = {d["dashboard_name"]: d for d in resources(evaluated, "aws_cloudwatch_dashboard")}
    for grader, settings in tv["graders"].items():
        fn = _function_name(env, grader)
        body = json.loads(dashboards[fn]["dashboard_body"])
        assert body["widgets"], f"dashboard {fn} has no widgets (spec file unreadable?)"
        shown = {
            (line[0], line[1], line[3])
            for widget in body["widgets"]
            for line in widget["properties"]["metrics"]
        }
        namespace = contract_namespace()
        for dim in _spec_dimensions(settings["spec"]):
            for stat in ("Mean", "Min", "Max"):
                assert (namespace, f"Dim.{dim}.{stat}", fn) in shown
        for metric in ("RewardMean", "ErrorRate", "NoSpreadGroupFraction"):
            assert (namespace, metric, fn) in shown
        for metric in ("Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"):
            assert ("AWS/Lambda", metric, fn) in shown
        grader_metrics = {m for ns, m, _ in shown if ns == namespace}
        patterns = {p.replace("<dimension>", "*") for p in contract_metrics()}
        for metric in grader_metrics:  # every plotted grader metric is one the grader emits
            assert any(_matches(metric, p) for p in patterns), metric


def _matches(metric: str, pattern: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", "[^.]+"), metric) is not None


# --- IAM -----------------------------------------------------------------------------------------------


def _policies(evaluated: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [(p["__tfmeta"]["path"], policy(p)) for p in resources(evaluated, "aws_iam_role_policy")]
    found += [
        (r["__tfmeta"]["path"], policy(r, "assume_role_policy")) for r in resources(evaluated, "aws_iam_role")
    ]
    return found


def test_no_wildcard_actions_or_resources_where_a_scope_exists(evaluated: dict[str, Any]) -> None:
    for where, document in _policies(evaluated):
        for statement in statements(document):
            if statement["Effect"] != "Allow":
                continue
            actions = as_list(statement["Action"])
            assert not any(a == "*" or a.endswith(":*") for a in actions), f"{where}: {actions}"
            if "Resource" in statement and "*" in as_list(statement["Resource"]):
                assert set(actions) <= UNSCOPABLE_ACTIONS, f"{where}: {actions} on '*'"


def test_grader_roles_are_least_privilege(env: str, evaluated: dict[str, Any], tv: dict[str, Any]) -> None:
    roles = by_path(resources(evaluated, "aws_iam_role"))
    for fn in resources(evaluated, "aws_lambda_function"):
        grader = grader_of(fn)
        role_path = f'module.stack.module.grader["{grader}"].aws_iam_role.this'
        trust = statements(policy(roles[role_path], "assume_role_policy"))
        assert [(s["Principal"], s["Action"]) for s in trust] == [
            ({"Service": "lambda.amazonaws.com"}, "sts:AssumeRole")
        ]
        assert fn["role"] == roles[role_path]["id"]  # tfparse: a reference is the block's id
    log_group_prefix = f"arn:aws:logs:{tv['region']}:{tv['account_id']}:log-group:/aws/lambda/"
    for block in resources(evaluated, "aws_iam_role_policy"):
        if ".module.grader[" not in block["__tfmeta"]["path"]:
            continue
        grader = grader_of(block)
        for statement in statements(policy(block)):
            actions = set(as_list(statement["Action"]))
            if actions & {"logs:CreateLogStream", "logs:PutLogEvents"}:
                assert statement["Resource"] == [f"{log_group_prefix}{_function_name(env, grader)}:*"]
            elif "bedrock:InvokeModel" in actions:
                judges = tv["graders"][grader].get("judge_model_arns", [])
                assert judges and statement["Resource"] == judges
                assert all(f":bedrock:{tv['region']}:" in arn for arn in judges)
            else:
                assert actions <= UNSCOPABLE_ACTIONS and tv.get("enable_xray"), actions
    judged = {
        grader_of(b)
        for b in resources(evaluated, "aws_iam_role_policy")
        if ".judge[" in b["__tfmeta"]["path"]
    }
    assert judged == {g for g, s in tv["graders"].items() if s.get("judge_model_arns")} == {"support"}


def _judge_models(spec: str) -> set[str]:
    """Model ids the spec's llm_judge dimensions call (the dimension's default when params omit it)."""
    from nova_rewards.dimensions.judge import LlmJudgeParams

    default = LlmJudgeParams.model_fields["model_id"].default
    path = SPEC_DIR / f"{spec}.json"
    assert path.is_file(), f"bundled spec {path} is missing"
    dims = json.loads(path.read_text(encoding="utf-8"))["dimensions"]
    return {d.get("params", {}).get("model_id", default) for d in dims if d["kind"] == "llm_judge"}


def test_judge_permission_matches_the_spec(evaluated: dict[str, Any], tv: dict[str, Any]) -> None:
    """A grader whose spec has an LLM-judge dimension may invoke exactly that model; others none."""
    granted: dict[str, set[str]] = {g: set() for g in tv["graders"]}
    for block in resources(evaluated, "aws_iam_role_policy"):
        if ".judge[" in block["__tfmeta"]["path"]:
            for statement in statements(policy(block)):
                granted[grader_of(block)].update(as_list(statement["Resource"]))
    for grader, settings in tv["graders"].items():
        override = settings.get("judge_model_id")
        models = {override} if override else _judge_models(settings["spec"])
        covered = {m for m in models if any(arn.endswith(f"/{m}") for arn in granted[grader])}
        assert covered == models, f"{grader}: judge models {models - covered} not invocable"
        assert bool(granted[grader]) == bool(models), f"{grader}: bedrock permission without a judge"


def test_customization_role_trust_and_scope(env: str, evaluated: dict[str, Any], tv: dict[str, Any]) -> None:
    account, region = tv["account_id"], tv["region"]
    role = by_path(resources(evaluated, "aws_iam_role"))[
        "module.stack.module.customization_role.aws_iam_role.this"
    ]
    (trust,) = statements(policy(role, "assume_role_policy"))
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:bedrock:{region}:{account}:model-customization-job/*"
    }
    (access,) = [
        b
        for b in resources(evaluated, "aws_iam_role_policy")
        if ".customization_role." in b["__tfmeta"]["path"]
    ]
    bucket_arn = f"arn:aws:s3:::nova-rft-{env}-datasets-{account}"
    granted = {}
    for statement in statements(policy(access)):
        for action in as_list(statement["Action"]):
            granted[action] = (sorted(as_list(statement["Resource"])), statement.get("Condition"))
    grader_arns = sorted(root_outputs(evaluated)["grader_arns"].values())
    assert granted == {
        "s3:ListBucket": (
            [bucket_arn],
            {"StringLike": {"s3:prefix": ["datasets/*", "rft-output/*"]}},
        ),
        "s3:GetObject": ([f"{bucket_arn}/datasets/*"], None),
        "s3:PutObject": ([f"{bucket_arn}/rft-output/*"], None),
        "lambda:InvokeFunction": (sorted(grader_arns + [f"{a}:*" for a in grader_arns]), None),
    }


# --- S3 ------------------------------------------------------------------------------------------------


def _only(evaluated: dict[str, Any], rtype: str) -> dict[str, Any]:
    (block,) = resources(evaluated, rtype)
    return block


def test_dataset_bucket_is_hardened(env: str, evaluated: dict[str, Any], tv: dict[str, Any]) -> None:
    name = f"nova-rft-{env}-datasets-{tv['account_id']}"
    assert _only(evaluated, "aws_s3_bucket")["bucket"] == name
    assert _only(evaluated, "aws_s3_bucket")["force_destroy"] is tv.get("force_destroy_bucket", False)
    assert _only(evaluated, "aws_s3_bucket_versioning")["versioning_configuration"]["status"] == "Enabled"
    sse = _only(evaluated, "aws_s3_bucket_server_side_encryption_configuration")["rule"]
    assert sse["apply_server_side_encryption_by_default"]["sse_algorithm"] in {"AES256", "aws:kms"}
    pab = _only(evaluated, "aws_s3_bucket_public_access_block")
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert pab[flag] is True, flag
    ownership = _only(evaluated, "aws_s3_bucket_ownership_controls")["rule"]
    assert ownership["object_ownership"] == "BucketOwnerEnforced"
    (deny,) = statements(policy(_only(evaluated, "aws_s3_bucket_policy")))
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert sorted(deny["Resource"]) == [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    rules = as_list(_only(evaluated, "aws_s3_bucket_lifecycle_configuration")["rule"])
    assert all(r["status"] == "Enabled" for r in rules)
    assert any(r.get("noncurrent_version_expiration", {}).get("noncurrent_days", 0) >= 1 for r in rules)
    assert any(
        r.get("abort_incomplete_multipart_upload", {}).get("days_after_initiation", 0) >= 1 for r in rules
    )


# --- outputs, backend, provider -------------------------------------------------------------------


def test_outputs_are_the_contract(env: str, evaluated: dict[str, Any], tv: dict[str, Any]) -> None:
    outputs = root_outputs(evaluated)
    assert sorted(outputs) == sorted(contract_outputs())
    assert set(outputs["grader_arns"]) == set(tv["graders"])
    for grader, arn in outputs["grader_arns"].items():
        assert LAMBDA_ARN.match(arn), arn
        assert (
            arn == f"arn:aws:lambda:{tv['region']}:{tv['account_id']}:function:{_function_name(env, grader)}"
        )
    assert outputs["dataset_bucket"] == _only(evaluated, "aws_s3_bucket")["bucket"]
    assert outputs["dataset_prefix"] == "datasets/"
    assert outputs["output_prefix"] == "rft-output/"
    assert outputs["customization_role_arn"] == (
        f"arn:aws:iam::{tv['account_id']}:role/nova-rft-{env}-customization"
    )
    assert outputs["region"] == tv["region"]


def test_backend_is_s3_with_locking(env: str) -> None:
    from tests.terraform.tf_helpers import load_hcl

    (terraform,) = load_hcl(env_dir(env) / "backend.tf")["terraform"]
    ((kind, backend),) = [(k, v) for b in terraform["backend"] for k, v in b.items() if k != "__is_block__"]
    assert kind == "s3"
    assert backend["bucket"] and backend["key"].endswith(f"{env}/terraform.tfstate")
    assert backend["region"] == "us-east-1"
    assert backend["use_lockfile"] is True or backend.get("dynamodb_table")
    if env == "local":
        assert backend["endpoints"] == {"s3": "http://127.0.0.1:4566"}
        assert backend["use_path_style"] is True
    else:
        assert backend["encrypt"] is True


SERVICE_OF = {
    "aws_lambda_": "lambda",
    "aws_iam_": "iam",
    "aws_s3_": "s3",
    "aws_cloudwatch_log_group": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cloudwatch_dashboard": "cloudwatch",
}


def test_local_provider_targets_localstack() -> None:
    evaluated = evaluate(env_dir("local"))
    (provider,) = [p for p in evaluated["provider"] if p["__tfmeta"]["label"] == "aws"]
    assert provider["access_key"] == "test" and provider["secret_key"] == "test"
    for flag in (
        "skip_credentials_validation",
        "skip_requesting_account_id",
        "skip_metadata_api_check",
        "s3_use_path_style",
    ):
        assert provider[flag] is True, flag
    endpoints = {k: v for k, v in provider["endpoints"].items() if k not in {"__tfmeta", "id"}}
    assert set(endpoints.values()) == {"http://127.0.0.1:4566"}
    used = {
        service
        for rtype, blocks in evaluated.items()
        for prefix, service in SERVICE_OF.items()
        if rtype.startswith(prefix) and resources(evaluated, rtype)
    }
    unmapped = {t for t in evaluated if t.startswith("aws_") and not any(t.startswith(p) for p in SERVICE_OF)}
    assert unmapped == set(), "a new resource type needs its service in SERVICE_OF and a LocalStack endpoint"
    assert used | {"sts"} <= set(endpoints)
    assert tfvars("local")["account_id"] == "000000000000"


def test_environments_differ_only_in_variables_backend_and_provider() -> None:
    shared = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
    for name in shared:
        texts = {env: (env_dir(env) / name).read_text(encoding="utf-8") for env in ENVIRONMENTS}
        assert len(set(texts.values())) == 1, f"{name} differs between environments"
    for env in ENVIRONMENTS:
        files = {p.name for p in env_dir(env).iterdir() if p.is_file()}
        allowed = set(shared) | {"backend.tf", "providers.tf", "terraform.tfvars", "README.md"}
        assert files <= allowed, files - allowed


def test_paths_are_relative_to_the_repository(env: str, evaluated: dict[str, Any]) -> None:
    (stack,) = [m for m in evaluated["module"] if m["__tfmeta"]["path"] == "module.stack"]
    assert (env_dir(env) / stack["package_dir"]).resolve() == BUILD_DIR.resolve()
    assert (env_dir(env) / stack["spec_dir"]).resolve() == SPEC_DIR.resolve()
    assert isinstance(Path(stack["package_dir"]), Path)
