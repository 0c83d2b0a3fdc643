"""Create-or-update, through boto3, each Terraform resource type the modules use (local emulator only).

One small class per resource type: `apply` compares what exists with the evaluated configuration and
changes only what differs (so a second run reports everything `unchanged`); `state` gives the
attributes recorded in the Terraform-shaped state. `APPLY_ORDER` lists the types in dependency order
(roles before the policies on them, buckets before their settings, functions before their alarms).
A type missing from `HANDLERS` is refused before anything is applied.
"""

from __future__ import annotations

import base64
import hashlib
import json
import platform
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.errors import ConfigError

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass
class Context:
    """What handlers share: clients of the emulator, the account, the root directory, notes."""

    clients: Any  # callable: service name -> boto3 client
    account: str
    region: str
    env_dir: Path
    notes: list[str] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return self.clients(service)


def _tags_list(tags: dict[str, str] | None, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in sorted((tags or {}).items())]


def _json_equal(a: Any, b: Any) -> bool:
    def load(x: Any) -> Any:
        return json.loads(x) if isinstance(x, str) else x

    try:
        return load(a) == load(b)
    except ValueError:
        return a == b


def _first(value: Any) -> dict[str, Any]:
    """A nested block as a dict (tfparse gives one block as a dict, several as a list)."""
    if isinstance(value, list):
        return value[0] if value else {}
    return value or {}


def _many(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


class Handler:
    """Base: `apply` returns created/updated/unchanged; `state` the recorded attributes."""

    type = ""

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        raise NotImplementedError

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        return dict(attrs)


# ---- IAM ---------------------------------------------------------------------------------------------


class IamRole(Handler):
    type = "aws_iam_role"

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        iam = ctx.client("iam")
        name = attrs["name"]
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except iam.exceptions.NoSuchEntityException:
            iam.create_role(
                RoleName=name,
                Path=attrs.get("path") or "/",
                AssumeRolePolicyDocument=attrs["assume_role_policy"],
                Description=attrs.get("description") or "",
                MaxSessionDuration=int(attrs.get("max_session_duration") or 3600),
                Tags=_tags_list(attrs.get("tags")),
            )
            return CREATED
        changed = False
        if not _json_equal(role.get("AssumeRolePolicyDocument"), attrs["assume_role_policy"]):
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=attrs["assume_role_policy"])
            changed = True
        want_description = attrs.get("description") or ""
        want_duration = int(attrs.get("max_session_duration") or 3600)
        if role.get("Description", "") != want_description or role.get("MaxSessionDuration") != want_duration:
            iam.update_role(RoleName=name, Description=want_description, MaxSessionDuration=want_duration)
            changed = True
        have_tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name).get("Tags", [])}
        if attrs.get("tags") and have_tags != attrs["tags"]:
            iam.tag_role(RoleName=name, Tags=_tags_list(attrs["tags"]))
            changed = True
        return UPDATED if changed else UNCHANGED

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        return {**attrs, "id": attrs["name"], "arn": role_arn(ctx, attrs)}


def role_arn(ctx: Context, attrs: dict[str, Any]) -> str:
    return f"arn:aws:iam::{ctx.account}:role{attrs.get('path') or '/'}{attrs['name']}"


class IamRolePolicy(Handler):
    type = "aws_iam_role_policy"

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        iam = ctx.client("iam")
        role, name = attrs["role"], attrs["name"]
        try:
            have = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        except iam.exceptions.NoSuchEntityException:
            have = None
        if have is not None and _json_equal(have, attrs["policy"]):
            return UNCHANGED
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=attrs["policy"])
        return CREATED if have is None else UPDATED

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        return {**attrs, "id": f"{attrs['role']}:{attrs['name']}"}


