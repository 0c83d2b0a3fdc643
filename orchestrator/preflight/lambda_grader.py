"""The DEPLOYED grader Lambda as a scoring engine: Bedrock-shaped batches, bounded concurrency,
throttling retried with backoff, one outcome per batch (never one exception for the whole run).

Batches are consecutive runs of samples of at most `max_count` samples (the spec's `chunk_size` and the
caller's `--batch-size`) and at most `MAX_PAYLOAD_BYTES` of JSON: Lambda refuses synchronous payloads
over 6 MB. A single sample larger than that is reported as its own failed batch, without a call.

Retries: `TooManyRequestsException` (reserved concurrency or account limit reached), 5xx service
errors, connection errors and read timeouts are retried with exponential backoff and full jitter
(`base_delay_s` x 2^attempt, at most `max_delay_s`), up to `max_attempts` calls; the client itself is
built without botocore retries (`lambda_client_settings`), so every throttle is counted here. A function error
(the handler raised) or a response that breaks the contract is not retried: it is that batch's error.
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from nova_rewards.env_vars import REWARD_SPEC

from orchestrator.aws import ClientSettings, error_code

# Lambda's synchronous invoke limit is 6 MB (6,291,456 bytes); keep a margin for the JSON framing.
MAX_PAYLOAD_BYTES = 6_000_000
THROTTLE_CODES = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling"})
DEFAULT_MAX_ATTEMPTS = 8
_REPORT_FIELDS = {
    "duration_ms": r"\tDuration: ([\d.]+) ms",
    "billed_duration_ms": r"Billed Duration: ([\d.]+) ms",
    "memory_size_mb": r"Memory Size: (\d+) MB",
    "max_memory_used_mb": r"Max Memory Used: (\d+) MB",
    "init_duration_ms": r"Init Duration: ([\d.]+) ms",
}


def lambda_client_settings(read_timeout_s: float) -> ClientSettings:
    """Settings of the invoking Lambda client: no botocore retries (throttles are retried and counted by
    `LambdaGrader`) and a read timeout that covers the function's own timeout."""
    return ClientSettings(read_timeout=read_timeout_s, max_attempts=1)


@dataclass(frozen=True)
class InvokeReport:
    """The REPORT log line Lambda writes after each invoke (`Init Duration` only on a cold start)."""

    duration_ms: float
    billed_duration_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None

    @property
    def cold_start(self) -> bool:
        return self.init_duration_ms is not None


def parse_report(log_text: str) -> InvokeReport | None:
    """The last REPORT line of an invoke's log tail, or None when there is none."""
    lines = [line for line in log_text.splitlines() if line.startswith("REPORT ")]
    if not lines:
        return None
    line = lines[-1]
    found = {name: re.search(pattern, line) for name, pattern in _REPORT_FIELDS.items()}
    if any(found[name] is None for name in ("duration_ms", "billed_duration_ms")):
        return None

    def number(name: str) -> float:
        match = found[name]
        return float(match.group(1)) if match else 0.0

    init = found["init_duration_ms"]
    return InvokeReport(
        duration_ms=number("duration_ms"),
        billed_duration_ms=number("billed_duration_ms"),
        memory_size_mb=int(number("memory_size_mb")),
        max_memory_used_mb=int(number("max_memory_used_mb")),
        init_duration_ms=float(init.group(1)) if init else None,
    )


@dataclass(frozen=True)
class Batch:
    """Samples [start, start + len(samples)) of the run."""

    index: int
    start: int
    samples: list[dict[str, Any]]
    oversized: int | None = None  # bytes of a lone sample over the payload limit


@dataclass
class BatchOutcome:
    """What one batch came back with: the grader's items, or an error that names the batch."""

    batch: Batch
    items: list[dict[str, Any]] | None = None
    error: str | None = None
    latency_ms: float = 0.0  # of the last (answered) call
    attempts: int = 0
    throttles: int = 0
    report: InvokeReport | None = None

    @property
    def ok(self) -> bool:
        return self.items is not None

    def describe(self) -> str:
        first, count = self.batch.start, len(self.batch.samples)
        return f"batch {self.batch.index} (samples {first}..{first + count - 1}): {self.error}"


