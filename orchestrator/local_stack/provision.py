"""`orch local provision`: `terraform init`, `plan` and `apply` of an environment against the local stack.

Real Terraform with the real AWS provider (found by `orchestrator.local_stack.terraform`), on whatever
port the stack runs:

- the provider's endpoints come from the root variable `localstack_endpoint`;
- the S3 backend keeps the state in the stack's own S3 (`backend.tf` names the bucket and key; a
  `-backend-config` file written per port points its endpoint at the stack); the state bucket is
  created when missing, as the backend itself never creates it;
- Terraform's working data (`TF_DATA_DIR`: backend settings, provider links, the plan file) lives in
  `.orch/terraform/<environment>/port-<port>/`, so stacks on different ports never share it.

`plan -detailed-exitcode` decides: no changes, nothing is applied (a no-op run costs one refresh).
`init` runs when the data dir is new, or when Terraform says it is needed. The plan gets the variable
`host_architecture`: the `local` root refuses graders built for another CPU (the stack runs graders as
host processes; nothing swaps the package Terraform deploys). The outputs are read from the state
Terraform wrote to the stack's S3, as `orch --env local` reads them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from orchestrator.environment import run_bounded
from orchestrator.errors import ConfigError, LocalStackError
from orchestrator.local_stack.terraform import Toolchain, host_architecture
from orchestrator.tfstate import S3Backend, find_backend, read_state_outputs

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
INIT_TIMEOUT_S = 300.0
PLAN_TIMEOUT_S = 600.0
APPLY_TIMEOUT_S = 1200.0
PLAN_FILE = "local.tfplan"
GRADER_FUNCTION = re.compile(r'module\.grader\["([^"]+)"\]\.aws_lambda_function\.')  # rft_stack's
Runner = Callable[[list[str], Path, dict[str, str], float], subprocess.CompletedProcess[str]]
Clock = Callable[[], float]


@dataclass
class ProvisionResult:
    """What one run did: planned actions per resource address, the outputs, where they were written."""

    method: str = "terraform"
    changes: dict[str, str] = field(default_factory=dict)  # address -> create/update/delete/replace
    outputs: dict[str, Any] = field(default_factory=dict)
    outputs_file: Path | None = None
    state_location: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def removed_graders(self) -> list[str]:
        """Graders this run deleted: deployed before from variables (a --var-file) it was not given."""
        found = (
            GRADER_FUNCTION.search(address) for address, action in self.changes.items() if action == "delete"
        )
        return sorted({match.group(1) for match in found if match})

    def warnings(self) -> list[str]:
        removed = self.removed_graders()
        if not removed:
            return []
        return [
            f"removed grader(s) {', '.join(removed)}: this run's variables do not define them; "
            "pass the --var-file that does to keep them"
        ]

    def summary(self) -> str:
        """'57 created', '1 replaced, 1 updated' or 'no changes'."""
        counts: dict[str, int] = {}
        for action in self.changes.values():
            counts[action] = counts.get(action, 0) + 1
        done = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced"}
        parts = [f"{n} {done.get(action, action)}" for action, n in sorted(counts.items())]
        return ", ".join(parts) or "no changes"


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
    """Where the outputs are also written (`terraform output -json` shape; `--outputs` of orch commands)."""
    return project_dir / ".orch" / "outputs" / f"{environment}.json"


def data_dir_for(project_dir: Path, environment: str, endpoint_url: str) -> Path:
    port = urlparse(endpoint_url).port or 80
    return project_dir / ".orch" / "terraform" / environment / f"port-{port}"


INIT_NEEDED = (
    "terraform init",
    "Backend initialization required",
    "Module not installed",
    "Required plugins are not installed",
    "Inconsistent dependency lock file",
    "missing or corrupted provider plugins",
)


def parse_events(stdout: str) -> list[dict[str, Any]]:
    """The JSON lines of a `-json` run (machine-readable UI), skipping anything else."""
    events = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    return events


def planned_actions(events: list[dict[str, Any]]) -> dict[str, str]:
    """{address: create|update|delete|replace|...} of the `planned_change` events."""
    return {
        event["change"]["resource"]["addr"]: event["change"]["action"]
        for event in events
        if event.get("type") == "planned_change"
    }


def applied_actions(events: list[dict[str, Any]]) -> dict[str, str]:
    """{address: action} of the `apply_complete` events of an `apply -json`."""
    return {
        event["hook"]["resource"]["addr"]: event["hook"]["action"]
        for event in events
        if event.get("type") == "apply_complete"
    }


def error_diagnostics(events: list[dict[str, Any]]) -> list[str]:
    """Terraform's errors, one line each: 'file:line: summary: detail'."""
    errors = []
    for event in events:
        diagnostic = event.get("diagnostic") or {}
        if event.get("type") != "diagnostic" or diagnostic.get("severity") != "error":
            continue
        where = diagnostic.get("range") or {}
        place = f"{where['filename']}:{where['start']['line']}: " if where.get("filename") else ""
        detail = " ".join((diagnostic.get("detail") or "").split())
        errors.append(f"{place}{diagnostic.get('summary', 'error')}" + (f": {detail}" if detail else ""))
    return errors