class IamPolicy(Handler):
    type = "aws_iam_policy"

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        iam = ctx.client("iam")
        arn = policy_arn(ctx, attrs)
        try:
            policy = iam.get_policy(PolicyArn=arn)["Policy"]
        except iam.exceptions.NoSuchEntityException:
            iam.create_policy(
                PolicyName=attrs["name"],
                Path=attrs.get("path") or "/",
                PolicyDocument=attrs["policy"],
                Description=attrs.get("description") or "",
                Tags=_tags_list(attrs.get("tags")),
            )
            return CREATED
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        if _json_equal(version["Document"], attrs["policy"]):
            return UNCHANGED
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        old = sorted((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
        if len(versions) >= 5 and old:
            iam.delete_policy_version(PolicyArn=arn, VersionId=old[0]["VersionId"])
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=attrs["policy"], SetAsDefault=True)
        return UPDATED

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        arn = policy_arn(ctx, attrs)
        return {**attrs, "id": arn, "arn": arn}


def policy_arn(ctx: Context, attrs: dict[str, Any]) -> str:
    return f"arn:aws:iam::{ctx.account}:policy{attrs.get('path') or '/'}{attrs['name']}"


class IamRolePolicyAttachment(Handler):
    type = "aws_iam_role_policy_attachment"

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        iam = ctx.client("iam")
        attached = iam.list_attached_role_policies(RoleName=attrs["role"])["AttachedPolicies"]
        if any(p["PolicyArn"] == attrs["policy_arn"] for p in attached):
            return UNCHANGED
        iam.attach_role_policy(RoleName=attrs["role"], PolicyArn=attrs["policy_arn"])
        return CREATED

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        return {**attrs, "id": f"{attrs['role']}-{attrs['policy_arn']}"}


# ---- CloudWatch Logs ---------------------------------------------------------------------------------


class LogGroup(Handler):
    type = "aws_cloudwatch_log_group"

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        logs = ctx.client("logs")
        name = attrs["name"]
        groups = logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
        group = next((g for g in groups if g["logGroupName"] == name), None)
        status = UNCHANGED
        if group is None:
            kwargs: dict[str, Any] = {"logGroupName": name}
            if attrs.get("tags"):
                kwargs["tags"] = attrs["tags"]
            if attrs.get("kms_key_id"):
                kwargs["kmsKeyId"] = attrs["kms_key_id"]
            logs.create_log_group(**kwargs)
            group, status = {}, CREATED
        retention = attrs.get("retention_in_days")
        if retention and group.get("retentionInDays") != retention:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(retention))
            status = status if status == CREATED else UPDATED
        return status

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        arn = f"arn:aws:logs:{ctx.region}:{ctx.account}:log-group:{attrs['name']}"
        return {**attrs, "id": attrs["name"], "arn": arn}


# ---- S3 ----------------------------------------------------------------------------------------------


class S3Bucket(Handler):
    type = "aws_s3_bucket"

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        s3 = ctx.client("s3")
        name = attrs["bucket"]
        status = UNCHANGED
        try:
            s3.head_bucket(Bucket=name)
        except Exception as exc:
            if _error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise
            kwargs: dict[str, Any] = {"Bucket": name}
            if ctx.region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
            s3.create_bucket(**kwargs)
            status = CREATED
        if attrs.get("tags"):
            try:
                have = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
            except Exception as exc:
                if _error_code(exc) != "NoSuchTagSet":
                    raise
                have = {}
            if have != attrs["tags"]:
                s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags_list(attrs["tags"])})
                status = status if status == CREATED else UPDATED
        return status

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        return {**attrs, "id": attrs["bucket"], "arn": f"arn:aws:s3:::{attrs['bucket']}"}


class _BucketSetting(Handler):
    """A bucket sub-resource: read the current setting (None when absent), put when it differs."""

    missing_codes: tuple[str, ...] = ()

    def desired(self, attrs: dict[str, Any]) -> Any:
        raise NotImplementedError

    def current(self, s3: Any, bucket: str) -> Any:
        raise NotImplementedError

    def put(self, s3: Any, bucket: str, desired: Any) -> None:
        raise NotImplementedError

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        s3 = ctx.client("s3")
        desired = self.desired(attrs)
        try:
            have = self.current(s3, attrs["bucket"])
        except Exception as exc:
            if _error_code(exc) not in self.missing_codes:
                raise
            have = None
        if have == desired:
            return UNCHANGED
        self.put(s3, attrs["bucket"], desired)
        return CREATED if have is None else UPDATED

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        return {**attrs, "id": attrs["bucket"]}


