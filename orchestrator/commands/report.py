"""`orch report JOB`: a self-contained HTML report with PNG plots of an RFT job's training signal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from orchestrator.commands.jobs import job_region
from orchestrator.factory import make_factory
from orchestrator.options import env_options, env_options_from, json_option
from orchestrator.output import make_output


@click.command("report")
@click.argument("job")
@click.option(
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for report.html and the PNG plots (default: reports/<job name>).",
)
@env_options
@json_option
@click.pass_context
def report(ctx: click.Context, job: str, output_dir: Path | None, as_json: bool, **kwargs: Any) -> None:
    """Write an HTML report (plots embedded) and PNG plots of a job's rewards and verdicts.

    JOB is a job name or ARN. Emulated jobs (local stack) are reported from the emulator's metrics
    file; real Bedrock jobs from the grader's CloudWatch metrics (NovaRFT/Grader, FunctionName) over
    the job's time window, plus a list of what the job wrote to its output location.

    \b
    Examples:
      orch report nova-rft-math-1a2b3c4d5e6f
      orch report nova-rft-math-1a2b3c4d5e6f --env local   # a job of the local stack (make demo)
      orch report "$JOB_ARN" --output /tmp/report --json
    """
    from orchestrator.jobs.report import gather
    from orchestrator.jobs.report_render import write_report

    output = make_output(as_json)
    region = job_region(job, kwargs.get("region"))
    factory = make_factory(ctx.obj, env_options_from(kwargs))
    details = factory.jobs(region).get(job)
    data = gather(details, factory.client("s3", region), factory.client("cloudwatch", region))
    directory = output_dir or Path("reports") / str(details.get("jobName", "job"))
    page, pngs = write_report(data, directory)
    if as_json:
        output.emit_json(
            {
                "report": str(page),
                "plots": [str(p) for p in pngs],
                "source": data.source,
                "verdicts": data.verdicts,
            }
        )
        return
    output.line(f"report: {page}")
    output.line(f"plots: {', '.join(p.name for p in pngs) or 'none (no data points)'}")
    output.line(f"data: {data.source}")
    for verdict in data.verdicts:
        output.line(f"WARNING [{verdict['code']}]: {verdict['message']}", style="bold yellow")