def make_batches(
    samples: Sequence[dict[str, Any]], max_count: int, max_bytes: int = MAX_PAYLOAD_BYTES
) -> list[Batch]:
    """Consecutive batches of at most `max_count` samples and `max_bytes` of JSON array (as `invoke`
    serialises it: "[" + samples joined by ", " + "]")."""
    batches: list[Batch] = []
    current: list[dict[str, Any]] = []
    start, size = 0, 2  # "[]"
    for position, sample in enumerate(samples):
        sample_size = len(json.dumps(sample, ensure_ascii=False).encode("utf-8"))
        if sample_size + 2 > max_bytes:
            if current:
                batches.append(Batch(len(batches), start, current))
            batches.append(Batch(len(batches), position, [sample], oversized=sample_size + 2))
            current, start, size = [], position + 1, 2
            continue
        separator = 2 if current else 0  # ", "
        if current and (len(current) >= max_count or size + separator + sample_size > max_bytes):
            batches.append(Batch(len(batches), start, current))
            current, start, size, separator = [], position, 2, 0
        current.append(sample)
        size += separator + sample_size
    if current:
        batches.append(Batch(len(batches), start, current))
    return batches


def check_items(payload: Any, batch: Batch) -> list[dict[str, Any]]:
    """The grader's response array, checked against the batch (ValueError says what is wrong)."""
    if not isinstance(payload, list):
        raise ValueError(f"the grader answered a {type(payload).__name__}, not a JSON array")
    if len(payload) != len(batch.samples):
        raise ValueError(f"the grader answered {len(payload)} items for {len(batch.samples)} samples")
    for position, (item, sample) in enumerate(zip(payload, batch.samples, strict=True)):
        if not isinstance(item, dict) or item.get("id") != sample.get("id"):
            raise ValueError(f"item {position} does not carry the id {sample.get('id')!r} of its sample")
        score = item.get("aggregate_reward_score")
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise ValueError(f"item {position} has no numeric aggregate_reward_score")
    return payload