class S3OwnershipControls(_BucketSetting):
    type = "aws_s3_bucket_ownership_controls"
    missing_codes = ("OwnershipControlsNotFoundError",)

    def desired(self, attrs: dict[str, Any]) -> Any:
        return [{"ObjectOwnership": _first(attrs.get("rule"))["object_ownership"]}]

    def current(self, s3: Any, bucket: str) -> Any:
        return s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]

    def put(self, s3: Any, bucket: str, desired: Any) -> None:
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": desired})


class S3PublicAccessBlock(_BucketSetting):
    type = "aws_s3_bucket_public_access_block"
    missing_codes = ("NoSuchPublicAccessBlockConfiguration",)
    FIELDS = {
        "block_public_acls": "BlockPublicAcls",
        "block_public_policy": "BlockPublicPolicy",
        "ignore_public_acls": "IgnorePublicAcls",
        "restrict_public_buckets": "RestrictPublicBuckets",
    }

    def desired(self, attrs: dict[str, Any]) -> Any:
        return {api: bool(attrs.get(tf, False)) for tf, api in self.FIELDS.items()}

    def current(self, s3: Any, bucket: str) -> Any:
        return s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]

    def put(self, s3: Any, bucket: str, desired: Any) -> None:
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=desired)


class S3Versioning(_BucketSetting):
    type = "aws_s3_bucket_versioning"

    def desired(self, attrs: dict[str, Any]) -> Any:
        return _first(attrs.get("versioning_configuration")).get("status", "Enabled")

    def current(self, s3: Any, bucket: str) -> Any:
        return s3.get_bucket_versioning(Bucket=bucket).get("Status")

    def put(self, s3: Any, bucket: str, desired: Any) -> None:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": desired})


class S3Encryption(_BucketSetting):
    type = "aws_s3_bucket_server_side_encryption_configuration"
    missing_codes = ("ServerSideEncryptionConfigurationNotFoundError",)

    def desired(self, attrs: dict[str, Any]) -> Any:
        rules = []
        for rule in _many(attrs.get("rule")):
            default = _first(rule.get("apply_server_side_encryption_by_default"))
            by_default = {"SSEAlgorithm": default["sse_algorithm"]}
            if default.get("kms_master_key_id"):
                by_default["KMSMasterKeyID"] = default["kms_master_key_id"]
            rules.append(
                {
                    "ApplyServerSideEncryptionByDefault": by_default,
                    "BucketKeyEnabled": bool(rule.get("bucket_key_enabled", False)),
                }
            )
        return rules

    def current(self, s3: Any, bucket: str) -> Any:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        return [{**r, "BucketKeyEnabled": bool(r.get("BucketKeyEnabled", False))} for r in rules]

    def put(self, s3: Any, bucket: str, desired: Any) -> None:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": desired})


class S3Lifecycle(_BucketSetting):
    type = "aws_s3_bucket_lifecycle_configuration"
    missing_codes = ("NoSuchLifecycleConfiguration",)

    def desired(self, attrs: dict[str, Any]) -> Any:
        return [self._rule(rule) for rule in _many(attrs.get("rule"))]

    @staticmethod
    def _rule(rule: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"ID": rule["id"], "Status": rule.get("status", "Enabled")}
        prefix = _first(rule.get("filter")).get("prefix")
        out["Filter"] = {"Prefix": prefix or ""}
        if rule.get("expiration"):
            out["Expiration"] = {"Days": int(_first(rule["expiration"])["days"])}
        if rule.get("noncurrent_version_expiration"):
            days = _first(rule["noncurrent_version_expiration"])["noncurrent_days"]
            out["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(days)}
        if rule.get("abort_incomplete_multipart_upload"):
            days = _first(rule["abort_incomplete_multipart_upload"])["days_after_initiation"]
            out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
        return out

    def current(self, s3: Any, bucket: str) -> Any:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        keep = (
            "ID",
            "Status",
            "Filter",
            "Expiration",
            "NoncurrentVersionExpiration",
            "AbortIncompleteMultipartUpload",
        )
        return [{k: r[k] for k in keep if k in r} for r in rules]

    def put(self, s3: Any, bucket: str, desired: Any) -> None:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": desired})


class S3BucketPolicy(_BucketSetting):
    type = "aws_s3_bucket_policy"
    missing_codes = ("NoSuchBucketPolicy",)

    def desired(self, attrs: dict[str, Any]) -> Any:
        return json.loads(attrs["policy"])

    def current(self, s3: Any, bucket: str) -> Any:
        return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])

    def put(self, s3: Any, bucket: str, desired: Any) -> None:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(desired))


