"""Resolve an environment's Terraform outputs (grader ARNs, dataset bucket, role, region).

`--env NAME` (default `$ORCH_ENV`, else `dev`) names `terraform/environments/NAME` under the project
root (found by walking up from the working directory to a directory holding `terraform/environments`,
or given with `--project-dir`). The outputs (docs/architecture.md) come from the first source that
works, in this order:

0. `--outputs FILE`, when given: an explicit file always wins and nothing else is consulted (JSON in
   the shape of `terraform output -json`, or a flat `{name: value}` object);
1. `terraform output -json`, when a `terraform` executable is on PATH and the environment directory is
   initialised (`.terraform/` exists); bounded by a timeout; skipped for a local-stack environment;
2. the state file: the S3 object named by the `backend "s3"` block of the environment's `.tf` files
   (read with boto3 `get_object`, with the backend block's credentials when it has them, as Terraform
   does), or `terraform.tfstate` of a local backend;

A local-stack environment is one whose S3 backend endpoint is on this machine (`local`: 127.0.0.1).
Its state and every AWS client of the command go to the running stack (`StackTarget`): the port is
`ORCH_LOCAL_PORT`, else the one stack `orch local up` of this checkout runs, else the backend's own;
the credentials and region are the backend block's. `eval "$(orch local env)"` is not needed.

Explicit flags (`--reward-arn`, `--bucket`, `--role-arn`, `--region`) override single outputs after
that. When no source works the error lists each source tried and why it failed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from orchestrator import env_vars
from orchestrator.aws import LOCAL_STACK_HINT
from orchestrator.errors import ConfigError
from orchestrator.tfstate import S3Backend, SourceUnavailable, find_backend, read_state_outputs

LOCAL_STACK_DEFAULT_PORT = 4566

ENV_VAR = env_vars.ORCH_ENV
DEFAULT_ENV = "dev"
ENVIRONMENTS_DIR = Path("terraform") / "environments"
TERRAFORM_TIMEOUT_S = 60.0
STATE_READ_TIMEOUT_S = 30.0
OUTPUT_NAMES = (
    "grader_arns",
    "dataset_bucket",
    "dataset_prefix",
    "output_prefix",
    "customization_role_arn",
    "region",
)

Runner = Callable[[list[str], Path, dict[str, str], float], subprocess.CompletedProcess[str]]


INTERRUPT_GRACE_S = 60.0  # Terraform finishes the calls in flight and writes its state on SIGINT


def run_bounded(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run a command with a timeout that also ends its children (Terraform starts provider plugins).

    The command gets its own process group; on timeout the whole group is killed, so no grandchild
    keeps the output pipes open and `communicate` cannot hang. Being in its own group, it does not see
    the terminal's Ctrl-C: that is passed on (SIGINT), and the command gets `INTERRUPT_GRACE_S` to stop
    as it would in a terminal (Terraform then releases its state lock) before the group is killed.
    """
    with subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
        except KeyboardInterrupt:
            _interrupt_group(process)
            raise
        return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def _interrupt_group(process: subprocess.Popen[str]) -> None:
    """SIGINT to the command's group, then wait for it (a second Ctrl-C, or the grace period, kills it)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    # Only Terraform runs here; it may take several seconds to finish the calls in flight.
    sys.stderr.write(
        f"interrupted: letting Terraform stop cleanly (up to {INTERRUPT_GRACE_S:.0f} s; "
        "Ctrl-C again kills it)\n"
    )
    try:
        process.communicate(timeout=INTERRUPT_GRACE_S)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


@dataclass(frozen=True)
class StackTarget:
    """How a local-stack environment is reached: the running stack's endpoint, the backend's credentials."""

    endpoint_url: str
    region: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    reason: str = ""

    @property
    def port(self) -> int:
        return urlparse(self.endpoint_url).port or LOCAL_STACK_DEFAULT_PORT

    @property
    def host(self) -> str:
        return urlparse(self.endpoint_url).hostname or "127.0.0.1"

    def hint(self) -> str:
        """What to do when nothing answers (names the port)."""
        return f"is the local stack running? start it with `orch local up --port {self.port}` ({self.reason})"

    def session(self) -> Any:
        """A boto3 session with the backend's credentials (None keeps boto3's credential chain)."""
        import boto3

        return boto3.Session(
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key, region_name=self.region
        )


@dataclass(frozen=True)
class EnvironmentOutputs:
    """The Terraform outputs `orch` needs, and where they came from (for messages)."""

    name: str
    source: str
    grader_arns: dict[str, str] = field(default_factory=dict)
    dataset_bucket: str | None = None
    dataset_prefix: str = "datasets/"
    output_prefix: str = "rft-output/"
    customization_role_arn: str | None = None
    region: str | None = None
    reward_arn: str | None = None  # --reward-arn: replaces the grader lookup

    def require(self, name: str, flag: str) -> str:
        """An output that must be set, or a ConfigError naming the output and its flag."""
        value = getattr(self, name)
        if not value:
            raise ConfigError(
                f"environment '{self.name}' has no output '{name}' (source: {self.source}); pass {flag}"
            )
        return str(value)

    def grader_arn(self, grader: str | None) -> str:
        """ARN of grader `grader` (or the only one, or --reward-arn)."""
        if self.reward_arn:
            return self.reward_arn
        available = ", ".join(sorted(self.grader_arns)) or "none"
        if grader is None:
            if len(self.grader_arns) == 1:
                return next(iter(self.grader_arns.values()))
            raise ConfigError(f"choose a grader with --grader (available in '{self.name}': {available})")
        if grader not in self.grader_arns:
            raise ConfigError(f"no grader '{grader}' in environment '{self.name}' (available: {available})")
        return self.grader_arns[grader]

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.name,
            "source": self.source,
            **{name: getattr(self, name) for name in OUTPUT_NAMES},
            "reward_arn": self.reward_arn,
        }


@dataclass(frozen=True)
class Overrides:
    """Explicit flags that replace single outputs."""

    reward_arn: str | None = None
    bucket: str | None = None
    role_arn: str | None = None
    region: str | None = None

    def apply(self, outputs: EnvironmentOutputs) -> EnvironmentOutputs:
        return replace(
            outputs,
            reward_arn=self.reward_arn or outputs.reward_arn,
            dataset_bucket=self.bucket or outputs.dataset_bucket,
            customization_role_arn=self.role_arn or outputs.customization_role_arn,
            region=self.region or outputs.region,
        )

    def complete(self) -> bool:
        """True when the flags alone are enough to run a job (no outputs needed)."""
        return bool(self.reward_arn and self.bucket and self.role_arn)


def default_env_name(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(ENV_VAR) or DEFAULT_ENV


def find_project_root(start: Path) -> Path | None:
    """The nearest directory at or above `start` that holds `terraform/environments`."""
    for candidate in (start, *start.parents):
        if (candidate / ENVIRONMENTS_DIR).is_dir():
            return candidate
    return None


def checkout_root() -> Path | None:
    """The checkout this `orch` runs from (`make demo`'s editable install), when it holds the
    environments: `orch ... --env local` then works from any directory, as `orch demo` does."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / ENVIRONMENTS_DIR).is_dir() else None


def parse_outputs(document: Any, origin: str) -> dict[str, Any]:
    """Outputs as {name: value} from `terraform output -json` shape or a flat object."""
    if not isinstance(document, dict):
        raise SourceUnavailable(f"{origin}: expected a JSON object of outputs")
    if document and all(isinstance(v, dict) and "value" in v for v in document.values()):
        return {name: entry["value"] for name, entry in document.items()}
    return dict(document)


def outputs_from_mapping(name: str, source: str, values: Mapping[str, Any]) -> EnvironmentOutputs:
    """Build `EnvironmentOutputs`, checking the types of the outputs that are present."""
    grader_arns = values.get("grader_arns") or {}
    if not isinstance(grader_arns, dict) or not all(isinstance(v, str) for v in grader_arns.values()):
        raise ConfigError(f"{source}: output 'grader_arns' must be a map of grader name to ARN")
    strings: dict[str, str] = {}
    for key in OUTPUT_NAMES[1:]:
        value = values.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{source}: output '{key}' must be a string, got {type(value).__name__}")
        if value:
            strings[key] = value
    return EnvironmentOutputs(name=name, source=source, grader_arns=dict(grader_arns), **strings)


class EnvironmentResolver:
    """Finds the outputs of one environment; every collaborator is injectable for tests."""

    def __init__(
        self,
        name: str,
        *,
        project_dir: Path | None = None,
        outputs_file: Path | None = None,
        cwd: Path | None = None,
        environ: Mapping[str, str] | None = None,
        runner: Runner = run_bounded,
        s3_client_factory: Callable[[S3Backend], Any] | None = None,
        terraform_timeout: float = TERRAFORM_TIMEOUT_S,
    ) -> None:
        self.name = name
        self.project_dir = project_dir
        self.outputs_file = outputs_file
        self.cwd = cwd or Path.cwd()
        self.environ = dict(os.environ if environ is None else environ)
        self.runner = runner
        self.s3_client_factory = s3_client_factory or _default_s3_client
        self.terraform_timeout = terraform_timeout
        self._target: tuple[StackTarget | None] | None = None

    # -- public -------------------------------------------------------------------------------------
    def resolve(self, overrides: Overrides | None = None) -> EnvironmentOutputs:
        overrides = overrides or Overrides()
        if self.outputs_file is not None:
            return overrides.apply(self._from_file(self.outputs_file))
        failures: list[str] = []
        try:
            directory = self.environment_dir()
        except ConfigError as exc:
            if overrides.complete():
                return overrides.apply(EnvironmentOutputs(name=self.name, source="command-line flags"))
            raise ConfigError(f"{exc}; or pass --outputs FILE") from exc
        readers = [("terraform output", self._from_terraform), ("state file", self._from_state)]
        if self.stack_target() is not None:
            # `terraform output` reads the backend `terraform init` was pointed at, maybe another port.
            readers = readers[1:]
        for label, reader in readers:
            try:
                return overrides.apply(reader(directory))
            except SourceUnavailable as exc:
                failures.append(f"{label}: {exc}")
        failures.append("--outputs FILE: not given")
        if overrides.complete():
            return overrides.apply(EnvironmentOutputs(name=self.name, source="command-line flags"))
        if self.stack_target() is None:
            failures.append(f"no AWS account at hand? {LOCAL_STACK_HINT}")
        raise ConfigError(f"cannot read the outputs of environment '{self.name}': " + "; ".join(failures))

    def project_root(self) -> Path:
        root = self.project_dir or find_project_root(self.cwd) or checkout_root()
        if root is None:
            raise ConfigError(f"no {ENVIRONMENTS_DIR}/ directory at or above {self.cwd}; use --project-dir")
        return root

    def stack_target(self) -> StackTarget | None:
        """The running local stack, when this environment's S3 backend is on this machine; else None."""
        if self._target is None:
            self._target = (self._find_stack_target(),)
        return self._target[0]

    def _find_stack_target(self) -> StackTarget | None:
        try:
            backend = find_backend(self.environment_dir(), workspace=self.environ.get("TF_WORKSPACE"))
        except SourceUnavailable:
            return None
        if not isinstance(backend, S3Backend) or not backend.on_loopback:
            return None
        from orchestrator.local_stack.stack import HOST, stack_port

        declared = urlparse(backend.endpoint or "").port or LOCAL_STACK_DEFAULT_PORT
        port, reason = stack_port(self.project_root(), declared, self.environ)
        return StackTarget(
            endpoint_url=f"http://{HOST}:{port}",
            region=backend.region,
            access_key=backend.access_key,
            secret_key=backend.secret_key,
            reason=f"port from {reason}",
        )

    def environment_dir(self) -> Path:
        root = self.project_root()
        directory = root / ENVIRONMENTS_DIR / self.name
        if not directory.is_dir():
            existing = ", ".join(sorted(p.name for p in (root / ENVIRONMENTS_DIR).glob("*") if p.is_dir()))
            raise ConfigError(
                f"no environment '{self.name}' in {root / ENVIRONMENTS_DIR} (found: {existing or 'none'})"
            )
        return directory

    # -- sources --------------------------------------------------------------------------------------
    def _from_file(self, path: Path) -> EnvironmentOutputs:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"--outputs {path}: cannot read: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise ConfigError(f"--outputs {path}: not valid JSON: {exc}") from exc
        try:
            values = parse_outputs(document, f"--outputs {path}")
        except SourceUnavailable as exc:
            raise ConfigError(str(exc)) from exc
        return outputs_from_mapping(self.name, f"outputs file {path}", values)

    def _from_terraform(self, directory: Path) -> EnvironmentOutputs:
        executable = shutil.which("terraform", path=self.environ.get("PATH"))
        if executable is None:
            raise SourceUnavailable("no terraform executable on PATH")
        if not (directory / ".terraform").is_dir():
            raise SourceUnavailable(f"{directory} is not initialised (no .terraform/; run terraform init)")
        env = {**self.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
        try:
            done = self.runner([executable, "output", "-json"], directory, env, self.terraform_timeout)
        except subprocess.TimeoutExpired as exc:
            raise SourceUnavailable(f"timed out after {self.terraform_timeout:g} s") from exc
        except OSError as exc:
            raise SourceUnavailable(f"cannot run {executable}: {exc}") from exc
        if done.returncode != 0:
            detail = (done.stderr or done.stdout or "").strip().splitlines()
            raise SourceUnavailable(f"exited {done.returncode}: {' '.join(detail)[:300]}")
        try:
            values = parse_outputs(json.loads(done.stdout or "{}"), "terraform output")
        except ValueError as exc:
            raise SourceUnavailable(f"printed invalid JSON: {exc}") from exc
        if not values:
            raise SourceUnavailable("returned no outputs (not applied yet?)")
        return outputs_from_mapping(self.name, f"terraform output in {directory}", values)

    def _from_state(self, directory: Path) -> EnvironmentOutputs:
        backend = find_backend(directory, workspace=self.environ.get("TF_WORKSPACE"))
        target = self.stack_target()
        if isinstance(backend, S3Backend) and target is not None:
            backend = backend.with_endpoint(target.endpoint_url)
        try:
            values = read_state_outputs(backend, self.s3_client_factory)
        except SourceUnavailable as exc:
            if target is None:
                raise
            raise SourceUnavailable(f"{exc}; {target.hint()}") from exc
        if not values:
            raise SourceUnavailable(f"{backend.describe()} has no outputs (not applied yet?)")
        return outputs_from_mapping(self.name, backend.describe(), values)


def _default_s3_client(backend: S3Backend) -> Any:
    """An S3 client as Terraform's backend builds it: its region, profile, endpoint, and its
    `access_key`/`secret_key` when the block has them (they win over the environment's credentials)."""
    from orchestrator.aws import AwsFactory, ClientSettings

    settings = ClientSettings(read_timeout=STATE_READ_TIMEOUT_S, s3_path_style=backend.path_style)
    session = None
    if backend.access_key and backend.secret_key:
        import boto3

        session = boto3.Session(
            aws_access_key_id=backend.access_key,
            aws_secret_access_key=backend.secret_key,
            region_name=backend.region,
        )
    factory = AwsFactory(profile=backend.profile, region=backend.region, settings=settings, session=session)
    return factory.client("s3", endpoint_url=backend.endpoint)