class LambdaGrader:
    """Invokes one grader function; each `invoke` returns a `BatchOutcome` (never raises for AWS errors)."""

    def __init__(
        self,
        client: Any,
        function: str,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        base_delay_s: float = 0.1,
        max_delay_s: float = 5.0,
        tail_logs: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.perf_counter,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.function = function
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.tail_logs = tail_logs
        self.sleep = sleep
        self.clock = clock
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base x 2^attempt)]."""
        with self._rng_lock:
            return self._rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**attempt))

    def invoke(self, batch: Batch) -> BatchOutcome:
        outcome = BatchOutcome(batch)
        if batch.oversized is not None:
            outcome.error = (
                f"one sample is {batch.oversized:,} bytes of JSON, over Lambda's 6 MB invoke limit "
                "(shorten the response or score it locally)"
            )
            return outcome
        payload = json.dumps(batch.samples, ensure_ascii=False).encode("utf-8")
        last_problem = ""
        for attempt in range(self.max_attempts):
            outcome.attempts = attempt + 1
            started = self.clock()
            try:
                response = self.client.invoke(
                    FunctionName=self.function,
                    Payload=payload,
                    LogType="Tail" if self.tail_logs else "None",
                )
                body = response["Payload"].read()
            except Exception as exc:
                retry, last_problem = self._classify(exc, outcome)
                if not retry:
                    outcome.error = last_problem
                    return outcome
                self.sleep(self.backoff(attempt))
                continue
            outcome.latency_ms = (self.clock() - started) * 1000.0
            self._finish(outcome, response, body)
            return outcome
        outcome.error = f"gave up after {self.max_attempts} attempts: {last_problem}"
        return outcome

    def _classify(self, exc: Exception, outcome: BatchOutcome) -> tuple[bool, str]:
        """(retry?, description) of a failed call."""
        from botocore.exceptions import ClientError, ConnectionError, HTTPClientError, ReadTimeoutError

        if isinstance(exc, ClientError):
            code = error_code(exc)
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            message = exc.response.get("Error", {}).get("Message") or code
            if code in THROTTLE_CODES or status == 429:
                outcome.throttles += 1
                return True, f"throttled: {code}: {message}"
            return status >= 500, f"{code}: {message}"
        if isinstance(exc, ReadTimeoutError | ConnectionError | HTTPClientError):
            return True, f"{type(exc).__name__}: {exc}"
        return False, f"{type(exc).__name__}: {exc}"

    def _finish(self, outcome: BatchOutcome, response: dict[str, Any], body: bytes) -> None:
        log_result = response.get("LogResult")
        if log_result:
            outcome.report = parse_report(base64.b64decode(log_result).decode("utf-8", "replace"))
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            outcome.error = "the grader's answer is not JSON"
            return
        if response.get("FunctionError"):
            detail = payload if isinstance(payload, dict) else {}
            kind = detail.get("errorType") or response["FunctionError"]
            message = str(detail.get("errorMessage") or "").splitlines()[0:1]
            outcome.error = f"function error {kind}: {message[0] if message else 'no message'}"
            return
        try:
            outcome.items = check_items(payload, outcome.batch)
        except ValueError as exc:
            outcome.error = f"contract violation: {exc}"


@dataclass
class RunStats:
    """Totals of a scoring run (for reports and the load test)."""

    batches: int = 0
    failed: int = 0
    throttles: int = 0
    latencies_ms: list[float] = field(default_factory=list)


def score_batches(
    grader: LambdaGrader,
    batches: Sequence[Batch],
    concurrency: int,
    on_done: Callable[[BatchOutcome], None] | None = None,
) -> list[BatchOutcome]:
    """Every batch through the grader with at most `concurrency` calls in flight; outcomes in order.

    On Ctrl-C, batches not yet started are cancelled and the calls in flight finish first.
    """
    outcomes: list[BatchOutcome | None] = [None] * len(batches)
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="grader")
    pending: dict[Future[BatchOutcome], int] = {}
    try:
        for position in range(len(batches)):
            pending[pool.submit(grader.invoke, batches[position])] = position
            if len(pending) >= concurrency:
                _drain(pending, outcomes, on_done, FIRST_COMPLETED)
        _drain(pending, outcomes, on_done, None)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [outcome for outcome in outcomes if outcome is not None]


def _drain(
    pending: dict[Future[BatchOutcome], int],
    outcomes: list[BatchOutcome | None],
    on_done: Callable[[BatchOutcome], None] | None,
    return_when: str | None,
) -> None:
    done, _ = wait(list(pending), return_when=return_when or "ALL_COMPLETED")
    for future in done:
        position = pending.pop(future)
        outcomes[position] = future.result()
        if on_done is not None:
            on_done(outcomes[position])  # type: ignore[arg-type]


def reserved_concurrency(client: Any, function: str) -> int | None:
    """The function's reserved concurrency, or None when it has none (or it cannot be read)."""
    try:
        value = client.get_function_concurrency(FunctionName=function).get("ReservedConcurrentExecutions")
    except Exception:  # not allowed to read it, or an emulator without the call: no cap known
        return None
    return int(value) if isinstance(value, int) else None


def function_settings(client: Any, function: str) -> dict[str, Any]:
    """Timeout (s), memory (MB), architecture and REWARD_SPEC of the function."""
    from orchestrator.aws import translate_errors

    with translate_errors(f"read the configuration of {function}"):
        config = client.get_function_configuration(FunctionName=function)
    return {
        "timeout_s": int(config.get("Timeout") or 3),
        "memory_mb": int(config.get("MemorySize") or 128),
        "architecture": (config.get("Architectures") or ["x86_64"])[0],
        "spec": ((config.get("Environment") or {}).get("Variables") or {}).get(REWARD_SPEC),
    }


def bounded_concurrency(requested: int, reserved: int | None) -> int:
    """Stay below the function's reserved concurrency (leave one execution for anyone else, e.g. a
    running training job), never below 1."""
    if reserved is None:
        return max(1, requested)
    return max(1, min(requested, reserved - 1))
