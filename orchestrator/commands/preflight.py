"""`orch baseline`, `orch plan`, `orch reward loadtest` and `orch reward score --remote`: the checks to
run before paying for an RFT job (docs/preflight.md). Commands wire options to the services in
`orchestrator.preflight`; nothing here computes."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from orchestrator import env_vars
from orchestrator.commands.jobs import hyperparameter_options
from orchestrator.commands.remote_grader import (
    EXIT_CODES,
    bounded_by_reservation,
    grader_spec,
    grader_target,
    load_spec_ref,
    progress_bar,
)
from orchestrator.errors import ConfigError, DatasetError
from orchestrator.factory import OrchFactory, make_factory
from orchestrator.options import env_options, env_options_from, json_option, positive_float
from orchestrator.output import Output, make_output


# -- orch baseline -------------------------------------------------------------------------------------------
@click.command("baseline", epilog=EXIT_CODES)
@click.option(
    "--dataset", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Dataset JSONL."
)
@click.option(
    "--grader", required=True, help="Grader name (deployed in --env; with --local-scoring, the spec)."
)
@click.option(
    "--samples",
    "samples_per_prompt",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Samples per prompt (K).",
)
@click.option(
    "--model", "model_id", default=None, help="Base model id (default: the RFT base model, Nova 2 Lite)."
)
@click.option("--max-records", type=click.IntRange(min=1), help="Only the first N records.")
@click.option(
    "--temperature", type=float, default=0.7, show_default=True, help="Sampling temperature (0, 1]."
)
@click.option(
    "--max-tokens",
    type=click.IntRange(min=1),
    default=1024,
    show_default=True,
    help="maxTokens of each Converse call.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="Converse calls in flight (and grader calls when scoring remotely).",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=60.0,
    show_default=True,
    callback=positive_float,
    help="Per-call timeout of Converse in seconds.",
)
@click.option(
    "--rollouts",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Rollouts file (default: <dataset>.rollouts.jsonl); an existing one is resumed.",
)
@click.option("--local-scoring", is_flag=True, help="Score in-process instead of with the deployed grader.")
@click.option(
    "--spec", "spec_ref", help="Spec to score with (default: the grader's REWARD_SPEC, or --grader)."
)
@click.option("--pass-threshold", type=float, help="Reward counted as a pass (default: middle of the range).")
@click.option(
    "--filtered-dataset",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the dataset without prompts that are always or never solved.",
)
@env_options
@json_option
@click.pass_context
def baseline(ctx: click.Context, **kwargs: Any) -> None:
    """Sample the base model K times per prompt (Bedrock Converse) and score the samples: reward
    distribution, per-dimension means, pass rate, zero-spread groups and AWS's guidance verdict.

    \b
    Examples:
      orch baseline --env dev --dataset datasets/math.jsonl --grader math --samples 4
      orch baseline --env local --dataset datasets/math.jsonl --grader math --max-records 100 --json
      orch baseline --dataset train.jsonl --grader math --local-scoring --filtered-dataset rft.jsonl
    """
    from orchestrator.jobs.request import DEFAULT_BASE_MODEL
    from orchestrator.preflight.baseline import ConverseSampler, RolloutsFile, SamplingSettings, sample_all

    output = make_output(kwargs.pop("as_json"))
    dataset: Path = kwargs.pop("dataset")
    grader: str = kwargs.pop("grader")
    model_id = kwargs.pop("model_id") or DEFAULT_BASE_MODEL.rsplit("/", 1)[-1]
    settings = SamplingSettings(
        samples=kwargs.pop("samples_per_prompt"),
        temperature=kwargs.pop("temperature"),
        max_tokens=kwargs.pop("max_tokens"),
        concurrency=kwargs.pop("concurrency"),
        timeout_s=kwargs.pop("timeout_s"),
    )
    records = _records(dataset, kwargs.pop("max_records"))
    rollouts_path = kwargs.pop("rollouts") or dataset.with_suffix(".rollouts.jsonl")
    local, spec_ref = kwargs.pop("local_scoring"), kwargs.pop("spec_ref")
    pass_threshold, filtered = kwargs.pop("pass_threshold"), kwargs.pop("filtered_dataset")
    factory = make_factory(ctx.obj, env_options_from(kwargs))
    region = None if local else factory.outputs().region
    sampler = ConverseSampler(
        _runtime_client(ctx.obj, factory, region, settings.timeout_s), model_id, settings
    )
    rollouts = RolloutsFile(rollouts_path, model_id)
    total = len(records) * settings.samples
    try:
        with progress_bar(output, f"sampling {model_id}", total) as advance:
            sampling = sample_all(records, sampler, rollouts, on_sample=lambda: advance(1))
    except KeyboardInterrupt:
        done = sum(len(v) for v in rollouts.load().values())
        output.note(f"interrupted: {done} samples kept in {rollouts_path}; run the same command to resume")
        raise click.exceptions.Abort() from None
    if sampling.failed:
        output.note(f"{sampling.failed} sample(s) failed after retries; first: {sampling.first_error}")
    report = _score_baseline(
        ctx.obj,
        factory,
        output,
        dataset,
        records,
        rollouts_path,
        grader,
        local,
        spec_ref,
        settings,
        pass_threshold,
        filtered,
    )
    report["model"] = model_id
    report["sampling"] = {
        "requested": sampling.requested,
        "resumed": sampling.resumed,
        "sampled": sampling.sampled,
        "failed": sampling.failed,
        "throttles": sampling.throttles,
        "elapsed_s": round(sampling.elapsed_s, 2),
        "temperature": settings.temperature,
        "samples_per_prompt": settings.samples,
    }
    report["rollouts"] = str(rollouts_path)
    if output.json_mode:
        output.emit_json(report)
        return
    _print_baseline(output, report)


def _records(dataset: Path, max_records: int | None) -> dict[str, dict[str, Any]]:
    from nova_rewards.errors import LocalScoringError
    from nova_rewards.local_scoring import load_dataset_index

    try:
        index = load_dataset_index(dataset)
    except LocalScoringError as exc:
        raise DatasetError(str(exc)) from None
    keys = list(index)[: max_records or len(index)]
    return {key: index[key] for key in keys}


def _runtime_client(
    obj: Mapping[str, Any] | None, factory: OrchFactory, region: str | None, timeout: float
) -> Any:
    """A bedrock-runtime client with the per-call read timeout and no botocore retries (ours count)."""
    injected = ((obj or {}).get("clients") or {}).get("bedrock-runtime")
    if injected is not None:
        return injected
    from orchestrator.aws import ClientSettings

    return factory.client("bedrock-runtime", region, ClientSettings(read_timeout=timeout, max_attempts=1))


def _score_baseline(
    obj: Mapping[str, Any] | None,
    factory: OrchFactory,
    output: Output,
    dataset: Path,
    records: dict[str, dict[str, Any]],
    rollouts_path: Path,
    grader: str,
    local: bool,
    spec_ref: str | None,
    settings: Any,
    pass_threshold: float | None,
    filtered: Path | None,
) -> dict[str, Any]:
    from orchestrator.datasets.validation import MIN_RECORDS
    from orchestrator.preflight.baseline import read_rollouts, token_totals, write_filtered_dataset
    from orchestrator.preflight.lambda_grader import LambdaGrader
    from orchestrator.preflight.scoring import score_locally, score_remotely
    from orchestrator.preflight.stats import Thresholds, reward_report

    samples: list[dict[str, Any]] = []
    ids: list[str] = []
    seen: dict[str, int] = {}
    for entry in read_rollouts(rollouts_path):
        key = str(entry["id"])
        if key in records and seen.get(key, 0) < settings.samples:
            seen[key] = seen.get(key, 0) + 1
            record = records[key]
            metadata = {k: v for k, v in record.items() if k != "messages"}
            messages = [*record["messages"], {"role": "assistant", "content": entry["response"]}]
            samples.append({"id": key, "messages": messages, "metadata": metadata})
            ids.append(key)
    if not samples:
        raise DatasetError(f"{rollouts_path}: no samples to score (every Converse call failed?)")
    if local:
        compiled = load_spec_ref(spec_ref or grader)
        results = score_locally(compiled, samples, compiled.spec.chunk_size)
        scored_by = f"local ({compiled.name})"
    else:
        target = grader_target(obj, factory, grader)
        compiled = grader_spec(target, spec_ref, output)
        with progress_bar(output, f"scoring with {grader}", len(samples)) as advance:
            run = score_remotely(
                LambdaGrader(target.client, target.arn),
                samples,
                batch_size=compiled.spec.chunk_size,
                chunk_size=compiled.spec.chunk_size,
                concurrency=bounded_by_reservation(output, settings.concurrency, target.reserved),
                on_done=lambda outcome: advance(len(outcome.batch.samples)),
            )
        results = run.results()
        scored_by = target.arn
    low, high = compiled.spec.score_range
    dims = [d.name for d in compiled.spec.dimensions]
    report = reward_report(ids, results, dims, (low, high), Thresholds.for_range(low, high, pass_threshold))
    always, never = set(report.pop("_always")), set(report.pop("_never"))
    report["scored_by"] = scored_by
    report["spec"] = compiled.name
    report["tokens"] = token_totals(records, rollouts_path, settings.samples)
    if filtered is not None:
        keep = set(records) - always - never
        kept = write_filtered_dataset(dataset, keep, filtered)
        report["filtered_dataset"] = {"path": str(filtered), "records": kept}
        if kept < MIN_RECORDS:  # else the `start-job` that follows fails on it
            report["warnings"].append(
                f"{filtered} keeps {kept} of {len(records)} prompts; an RFT job needs at least "
                f"{MIN_RECORDS}: add prompts the base model sometimes solves, or train on {dataset}"
            )
    return report


def _filtered_summary(filtered: dict[str, Any] | None) -> str | None:
    return f"{filtered['path']} ({filtered['records']} records)" if filtered else None


def _print_baseline(output: Output, report: dict[str, Any]) -> None:
    from orchestrator.commands.reward import histogram

    reward = report["reward"]
    low, high = reward.get("histogram_range", [0.0, 1.0])
    output.key_values(
        f"baseline of {report['model']} on {report['prompts']} prompts ({report['samples']} samples)",
        [
            ("verdict", f"{report['verdict']}: {report['verdict_text']}"),
            ("pass rate", f"{report['pass_rate']:.1%} (reward >= {report['pass_threshold']:g})"),
            ("positive rewards", f"{report['positive_share']:.1%}"),
            ("zero-spread prompt groups", f"{report['zero_spread_group_share']:.1%}"),
            (
                "always / never solved prompts",
                f"{report['always_solved_prompts']} / {report['never_solved_prompts']}",
            ),
            ("reward mean / std", f"{reward.get('mean', 0):.3f} / {reward.get('std', 0):.3f}"),
            ("reward p25 / p50 / p75", f"{reward.get('p25')} / {reward.get('p50')} / {reward.get('p75')}"),
            ("histogram", _bars(reward, low, high, histogram)),
            (
                "tokens in / out",
                f"{report['tokens']['input_tokens']:,} / {report['tokens']['output_tokens']:,}",
            ),
            ("scored by", report["scored_by"]),
            ("rollouts", report["rollouts"]),
            ("filtered dataset", _filtered_summary(report.get("filtered_dataset"))),
        ],
    )
    output.table(
        "per-dimension means",
        ("dimension", "mean"),
        (
            (name, "-" if value is None else f"{value:.3f}")
            for name, value in report["dimension_means"].items()
        ),
    )
    for warning in report["warnings"]:
        output.line(f"warning: {warning}")


def _bars(reward: Mapping[str, Any], low: float, high: float, histogram: Callable[..., str]) -> str:
    counts = reward.get("histogram") or []
    width = (high - low) / max(1, len(counts))
    values = [low + width * (i + 0.5) for i, c in enumerate(counts) for _ in range(c)]
    return histogram(values, low, high, len(counts)) if values else ""


# -- orch plan ---------------------------------------------------------------------------------------------
@click.command("plan", epilog=EXIT_CODES)
@click.option(
    "--dataset", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Dataset JSONL."
)
@click.option("--grader", required=True, help="Grader name (its spec gives the judge dimensions).")
@click.option(
    "--spec", "spec_ref", help="Spec (default: the grader's spec in the environment's tfvars, or --grader)."
)
@click.option(
    "--hyperparameters",
    "hyperparameters_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file of hyperparameters, as for start-job; options override it.",
)
@hyperparameter_options
@click.option(
    "--latency-ms",
    type=float,
    callback=positive_float,
    help="p95 latency of one grader invocation (default: the last `orch reward loadtest`).",
)
@click.option(
    "--samples-per-invocation",
    type=click.IntRange(min=1),
    help="Samples Bedrock puts in one grader call (default: tfvars max_samples_per_invocation).",
)
@click.option("--safety-factor", type=click.FloatRange(1, 10), help="Head-room (default: tfvars, else 1.5).")
@click.option(
    "--memory-mb", type=click.IntRange(128, 10240), help="Grader memory (default: tfvars, else 512)."
)
@click.option("--timeout-s", type=click.IntRange(1, 900), help="Grader timeout (default: tfvars, else 300).")
@click.option(
    "--architecture", type=click.Choice(["arm64", "x86_64"]), help="Grader architecture (default: tfvars)."
)
@click.option(
    "--reserved-concurrency",
    type=click.IntRange(min=1),
    help="The grader's reserved concurrency (default: what Terraform's sizing reserves).",
)
@click.option(
    "--account-limit", type=click.IntRange(min=100), help="Lambda concurrency quota (default: prices file)."
)
@click.option(
    "--target-step-seconds",
    type=float,
    default=60.0,
    show_default=True,
    callback=positive_float,
    help="Grade one step within this time.",
)
@click.option(
    "--response-tokens",
    type=click.IntRange(min=1),
    help="Tokens of a typical response (default: min(inferenceMaxTokens, 1024)).",
)
@click.option(
    "--prices",
    "prices_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file overriding values of the bundled prices (orchestrator/preflight/prices.json).",
)
@click.option(
    "--env",
    "env_name",
    envvar=env_vars.ORCH_ENV,
    default="dev",
    show_default=True,
    help="Environment whose terraform.tfvars and last load test give defaults (read offline).",
)
@click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path), help="Repository root.")
@json_option
def plan(**kwargs: Any) -> None:
    """Capacity and cost plan of a job's grading: steps, invocations and samples per step, concurrency
    for a target step time vs the reserved concurrency and the account limit, timeout headroom at p95,
    Lambda GB-s and request cost, LLM-judge calls/tokens/cost, per step and per job. No AWS call.

    \b
    Examples:
      orch plan --dataset datasets/math.jsonl --grader math --latency-ms 900
      orch plan --dataset datasets/support.jsonl --grader support --batch-size 64 \\
          --samples-per-prompt 8 --json
    """
    from orchestrator.preflight.plan import compute_plan, load_prices, variations

    output = make_output(kwargs.pop("as_json"))
    inputs, notes = _plan_inputs(kwargs)
    prices = load_prices(kwargs.get("prices_file"))
    result = compute_plan(inputs, prices)
    result["variations"] = variations(inputs, prices)
    result["assumptions"] = notes
    result["prices"] = {
        "as_of": prices.get("as_of"),
        "source": prices.get("source"),
        "region": prices.get("region"),
    }
    if output.json_mode:
        output.emit_json(result)
        return
    _print_plan(output, result)


def _plan_inputs(kwargs: dict[str, Any]) -> tuple[Any, list[str]]:
    from orchestrator.commands.jobs import collect_hyperparameters
    from orchestrator.environment import ENVIRONMENTS_DIR, checkout_root, find_project_root
    from orchestrator.preflight.plan import PlanInputs, environment_defaults, judge_loads, load_prices

    root = kwargs["project_dir"] or find_project_root(Path.cwd()) or checkout_root() or Path.cwd()
    env, grader = kwargs["env_name"], kwargs["grader"]
    defaults = environment_defaults(root / ENVIRONMENTS_DIR / env / "terraform.tfvars", grader)
    hp = collect_hyperparameters(kwargs)  # start-job's options and file, range-checked
    notes: list[str] = []

    def pick(option: str, value: Any, default: Any, fallback: Any, what: str) -> Any:
        if value is not None:
            return value
        if default is not None:
            notes.append(f"{what} = {default} from terraform/environments/{env}/terraform.tfvars")
            return default
        notes.append(f"{what} = {fallback} (assumed; pass {option})")
        return fallback

    latency, source, measured_batch = _latency(kwargs["latency_ms"], root, env, grader)
    notes.append(f"p95 latency {latency:g} ms from {source}")
    compiled = load_spec_ref(kwargs["spec_ref"] or defaults.get("spec") or grader)
    records = _records(kwargs["dataset"], None)
    count = len(records)
    prompt_chars = sum(len(json.dumps(r["messages"], ensure_ascii=False)) for r in records.values()) / count
    record_bytes = (
        sum(len(json.dumps(r, ensure_ascii=False).encode("utf-8")) for r in records.values()) / count
    )
    max_tokens = hp.get("inferenceMaxTokens")
    response_tokens = kwargs["response_tokens"] or min(max_tokens or 1024, 1024)
    prices = load_prices(kwargs.get("prices_file"))
    inputs = PlanInputs(
        prompts=len(records),
        epochs=pick("--epochs", hp.get("epochCount"), None, 1, "epochCount"),
        batch_size=pick("--batch-size", hp.get("batchSize"), defaults.get("batch_size"), 32, "batchSize"),
        samples_per_prompt=pick(
            "--samples-per-prompt",
            hp.get("trainingSamplePerPrompt"),
            defaults.get("samples_per_prompt"),
            4,
            "trainingSamplePerPrompt",
        ),
        samples_per_invocation=pick(
            "--samples-per-invocation",
            kwargs["samples_per_invocation"],
            defaults.get("samples_per_invocation"),
            1,
            "samples per invocation",
        ),
        safety_factor=pick(
            "--safety-factor", kwargs["safety_factor"], defaults.get("safety_factor"), 1.5, "safety factor"
        ),
        latency_p95_ms=latency,
        memory_mb=pick("--memory-mb", kwargs["memory_mb"], defaults.get("memory_mb"), 512, "memory MB"),
        timeout_s=pick("--timeout-s", kwargs["timeout_s"], defaults.get("timeout_s"), 300, "timeout s"),
        architecture=pick(
            "--architecture", kwargs["architecture"], defaults.get("architecture"), "arm64", "architecture"
        ),
        reserved_concurrency=kwargs["reserved_concurrency"],
        account_limit=pick(
            "--account-limit",
            kwargs["account_limit"],
            defaults.get("account_limit"),
            int(prices["lambda"]["account_concurrency_limit"]),
            "account concurrency limit",
        ),
        target_step_s=kwargs["target_step_seconds"],
        judges=judge_loads(compiled, prompt_chars, response_tokens, defaults.get("judge_model_id")),
        average_record_bytes=record_bytes,
        max_response_tokens=max_tokens,
    )
    if measured_batch is not None and measured_batch != inputs.samples_per_invocation:
        notes.append(
            f"the load test sent {measured_batch} samples per call; the plan assumes "
            f"{inputs.samples_per_invocation} (re-run it with --batch-size {inputs.samples_per_invocation})"
        )
    return inputs, notes


def _latency(latency_ms: float | None, root: Path, env: str, grader: str) -> tuple[float, str, int | None]:
    """(p95 ms, where it came from, samples per batch of the load test that measured it)."""
    from orchestrator.preflight.loadtest import loadtest_file

    if latency_ms is not None:
        return latency_ms, "--latency-ms", None
    path = loadtest_file(root, env, grader)
    if not path.is_file():
        raise ConfigError(
            f"no latency: pass --latency-ms P95 or run "
            f"`orch reward loadtest --env {env} --grader {grader}` first"
        )
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        p95 = float(report["latency_ms"]["p95"])
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{path}: no latency_ms.p95; re-run the load test or pass --latency-ms") from None
    batch = (report.get("settings") or {}).get("batch_size")
    return p95, f"the last load test ({path})", batch if isinstance(batch, int) else None


def _usd(value: float | None) -> str:
    if value is None:
        return "unpriced"
    return f"${value:,.4f}" if value < 100 else f"${value:,.0f}"


def _print_plan(output: Output, plan: dict[str, Any]) -> None:
    step, job, conc, timeout = plan["per_step"], plan["per_job"], plan["concurrency"], plan["timeout"]
    inputs = plan["inputs"]
    output.key_values(
        f"plan: {inputs['prompts']} prompts, batchSize {inputs['batch_size']}, "
        f"trainingSamplePerPrompt {inputs['samples_per_prompt']}, {inputs['epochs']} epoch(s)",
        [
            ("steps per epoch / total", f"{plan['steps_per_epoch']} / {plan['total_steps']}"),
            ("samples / invocations per step", f"{step['samples']} / {step['invocations']}"),
            ("reserved concurrency (Terraform sizing)", conc["sizing_reserved_concurrency"]),
            (f"concurrency to grade a step in {conc['target_step_s']:g} s", conc["needed_for_target"]),
            ("reserved / max reservable", f"{conc['reserved_concurrency']} / {conc['max_reservable']}"),
            ("step time at the reserved concurrency", f"{conc['step_time_at_reserved_ms'] / 1000:.1f} s"),
            (
                "timeout headroom at p95",
                f"{timeout['headroom_ratio']:g}x "
                f"({timeout['timeout_s']} s vs {timeout['latency_p95_ms']:g} ms)",
            ),
            (
                "Lambda per step / job",
                f"{step['lambda']['gb_seconds']:.1f} GB-s {_usd(step['lambda']['usd'])} / "
                f"{job['lambda']['gb_seconds']:.0f} GB-s {_usd(job['lambda']['usd'])}",
            ),
            (
                "judge calls / tokens per step",
                f"{step['judge']['calls']} / "
                f"{step['judge']['input_tokens']:,} in, {step['judge']['output_tokens']:,} out",
            ),
            ("judge per step / job", f"{_usd(step['judge']['usd'])} / {_usd(job['judge']['usd'])}"),
            ("total per step / job", f"{_usd(step['usd'])} / {_usd(job['usd'])}"),
            ("prices", f"{plan['prices']['region']} as of {plan['prices']['as_of']}"),
        ],
    )
    output.table(
        "by batchSize (batch) and trainingSamplePerPrompt (K)",
        ("batch", "K", "steps", "samples/step", "calls/step", "reserved", "target", "$/job"),
        (
            (
                r["batch_size"],
                r["samples_per_prompt"],
                r["total_steps"],
                r["samples_per_step"],
                r["invocations_per_step"],
                r["sizing_reserved_concurrency"],
                r["needed_for_target"],
                _usd(r["job_usd"]),
            )
            for r in plan["variations"]
        ),
    )
    for note in plan["assumptions"]:
        output.line(f"note: {note}")
    for warning in plan["warnings"]:
        output.line(f"warning: {warning}")


__all__ = ["baseline", "plan"]
