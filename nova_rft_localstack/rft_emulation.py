"""EMULATED Bedrock reinforcement fine-tuning run for the local stack: no model is trained.

What it does, per job, in a background thread started by the local Bedrock provider:

1. validation: read the training dataset from S3, check it with the same Nova RFT rules as
   `orch validate-dataset`, and check that the grader Lambda exists;
2. data processing: turn records into prompt groups (system/user messages + `metadata`);
3. training: `steps` of `batchSize` prompts x `trainingSamplePerPrompt` candidate responses, sampled
   from an emulated POLICY over response strategies (`policy.py`: correct answers in each accepted
   form, plausible wrong answers, the audit's reward-hacking probes, the user's rollouts; see
   `strategies.py`). The REAL grader Lambda scores them, invoked through the local stack with
   exactly Bedrock's event shape:
   a JSON array of `{"id", "messages" (ending with the assistant response), "metadata"}` (with
   `reference_answer` and the record's other fields inside `metadata`). Its responses are checked
   strictly (`grader_contract.py`), and per-step reward statistics go to CloudWatch
   (namespace `NovaRFT/EmulatedTraining`, dimension `JobName`) and to a JSONL file under the job's
   output S3 prefix. Group-relative advantages of those scores update the policy (GRPO-style), so what
   the policy converges to (correct answers, or a hack) is a consequence of the grader alone.
   Reward-signal verdicts (`verdicts.py`) are checked every step and at the end.

The job ends Completed (with an emulated output model ARN and `trainingLoss` = 1 - final mean reward),
Failed (dataset invalid, grader missing, grader contract violated, grader error rate too high), or
Stopped. The engine talks to AWS only through the injected `EmulationPorts`, so it is unit-tested
without LocalStack.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import statistics
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from nova_rft_localstack import verdicts as verdict_rules
from nova_rft_localstack.candidates import CORRECT, HACK, Candidate
from nova_rft_localstack.emulation_settings import EmulatorSettings
from nova_rft_localstack.emulation_stats import (
    MAX_PAYLOAD_BYTES,
    chunk_samples,
    percentile,
    step_statistics,
)
from nova_rft_localstack.grader_contract import (
    GraderContractError,
    ScoredSample,
    check_grader_response,
)
from nova_rft_localstack.policy import Group, StrategyPolicy
from nova_rft_localstack.rollouts import RolloutsError, parse_rollouts, prompt_key
from nova_rft_localstack.strategies import (
    BuiltinSource,
    CombinedSource,
    ProbeGenerator,
    ProbeSource,
    RolloutSource,
    StrategySource,
    import_probe_generator,
    strategy_of,
)

METRICS_NAMESPACE = "NovaRFT/EmulatedTraining"
METRICS_FILE_NAME = "emulated-training-metrics.jsonl"
EMULATION_NOTE = "EMULATED by the local stack (nova_rft provider): no model was trained"

PHASES = ("validationDetails", "dataProcessingDetails", "trainingDetails")


def job_output_prefix(output_uri: str, job_name: str) -> str:
    """Where a job writes: `<outputDataConfig.s3Uri>/<jobName>/`."""
    return f"{output_uri}{'' if output_uri.endswith('/') else '/'}{job_name}/"


def job_metrics_uri(output_uri: str, job_name: str) -> str:
    """The emulated run's metrics file (JSONL: one record per step, then a summary record)."""
    return job_output_prefix(output_uri, job_name) + METRICS_FILE_NAME


class GraderMissingError(Exception):
    """The grader function does not exist (any more)."""


class DatasetReadError(Exception):
    """The dataset object could not be read."""


@dataclass(frozen=True)
class InvokeResult:
    """What a synchronous Lambda invoke returned: the payload and Lambda's FunctionError, if any."""

    payload: bytes
    function_error: str | None = None


