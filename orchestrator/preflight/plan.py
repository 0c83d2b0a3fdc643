"""`orch plan`: the capacity and cost of an RFT job's grading, before the job runs.

Per training step Bedrock grades batchSize x trainingSamplePerPrompt responses, in invocations of at
most `samples_per_invocation` samples (AWS does not document how many Bedrock puts in one call;
`training.max_samples_per_invocation` of the environment's tfvars is the assumption the stack is sized
with). With the p95 latency of one invocation (from `--latency-ms` or the last load test):

- reserved concurrency = ceil(ceil(samples_per_step / samples_per_invocation) x safety_factor), the
  formula of terraform/modules/sizing (the whole step in flight at once); a test feeds both the same
  inputs and compares;
- concurrency needed to grade a step within `target_step_s`: the same formula applied to the
  invocations of one "round" (ceil(invocations / rounds), rounds = floor(target / p95), at least 1);
- timeout headroom: the timeout over p95 x safety_factor (Terraform's sizing refuses a timeout below it);
- Lambda cost: GB-seconds (memory x p95, a conservative billed duration) x the GB-s price of the
  architecture, plus the request price; LLM-judge cost: one call per sample and judge dimension,
  input tokens estimated from the judge prompt (characters / 4), output tokens at the judge's
  `max_tokens` (an upper bound). The training itself (Bedrock's RFT price) is not included.

Prices and limits come from `prices.json` (date and source inside), overridable key by key.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from orchestrator.errors import ConfigError

PRICES_FILE = Path(__file__).with_name("prices.json")
CHARS_PER_TOKEN = 4


def sizing_reserved_concurrency(invocations: int, safety_factor: float) -> int:
    """terraform/modules/sizing: reserved_concurrency = ceil(invocations_per_step x safety_factor).

    Decimal arithmetic, as Terraform's numbers are decimal-exact for such inputs (1.15 x 100 is 115,
    not 114.99999999999999 as in binary floating point).
    """
    return math.ceil(Decimal(invocations) * Decimal(str(safety_factor)))


def invocations_for(samples: int, samples_per_invocation: int) -> int:
    """terraform/modules/sizing: invocations_per_step = ceil(responses / max_samples_per_invocation)."""
    return -(-samples // samples_per_invocation)


def bare_model_id(model_id: str) -> str:
    """`amazon.nova-lite-v1:0` from a model id, a foundation-model ARN or an inference profile id
    (`us.`/`eu.`/`apac.`/`global.` prefixes): the key of `bedrock_models` in the prices file."""
    name = model_id.rsplit("/", 1)[-1]
    prefix, _, rest = name.partition(".")
    return rest if prefix in ("us", "eu", "apac", "global", "us-gov") and rest else name


def load_prices(override: Path | None = None) -> dict[str, Any]:
    """The bundled prices, with the keys of `override` (a JSON file) replacing theirs."""
    prices = json.loads(PRICES_FILE.read_text(encoding="utf-8"))
    if override is None:
        return prices
    try:
        extra = json.loads(override.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--prices {override}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"--prices {override}: not valid JSON: {exc}") from None
    if not isinstance(extra, dict):
        raise ConfigError(f"--prices {override}: expected a JSON object with the keys of {PRICES_FILE.name}")
    return _merge(prices, extra)


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class JudgeLoad:
    """One LLM-judge dimension: its model and the tokens of one call."""

    dimension: str
    model_id: str
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class PlanInputs:
    """Everything the plan is computed from (echoed in the output, so a plan can be reproduced)."""

    prompts: int
    epochs: int
    batch_size: int
    samples_per_prompt: int
    samples_per_invocation: int
    safety_factor: float
    latency_p95_ms: float
    memory_mb: int
    timeout_s: int
    architecture: str
    reserved_concurrency: int | None  # None: what terraform/modules/sizing reserves for these inputs
    account_limit: int
    target_step_s: float
    judges: tuple[JudgeLoad, ...] = field(default_factory=tuple)
    average_record_bytes: float = 0.0  # JSON of a record's messages and metadata
    max_response_tokens: int | None = None  # inferenceMaxTokens, when known


def _lambda_cost(invocations: int, inputs: PlanInputs, prices: Mapping[str, Any]) -> dict[str, float]:
    lam = prices["lambda"]
    try:
        gb_second_price = float(lam["gb_second_usd"][inputs.architecture])
    except KeyError:
        raise ConfigError(
            f"prices: no lambda.gb_second_usd for architecture {inputs.architecture!r}; add it with --prices"
        ) from None
    gb_seconds = invocations * inputs.memory_mb / 1024 * inputs.latency_p95_ms / 1000
    requests_usd = invocations * float(lam["request_usd_per_million"]) / 1_000_000
    return {
        "gb_seconds": round(gb_seconds, 6),
        "compute_usd": round(gb_seconds * gb_second_price, 12),
        "requests_usd": round(requests_usd, 12),
        "usd": round(gb_seconds * gb_second_price + requests_usd, 12),
    }


def _judge_cost(samples: int, judges: Sequence[JudgeLoad], prices: Mapping[str, Any]) -> dict[str, Any]:
    models = prices.get("bedrock_models", {})
    calls = input_tokens = output_tokens = 0
    usd: float | None = 0.0
    unpriced = []
    for judge in judges:
        calls += samples
        input_tokens += samples * judge.input_tokens
        output_tokens += samples * judge.output_tokens
        price = models.get(bare_model_id(judge.model_id))
        if price is None:
            unpriced.append(judge.model_id)
            continue
        if usd is not None:
            usd += (
                samples
                * (
                    judge.input_tokens * float(price["input_usd_per_1k_tokens"])
                    + judge.output_tokens * float(price["output_usd_per_1k_tokens"])
                )
                / 1000
            )
    return {
        "calls": calls,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "usd": None if unpriced else round(usd or 0.0, 12),
        "unpriced_models": unpriced,
    }


def compute_plan(inputs: PlanInputs, prices: Mapping[str, Any]) -> dict[str, Any]:
    """The plan (a JSON-ready dict): per step, per job, capacity checks."""
    steps_per_epoch = -(-inputs.prompts // inputs.batch_size)
    total_steps = steps_per_epoch * inputs.epochs
    samples = inputs.batch_size * inputs.samples_per_prompt
    invocations = invocations_for(samples, inputs.samples_per_invocation)
    sized = sizing_reserved_concurrency(invocations, inputs.safety_factor)
    reserved = inputs.reserved_concurrency if inputs.reserved_concurrency is not None else sized
    rounds = max(1, math.floor(inputs.target_step_s * 1000 / inputs.latency_p95_ms))
    needed = sizing_reserved_concurrency(-(-invocations // rounds), inputs.safety_factor)
    reservable = inputs.account_limit - int(prices["lambda"].get("unreserved_minimum", 100))
    timeout_ms = inputs.timeout_s * 1000
    budgeted_ms = inputs.latency_p95_ms * inputs.safety_factor
    lambda_step = _lambda_cost(invocations, inputs, prices)
    judge_step = _judge_cost(samples, inputs.judges, prices)
    step_usd = None if judge_step["usd"] is None else lambda_step["usd"] + judge_step["usd"]
    return {
        "inputs": {**asdict(inputs), "judges": [asdict(j) for j in inputs.judges]},
        "steps_per_epoch": steps_per_epoch,
        "total_steps": total_steps,
        "per_step": {
            "samples": samples,
            "invocations": invocations,
            "lambda": lambda_step,
            "judge": judge_step,
            "usd": None if step_usd is None else round(step_usd, 12),
        },
        "per_job": {
            "samples": samples * total_steps,
            "invocations": invocations * total_steps,
            "lambda": {k: round(v * total_steps, 12) for k, v in lambda_step.items()},
            "judge": {
                **{k: judge_step[k] * total_steps for k in ("calls", "input_tokens", "output_tokens")},
                "usd": None if judge_step["usd"] is None else round(judge_step["usd"] * total_steps, 12),
            },
            "usd": None if step_usd is None else round(step_usd * total_steps, 12),
        },
        "concurrency": {
            "sizing_reserved_concurrency": sized,
            "reserved_concurrency": reserved,
            "needed_for_target": needed,
            "target_step_s": inputs.target_step_s,
            "rounds_within_target": rounds,
            "step_time_at_reserved_ms": round(-(-invocations // max(1, reserved)) * inputs.latency_p95_ms, 1),
            "account_limit": inputs.account_limit,
            "max_reservable": reservable,
            "fits_reserved": needed <= reserved,
            "fits_account": needed <= reservable and reserved <= reservable,
            "target_reachable": inputs.target_step_s * 1000 >= inputs.latency_p95_ms,
        },
        "timeout": {
            "timeout_s": inputs.timeout_s,
            "latency_p95_ms": inputs.latency_p95_ms,
            "budgeted_latency_ms": round(budgeted_ms, 1),
            "headroom_ratio": round(timeout_ms / inputs.latency_p95_ms, 3),
            "fits": budgeted_ms <= timeout_ms,
        },
        "payload": _payload(inputs, prices),
        "warnings": _warnings(inputs, needed, reserved, reservable, budgeted_ms, judge_step)
        + _payload_warnings(inputs, prices),
    }


def _payload(inputs: PlanInputs, prices: Mapping[str, Any]) -> dict[str, Any]:
    """Worst-case JSON bytes of one grader call: samples x (record + a response of inferenceMaxTokens
    at ~4 bytes per token), against Lambda's synchronous payload limit."""
    limit = int(prices["lambda"].get("payload_limit_bytes", 6_291_456))
    response_bytes = (inputs.max_response_tokens or 0) * CHARS_PER_TOKEN
    estimate = round(inputs.samples_per_invocation * (inputs.average_record_bytes + response_bytes))
    return {
        "estimated_max_bytes": estimate,
        "limit_bytes": limit,
        "fits": estimate <= limit,
        "known": inputs.max_response_tokens is not None,
    }


