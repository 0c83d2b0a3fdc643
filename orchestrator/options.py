"""Click options shared by the dataset and job commands, and the values they produce."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from orchestrator.environment import DEFAULT_ENV, ENV_VAR, Overrides
from orchestrator.factory import EnvOptions

F = TypeVar("F", bound=Callable[..., Any])


def json_option(func: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON document on stdout (nothing else)."
    )(func)


def _aws_options(func: F, region_help: str) -> F:
    func = click.option("--profile", help="AWS profile (default: AWS_PROFILE / the default profile).")(func)
    return click.option("--region", help=region_help)(func)


def region_options(func: F) -> F:
    """--region and --profile for commands about one job (no environment outputs are read)."""
    return _aws_options(func, "AWS region (default: the region of a job ARN, else AWS_REGION / the profile).")


def job_env_options(func: F) -> F:
    """--env and --project-dir for commands about existing jobs: a local-stack environment (`local`)
    sends their calls to its running stack; other environments keep the AWS configuration."""
    func = click.option(
        "--project-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Repository root holding terraform/environments (default: searched upwards from cwd).",
    )(func)
    return click.option(
        "--env",
        "env_name",
        envvar=ENV_VAR,
        default=None,
        show_envvar=True,
        help="Environment (terraform/environments/<ENV>); `local` talks to the running local stack.",
    )(func)


def env_options(func: F) -> F:
    """--env, --project-dir, --outputs, plus --region/--profile."""
    func = _aws_options(func, "AWS region (overrides the environment's `region` output).")
    func = click.option(
        "--outputs",
        "outputs_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="JSON file of outputs (`terraform output -json` shape or flat); when given, used alone.",
    )(func)
    func = click.option(
        "--project-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Repository root holding terraform/environments (default: searched upwards from cwd).",
    )(func)
    return click.option(
        "--env",
        "env_name",
        envvar=ENV_VAR,
        default=DEFAULT_ENV,
        show_default=True,
        show_envvar=True,
        help="Environment: terraform/environments/<ENV>.",
    )(func)


def env_options_from(kwargs: dict[str, Any], **overrides: str | None) -> EnvOptions:
    """Pop the shared options out of a command's kwargs."""
    region = kwargs.pop("region", None)
    return EnvOptions(
        env=kwargs.pop("env_name"),
        project_dir=kwargs.pop("project_dir", None),
        outputs_file=kwargs.pop("outputs_file", None),
        profile=kwargs.pop("profile", None),
        overrides=Overrides(region=region, **overrides),
    )


def positive_float(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """Click callback: reject zero and negative durations with the option's name."""
    if value is not None and value <= 0:
        raise click.BadParameter("must be greater than 0")
    return value
