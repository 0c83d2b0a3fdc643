"""`orch reward score --remote` and `orch reward loadtest`: the DEPLOYED grader Lambda as a scoring
engine (docs/preflight.md). Kept apart from `preflight.py` and light to import: `orch reward` loads it
for every sub-command, so rich, boto3 and the services are imported only when a command runs."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orchestrator.errors import ConfigError, DatasetError
from orchestrator.factory import OrchFactory, make_factory
from orchestrator.options import env_options, env_options_from, json_option, positive_float

if TYPE_CHECKING:
    from nova_rewards.spec import CompiledSpec

    from orchestrator.output import Output

EXIT_CODES = """\b
Exit codes:
  0  done
  2  bad option, missing environment output or unreadable file
  3  the dataset or responses file is invalid
  4  an AWS call failed (after retries)
  6  some grader batches failed (each is named)
  130 interrupted (Ctrl-C): what was done is kept"""

READ_TIMEOUT_MARGIN_S = 30


# -- shared wiring --------------------------------------------------------------------------------------
def load_spec_ref(spec_ref: str) -> CompiledSpec:
    from nova_rewards.errors import SpecError
    from nova_rewards.spec import load_spec

    try:
        return load_spec(spec_ref)
    except SpecError as exc:
        raise ConfigError(str(exc)) from None


def load_samples(dataset: Path, responses: Path) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Dataset records by id and one Bedrock-shaped sample per response (as `orch reward score`)."""
    from nova_rewards.errors import LocalScoringError
    from nova_rewards.local_scoring import build_samples, load_dataset_index, load_responses

    try:
        index = load_dataset_index(dataset)
        return index, build_samples(index, load_responses(responses), responses)
    except LocalScoringError as exc:
        raise DatasetError(str(exc)) from None


@dataclass
class GraderTarget:
    """The deployed grader of an environment: its ARN, client, settings and spec."""

    arn: str
    client: Any
    settings: dict[str, Any]
    reserved: int | None
    spec_name: str | None


def grader_target(obj: Mapping[str, Any] | None, factory: OrchFactory, grader: str) -> GraderTarget:
    from orchestrator.preflight.lambda_grader import (
        function_settings,
        lambda_client_settings,
        reserved_concurrency,
    )

    outputs = factory.outputs()
    arn = outputs.grader_arn(grader)
    injected = ((obj or {}).get("clients") or {}).get("lambda")
    probe = injected or factory.client("lambda", outputs.region)
    settings = function_settings(probe, arn)
    client = injected or factory.client(
        "lambda", outputs.region, lambda_client_settings(settings["timeout_s"] + READ_TIMEOUT_MARGIN_S)
    )
    return GraderTarget(arn, client, settings, reserved_concurrency(probe, arn), settings["spec"])


def grader_spec(target: GraderTarget, spec_ref: str | None, output: Output | None = None) -> CompiledSpec:
    """The spec for the report: --spec, else the function's REWARD_SPEC (a note when they differ)."""
    ref = spec_ref or target.spec_name
    if not ref:
        raise ConfigError(f"cannot tell which spec {target.arn} runs: pass --spec (a bundled name or a file)")
    if output is not None and spec_ref and target.spec_name and spec_ref != target.spec_name:
        output.note(f"the function runs spec {target.spec_name!r}; the report uses --spec {spec_ref!r}")
    return load_spec_ref(ref)