def _payload_warnings(inputs: PlanInputs, prices: Mapping[str, Any]) -> list[str]:
    payload = _payload(inputs, prices)
    if payload["fits"]:
        return []
    return [
        f"a grader call of {inputs.samples_per_invocation} samples with {inputs.max_response_tokens} "
        f"response tokens could reach {payload['estimated_max_bytes']:,} bytes, over Lambda's "
        f"{payload['limit_bytes']:,}-byte invoke limit: lower inferenceMaxTokens or samples per invocation"
    ]


def _warnings(
    inputs: PlanInputs,
    needed: int,
    reserved: int,
    reservable: int,
    budgeted_ms: float,
    judge: Mapping[str, Any],
) -> list[str]:
    found = []
    if inputs.target_step_s * 1000 < inputs.latency_p95_ms:
        found.append(f"a step cannot be graded in {inputs.target_step_s:g} s: one invocation's p95 is longer")
    if needed > reserved:
        found.append(
            f"grading a step in {inputs.target_step_s:g} s needs {needed} concurrent executions; "
            f"the reserved concurrency is {reserved}"
        )
    if max(needed, reserved) > reservable:
        found.append(
            f"more than the account can reserve ({reservable} = limit {inputs.account_limit} - 100 "
            "unreserved): request a higher Lambda concurrency quota"
        )
    if budgeted_ms > inputs.timeout_s * 1000:
        found.append(
            f"timeout {inputs.timeout_s} s is below p95 x safety factor ({budgeted_ms / 1000:.1f} s)"
        )
    if judge["unpriced_models"]:
        found.append(
            f"no price for judge model(s) {', '.join(judge['unpriced_models'])}: add them with --prices"
        )
    return found


