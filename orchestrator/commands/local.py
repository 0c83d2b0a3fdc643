"""`orch local ...`: install, start, stop and inspect the local AWS stack, and provision `local` on it."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestrator.groups import SuggestingGroup

if TYPE_CHECKING:
    from orchestrator.local_stack.stack import LocalStack

PORT_OPTION = click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port on 127.0.0.1 (default: ORCH_LOCAL_PORT, else the stack this checkout runs, else 4566).",
)
PROJECT_OPTION = click.option(
    "--project-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Repository root (default: the checkout this `orch` comes from).",
)


def project_root(project_dir: Path | None) -> Path:
    """The repository root: the option, else the checkout that contains this package."""
    if project_dir is not None:
        return project_dir.resolve()
    return Path(__file__).resolve().parents[2]


def _stack(project_dir: Path | None, port: int | None) -> LocalStack:
    from orchestrator.local_stack.stack import LocalStack

    return LocalStack(project_root(project_dir), port)


@click.group(cls=SuggestingGroup)
def local() -> None:
    """The local AWS stack: LocalStack in host mode (no Docker) with this project's plugins.

    \b
    Examples:
      orch local up              # orch ... --env local then reaches it
      orch local provision
      eval "$(orch local env)"   # for other AWS tools (aws, boto3 scripts)
      orch local down
    """


@local.command()
@PROJECT_OPTION
@click.option("--force", is_flag=True, help="Reinstall even when the install stamp is current.")
def install(project_dir: Path | None, force: bool) -> None:
    """Install pinned LocalStack (Python 3.13, own venv under .orch/) and this project's plugins."""
    from orchestrator.local_stack.install import ensure_installed

    result = ensure_installed(project_root(project_dir), force=force)
    click.echo("\n".join(result.report()))


@local.command()
@PORT_OPTION
@PROJECT_OPTION
@click.option("--timeout", type=float, default=90.0, show_default=True, help="Seconds to wait for health.")
def up(port: int | None, project_dir: Path | None, timeout: float) -> None:
    """Start LocalStack on 127.0.0.1 (installs it on first use) and wait until it is healthy."""
    from orchestrator.local_stack.install import is_installed

    stack = _stack(project_dir, port)
    if not is_installed(stack.project_dir):
        click.echo(
            "Installing LocalStack and this project's plugins into .orch/localstack-venv (first use)..."
        )
    result = stack.start(timeout=timeout)
    if result.state == "external":
        click.echo(f"Not starting: {result.message}; using it as is.")
    elif result.state == "already-running":
        click.echo(f"LocalStack already running on {result.endpoint_url} (pid {result.pid}).")
    else:
        click.echo(
            f"LocalStack started on {result.endpoint_url} (pid {result.pid}) in {result.seconds:.1f} s."
        )
        click.echo(f"Logs: {stack.log_file}")


@local.command()
@PORT_OPTION
@PROJECT_OPTION
def down(port: int | None, project_dir: Path | None) -> None:
    """Stop the LocalStack that `orch local up` started (by its PID; never anything else)."""
    stack = _stack(project_dir, port)
    if stack.stop():
        click.echo(f"LocalStack on {stack.endpoint_url} stopped.")
    elif stack.is_healthy():
        click.echo(f"The LocalStack on {stack.endpoint_url} was not started by this checkout; left running.")
    else:
        click.echo(f"No LocalStack of this checkout runs on {stack.endpoint_url}.")


@local.command()
@PORT_OPTION
@PROJECT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(port: int | None, project_dir: Path | None, as_json: bool) -> None:
    """Is the local stack running, whose is it, and which services are available?"""
    info = _stack(project_dir, port).status()
    if as_json:
        click.echo(json.dumps(info, indent=2))
    elif not info["running"]:
        click.echo(f"Not running on {info['endpoint_url']}.")
        raise click.exceptions.Exit(1)
    else:
        owner = f"pid {info['pid']}" if info["pid"] else "not started by this checkout"
        click.echo(f"Running on {info['endpoint_url']} ({owner}), LocalStack {info['version']}")
        for service, state in sorted(info["services"].items()):
            click.echo(f"  {service:28} {state}")


@local.command()
@PORT_OPTION
@PROJECT_OPTION
def env(port: int | None, project_dir: Path | None) -> None:
    """Print `export` lines for shells: eval "$(orch local env)"."""
    for key, value in _stack(project_dir, port).client_env().items():
        click.echo(f"export {key}={shlex.quote(value)}")


@local.command()
@PORT_OPTION
@PROJECT_OPTION
@click.option("--environment", default="local", show_default=True, help="Terraform environment to deploy.")
@click.option(
    "--outputs-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to also write the outputs (default .orch/outputs/<environment>.json).",
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A Terraform variables file of yours (-var-file), e.g. custom_graders with a spec_file; repeatable.",
)
def provision(
    port: int | None,
    project_dir: Path | None,
    environment: str,
    outputs_file: Path | None,
    var_files: tuple[Path, ...],
) -> None:
    """terraform init, plan and apply of terraform/environments/local against the local stack.

    Real Terraform and the real AWS provider (a filesystem mirror when the machine has one:
    ORCH_TF_PROVIDER_MIRROR or a well-known directory; else TF_CLI_CONFIG_FILE or the registry), on
    the stack's port; the state lives in the stack's S3. Nothing is applied when the plan is empty.
    The grader package for this machine (build/grader-<arch>.zip) is rebuilt first when functions/
    (code or specs) changed since it was built, and each grader with a spec_file of yours gets its
    package (the shared zip plus the spec, named by both contents): a stale zip is never deployed.
    """
    from orchestrator.local_stack.packages import ensure_packages
    from orchestrator.local_stack.provision import environment_dir
    from orchestrator.local_stack.provision import provision as run_provision
    from orchestrator.local_stack.terraform import host_architecture

    stack = _stack(project_dir, port)
    if not stack.is_healthy():
        from orchestrator.errors import LocalStackError

        raise LocalStackError(
            f"no local stack answers on {stack.endpoint_url}: run `orch local up --port {stack.port}` first"
        )
    env_dir = environment_dir(stack.project_dir, environment)
    ensure_packages(stack.project_dir, env_dir, host_architecture(), click.echo, var_files)
    result = run_provision(
        stack.project_dir,
        stack.endpoint_url,
        environment=environment,
        outputs_file=outputs_file,
        var_files=var_files,
    )
    click.echo(f"{environment}: {result.summary()} (terraform apply, {result.seconds:.1f} s)")
    for warning in result.warnings():
        click.echo(f"warning: {warning}")
    for note in result.notes:
        click.echo(f"note: {note}")
    if result.state_location:
        click.echo(f"state: {result.state_location}")
    click.echo(f"outputs: {result.outputs_file}")