class EmulationPorts(Protocol):
    """The AWS calls the emulation makes; LocalStack clients in production, fakes in unit tests."""

    def read_object(self, s3_uri: str) -> bytes: ...

    def put_object(self, s3_uri: str, body: bytes) -> None: ...

    def grader_problem(self, lambda_arn: str) -> str | None: ...

    def invoke_grader(self, lambda_arn: str, payload: bytes) -> InvokeResult: ...

    def put_metrics(self, namespace: str, job_name: str, values: Mapping[str, float]) -> None: ...

    def grader_spec(self, lambda_arn: str) -> tuple[dict[str, Any] | None, str]:
        """The grader's reward spec (parsed JSON) if it can be found, and where it came from / why not."""
        ...


class JobEvents(Protocol):
    """How the run reports progress to the job record and learns about a stop request."""

    def phase(self, phase: str, status: str) -> None: ...

    def stop_requested(self) -> bool: ...

    def wait_for_stop(self, seconds: float) -> bool: ...


@dataclass(frozen=True)
class RunSpec:
    """What one emulated run needs to know about its job."""

    job_name: str
    job_arn: str
    training_uri: str
    output_uri: str  # the job's own prefix, ending with "/"
    lambda_arn: str
    batch_size: int = 16
    samples_per_prompt: int = 4
    epochs: int = 1
    max_prompt_length: int | None = None
    validation_uris: tuple[str, ...] = ()
    eval_interval: int | None = None  # steps between validation passes; None: after the last step only
    learning_rate: float | None = None
    rollouts_uri: str | None = None  # the user's rollouts (tag nova-rft-emulator:rollouts)

    @property
    def metrics_uri(self) -> str:
        return self.output_uri + METRICS_FILE_NAME

    @property
    def seed(self) -> int:
        return int.from_bytes(hashlib.sha256(self.job_arn.encode()).digest()[:8], "big")


@dataclass
class RunOutcome:
    """How the run ended."""

    status: str  # Completed | Failed | Stopped
    failure_message: str | None = None
    training_loss: float | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)  # steps and validations, in order
    validation_losses: list[float] = field(default_factory=list)  # per validator, of the last pass
    grader_invocations: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)  # the run's final verdicts


class JobFailed(Exception):
    """Ends the run as Failed with this message (Bedrock's failureMessage)."""


class JobStopped(Exception):
    """Ends the run as Stopped."""


# (lines, source, max_prompt_length, min_records) -> (error count, the first error messages)
DatasetValidator = Callable[[Sequence[str], str, "int | None", int], tuple[int, list[str]]]
MIN_TRAINING_RECORDS = 100
# Validation data follows the training data's rules, as `orch start-job` applies them (and AWS's SDK,
# whose row-count check for Nova 2 Lite RFT on Bedrock is 100..20,000): a set of 1 record is refused.
MIN_VALIDATION_RECORDS = MIN_TRAINING_RECORDS


def nova_rft_validator(
    lines: Sequence[str], source: str, max_prompt_length: int | None, min_records: int = MIN_TRAINING_RECORDS
) -> tuple[int, list[str]]:
    """The same Nova RFT dataset rules as `orch validate-dataset` (stdlib-only module, imported on use)."""
    from orchestrator.datasets.validation import validate_dataset_lines

    report = validate_dataset_lines(
        lines, source=source, max_prompt_length=max_prompt_length, min_records=min_records, max_issues=5
    )
    return report.error_count, [str(issue) for issue in report.errors]


def build_prompt_groups(lines: Sequence[str]) -> list[dict[str, Any]]:
    """Records -> {"messages", "metadata"}; metadata carries reference_answer and every other field."""
    groups = []
    for line in lines:
        if not line.strip():
            continue
        record = json.loads(line)
        metadata = {key: value for key, value in record.items() if key != "messages"}
        groups.append({"messages": record["messages"], "metadata": metadata})
    return groups


_AUTO = object()  # default of `probe_generator`: import the probe library lazily
MAX_ERROR_TEXT = 4000  # a grader error is shown in full up to this many characters (Bedrock truncates too)