class TerraformError(LocalStackError):
    """A Terraform command failed; `needs_init` when `terraform init` would fix it."""

    def __init__(self, message: str, needs_init: bool = False) -> None:
        super().__init__(message)
        self.needs_init = needs_init


class TerraformRun:
    """One environment's Terraform commands against one stack endpoint."""

    def __init__(
        self,
        toolchain: Toolchain,
        env_dir: Path,
        data_dir: Path,
        endpoint_url: str,
        runner: Runner = run_bounded,
        var_files: Sequence[Path] = (),
    ) -> None:
        self.toolchain = toolchain
        self.var_files = [Path(f).resolve() for f in var_files]
        self.env_dir = env_dir
        self.data_dir = data_dir
        self.endpoint_url = endpoint_url
        self.runner = runner
        self.env = toolchain.env(TF_DATA_DIR=str(data_dir))
        self.plan_file = data_dir / PLAN_FILE

    def run(self, *args: str, timeout: float, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        command = [*self.toolchain.command, *args]
        try:
            done = self.runner(command, self.env_dir, self.env, timeout)
        except subprocess.TimeoutExpired as exc:
            raise LocalStackError(f"terraform {args[0]} timed out after {timeout:g} s") from exc
        if done.returncode not in ok:
            errors = error_diagnostics(parse_events(done.stdout)) or [tail(done)]
            text = "; ".join(errors)
            needs_init = any(marker in text for marker in INIT_NEEDED)
            raise TerraformError(f"terraform {args[0]} failed in {self.env_dir}: {text}", needs_init)
        return done

    @property
    def initialised(self) -> bool:
        """Backend settings and providers from an earlier init of this data dir (Terraform still
        checks both at plan time and asks for init when they are stale: see `INIT_NEEDED`)."""
        return (self.data_dir / "terraform.tfstate").is_file() and (self.data_dir / "providers").is_dir()

    def init(self) -> None:
        """Point the S3 backend at this stack's port (a .tfbackend file: CLI pairs cannot carry
        `endpoints`) and install the provider."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        backend_file = self.data_dir / "stack.tfbackend"
        backend_file.write_text(f'endpoints = {{\n  s3 = "{self.endpoint_url}"\n}}\n')
        args = ["init", "-input=false", "-no-color", "-reconfigure", f"-backend-config={backend_file}"]
        try:
            self.run(*args, timeout=INIT_TIMEOUT_S)
        except TerraformError as exc:
            if "hashicorp/aws" in str(exc) and "provider" in str(exc).lower():
                raise self.toolchain.provider_error(str(exc).split(": ", 1)[-1]) from None
            raise

    def plan(self, variables: Mapping[str, str]) -> dict[str, str]:
        """`plan -detailed-exitcode` into the data dir: the planned actions ({} when nothing changes)."""
        done = self.run(
            "plan",
            "-input=false",
            "-json",
            "-detailed-exitcode",
            f"-out={self.plan_file}",
            *self.variable_args(variables),
            timeout=PLAN_TIMEOUT_S,
            ok=(0, 2),
        )
        if done.returncode == 0:
            return {}
        return {address: action for address, action in planned_actions(parse_events(done.stdout)).items()}

    def destroy(self, variables: Mapping[str, str]) -> None:
        self.run(
            "destroy",
            "-input=false",
            "-json",
            "-auto-approve",
            *self.variable_args(variables),
            timeout=APPLY_TIMEOUT_S,
        )

    def apply_directly(self, variables: Mapping[str, str]) -> dict[str, str]:
        """`apply -auto-approve` without a saved plan (one plan walk fewer): for an empty state, where
        there is nothing to compare and everything is created. Returns what was applied."""
        done = self.run(
            "apply",
            "-input=false",
            "-json",
            "-auto-approve",
            *self.variable_args(variables),
            timeout=APPLY_TIMEOUT_S,
        )
        return applied_actions(parse_events(done.stdout))

    def variable_args(self, variables: Mapping[str, str]) -> list[str]:
        """`-var-file` of each file the user gave (after terraform.tfvars and *.auto.tfvars, which
        Terraform reads itself), then the stack's `-var` pairs."""
        files = [f"-var-file={path}" for path in self.var_files]
        return files + [f"-var={name}={value}" for name, value in variables.items()]

    def apply(self) -> None:
        self.run(
            "apply", "-input=false", "-json", "-auto-approve", str(self.plan_file), timeout=APPLY_TIMEOUT_S
        )


@contextlib.contextmanager
def provisioning_lock(endpoint_url: str) -> Iterator[None]:
    """One `orch local provision` (or `orch demo`) per stack on this machine, whatever the checkout:
    while it is held, a Terraform state lock on that stack is a leftover, never another live run."""
    port = urlparse(endpoint_url).port
    path = Path(tempfile.gettempdir()) / f"orch-local-provision-{port}.lock"
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LocalStackError(
                f"another `orch local provision` or `orch demo` is deploying to {endpoint_url}; "
                "run this again when it has finished"
            ) from None
        yield


def remove_stale_state_lock(backend: S3Backend, s3: Any) -> str | None:
    """Delete the state's lock file (`use_lockfile`) that a killed Terraform left behind; without this,
    every later plan fails with "Error acquiring the state lock". Only under `provisioning_lock`."""
    from botocore.exceptions import ClientError

    key = f"{backend.key}.tflock"
    try:
        body = s3.get_object(Bucket=backend.bucket, Key=key)["Body"].read()
    except ClientError:
        return None
    try:
        info = json.loads(body)
        holder = f"{info.get('Operation', '?')} of {info.get('Created', '?')}, ID {info.get('ID', '?')}"
    except (ValueError, AttributeError):
        holder = "unreadable"
    s3.delete_object(Bucket=backend.bucket, Key=key)
    return f"removed the state lock an interrupted Terraform run left ({holder})"


def state_exists(backend: S3Backend, s3: Any) -> bool:
    """Is there a state object with resources in it? (none: a first apply on this stack)."""
    from botocore.exceptions import ClientError

    try:
        body = s3.get_object(Bucket=backend.bucket, Key=backend.key)["Body"].read()
    except ClientError:
        return False
    try:
        return bool(json.loads(body).get("resources"))
    except (ValueError, AttributeError):
        return True  # something is there: let Terraform read it and complain


def ensure_state_bucket(backend: S3Backend, s3: Any) -> None:
    """The S3 backend never creates its bucket: create it on the stack when it is missing."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=backend.bucket)
    except ClientError:
        s3.create_bucket(Bucket=backend.bucket)


def provision(
    project_dir: Path,
    endpoint_url: str,
    *,
    environment: str = "local",
    outputs_file: Path | None = None,
    toolchain: Toolchain | None = None,
    s3_client: Any = None,
    runner: Runner = run_bounded,
    var_files: Sequence[Path] = (),
    clock: Clock = time.monotonic,
) -> ProvisionResult:
    """init (when needed), plan and, when something changed, apply `terraform/environments/<environment>`
    on the stack; the outputs are then read from the state Terraform wrote. `var_files`: variables
    files of the user's (`-var-file`, e.g. `custom_graders`)."""
    require_loopback(endpoint_url)
    started = clock()
    env_dir = environment_dir(project_dir, environment)
    toolchain = toolchain or Toolchain.discover(project_dir)
    backend = find_backend(env_dir)
    if not isinstance(backend, S3Backend):
        raise ConfigError(
            f'{env_dir}: the local stack keeps Terraform state in its S3; declare a backend "s3"'
        )
    backend = backend.with_endpoint(endpoint_url)
    s3 = s3_client or _stack_s3(endpoint_url, backend)
    ensure_state_bucket(backend, s3)
    data_dir = data_dir_for(project_dir, environment, endpoint_url)
    run = TerraformRun(toolchain, env_dir, data_dir, endpoint_url, runner, var_files)
    variables = stack_variables(endpoint_url)
    result = ProvisionResult(state_location=f"s3://{backend.bucket}/{backend.key} on {endpoint_url}")
    with provisioning_lock(endpoint_url):
        stale_lock = remove_stale_state_lock(backend, s3)
        result.notes += [stale_lock] if stale_lock else []
        if not state_exists(backend, s3):  # nothing deployed yet: no plan to check first
            result.changes = with_init(run, lambda: run.apply_directly(variables))
        else:
            result.changes = with_init(run, lambda: run.plan(variables))
            if result.changes:
                run.apply()
    values = read_state_outputs(backend, lambda _backend: s3)
    result.outputs = values
    target = outputs_file or default_outputs_file(project_dir, environment)
    result.outputs_file = write_outputs_file(target, values)
    result.notes.append(f"provider from {toolchain.describe_source()}")
    result.seconds = clock() - started
    return result


def destroy(
    project_dir: Path,
    endpoint_url: str,
    *,
    environment: str = "local",
    toolchain: Toolchain | None = None,
    runner: Runner = run_bounded,
    var_files: Sequence[Path] = (),
) -> None:
    """`terraform destroy` of an environment provisioned on the stack (same data dir and variables)."""
    require_loopback(endpoint_url)
    env_dir = environment_dir(project_dir, environment)
    run = TerraformRun(
        toolchain or Toolchain.discover(project_dir),
        env_dir,
        data_dir_for(project_dir, environment, endpoint_url),
        endpoint_url,
        runner,
        var_files,
    )
    if not run.initialised:
        run.init()
    run.destroy(stack_variables(endpoint_url))


def stack_variables(endpoint_url: str) -> dict[str, str]:
    """The root variables every run against the stack gets (its endpoint, this machine's CPU)."""
    return {"localstack_endpoint": endpoint_url, "host_architecture": host_architecture()}


def with_init(run: TerraformRun, step: Callable[[], dict[str, str]]) -> dict[str, str]:
    """Run a plan or apply step; `init` first when this data dir never was initialised, or once when
    Terraform says it is needed (backend, modules or providers changed)."""
    if not run.initialised:
        run.init()
        return step()
    try:
        return step()
    except TerraformError as exc:
        if not exc.needs_init:
            raise
    run.init()
    return step()


def write_outputs_file(path: Path, values: Mapping[str, Any]) -> Path:
    """The outputs in `terraform output -json` shape (rewritten only when they changed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {name: {"sensitive": False, "value": value} for name, value in values.items()}
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def tail(done: subprocess.CompletedProcess[str], lines: int = 8) -> str:
    """The end of Terraform's error output on one line (errors come last)."""
    text = (done.stderr or "").strip() or (done.stdout or "").strip()
    kept = [line.strip(" │╷╵") for line in text.splitlines() if line.strip(" │╷╵")]
    return " ".join(kept[-lines:])[:1200]


def _stack_s3(endpoint_url: str, backend: S3Backend) -> Any:
    """An S3 client as the backend reaches the stack (its credentials, else the stack's dummy ones)."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 5, "mode": "standard"},
        s3={"addressing_style": "path"},
    )
    session = boto3.session.Session(
        aws_access_key_id=backend.access_key or "test",
        aws_secret_access_key=backend.secret_key or "test",
        region_name=backend.region or "us-east-1",
    )
    return session.client("s3", endpoint_url=endpoint_url, config=config)
