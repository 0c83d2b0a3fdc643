"""`orch demo`: the whole kit on the local stack, in one command, with no AWS account.

Only the options live here; the steps are `orchestrator.local_stack.demo`'s.
"""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.local_stack.demo import DEFAULT_GRADER, GRADERS, ROLLOUTS_TAG, DemoSettings, run_demo

__all__ = ["demo", "ROLLOUTS_TAG"]


@click.command()
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Local stack port (default: ORCH_LOCAL_PORT, else the stack this checkout runs, else 4566).",
)
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Repository root (default: the checkout this `orch` comes from).",
)
@click.option(
    "--steps", type=click.IntRange(1, 50), default=5, show_default=True, help="Emulated training steps."
)
@click.option(
    "--fresh", is_flag=True, help="Start a new job even if an earlier run already ran these inputs."
)
@click.option("--timeout", type=float, default=600.0, show_default=True, help="Seconds to follow the job.")
@click.option("--stop", is_flag=True, help="Stop the local stack at the end.")
@click.option(
    "--grader",
    default=DEFAULT_GRADER,
    show_default=True,
    help="Grader to train against: any name in the local environment's `grader_arns` "
    f"(bundled: {', '.join(GRADERS)}).",
)
@click.option(
    "--dataset",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Training dataset (Nova RFT JSONL; default: datasets/<grader>.jsonl).",
)
@click.option(
    "--rollouts",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help='Your model\'s sampled responses, JSONL of {"id": <prompt id>, "responses": [...]}: the emulated '
    "policy rehearses with them (job tag nova-rft-emulator:rollouts).",
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A Terraform variables file of yours for `local` (custom_graders with a spec_file); repeatable.",
)
@click.pass_context
def demo(
    ctx: click.Context,
    port: int | None,
    project_dir: Path | None,
    grader: str,
    dataset: Path | None,
    rollouts: Path | None,
    var_files: tuple[Path, ...],
    steps: int,
    fresh: bool,
    timeout: float,
    stop: bool,
) -> None:
    """Run an RFT job end to end on the local stack (no AWS account): the README's main job.

    \b
    Starts the local stack, builds and deploys the graders (terraform/environments/local), uploads
    datasets/math.jsonl, runs an EMULATED Bedrock RFT job that really calls the math grader Lambda
    (--grader picks any deployed grader, --dataset its data),
    and prints rewards per step and per dimension. Safe to run again (everything is reused; the
    same inputs show the same job, --fresh starts another).

    \b
    Examples:
      orch demo                     # make demo does `orch local install` first
      orch demo --steps 10 --fresh  # a longer, new emulated job
      orch demo --stop              # and stop the local stack afterwards
      orch demo --grader support    # the support grader: its LLM judge is the local rubric model
      orch demo --grader triage --dataset my/triage.jsonl --var-file my/triage.tfvars
                                    # a grader of your own (docs/bring-your-own-grader.md)

    \b
    Exit codes:
      0   Completed
      10  Failed
      11  Stopped
      12  timed out (--timeout reached; the job keeps running)
    """
    from orchestrator.commands.local import project_root

    settings = DemoSettings(
        project_root(project_dir),
        port=port,
        grader=grader,
        dataset=dataset,
        rollouts=rollouts,
        var_files=tuple(var_files),
        steps=steps,
        fresh=fresh,
        timeout=timeout,
        stop=stop,
    )
    ctx.exit(run_demo(settings, click.echo))