def format_lambda_error(function_error: str, payload: bytes) -> str:
    """A Lambda function error, readable: type, message and the stack trace, one frame per line."""
    text = payload.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return f"grader raised ({function_error}): {text[:MAX_ERROR_TEXT]}"
    kind = body.get("errorType") or function_error
    lines = [f"grader raised {kind}: {body.get('errorMessage', '')}".rstrip()]
    trace = body.get("stackTrace") or []
    if isinstance(trace, list) and trace:
        lines.append("grader stack trace (most recent call last):")
        lines += [f"  {str(frame).rstrip()}" for frame in trace]
    return "\n".join(lines)[:MAX_ERROR_TEXT]


class EmulatedRftRun:
    """One emulated RFT job run; `run()` blocks until the job ends and returns its outcome."""

    def __init__(
        self,
        spec: RunSpec,
        ports: EmulationPorts,
        events: JobEvents,
        validator: DatasetValidator,
        settings: EmulatorSettings | None = None,
        clock: Callable[[], float] = time.perf_counter,
        probe_generator: ProbeGenerator | None | object = _AUTO,
    ) -> None:
        self.spec = spec
        self.ports = ports
        self.events = events
        self.validator = validator
        self.settings = settings or EmulatorSettings()
        self.clock = clock
        self.probe_generator: ProbeGenerator | None = (
            import_probe_generator() if probe_generator is _AUTO else probe_generator  # type: ignore[assignment]
        )
        self.outcome = RunOutcome(status="InProgress")
        self._records: list[str] = []
        self._validation_records: list[list[str]] = []
        self._validation_groups: list[list[dict[str, Any]]] = []
        self._rollouts: dict[str, list[str]] = {}
        self._grader_spec: dict[str, Any] | None = None
        self._spec_note = ""
        self.policy = StrategyPolicy(spec.learning_rate)
        self._hack_overtook: int | None = None
        self._probe_sources: list[ProbeSource] = []

    # -- phases --------------------------------------------------------------------------------------

    def run(self) -> RunOutcome:
        """Run the three phases; the phase that fails or is stopped is marked so in statusDetails."""
        current = PHASES[0]
        try:
            for current, body in zip(PHASES, (self._validate, self._process, self._train), strict=True):
                self._checkpoint()
                self.events.phase(current, "InProgress")
                body()
                self.events.phase(current, "Completed")
            self.outcome.status = "Completed"
        except JobStopped:
            self.events.phase(current, "Stopped")
            self.outcome.status = "Stopped"
        except JobFailed as exc:
            self.events.phase(current, "Failed")
            self.outcome.status, self.outcome.failure_message = "Failed", str(exc)
        except Exception as exc:  # an emulator bug must still end the job, with a message
            self.events.phase(current, "Failed")
            self.outcome.status = "Failed"
            self.outcome.failure_message = f"Internal error of the emulator: {type(exc).__name__}: {exc}"
        return self.outcome

    def _checkpoint(self, delay: float = 0.0) -> None:
        if self.events.wait_for_stop(delay) if delay > 0 else self.events.stop_requested():
            raise JobStopped()

    def _read_checked(self, uri: str, label: str, min_records: int) -> list[str]:
        """The lines of a dataset that passes the Nova RFT rules, else JobFailed naming the first errors."""
        try:
            text = self.ports.read_object(uri).decode("utf-8")
        except (DatasetReadError, UnicodeDecodeError) as exc:
            raise JobFailed(f"{label} {uri} could not be read: {exc}") from None
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # the file's final newline does not make a blank line
        count, first_errors = self.validator(lines, uri, self.spec.max_prompt_length, min_records)
        if count:
            raise JobFailed(
                f"{label} invalid: {uri} has {count} error(s) under the Nova RFT rules. "
                f"First: {'; '.join(first_errors[:3])}"
            )
        return lines

    def _validate(self) -> None:
        self._checkpoint(self.settings.phase_delay_s)
        self._records = self._read_checked(self.spec.training_uri, "Dataset", MIN_TRAINING_RECORDS)
        self._validation_records = [
            self._read_checked(uri, "Validation dataset", MIN_VALIDATION_RECORDS)
            for uri in self.spec.validation_uris
        ]
        problem = self.ports.grader_problem(self.spec.lambda_arn)
        if problem:
            raise JobFailed(f"Grader missing: {problem}")
        if self.spec.rollouts_uri:
            self._rollouts = self._read_rollouts(self.spec.rollouts_uri)
        self._grader_spec, self._spec_note = self.ports.grader_spec(self.spec.lambda_arn)

    def _read_rollouts(self, uri: str) -> dict[str, list[str]]:
        try:
            text = self.ports.read_object(uri).decode("utf-8")
        except (DatasetReadError, UnicodeDecodeError) as exc:
            raise JobFailed(f"User rollouts invalid: {uri} could not be read: {exc}") from None
        keys = [prompt_key(json.loads(line), i) for i, line in enumerate(self._records) if line.strip()]
        try:
            return parse_rollouts(text, uri, keys)
        except RolloutsError as exc:
            raise JobFailed(f"User rollouts invalid: {exc}") from None

    def _process(self) -> None:
        self._checkpoint(self.settings.phase_delay_s)
        self._groups = build_prompt_groups(self._records)
        self._validation_groups = [build_prompt_groups(lines) for lines in self._validation_records]
        self.policy = StrategyPolicy(self.spec.learning_rate, with_rollouts=bool(self._rollouts))
        self._source = self._strategy_source(self.spec.seed, self._rollouts)
        self._validation_sources = [
            self._strategy_source(self.spec.seed ^ (index + 1), {})
            for index in range(len(self._validation_groups))
        ]

    def _strategy_source(self, seed: int, rollouts: Mapping[str, list[str]]) -> StrategySource:
        sources: list[StrategySource] = [BuiltinSource(seed)]
        if self.probe_generator is not None:
            probes = ProbeSource(self._grader_spec or {}, self.probe_generator, seed & 0xFFFFFFFF)
            self._probe_sources.append(probes)
            sources.append(probes)
        if rollouts:
            sources.append(RolloutSource(rollouts, prompt_key))
        return CombinedSource(sources)

    def _candidates(self, source: StrategySource, group: dict[str, Any], index: int) -> list[Candidate]:
        record = {"messages": group["messages"], **group["metadata"]}
        return source.candidates(record, index)

    def _train(self) -> None:
        plan = self._step_plan()
        rng = random.Random(self.spec.seed)
        for step, batch in enumerate(plan, start=1):
            self._checkpoint()
            record = self._run_step(step, batch, rng)
            self._checkpoint()  # a stop during the step leaves its chunks unscored: not grader errors
            self.outcome.steps.append(record)
            self.outcome.records.append(record)
            self._publish(record)
            self._check_error_rate(record)
            if self._validation_groups and self._evaluation_due(step, len(plan)):
                self._evaluate(step)
            self._checkpoint(self.settings.step_delay_s)
        final = self.outcome.steps[-1]["reward_mean"] if self.outcome.steps else 0.0
        self.outcome.training_loss = round(1.0 - final, 6)
        self.outcome.verdicts = verdict_rules.final_verdicts(self.outcome.steps)
        self._write_metrics_file(summary=True)

    # -- steps ---------------------------------------------------------------------------------------

    def _step_plan(self) -> list[list[int]]:
        """Prompt indices per step: a seeded shuffle per epoch, the last batch of an epoch wrapped around."""
        count, size = len(self._groups), self.spec.batch_size
        per_epoch = max(1, math.ceil(count / size))
        order_rng = random.Random(self.spec.seed ^ 0x5EED)
        plan: list[list[int]] = []
        for _ in range(self.spec.epochs):
            order = list(range(count))
            order_rng.shuffle(order)
            for start in range(0, per_epoch * size, size):
                plan.append([order[(start + i) % count] for i in range(size)])
                if len(plan) >= self.settings.max_steps:
                    return plan
        return plan

    def _sample_batch(
        self, step: int, batch: list[int], rng: random.Random
    ) -> tuple[list[dict[str, Any]], list[int], list[list[Candidate]], list[list[Candidate]]]:
        """Samples (Bedrock's shape), their group, and per prompt the available and drawn candidates."""
        samples, group_of, available, drawn = [], [], [], []
        for position, index in enumerate(batch):
            group = self._groups[index]
            candidates = self._candidates(self._source, group, index)
            chosen = self.policy.sample(candidates, self.spec.samples_per_prompt, rng)
            available.append(candidates)
            drawn.append(chosen)
            for k, candidate in enumerate(chosen):
                samples.append(
                    {
                        "id": f"step{step}-p{position}-r{k}",
                        "messages": [*group["messages"], {"role": "assistant", "content": candidate.text}],
                        "metadata": group["metadata"],
                    }
                )
                group_of.append(position)
        return samples, group_of, available, drawn

    def _run_step(self, step: int, batch: list[int], rng: random.Random) -> dict[str, Any]:
        samples, group_of, available, drawn = self._sample_batch(step, batch, rng)
        scores, scored, latencies, errors = self._score_samples(samples)
        record = step_statistics(step, len(batch), scores, group_of, scored, latencies, errors)
        per_group: list[list[float | None]] = [[] for _ in batch]
        for position, score in zip(group_of, scores, strict=True):
            per_group[position].append(score)
        self.policy.update([Group(a, d, r) for a, d, r in zip(available, drawn, per_group, strict=True)])
        record.update(self._strategy_statistics(step, drawn, per_group, available))
        valid = [s for s in scores if s is not None]
        record["verdicts"] = verdict_rules.step_verdicts(
            record, valid, self.outcome.steps, record["kind_shares"], record["top_hack"]
        )
        return record

    def _strategy_statistics(
        self,
        step: int,
        drawn: list[list[Candidate]],
        rewards: list[list[float | None]],
        available: list[list[Candidate]],
    ) -> dict[str, Any]:
        """What the policy sampled and earned this step, and its strategy mix after the update."""
        counts: dict[str, int] = {}
        earned: dict[str, list[float]] = {}
        for candidates, scores in zip(drawn, rewards, strict=True):
            for candidate, score in zip(candidates, scores, strict=True):
                name = strategy_of(candidate)
                counts[name] = counts.get(name, 0) + 1
                if score is not None:
                    earned.setdefault(name, []).append(score)
        mix = self.policy.mix(available)
        shares = self.policy.kind_shares(mix)
        hacks = [name for name in mix if self.policy.kinds[name] == HACK]
        if self._hack_overtook is None and shares[HACK] > shares[CORRECT]:
            self._hack_overtook = step
        return {
            "strategy_counts": dict(sorted(counts.items())),
            "strategy_reward_means": {n: round(statistics.fmean(v), 6) for n, v in sorted(earned.items())},
            "strategy_kinds": {n: self.policy.kinds[n] for n in sorted(counts)},
            "strategy_mix": {n: round(p, 6) for n, p in mix.items()},
            "kind_shares": {k: round(v, 6) for k, v in shares.items()},
            "hack_share": round(shares[HACK], 6),
            "top_strategy": next(iter(mix), None),
            "top_hack": hacks[0] if hacks else None,
        }

    def _evaluation_due(self, step: int, last: int) -> bool:
        interval = self.spec.eval_interval
        return step == last or (interval is not None and step % interval == 0)

    def _evaluate(self, step: int) -> None:
        """A validation pass: one response per prompt (at most batchSize prompts) of each validator,
        sampled from the current policy."""
        for index, groups in enumerate(self._validation_groups):
            rng = random.Random(self.spec.seed ^ (step * 1009 + index))
            samples = []
            for position, group in enumerate(groups[: self.spec.batch_size]):
                candidates = self._candidates(self._validation_sources[index], group, position)
                candidate = self.policy.sample(candidates, 1, rng)[0]
                samples.append(
                    {
                        "id": f"eval{step}-v{index}-p{position}",
                        "messages": [*group["messages"], {"role": "assistant", "content": candidate.text}],
                        "metadata": group["metadata"],
                    }
                )
            scores, scored, latencies, errors = self._score_samples(samples)
            record = step_statistics(
                step, len(samples), scores, list(range(len(samples))), scored, latencies, errors
            )
            record.update(type="validation", validator=index)
            self.outcome.validations.append(record)
            self.outcome.records.append(record)
            self.ports.put_metrics(
                METRICS_NAMESPACE, self.spec.job_name, {"ValidationRewardMean": record["reward_mean"]}
            )
            self._write_metrics_file(summary=False)
        last = {v["validator"]: v["reward_mean"] for v in self.outcome.validations}
        self.outcome.validation_losses = [round(1.0 - last[i], 6) for i in sorted(last)]

    def _score_samples(
        self, samples: list[dict[str, Any]]
    ) -> tuple[list[float | None], list[ScoredSample], list[float], list[str]]:
        """Grade `samples` in chunks: scores (None = unscored), checked items, latencies, errors."""
        chunks = chunk_samples(samples, self.settings.grader_chunk_size, MAX_PAYLOAD_BYTES)
        with ThreadPoolExecutor(max_workers=self.settings.grader_concurrency) as pool:
            results = list(pool.map(self._score_chunk, chunks))
        scores: list[float | None] = []
        latencies, errors, scored = [], [], []
        for chunk, (chunk_scores, latency_ms, error) in zip(chunks, results, strict=True):
            latencies.append(latency_ms)
            if error is not None:
                errors.append(error)
                scores.extend([None] * len(chunk))
            else:
                scored.extend(chunk_scores)
                scores.extend(s.score for s in chunk_scores)
        self.outcome.grader_invocations += len(chunks)
        self.outcome.latencies_ms.extend(latencies)
        return scores, scored, latencies, errors

    def _score_chunk(self, chunk: list[dict[str, Any]]) -> tuple[list[ScoredSample], float, str | None]:
        """Invoke the grader on one chunk; returns (scores, latency ms, error text or None)."""
        if self.events.stop_requested():
            return [], 0.0, "stopped"
        payload = json.dumps(chunk).encode("utf-8")
        started = self.clock()
        try:
            result = self.ports.invoke_grader(self.spec.lambda_arn, payload)
        except GraderMissingError as exc:
            raise JobFailed(f"Grader missing: {exc}") from None
        except Exception as exc:  # transport errors count as grader errors, like a failed Lambda call
            return [], (self.clock() - started) * 1000, f"invoke failed: {type(exc).__name__}: {exc}"
        latency_ms = (self.clock() - started) * 1000
        if result.function_error:
            return [], latency_ms, format_lambda_error(result.function_error, result.payload)
        try:
            response = json.loads(result.payload)
        except ValueError:
            text = result.payload.decode("utf-8", "replace")[:MAX_ERROR_TEXT]
            raise JobFailed(f"Grader contract violated: the response is not JSON:\n{text}") from None
        try:
            return check_grader_response(response, [s["id"] for s in chunk]), latency_ms, None
        except GraderContractError as exc:
            raise JobFailed(f"Grader contract violated: {exc}") from None

    def _check_error_rate(self, record: dict[str, Any]) -> None:
        rate = record["grader_error_rate"]
        if rate > self.settings.max_grader_error_rate:
            raise JobFailed(
                f"Grader error rate too high: {rate:.0%} of the {record['samples']} samples of step "
                f"{record['step']} could not be scored "
                f"(threshold {self.settings.max_grader_error_rate:.0%}). "
                f"First error:\n{record['first_grader_error']}"
            )

    # -- output --------------------------------------------------------------------------------------

    def _publish(self, record: dict[str, Any]) -> None:
        values = {
            "RewardMean": record["reward_mean"],
            "RewardMin": record["reward_min"],
            "RewardMax": record["reward_max"],
            "RewardStd": record["reward_std"],
            "NoSpreadGroupFraction": record["no_spread_group_fraction"],
            "GraderErrors": float(record["grader_errors"]),
            "GraderErrorRate": record["grader_error_rate"],
            "GraderLatencyP50Ms": record["grader_latency_ms_p50"],
            "GraderLatencyP95Ms": record["grader_latency_ms_p95"],
            "SamplesScored": float(record["samples"] - record["grader_errors"]),
            "HackShare": record["hack_share"],
            "CorrectShare": record["kind_shares"][CORRECT],
            "Verdicts": float(len(record["verdicts"])),
        }
        for name, mean in record["dimensions"].items():
            values[f"Dim.{name}.Mean"] = mean
        for verdict in record["verdicts"]:
            values[f"Verdict.{verdict['code']}"] = 1.0
        self.ports.put_metrics(METRICS_NAMESPACE, self.spec.job_name, values)
        self._write_metrics_file(summary=False)

    def _write_metrics_file(self, summary: bool) -> None:
        lines = [json.dumps(record, sort_keys=True) for record in self.outcome.records]
        if summary:
            lines.append(json.dumps(self._summary(), sort_keys=True))
        self.ports.put_object(self.spec.metrics_uri, ("\n".join(lines) + "\n").encode("utf-8"))

    def _summary(self) -> dict[str, Any]:
        latencies = self.outcome.latencies_ms
        last = self.outcome.steps[-1] if self.outcome.steps else {}
        return {
            "type": "summary",
            "note": EMULATION_NOTE,
            "job_name": self.spec.job_name,
            "steps": len(self.outcome.steps),
            "grader_invocations": self.outcome.grader_invocations,
            "grader_latency_ms_p50": round(percentile(latencies, 50), 3),
            "grader_latency_ms_p90": round(percentile(latencies, 90), 3),
            "grader_latency_ms_p95": round(percentile(latencies, 95), 3),
            "grader_latency_ms_max": round(max(latencies, default=0.0), 3),
            "reward_mean_per_step": [s["reward_mean"] for s in self.outcome.steps],
            "validation_reward_means": [
                {"step": v["step"], "validator": v["validator"], "reward_mean": v["reward_mean"]}
                for v in self.outcome.validations
            ],
            "training_loss": self.outcome.training_loss,
            "validation_losses": self.outcome.validation_losses,
            "final_strategy_mix": last.get("strategy_mix", {}),
            "final_kind_shares": last.get("kind_shares", {}),
            "hack_share": last.get("hack_share", 0.0),
            "top_strategy": last.get("top_strategy"),
            "hack_overtook_step": self._hack_overtook,
            "verdicts": self.outcome.verdicts,
            "learning_rate_effective": self.policy.eta,
            "strategy_sources": {
                "builtin": True,
                "probe_library": self.probe_generator is not None,
                "user_rollouts": len(self._rollouts),
                "grader_spec": self._spec_note,
                "probe_errors": next((p.first_error for p in self._probe_sources if p.first_error), None),
            },
        }


class ThreadEvents:
    """JobEvents backed by a threading.Event and a callback that updates the job record."""

    def __init__(self, on_phase: Callable[[str, str], None]) -> None:
        self._stop = threading.Event()
        self._on_phase = on_phase

    def request_stop(self) -> None:
        self._stop.set()

    def phase(self, phase: str, status: str) -> None:
        self._on_phase(phase, status)

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def wait_for_stop(self, seconds: float) -> bool:
        return self._stop.wait(seconds)
