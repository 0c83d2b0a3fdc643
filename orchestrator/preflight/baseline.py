"""`orch baseline`: sample the base model K times per prompt through Bedrock Converse, then score.

Sampling: `concurrency` calls in flight at most; each call has a read timeout (`timeout_s`, set on the
client) and is retried with exponential backoff and full jitter when throttled or the service is
briefly unavailable; other errors (access denied, unknown model, bad request) stop the run with one
line. Every sample is appended to the ROLLOUTS FILE as soon as it arrives (one JSON line, flushed), so
Ctrl-C keeps everything sampled so far and a re-run with the same file samples only what is missing.

Rollouts file (JSONL, one line per sample; lines with the same `id` are samples of one prompt):

    {"id": "math-0001", "sample": 0, "response": "...", "model": "amazon.nova-2-lite-v1:0:256k",
     "temperature": 0.7, "stop_reason": "end_turn", "input_tokens": 123, "output_tokens": 45,
     "latency_ms": 812.5}

`id` is the dataset record's `id` (else its 0-based line number, as `orch reward score` matches
responses), so the file is also a responses file for `orch reward score --responses`.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.aws import AwsError, error_code
from orchestrator.errors import ConfigError

RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "InternalServerException",
        "ModelTimeoutException",
    }
)


@dataclass(frozen=True)
class SamplingSettings:
    """How the base model is sampled."""

    samples: int = 4
    temperature: float = 0.7
    max_tokens: int = 1024
    concurrency: int = 4
    timeout_s: float = 60.0
    max_attempts: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0

    def __post_init__(self) -> None:
        if not 0 < self.temperature <= 1:
            raise ConfigError(
                f"--temperature must be in (0, 1] to sample several answers, got {self.temperature}"
            )


@dataclass(frozen=True)
class Rollout:
    """One sampled response and what it cost."""

    text: str
    stop_reason: str
    input_tokens: int
    output_tokens: int
    latency_ms: float
    attempts: int
    throttles: int


class SamplingError(Exception):
    """A call failed for good; `fatal` when no other call can succeed either (access, model, request)."""

    def __init__(self, message: str, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


def _text(content: Any) -> str:
    """A message's text: a string, or the `text` of its parts (OpenAI-style content lists)."""
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return "" if content is None else str(content)


def converse_request(record: Mapping[str, Any], model_id: str, settings: SamplingSettings) -> dict[str, Any]:
    """The Converse request of a dataset record: system turns as `system`, the rest as messages."""
    system = [{"text": _text(m.get("content"))} for m in record["messages"] if m.get("role") == "system"]
    messages = [
        {"role": m["role"], "content": [{"text": _text(m.get("content"))}]}
        for m in record["messages"]
        if m.get("role") in ("user", "assistant")
    ]
    request: dict[str, Any] = {
        "modelId": model_id,
        "messages": messages,
        "inferenceConfig": {"temperature": settings.temperature, "maxTokens": settings.max_tokens},
    }
    if system:
        request["system"] = system
    return request