class S3Logging(_BucketSetting):
    type = "aws_s3_bucket_logging"

    def desired(self, attrs: dict[str, Any]) -> Any:
        return {"TargetBucket": attrs["target_bucket"], "TargetPrefix": attrs.get("target_prefix") or ""}

    def current(self, s3: Any, bucket: str) -> Any:
        enabled = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
        return {k: enabled[k] for k in ("TargetBucket", "TargetPrefix")} if enabled else None

    def put(self, s3: Any, bucket: str, desired: Any) -> None:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": desired})


# ---- Lambda ------------------------------------------------------------------------------------------


def host_architecture() -> str:
    return "arm64" if platform.machine().lower() in ("aarch64", "arm64") else "x86_64"


class LambdaFunction(Handler):
    type = "aws_lambda_function"

    def package(self, ctx: Context, attrs: dict[str, Any]) -> Path:
        """The zip to deploy; the emulator runs code on this host's CPU, so it needs that build."""
        path = (ctx.env_dir / attrs["filename"]).resolve()
        architecture = (attrs.get("architectures") or ["x86_64"])[0]
        host = host_architecture()
        if architecture != host and architecture in path.name:
            substitute = path.with_name(path.name.replace(architecture, host))
            if substitute.is_file():
                ctx.notes.append(
                    f"{attrs['function_name']}: {architecture} function runs on this {host} host, "
                    f"so the emulator gets {substitute.name} instead of {path.name}"
                )
                path = substitute
        if not path.is_file():
            raise ConfigError(
                f"{attrs['function_name']}: package {path} not found; build it with "
                "`orch reward package --output-dir build` (make package)"
            )
        return path

    def configuration(self, attrs: dict[str, Any]) -> dict[str, Any]:
        config: dict[str, Any] = {
            "Role": attrs["role"],
            "Handler": attrs["handler"],
            "Runtime": attrs["runtime"],
            "Description": attrs.get("description") or "",
            "Timeout": int(attrs.get("timeout") or 3),
            "MemorySize": int(attrs.get("memory_size") or 128),
            "Environment": {"Variables": dict(_first(attrs.get("environment")).get("variables") or {})},
            "TracingConfig": {"Mode": _first(attrs.get("tracing_config")).get("mode") or "PassThrough"},
        }
        if attrs.get("kms_key_arn"):
            config["KMSKeyArn"] = attrs["kms_key_arn"]
        return config

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        client = ctx.client("lambda")
        name = attrs["function_name"]
        zip_bytes = self.package(ctx, attrs).read_bytes()
        sha = base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()
        config = self.configuration(attrs)
        try:
            have = client.get_function_configuration(FunctionName=name)
        except client.exceptions.ResourceNotFoundException:
            client.create_function(
                FunctionName=name,
                Code={"ZipFile": zip_bytes},
                Architectures=attrs.get("architectures") or ["x86_64"],
                Tags=attrs.get("tags") or {},
                **config,
            )
            wait_function(client, name)
            self._concurrency(client, name, attrs)
            return CREATED
        status = UNCHANGED
        if have.get("CodeSha256") != sha:
            client.update_function_code(FunctionName=name, ZipFile=zip_bytes)
            wait_function(client, name)
            status = UPDATED
        if self._config_differs(have, config):
            client.update_function_configuration(FunctionName=name, **config)
            wait_function(client, name)
            status = UPDATED
        if self._concurrency(client, name, attrs):
            status = UPDATED
        return status

    @staticmethod
    def _config_differs(have: dict[str, Any], want: dict[str, Any]) -> bool:
        for key, value in want.items():
            current = have.get(key)
            if key == "Environment":
                current = {"Variables": (current or {}).get("Variables", {})}
            if key == "Description":
                current = current or ""
            if current != value:
                return True
        return False

    @staticmethod
    def _concurrency(client: Any, name: str, attrs: dict[str, Any]) -> bool:
        want = attrs.get("reserved_concurrent_executions")
        if want is None or int(want) < 0:
            return False
        have = client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
        if have == int(want):
            return False
        client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=int(want))
        return True

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        arn = function_arn(ctx, attrs["function_name"])
        return {**attrs, "id": attrs["function_name"], "arn": arn, "qualified_arn": f"{arn}:$LATEST"}


