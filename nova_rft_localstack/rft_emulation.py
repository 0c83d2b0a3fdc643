"""EMULATED Bedrock reinforcement fine-tuning run for the local stack: no model is trained.

What it does, per job, in a background thread started by the local Bedrock provider:

1. validation: read the training dataset from S3, check it with the same Nova RFT rules as
   `orch validate-dataset`, and check that the grader Lambda exists;
2. data processing: turn records into prompt groups (system/user messages + `metadata`);
3. training: `steps` of `batchSize` prompts x `trainingSamplePerPrompt` candidate responses. The
   candidates are fabricated deterministically from the reference answers (see `candidates.py`), and
   the REAL grader Lambda is invoked through the local stack with exactly Bedrock's event shape:
   a JSON array of `{"id", "messages" (ending with the assistant response), "metadata"}` (with
   `reference_answer` and the record's other fields inside `metadata`). Its responses are checked
   strictly (`grader_contract.py`), and per-step reward statistics go to CloudWatch
   (namespace `NovaRFT/EmulatedTraining`, dimension `JobName`) and to a JSONL file under the job's
   output S3 prefix.

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
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from nova_rft_localstack.candidates import generate_candidates
from nova_rft_localstack.emulation_settings import (  # noqa: F401  (re-exported)
    ENV_CHUNK_SIZE,
    ENV_CONCURRENCY,
    ENV_MAX_ERROR_RATE,
    ENV_MAX_STEPS,
    ENV_PHASE_DELAY,
    ENV_STEP_DELAY,
    TAG_PREFIX,
    EmulatorSettings,
)
from nova_rft_localstack.emulation_stats import (  # noqa: F401  (re-exported)
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
    ) -> None:
        self.spec = spec
        self.ports = ports
        self.events = events
        self.validator = validator
        self.settings = settings or EmulatorSettings()
        self.clock = clock
        self.outcome = RunOutcome(status="InProgress")
        self._records: list[str] = []
        self._validation_records: list[list[str]] = []
        self._validation_groups: list[list[dict[str, Any]]] = []

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

    def _process(self) -> None:
        self._checkpoint(self.settings.phase_delay_s)
        self._groups = build_prompt_groups(self._records)
        self._validation_groups = [build_prompt_groups(lines) for lines in self._validation_records]

    def _train(self) -> None:
        plan = self._step_plan()
        rng = random.Random(self.spec.seed)
        for step, batch in enumerate(plan, start=1):
            self._checkpoint()
            progress = (step - 1) / max(1, len(plan) - 1)
            record = self._run_step(step, batch, rng, progress)
            self._checkpoint()  # a stop during the step leaves its chunks unscored: not grader errors
            self.outcome.steps.append(record)
            self.outcome.records.append(record)
            self._publish(record)
            self._check_error_rate(record)
            if self._validation_groups and self._evaluation_due(step, len(plan)):
                self._evaluate(step, progress)
            self._checkpoint(self.settings.step_delay_s)
        final = self.outcome.steps[-1]["reward_mean"] if self.outcome.steps else 0.0
        self.outcome.training_loss = round(1.0 - final, 6)
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

    def _build_samples(
        self, step: int, batch: list[int], rng: random.Random, progress: float
    ) -> tuple[list[dict[str, Any]], list[int]]:
        samples, group_of = [], []
        for position, index in enumerate(batch):
            group = self._groups[index]
            reference = group["metadata"].get("reference_answer")
            candidates = generate_candidates(reference, self.spec.samples_per_prompt, rng, progress)
            for k, candidate in enumerate(candidates):
                samples.append(
                    {
                        "id": f"step{step}-p{position}-r{k}",
                        "messages": [*group["messages"], {"role": "assistant", "content": candidate.text}],
                        "metadata": group["metadata"],
                    }
                )
                group_of.append(position)
        return samples, group_of

    def _run_step(self, step: int, batch: list[int], rng: random.Random, progress: float) -> dict[str, Any]:
        samples, group_of = self._build_samples(step, batch, rng, progress)
        scores, scored, latencies, errors = self._score_samples(samples)
        return step_statistics(step, len(batch), scores, group_of, scored, latencies, errors)

    def _evaluation_due(self, step: int, last: int) -> bool:
        interval = self.spec.eval_interval
        return step == last or (interval is not None and step % interval == 0)

    def _evaluate(self, step: int, progress: float) -> None:
        """A validation pass: one response per prompt (at most batchSize prompts) of each validator."""
        for index, groups in enumerate(self._validation_groups):
            rng = random.Random(self.spec.seed ^ (step * 1009 + index))
            samples = []
            for position, group in enumerate(groups[: self.spec.batch_size]):
                reference = group["metadata"].get("reference_answer")
                candidate = generate_candidates(reference, 1, rng, progress)[0]
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
            return [], latency_ms, f"grader raised ({result.function_error}): {result.payload[:300]!r}"
        try:
            response = json.loads(result.payload)
        except ValueError:
            raise JobFailed(
                f"Grader contract violated: the response is not JSON: {result.payload[:200]!r}"
            ) from None
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
                f"First error: {record['first_grader_error']}"
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
        }
        for name, mean in record["dimensions"].items():
            values[f"Dim.{name}.Mean"] = mean
        self.ports.put_metrics(METRICS_NAMESPACE, self.spec.job_name, values)
        self._write_metrics_file(summary=False)

    def _write_metrics_file(self, summary: bool) -> None:
        lines = [json.dumps(record, sort_keys=True) for record in self.outcome.records]
        if summary:
            lines.append(json.dumps(self._summary(), sort_keys=True))
        self.ports.put_object(self.spec.metrics_uri, ("\n".join(lines) + "\n").encode("utf-8"))

    def _summary(self) -> dict[str, Any]:
        latencies = self.outcome.latencies_ms
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
