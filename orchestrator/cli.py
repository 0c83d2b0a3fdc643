"""Entry point of `orch`. Sub-commands live in `orchestrator.commands.*` and are imported on use,
so `orch --help` and shell completion stay fast."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from orchestrator import __version__
from orchestrator.errors import OrchError
from orchestrator.groups import SuggestingGroup

# command name -> "module:attribute" of a click.Command or click.Group
COMMANDS: dict[str, str] = {
    "reward": "orchestrator.commands.reward:reward",
    "validate-dataset": "orchestrator.commands.datasets:validate_dataset",
    "upload-dataset": "orchestrator.commands.datasets:upload_dataset",
    "start-job": "orchestrator.commands.jobs:start_job",
    "status": "orchestrator.commands.jobs:status",
    "wait": "orchestrator.commands.jobs:wait",
    "list-jobs": "orchestrator.commands.jobs:list_jobs",
    "stop-job": "orchestrator.commands.jobs:stop_job",
    "report": "orchestrator.commands.report:report",
    "local": "orchestrator.commands.local:local",
    "demo": "orchestrator.commands.demo:demo",
    "baseline": "orchestrator.commands.preflight:baseline",
    "plan": "orchestrator.commands.preflight:plan",
}


class LazyGroup(SuggestingGroup):
    """A group whose sub-commands are imported only when they are used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if _module_exists(COMMANDS[name]))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or not _module_exists(target):
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


def _module_exists(target: str) -> bool:
    return importlib.util.find_spec(target.split(":")[0]) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orch")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Reward functions and Bedrock reinforcement fine-tuning (RFT) jobs for Amazon Nova.

    \b
    Examples:
      orch demo                  # the whole kit on a local stack, no AWS account (make demo)
      orch validate-dataset datasets/math.jsonl
      orch reward score --spec math --dataset datasets/math.jsonl --responses responses.jsonl
      orch start-job --env dev --dataset datasets/math.jsonl --grader math --wait
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn `OrchError` into one line on stderr and its exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        # standalone_mode=False returns ctx.exit(code) codes instead of exiting.
        exit_code = cli.main(args=argv, prog_name="orch", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except OrchError as exc:
        if debug:
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(exit_code if isinstance(exit_code, int) else 0)