def wait_function(client: Any, name: str, timeout: float = 120.0) -> None:
    """Poll until the function is Active and its last update Successful (backoff with jitter).

    botocore's waiters poll once a second; LocalStack is usually ready within 100-300 ms.
    """
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        config = client.get_function_configuration(FunctionName=name)
        state, update = config.get("State"), config.get("LastUpdateStatus")
        if state == "Failed" or update == "Failed":
            reason = config.get("StateReason") or config.get("LastUpdateStatusReason")
            raise ConfigError(f"Lambda function {name} failed to deploy: {reason}")
        if state == "Active" and update in (None, "Successful"):
            return
        if time.monotonic() > deadline:
            raise ConfigError(f"Lambda function {name} not active after {timeout:.0f} s (state {state})")
        time.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 1.0)


def function_arn(ctx: Context, name: str) -> str:
    return f"arn:aws:lambda:{ctx.region}:{ctx.account}:function:{name}"


# ---- CloudWatch ------------------------------------------------------------------------------------


class MetricAlarm(Handler):
    type = "aws_cloudwatch_metric_alarm"
    SCALARS = {
        "alarm_description": "AlarmDescription",
        "namespace": "Namespace",
        "metric_name": "MetricName",
        "statistic": "Statistic",
        "extended_statistic": "ExtendedStatistic",
        "period": "Period",
        "evaluation_periods": "EvaluationPeriods",
        "datapoints_to_alarm": "DatapointsToAlarm",
        "comparison_operator": "ComparisonOperator",
        "threshold": "Threshold",
        "treat_missing_data": "TreatMissingData",
        "unit": "Unit",
        "actions_enabled": "ActionsEnabled",
    }
    LISTS = {"alarm_actions": "AlarmActions", "ok_actions": "OKActions"}

    def request(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {"AlarmName": attrs["alarm_name"]}
        for tf, api in self.SCALARS.items():
            if attrs.get(tf) is not None:
                request[api] = attrs[tf]
        for tf, api in self.LISTS.items():
            request[api] = list(attrs.get(tf) or [])
        request["Dimensions"] = _tags_list(attrs.get("dimensions"), "Name", "Value")
        for numeric in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
            if numeric in request:
                request[numeric] = int(request[numeric])
        if "Threshold" in request:
            request["Threshold"] = float(request["Threshold"])
        return request

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        cloudwatch = ctx.client("cloudwatch")
        request = self.request(attrs)
        found = cloudwatch.describe_alarms(AlarmNames=[request["AlarmName"]]).get("MetricAlarms", [])
        if found and self._same(found[0], request):
            return UNCHANGED
        cloudwatch.put_metric_alarm(**request, Tags=_tags_list(attrs.get("tags")))
        return UPDATED if found else CREATED

    @staticmethod
    def _same(have: dict[str, Any], want: dict[str, Any]) -> bool:
        for key, value in want.items():
            current = have.get(key)
            if key == "Dimensions":
                current = sorted(current or [], key=lambda d: d["Name"])
            if key in ("AlarmActions", "OKActions"):
                current = list(current or [])
            if key == "ActionsEnabled" and current is None:
                current = True
            if current != value:
                return False
        return True

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        arn = f"arn:aws:cloudwatch:{ctx.region}:{ctx.account}:alarm:{attrs['alarm_name']}"
        return {**attrs, "id": attrs["alarm_name"], "arn": arn}


class Dashboard(Handler):
    type = "aws_cloudwatch_dashboard"

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        cloudwatch = ctx.client("cloudwatch")
        name, body = attrs["dashboard_name"], attrs["dashboard_body"]
        try:
            have = cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"]
        except Exception as exc:
            # AWS says ResourceNotFound; LocalStack says InvalidParameterValue "... does not exist".
            missing = _error_code(exc) in ("ResourceNotFound", "ResourceNotFoundException")
            if not (missing or "does not exist" in str(exc)):
                raise
            have = None
        if have is not None and _json_equal(have, body):
            return UNCHANGED
        cloudwatch.put_dashboard(DashboardName=name, DashboardBody=body)
        return CREATED if have is None else UPDATED

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        arn = f"arn:aws:cloudwatch::{ctx.account}:dashboard/{attrs['dashboard_name']}"
        return {**attrs, "id": attrs["dashboard_name"], "dashboard_arn": arn}


# ---- SNS ---------------------------------------------------------------------------------------------


class SnsTopic(Handler):
    type = "aws_sns_topic"

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        sns = ctx.client("sns")
        arn = topic_arn(ctx, attrs["name"])
        existing = {
            t["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for t in page["Topics"]
        }
        if arn in existing:
            return UNCHANGED
        sns.create_topic(Name=attrs["name"], Tags=_tags_list(attrs.get("tags")))
        return CREATED

    def state(self, ctx: Context, attrs: dict[str, Any]) -> dict[str, Any]:
        arn = topic_arn(ctx, attrs["name"])
        return {**attrs, "id": arn, "arn": arn}


def topic_arn(ctx: Context, name: str) -> str:
    return f"arn:aws:sns:{ctx.region}:{ctx.account}:{name}"


class NoOp(Handler):
    """`terraform_data`: provider-free; nothing to create in AWS."""

    type = "terraform_data"

    def apply(self, ctx: Context, attrs: dict[str, Any]) -> str:
        return UNCHANGED


APPLY_ORDER: tuple[type[Handler], ...] = (
    NoOp,
    IamRole,
    IamPolicy,
    IamRolePolicy,
    IamRolePolicyAttachment,
    LogGroup,
    S3Bucket,
    S3OwnershipControls,
    S3PublicAccessBlock,
    S3Versioning,
    S3Encryption,
    S3Lifecycle,
    S3BucketPolicy,
    S3Logging,
    SnsTopic,
    LambdaFunction,
    MetricAlarm,
    Dashboard,
)
HANDLERS: dict[str, Handler] = {handler.type: handler() for handler in APPLY_ORDER}
ORDER: dict[str, int] = {handler.type: index for index, handler in enumerate(APPLY_ORDER)}


def computed_value(ctx: Context, resource_type: str, attrs: dict[str, Any], referencing_attr: str) -> Any:
    """What `<resource>.id` / `.arn` evaluates to, chosen by the referencing attribute's name."""
    handler = HANDLERS.get(resource_type)
    if handler is None:
        raise ConfigError(f"cannot compute attributes of unsupported resource type {resource_type}")
    state = handler.state(ctx, attrs)
    wants_arn = referencing_attr.endswith(("arn", "arns", "actions")) or referencing_attr in (
        "role",
        "resources",
    )
    if resource_type in ("aws_iam_role",) and referencing_attr == "role":
        # aws_lambda_function.role takes the ARN; aws_iam_role_policy(.attachment).role takes the name,
        # which tfparse already resolves (a literal attribute), so an id reference means the ARN.
        return state["arn"]
    if wants_arn and "arn" in state:
        return state["arn"]
    return state["id"]
