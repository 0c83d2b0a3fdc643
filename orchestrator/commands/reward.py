"""`orch reward ...`: check a reward spec, score responses locally, build the grader Lambda zips."""

from __future__ import annotations

import contextlib
import io
import json
import math
import statistics
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orchestrator.commands.remote_grader import EXIT_CODES as REMOTE_EXIT_CODES
from orchestrator.commands.remote_grader import loadtest, remote_options, score_remote
from orchestrator.errors import ConfigError, DatasetError, OrchError
from orchestrator.groups import SuggestingGroup
from orchestrator.options import env_options, env_options_from, json_option

if TYPE_CHECKING:
    from nova_rewards.spec import CompiledSpec

_BARS = "▁▂▃▄▅▆▇█"


@click.group(cls=SuggestingGroup)
def reward() -> None:
    """Reward specs and the grader Lambda.

    \b
    Examples:
      orch reward check math --dataset datasets/math.jsonl
      orch reward audit --spec math --dataset datasets/math.jsonl --max-records 10
      orch reward score --spec math --dataset datasets/math.jsonl \\
          --responses datasets/responses/math.responses.jsonl
      orch reward package --output-dir build
    """


def _load(spec_ref: str) -> CompiledSpec:
    from nova_rewards.errors import SpecError
    from nova_rewards.spec import load_spec

    try:
        return load_spec(spec_ref)
    except SpecError as exc:
        raise ConfigError(str(exc)) from None