def variations(inputs: PlanInputs, prices: Mapping[str, Any]) -> list[dict[str, Any]]:
    """How the plan changes with batchSize and trainingSamplePerPrompt (a small table)."""
    batches = sorted({max(16, inputs.batch_size // 2), inputs.batch_size, min(512, inputs.batch_size * 2)})
    per_prompt = sorted({2, 4, 8, inputs.samples_per_prompt})
    rows = []
    for batch in batches:
        for k in per_prompt:
            plan = compute_plan(replace(inputs, batch_size=batch, samples_per_prompt=k), prices)
            rows.append(
                {
                    "batch_size": batch,
                    "samples_per_prompt": k,
                    "total_steps": plan["total_steps"],
                    "samples_per_step": plan["per_step"]["samples"],
                    "invocations_per_step": plan["per_step"]["invocations"],
                    "sizing_reserved_concurrency": plan["concurrency"]["sizing_reserved_concurrency"],
                    "needed_for_target": plan["concurrency"]["needed_for_target"],
                    "job_usd": plan["per_job"]["usd"],
                }
            )
    return rows


def judge_loads(
    compiled: Any, average_prompt_chars: float, response_tokens: int, model_override: str | None = None
) -> tuple[JudgeLoad, ...]:
    """The LLM-judge dimensions of a compiled spec and the estimated tokens of one call each
    (`model_override`: the grader's judge_model_id, which the Lambda gets as REWARD_JUDGE_MODEL_ID)."""
    from nova_rewards import prompts

    prompt_dir = Path(prompts.__file__).parent
    template = sum(len(p.read_text(encoding="utf-8")) for p in prompt_dir.glob("judge_*.txt"))
    loads = []
    for dim in compiled.spec.dimensions:
        if dim.kind != "llm_judge":
            continue
        params = dim.params if isinstance(dim.params, Mapping) else {}
        rubric = prompt_dir / "rubrics" / str(params.get("rubric", ""))
        rubric_chars = (
            len(rubric.read_text(encoding="utf-8"))
            if rubric.is_file()
            else len(str(params.get("rubric", "")))
        )
        chars = template + rubric_chars + average_prompt_chars
        loads.append(
            JudgeLoad(
                dimension=dim.name,
                model_id=model_override or str(params.get("model_id") or "amazon.nova-lite-v1:0"),
                input_tokens=math.ceil(chars / CHARS_PER_TOKEN) + response_tokens,
                output_tokens=int(params.get("max_tokens") or 200),
            )
        )
    return tuple(loads)


def environment_defaults(tfvars: Path, grader: str) -> dict[str, Any]:
    """Training shape and function settings of `grader` from an environment's terraform.tfvars (the
    defaults of terraform/modules/rft_stack for what it leaves out); {} when there is no such file."""
    if not tfvars.is_file():
        return {}
    import hcl2
    from hcl2 import SerializationOptions

    options = SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
    try:
        document = hcl2.loads(tfvars.read_text(encoding="utf-8"), serialization_options=options)
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds
        raise ConfigError(f"{tfvars}: cannot parse: {str(exc).splitlines()[0]}") from None
    training = document.get("training") or {}
    function = (document.get("graders") or {}).get(grader) or {}
    return {
        "batch_size": training.get("batch_size"),
        "samples_per_prompt": training.get("samples_per_prompt"),
        "samples_per_invocation": training.get("max_samples_per_invocation", 1),
        "safety_factor": training.get("safety_factor", 1.5),
        "account_limit": document.get("account_concurrency_limit"),
        "memory_mb": function.get("memory_size", 512) if function else None,
        "timeout_s": function.get("timeout", 300) if function else None,
        "architecture": function.get("architecture", "arm64") if function else None,
        "spec": function.get("spec") if function else None,
        "judge_model_id": function.get("judge_model_id") if function else None,
    }
