"""The one place that builds collaborators for dataset and job commands (chalice's CLIFactory lesson).

Commands parse options, ask the factory for an environment, an uploader or a jobs client, and call one
service method. Tests swap collaborators through `ctx.obj`: `clients` ({service: boto3 client}, e.g. a
Stubber-wrapped Bedrock client), `environ`, `cwd` and `sleep`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.aws import AwsFactory, ClientSettings
from orchestrator.environment import EnvironmentOutputs, EnvironmentResolver, Overrides, StackTarget
from orchestrator.errors import ConfigError, LocalStackError


@dataclass
class EnvOptions:
    """The environment options every AWS-facing command shares."""

    env: str
    project_dir: Path | None = None
    outputs_file: Path | None = None
    profile: str | None = None
    overrides: Overrides = field(default_factory=Overrides)


class OrchFactory:
    """Builds the environment resolver, boto3 clients and service objects of one command run."""

    def __init__(
        self,
        options: EnvOptions,
        *,
        clients: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.options = options
        self._clients = dict(clients or {})
        self.environ = dict(os.environ if environ is None else environ)
        self.cwd = cwd
        self._outputs: EnvironmentOutputs | None = None
        self._resolver: EnvironmentResolver | None = None
        self._stack_checked = False

    def resolver(self) -> EnvironmentResolver:
        if self._resolver is None:
            self._resolver = EnvironmentResolver(
                self.options.env,
                project_dir=self.options.project_dir,
                outputs_file=self.options.outputs_file,
                cwd=self.cwd,
                environ=self.environ,
            )
        return self._resolver

    def outputs(self) -> EnvironmentOutputs:
        if self._outputs is None:
            if self.options.outputs_file is None:
                self._require_running_stack()
            self._outputs = self.resolver().resolve(self.options.overrides)
        return self._outputs

    def _require_running_stack(self) -> None:
        """A local-stack environment whose stack is down fails here, in one line that says how to start
        it, rather than as a connection error of whatever call came first (after botocore's retries)."""
        target = self.stack_target()
        if target is None or self._stack_checked:
            return
        import socket

        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            listening = sock.connect_ex((target.host, target.port)) == 0
        if not listening:
            raise LocalStackError(
                f"no local stack answers on {target.endpoint_url} ({target.reason}): start it with "
                f"`orch local up --port {target.port}` (or `make demo`)"
            )
        self._stack_checked = True

    def stack_target(self, *, strict: bool = False) -> StackTarget | None:
        """The local stack a local-stack environment (`local`) runs on; None for other environments,
        no --env, or (unless `strict`: --env given explicitly) no environment directory."""
        if not self.options.env:
            return None
        try:
            return self.resolver().stack_target()
        except ConfigError:
            if strict:
                raise
            return None

    def aws(self, region: str | None = None, settings: ClientSettings | None = None) -> AwsFactory:
        target = self.stack_target()
        if target is not None:  # the stack, with the backend block's credentials (no `orch local env`)
            region = region or self.options.overrides.region or target.region
            return AwsFactory(region=region, session=target.session(), settings=settings)
        return AwsFactory(
            profile=self.options.profile, region=region or self.options.overrides.region, settings=settings
        )

    def client(self, service: str, region: str | None = None, settings: ClientSettings | None = None) -> Any:
        """A client of `service`; every AWS call of a command goes through here, so a local-stack
        environment reaches the stack whatever the service (`settings`: other timeouts or retries)."""
        if service in self._clients:
            return self._clients[service]
        self._require_running_stack()
        target = self.stack_target()
        endpoint_url = target.endpoint_url if target else None
        return self.aws(region, settings).client(service, endpoint_url=endpoint_url)

    def uploader(self, progress: Callable[[str, int], Callable[[int], None]] | None = None) -> Any:
        from orchestrator.datasets.upload import DatasetUploader

        return DatasetUploader(self.client("s3", self.outputs().region), progress=progress)

    def jobs(self, region: str | None = None) -> Any:
        from orchestrator.jobs.client import BedrockJobs

        return BedrockJobs(self.client("bedrock", region))


def make_factory(obj: Mapping[str, Any] | None, options: EnvOptions) -> OrchFactory:
    """The factory of a command, honouring test hooks in the click context object."""
    obj = obj or {}
    return OrchFactory(options, clients=obj.get("clients"), environ=obj.get("environ"), cwd=obj.get("cwd"))