@contextlib.contextmanager
def progress_bar(output: Output, label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """advance(n) for a rich progress bar on stderr (`total` None: no end known); a no-op when stderr
    is not a terminal."""
    if not output.interactive or total == 0:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=output.stderr, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.update(task, advance=n)


def bounded_by_reservation(output: Output, requested: int, reserved: int | None) -> int:
    from orchestrator.preflight.lambda_grader import bounded_concurrency

    bounded = bounded_concurrency(requested, reserved)
    if bounded < requested:
        output.note(
            f"concurrency {requested} capped at {bounded}: the grader's reserved concurrency is {reserved}"
        )
    return bounded


# -- orch reward score --remote ----------------------------------------------------------------------------
def remote_options(func: Any) -> Any:
    """--remote, --concurrency and the environment options of `orch reward score`."""
    func = env_options(func)
    func = click.option(
        "--concurrency",
        type=click.IntRange(min=1),
        default=8,
        show_default=True,
        help="With --remote: grader calls in flight (kept below the function's reserved concurrency).",
    )(func)
    return click.option(
        "--remote",
        "remote_grader",
        metavar="G",
        help="Score with the DEPLOYED grader G of --env instead of in-process (docs/preflight.md).",
    )(func)


def score_remote(
    obj: Mapping[str, Any] | None,
    grader: str,
    spec_ref: str | None,
    samples: list[dict[str, Any]],
    batch_size: int,
    concurrency: int,
    env_kwargs: dict[str, Any],
) -> tuple[CompiledSpec, list[dict[str, Any]]]:
    """(compiled spec, the grader's items in sample order) from the deployed grader."""
    from orchestrator.output import make_output
    from orchestrator.preflight.lambda_grader import LambdaGrader
    from orchestrator.preflight.scoring import score_remotely

    output = make_output(True)  # notes and the progress bar only (stderr)
    target = grader_target(obj, make_factory(obj, env_options_from(env_kwargs)), grader)
    compiled = grader_spec(target, spec_ref, output)
    bounded = bounded_by_reservation(output, concurrency, target.reserved)
    grader_client = LambdaGrader(target.client, target.arn)
    with progress_bar(output, f"scoring with {grader}", len(samples)) as advance:
        run = score_remotely(
            grader_client,
            samples,
            batch_size=batch_size,
            chunk_size=compiled.spec.chunk_size,
            concurrency=bounded,
            on_done=lambda outcome: advance(len(outcome.batch.samples)),
        )
    if run.throttles:
        output.note(f"{run.throttles} throttled call(s) were retried")
    for failed in run.failed:
        output.note(failed.describe(), style="red")
    return compiled, run.results()


# -- orch reward loadtest ------------------------------------------------------------------------------------
@click.command("loadtest", epilog=EXIT_CODES)
@click.option("--grader", required=True, help="Grader name from the environment's `grader_arns` output.")
@click.option(
    "--dataset",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Dataset JSONL (default: datasets/<spec>.jsonl of the repository, for a bundled spec).",
)
@click.option(
    "--responses",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Responses JSONL ({id, response}; a baseline rollouts file works) to build batches from "
    "(default: datasets/responses/<spec>.responses.jsonl).",
)
@click.option("--concurrency", type=click.IntRange(1, 1000), default=4, show_default=True)
@click.option(
    "--duration",
    type=float,
    default=30.0,
    show_default=True,
    callback=positive_float,
    help="Stop sending after S seconds.",
)
@click.option(
    "--max-batches",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Stop after N batches, whichever comes first.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Samples per invocation (Bedrock's batch size per grader call is undocumented).",
)
@click.option(
    "--save/--no-save",
    default=True,
    show_default=True,
    help="Keep the report for `orch plan` (.orch/preflight/loadtest-<env>-<grader>.json).",
)
@env_options
@json_option
@click.pass_context
def loadtest(
    ctx: click.Context, grader: str, dataset: Path | None, responses: Path | None, **kwargs: Any
) -> None:
    """Drive the deployed grader with Bedrock-shaped batches at a target concurrency and measure it:
    p50/p95/p99 latency, batches/s, throttles, errors, cold starts (REPORT log lines).

    \b
    Examples:
      orch reward loadtest --env dev --grader math --concurrency 16 --duration 60
      orch reward loadtest --env dev --grader math --dataset datasets/math.jsonl \\
          --responses datasets/math.rollouts.jsonl --batch-size 8 --json
    """
    from orchestrator.environment import checkout_root, find_project_root
    from orchestrator.output import make_output
    from orchestrator.preflight.errors import ScoringIncompleteError
    from orchestrator.preflight.lambda_grader import LambdaGrader
    from orchestrator.preflight.loadtest import LoadTestSettings, loadtest_file, run_loadtest

    output = make_output(kwargs.pop("as_json"))
    settings = LoadTestSettings(
        concurrency=kwargs.pop("concurrency"),
        duration_s=kwargs.pop("duration"),
        batch_size=kwargs.pop("batch_size"),
        max_batches=kwargs.pop("max_batches"),
    )
    save = kwargs.pop("save")
    env_name = kwargs["env_name"]
    factory = make_factory(ctx.obj, env_options_from(kwargs))
    target = grader_target(ctx.obj, factory, grader)
    cwd = factory.cwd or Path.cwd()
    root = factory.options.project_dir or find_project_root(cwd) or checkout_root() or cwd  # as `orch plan`
    _, samples = load_samples(*_loadtest_inputs(root, target.spec_name or grader, dataset, responses))
    lambda_grader = LambdaGrader(target.client, target.arn, tail_logs=True)
    with progress_bar(output, f"load test of {grader} (batches)", None) as advance:
        report = run_loadtest(lambda_grader, samples, settings, on_batch=lambda _: advance(1))
    report = {"environment": env_name, "grader": grader, "function": target.arn, **report}
    if target.reserved is not None and settings.concurrency > target.reserved:
        output.note(
            f"concurrency {settings.concurrency} is above the reserved {target.reserved}: expect throttles"
        )
    answered = report["batches_ok"] > 0
    if save and answered:  # a report without one latency would only break `orch plan` later
        path = loadtest_file(root, env_name, grader)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        report["saved_to"] = str(path)
    if output.json_mode:
        output.emit_json(report)
    else:
        _print_loadtest(output, report)
    if not answered:
        first = report["first_errors"][0] if report["first_errors"] else "no batch was sent"
        raise ScoringIncompleteError(
            f"the grader answered none of {report['batches']} batches (first: {first}); nothing saved"
        )


def _loadtest_inputs(
    root: Path, spec: str, dataset: Path | None, responses: Path | None
) -> tuple[Path, Path]:
    """--dataset/--responses, else the repository's sample files of the grader's spec."""
    if dataset is not None and responses is not None:
        return dataset, responses
    name = Path(spec).stem
    default_dataset = root / "datasets" / f"{name}.jsonl"
    default_responses = root / "datasets" / "responses" / f"{name}.responses.jsonl"
    chosen = (dataset or default_dataset, responses or default_responses)
    missing = [str(path) for path in chosen if not path.is_file()]
    if missing:
        raise ConfigError(f"no {' or '.join(missing)}: pass --dataset and --responses")
    return chosen


def _print_loadtest(output: Output, report: dict[str, Any]) -> None:
    latency, billed = report["latency_ms"], report["billed_duration_ms"]
    output.key_values(
        f"load test of {report['grader']} ({report['environment']})",
        [
            ("batches sent / answered", f"{report['batches']} / {report['batches_ok']}"),
            ("batches/s", report["batches_per_s"]),
            ("samples/s", report["samples_per_s"]),
            (
                "latency p50 / p95 / p99 (ms)",
                f"{latency.get('p50')} / {latency.get('p95')} / {latency.get('p99')}",
            ),
            ("throttles (retried)", report["throttles"]),
            ("errors", report["errors"]),
            ("first errors", "; ".join(report["first_errors"])),
            ("cold starts", report["cold_starts"]),
            ("init duration p50 (ms)", report["init_duration_ms"].get("p50")),
            (
                "billed duration p50 / p95 (ms)",
                f"{billed.get('p50')} / {billed.get('p95')}" if billed else None,
            ),
            ("max memory used / size (MB)", f"{report['max_memory_used_mb']} / {report['memory_size_mb']}"),
            ("saved to", report.get("saved_to")),
        ],
    )