@reward.command()
@click.argument("spec")
@click.option(
    "--dataset",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also check that every dimension finds what it needs in every record of this JSONL dataset.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the dimensions as one JSON document.")
def check(spec: str, dataset: Path | None, as_json: bool) -> None:
    """Validate SPEC (a bundled spec name or a JSON file) and print its dimensions.

    With --dataset, exit 3 when a dimension lacks what it needs (reference keys, test shapes, label
    sets) in some record; each gap names the dimension, the key and the first lines that lack it.
    """
    from nova_rewards.spec import describe

    compiled = _load(spec)
    rows = describe(compiled)
    needs = _dataset_needs(compiled, dataset) if dataset is not None else None
    if as_json:
        summary = {
            "name": compiled.name,
            "source": compiled.source,
            "score_range": list(compiled.spec.score_range),
            "failure_score": compiled.spec.failure_value,
            "dimensions": rows,
        }
        if needs is not None:
            summary["dataset"] = needs.as_dict()
        click.echo(json.dumps(summary, indent=2))
        _fail_on_gaps(needs)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{compiled.name} ({compiled.source}): valid")
    for column in ("dimension", "kind", "type", "weight", "requires", "params"):
        table.add_column(column)
    for row in rows:
        requires = ", ".join(f"{k}>={v:g}" for k, v in row["requires"].items()) or "-"
        params = json.dumps(row["params"], separators=(",", ":"))
        table.add_row(row["name"], row["kind"], row["type"], f"{row['weight']:g}", requires, params)
    console = Console(soft_wrap=True)
    console.print(table)
    lo, hi = compiled.spec.score_range
    console.print(
        f"score range [{lo:g}, {hi:g}], failure score {compiled.spec.failure_value:g}", highlight=False
    )
    if needs is not None:
        from orchestrator.audit.report import print_needs

        print_needs(needs, console)
        _fail_on_gaps(needs)


def _dataset_needs(compiled: Any, dataset: Path) -> Any:
    from nova_rewards.errors import LocalScoringError

    from orchestrator.audit.needs import check_dataset_needs

    try:
        return check_dataset_needs(compiled, dataset)
    except LocalScoringError as exc:
        raise DatasetError(str(exc)) from None


def _fail_on_gaps(needs: Any) -> None:
    if needs is not None and not needs.ok:
        first = needs.gaps[0]
        raise DatasetError(
            f"{needs.path}: {len(needs.gaps)} dimension need(s) unmet, first: dimension {first.dimension!r} "
            f"needs {first.need} (line {first.lines[0]})"
        )


@reward.command(epilog=REMOTE_EXIT_CODES)
@click.option("--spec", "spec_ref", help="Bundled spec name or spec JSON file (with --remote: optional).")
@click.option(
    "--dataset",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Nova RFT dataset JSONL.",
)
@click.option(
    "--responses",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help='JSONL of {"id": ..., "response": "..."} candidate responses.',
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Samples per handler invocation (one EMF record each).",
)
@click.option("--json", "as_json", is_flag=True, help="Print exactly the grader's JSON response array.")
@click.option("--verbose", is_flag=True, help="Also show the handler's logs and EMF records on stderr.")
@remote_options
@click.pass_context
def score(
    ctx: click.Context,
    spec_ref: str | None,
    dataset: Path,
    responses: Path,
    batch_size: int,
    as_json: bool,
    verbose: bool,
    remote_grader: str | None,
    concurrency: int,
    **env_kwargs: Any,
) -> None:
    """Score candidate responses with a spec, through the grader Lambda's own handler code, or with
    the deployed grader Lambda (--remote G: batches of at most --batch-size and the spec's chunk_size)."""
    from nova_rewards.errors import LocalScoringError
    from nova_rewards.local_scoring import build_samples, load_dataset_index, load_responses

    if not spec_ref and not remote_grader:
        raise ConfigError(
            "pass --spec (a bundled spec name or a file), or --remote G to use a deployed grader"
        )
    compiled = _load(spec_ref) if spec_ref and not remote_grader else None
    try:
        samples = build_samples(load_dataset_index(dataset), load_responses(responses), responses)
    except LocalScoringError as exc:
        raise DatasetError(str(exc)) from None
    if remote_grader:
        compiled, results = score_remote(
            ctx.obj, remote_grader, spec_ref, samples, batch_size, concurrency, env_kwargs
        )
    else:
        assert compiled is not None  # no --remote: --spec is required above
        results = _run_handler(compiled, samples, batch_size, verbose)
    from orchestrator.audit.needs import no_value_warnings

    for line in no_value_warnings(compiled, results):
        click.echo(line, err=True)
    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    _print_distributions(compiled, results)


def _run_handler(compiled: Any, samples: list[dict[str, Any]], batch_size: int, verbose: bool) -> list[dict]:
    """Call the handler batch by batch; its stdout (JSON logs, EMF) is kept off our stdout."""
    from nova_rewards.handler import handle

    results: list[dict[str, Any]] = []
    for start in range(0, len(samples), batch_size):
        with _handler_output(verbose):
            results.extend(handle(samples[start : start + batch_size], None, compiled))
    return results


@contextlib.contextmanager
def _handler_output(verbose: bool) -> Iterator[None]:
    """Redirect the handler's stdout; replay warnings (always) and everything (--verbose) on stderr."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    for line in buffer.getvalue().splitlines():
        if verbose or _is_warning(line):
            click.echo(line, err=True)


def _is_warning(line: str) -> bool:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        return True
    return isinstance(entry, dict) and entry.get("level") in ("WARNING", "ERROR", "CRITICAL")


def _print_distributions(compiled: Any, results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    lo, hi = compiled.spec.score_range
    table = Table(title=f"{compiled.name}: {len(results)} responses, score range [{lo:g}, {hi:g}]")
    for column, justify in (
        ("", "left"),
        ("type", "left"),
        ("n", "right"),
        ("mean", "right"),
        ("std", "right"),
        ("min", "right"),
        ("max", "right"),
        ("histogram (10 bins, low to high)", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    scores = [item["aggregate_reward_score"] for item in results]
    table.add_row("aggregate", "", *_stats_cells(scores), histogram(scores, lo, hi))
    for dim_spec in compiled.spec.dimensions:
        values = [m["value"] for item in results for m in item["metrics_list"] if m["name"] == dim_spec.name]
        table.add_row(dim_spec.name, dim_spec.type, *_stats_cells(values), histogram(values, 0.0, 1.0))
    console = Console(soft_wrap=True)
    console.print(table)
    console.print(_status_line(results), highlight=False)


def _stats_cells(values: Sequence[float]) -> list[str]:
    if not values:
        return ["0", "-", "-", "-", "-"]
    std = statistics.pstdev(values) if len(values) > 1 else 0.0
    return [
        str(len(values)),
        f"{statistics.fmean(values):.3f}",
        f"{std:.3f}",
        f"{min(values):.3f}",
        f"{max(values):.3f}",
    ]


def histogram(values: Sequence[float], lo: float, hi: float, bins: int = 10) -> str:
    """A one-line text histogram: one bar character per bin, height relative to the fullest bin."""
    if not values or not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return ""
    counts = [0] * bins
    for value in values:
        index = int((min(max(value, lo), hi) - lo) / (hi - lo) * bins)
        counts[min(index, bins - 1)] += 1
    top = max(counts)
    cells = ["·" if c == 0 else _BARS[min(len(_BARS) - 1, (c * len(_BARS) - 1) // top)] for c in counts]
    return "".join(cells)


def _status_line(results: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for item in results:
        for entry in item["metrics_list"]:
            name = entry["name"]
            if name in ("error", "timeout", "unscored") or name.startswith(("guard.", "flag.")):
                counts[name] = counts.get(name, 0) + 1
    if not counts:
        return "no errors, timeouts or guard flags"
    return ", ".join(f"{name}: {count}" for name, count in sorted(counts.items()))


@reward.command()
@click.option("--spec", "spec_ref", required=True, help="Bundled spec name or spec JSON file.")
@click.option(
    "--dataset",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Nova RFT dataset JSONL (probes are built from its prompts and references).",
)
@click.option(
    "--max-records", type=click.IntRange(min=1), default=None, help="Audit only the first N records."
)
@click.option(
    "--hack-max-mean",
    type=click.FloatRange(0.0, 1.0),
    default=0.2,
    show_default=True,
    help="Fail when a hack probe's mean score (0..1 over the score range) is above this.",
)
@click.option(
    "--control-min-mean",
    type=click.FloatRange(0.0, 1.0),
    default=0.9,
    show_default=True,
    help="Fail when a control's mean score is below this.",
)
@click.option(
    "--share-threshold",
    type=click.FloatRange(0.0, 1.0),
    default=0.5,
    show_default=True,
    help="The score above which a response counts in the 'share above' column.",
)
@click.option(
    "--judge",
    type=click.Choice(["fooled", "live"]),
    default="fooled",
    show_default=True,
    help="fooled: LLM judges give every response the top score (worst case, offline); live: call the judge.",
)
@click.option(
    "--time-budget",
    type=click.FloatRange(min=1.0),
    default=60.0,
    show_default=True,
    help="Seconds for all scoring; responses left at the end are reported as timed out.",
)
@click.option(
    "--workers", type=click.IntRange(1, 32), default=4, show_default=True, help="Batches scored at once."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the probe generators.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
def audit(
    spec_ref: str,
    dataset: Path,
    max_records: int | None,
    hack_max_mean: float,
    control_min_mean: float,
    share_threshold: float,
    judge: str,
    time_budget: float,
    workers: int,
    seed: int,
    as_json: bool,
) -> None:
    """Reward-hacking audit: score probe responses (hacks and correct controls) with the grader's code.

    Exit 1 when a hack probe averages above --hack-max-mean or a control below --control-min-mean.
    See docs/reward-audit.md for the probes.
    """
    from nova_rewards.errors import LocalScoringError

    from orchestrator.audit.service import AuditThresholds, run_audit

    compiled = _load(spec_ref)
    thresholds = AuditThresholds(hack_max_mean, control_min_mean, share_threshold)
    try:
        report = run_audit(
            compiled,
            dataset,
            max_records=max_records,
            thresholds=thresholds,
            judge=judge,  # type: ignore[arg-type]
            time_budget_s=time_budget,
            workers=workers,
            seed=seed,
        )
    except LocalScoringError as exc:
        raise DatasetError(str(exc)) from None
    except ModuleNotFoundError as exc:
        if exc.name != "orchestrator.audit.code_hacks":
            raise
        raise ConfigError(
            "a code_tests spec needs orchestrator/audit/code_hacks.py (its harness attacks)"
        ) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        from rich.console import Console

        from orchestrator.audit.report import print_audit

        print_audit(report, Console(soft_wrap=True))
    if not report.passed:
        raise click.exceptions.Exit(1)


@reward.command()
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Where grader-<arch>.zip is written.",
)
@click.option(
    "--arch",
    type=click.Choice(["x86_64", "arm64", "all"]),
    default="all",
    show_default=True,
    help="Lambda architecture(s) to build for.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Wheel cache (default: .orch/wheel-cache in the repository).",
)
@click.option(
    "--compile/--no-compile",
    "byte_compile",
    default=True,
    show_default=True,
    help="Ship .pyc files compiled by CPython 3.12 (cold start ~155 ms instead of ~500+ ms).",
)
@click.option(
    "--spec-file",
    "spec_files",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A spec JSON of yours (Terraform graders.<name>.spec_file): also build its grader package "
    "grader-<arch>-spec-<key>.zip; repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the built packages as one JSON document.")
def package(
    output_dir: Path,
    arch: str,
    cache_dir: Path | None,
    byte_compile: bool,
    spec_files: tuple[Path, ...],
    as_json: bool,
) -> None:
    """Build the grader Lambda zip(s): nova_rewards plus its runtime dependencies, reproducibly.

    With --spec-file, also the package of each spec of yours (the shared zip plus the spec, named by
    both contents, as Terraform expects it: docs/bring-your-own-grader.md).
    """
    from orchestrator.local_stack.packages import record_stamp
    from orchestrator.packaging import (
        ARCHITECTURES,
        PYTHON312_ENV,
        PackagingError,
        build_package,
        build_spec_package,
        find_python312,
        repo_root,
        validate_spec_file,
    )

    try:
        for spec in spec_files:
            validate_spec_file(spec)
    except PackagingError as exc:
        raise ConfigError(str(exc)) from None
    root = repo_root()
    arches = list(ARCHITECTURES) if arch == "all" else [arch]
    python312 = find_python312() if byte_compile else None
    if byte_compile and python312 is None:
        raise ConfigError(
            f"no CPython 3.12 found to compile the package with: set {PYTHON312_ENV}, "
            "put python3.12 on PATH, or pass --no-compile"
        )
    built = []
    for name in arches:
        try:
            result = build_package(
                name,
                output_dir=output_dir,
                cache_dir=cache_dir or root / ".orch" / "wheel-cache",
                compile_with=python312,
                log=lambda text: click.echo(text, err=True),
            )
        except PackagingError as exc:
            raise ConfigError(str(exc)) from None
        built.append(result)
        record_stamp(root, result.path)  # so `orch local provision` knows this zip is current
        try:
            built += [build_spec_package(result.path, spec) for spec in spec_files]
        except PackagingError as exc:
            raise ConfigError(str(exc)) from None
    if not as_json:
        for result in built:
            click.echo(f"{result.path}  {result.size:,} bytes  sha256 {result.sha256}")
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in built], indent=2))


reward.add_command(loadtest)


@reward.command()
@click.option("--grader", help="Grader name from the environment's `grader_arns` output.")
@click.option("--reward-arn", help="Grader Lambda ARN (instead of --grader).")
@env_options
@json_option
@click.pass_context
def verify(
    ctx: click.Context, grader: str | None, reward_arn: str | None, as_json: bool, **kwargs: Any
) -> None:
    """Invoke the DEPLOYED grader with AWS's sample event shapes and check its answers strictly.

    \b
    Examples:
      orch reward verify --env dev --grader math
      orch reward verify --env local --reward-arn arn:aws:lambda:...:function:my-grader --json
    """
    from orchestrator.factory import make_factory
    from orchestrator.grader_verify import report_lines, verify_grader

    factory = make_factory(ctx.obj, env_options_from(kwargs, reward_arn=reward_arn))
    outputs = factory.outputs()
    report = verify_grader(factory.client("lambda", outputs.region), outputs.grader_arn(grader))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo("\n".join(report_lines(report)))
    if not report.ok:
        raise OrchError(f"the grader {report.function} breaks the contract (see above)")