class ConverseSampler:
    """Samples one response per call; retries throttling with backoff (the client has no retries)."""

    def __init__(
        self,
        client: Any,
        model_id: str,
        settings: SamplingSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.perf_counter,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.model_id = model_id
        self.settings = settings
        self.sleep = sleep
        self.clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

    def _backoff(self, attempt: int) -> float:
        with self._lock:
            return self._rng.uniform(
                0, min(self.settings.max_delay_s, self.settings.base_delay_s * 2**attempt)
            )

    def sample(self, record: Mapping[str, Any]) -> Rollout:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionError,
            HTTPClientError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        request = converse_request(record, self.model_id, self.settings)
        throttles, problem = 0, ""
        for attempt in range(self.settings.max_attempts):
            started = self.clock()
            try:
                response = self.client.converse(**request)
            except ClientError as exc:
                code = error_code(exc)
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
                problem = f"{code}: {exc.response.get('Error', {}).get('Message') or code}"
                if code not in RETRYABLE_CODES and status not in (429, 500, 502, 503, 504):
                    raise SamplingError(
                        f"Converse on {self.model_id} failed: {problem}", fatal=True
                    ) from None
                throttles += code in ("ThrottlingException", "TooManyRequestsException") or status == 429
            except (ReadTimeoutError, ConnectionError, HTTPClientError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            except NoCredentialsError:
                raise SamplingError(
                    "no AWS credentials (configure them, e.g. AWS_PROFILE)", fatal=True
                ) from None
            except BotoCoreError as exc:  # parameter validation, missing region, ...: no retry helps
                raise SamplingError(f"Converse on {self.model_id} failed: {exc}", fatal=True) from None
            else:
                return _rollout(response, (self.clock() - started) * 1000.0, attempt + 1, throttles)
            self.sleep(self._backoff(attempt))
        raise SamplingError(f"gave up after {self.settings.max_attempts} attempts: {problem}", fatal=False)


def _rollout(response: Mapping[str, Any], latency_ms: float, attempts: int, throttles: int) -> Rollout:
    blocks = ((response.get("output") or {}).get("message") or {}).get("content") or []
    text = "".join(str(b.get("text", "")) for b in blocks if isinstance(b, dict) and "text" in b)
    usage = response.get("usage") or {}
    return Rollout(
        text=text,
        stop_reason=str(response.get("stopReason") or ""),
        input_tokens=int(usage.get("inputTokens") or 0),
        output_tokens=int(usage.get("outputTokens") or 0),
        latency_ms=round(latency_ms, 1),
        attempts=attempts,
        throttles=throttles,
    )


class RolloutsFile:
    """The incremental, resumable rollouts file (module docstring)."""

    def __init__(self, path: Path, model_id: str) -> None:
        self.path = path
        self.model_id = model_id
        self._lock = threading.Lock()
        self._handle: Any = None

    def load(self) -> dict[str, list[dict[str, Any]]]:
        """Samples already in the file, per id. A torn last line (killed mid-write) is cut off."""
        found: dict[str, list[dict[str, Any]]] = {}
        if not self.path.exists():
            return found
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        good_bytes = 0
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                good_bytes += len(line) + 1
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                if number == len(lines):  # the torn tail of an interrupted write
                    self.path.write_bytes(raw[:good_bytes])
                    break
                raise ConfigError(
                    f"{self.path}:{number}: not a JSON line; fix or delete the rollouts file"
                ) from None
            self._check_line(entry, number)
            found.setdefault(str(entry["id"]), []).append(entry)
            good_bytes += len(line) + 1
        return found

    def _check_line(self, entry: Any, number: int) -> None:
        where = f"{self.path}:{number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("response"), str) or "id" not in entry:
            raise ConfigError(f"{where}: a rollout line needs `id` and a string `response`")
        if entry.get("model") not in (None, self.model_id):
            raise ConfigError(
                f"{where}: sampled from model {entry.get('model')!r}, not {self.model_id!r}; "
                "use another --rollouts file or the same --model"
            )

    def append(self, entry: Mapping[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = self.path.open("a", encoding="utf-8")
            self._handle.write(line)
            self._handle.flush()

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None


@dataclass
class SamplingOutcome:
    """What the sampling phase did."""

    requested: int = 0
    resumed: int = 0
    sampled: int = 0
    failed: int = 0
    throttles: int = 0
    first_error: str | None = None
    elapsed_s: float = 0.0
    errors: list[str] = field(default_factory=list)


def sample_all(
    records: Mapping[str, Mapping[str, Any]],
    sampler: ConverseSampler,
    rollouts: RolloutsFile,
    *,
    on_sample: Callable[[], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> SamplingOutcome:
    """Sample what the rollouts file still lacks (K per record); raises KeyboardInterrupt after
    finishing the calls in flight, and `AwsError` on a fatal error (after the same)."""
    settings = sampler.settings
    existing = rollouts.load()
    outcome = SamplingOutcome(requested=len(records) * settings.samples)
    todo: list[tuple[str, int]] = []
    for key in records:
        have = len(existing.get(key, []))
        outcome.resumed += min(have, settings.samples)
        todo.extend((key, index) for index in range(have, settings.samples))
    started = clock()
    fatal: list[str] = []
    counting = threading.Lock()

    def one(key: str, index: int) -> None:
        if fatal:
            return
        try:
            rollout = sampler.sample(records[key])
        except SamplingError as exc:
            with counting:
                outcome.failed += 1
                outcome.errors.append(f"{key} sample {index}: {exc}")
                if exc.fatal:
                    fatal.append(str(exc))
            return
        rollouts.append(_rollout_line(key, index, sampler, rollout))
        with counting:
            outcome.throttles += rollout.throttles
            outcome.sampled += 1
        if on_sample is not None:
            on_sample()

    try:
        _run_bounded(one, todo, settings.concurrency)
    finally:
        rollouts.close()
        outcome.elapsed_s = clock() - started
    if fatal:
        raise AwsError(f"{fatal[0]} (kept {outcome.resumed + outcome.sampled} samples in {rollouts.path})")
    outcome.first_error = outcome.errors[0] if outcome.errors else None
    return outcome


def _rollout_line(key: str, index: int, sampler: ConverseSampler, rollout: Rollout) -> dict[str, Any]:
    return {
        "id": key,
        "sample": index,
        "response": rollout.text,
        "model": sampler.model_id,
        "temperature": sampler.settings.temperature,
        "stop_reason": rollout.stop_reason,
        "input_tokens": rollout.input_tokens,
        "output_tokens": rollout.output_tokens,
        "latency_ms": rollout.latency_ms,
    }


def _run_bounded(work: Callable[[str, int], None], todo: Sequence[tuple[str, int]], concurrency: int) -> None:
    """Run `work` over `todo` with at most `concurrency` in flight; Ctrl-C cancels what has not started."""
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="converse")
    pending: set[Future[None]] = set()
    try:
        for key, index in todo:
            pending.add(pool.submit(work, key, index))
            if len(pending) >= concurrency:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
        for future in pending:
            future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def read_rollouts(path: Path) -> Iterator[dict[str, Any]]:
    """Every line of a rollouts file, in order."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def token_totals(records: Mapping[str, Any], path: Path, samples: int) -> dict[str, int]:
    """Input/output tokens of the rollouts the report covers (the first `samples` per record)."""
    seen: dict[str, int] = {}
    totals = {"input_tokens": 0, "output_tokens": 0}
    for entry in read_rollouts(path):
        key = str(entry["id"])
        if key in records and seen.get(key, 0) < samples:
            seen[key] = seen.get(key, 0) + 1
            totals["input_tokens"] += int(entry.get("input_tokens") or 0)
            totals["output_tokens"] += int(entry.get("output_tokens") or 0)
    return totals


def write_filtered_dataset(dataset: Path, keep: set[str], target: Path) -> int:
    """Copy the dataset lines whose id is in `keep` verbatim (ids as `load_dataset_index` assigns
    them); returns the number of records written."""
    written = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with dataset.open(encoding="utf-8") as source, target.open("w", encoding="utf-8") as out:
        for number, line in enumerate(source):
            if not line.strip():
                continue
            record = json.loads(line)
            key = str(record["id"]) if "id" in record else str(number)
            if key in keep:
                out.write(line if line.endswith("\n") else line + "\n")
                written += 1
    return written
