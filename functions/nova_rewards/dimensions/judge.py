"""`llm_judge`: an LLM scores each response against a rubric through the Bedrock Converse API (RLAIF).

Why it is built this way:
- Judge calls are I/O bound, so `score_batch` runs them concurrently (a thread pool bounded by
  `max_concurrency`): a batch takes about as long as its slowest call, not the sum of all calls.
- The Lambda has a hard deadline: no call starts, waits or backs off past `ctx.remaining()`, the
  socket read timeout of a call shrinks as the deadline nears, and calls still running at the
  deadline become exceptions for their samples (the composition scores those as failures).
- The judge's answer is parsed strictly (`{"score": <int>, "reason": "..."}` and nothing else):
  a malformed answer raises and is counted as a grader error, never silently scored 0.
- The response is untrusted: it is fenced in `<response>` tags (tags inside it are neutralised),
  and the judge is told to ignore instructions inside it.
- boto3 is imported on first use only (cold start), and one client per configuration is created per
  process and reused. Endpoints come from standard boto3 configuration (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`,
  `AWS_ENDPOINT_URL`), so an emulator needs no special case here.
- Every call is audit-logged (std `logging`, the fields as `extra`, so the JSON log formatter of
  `nova_rewards.observability` writes one JSON object per call): model id, SHA-256 of the
  prompt sent, latency, attempts, outcome. Never the prompt or response text.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import logging
import math
import os
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from nova_rewards import env_vars
from nova_rewards.dimensions.base import (
    Dimension,
    DimensionParams,
    DimensionResult,
    Sample,
    ScoringContext,
)
from nova_rewards.skeleton import skeleton

__all__ = [
    "JudgeError",
    "JudgeCallError",
    "JudgeOutputError",
    "JudgeTimeoutError",
    "LlmJudge",
    "LlmJudgeParams",
    "MODEL_ID_ENV",
    "bundled_rubrics",
    "clear_client_cache",
    "parse_judge_output",
]

MODEL_ID_ENV = env_vars.REWARD_JUDGE_MODEL_ID
AUDIT_LOGGER = logging.getLogger("nova_rewards.judge")

_PROMPTS = "nova_rewards.prompts"
_RUBRIC_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+\.(?:md|txt)")
# Tags of our own prompt structure; inside the response they are neutralised so the response cannot
# close its own fence and pose as instructions.
_TAG_RE = re.compile(r"<\s*(/?)\s*(response|prompt|reference)\s*>", re.IGNORECASE)
# Any tag-like run, so that our tags spelt with look-alike letters, zero-width characters, full-width
# brackets or attributes ("</rеsponse>", "＜/response＞", "</response id=1>") are neutralised too.
_ANY_TAG_RE = re.compile(
    r"[<\uff1c\u2039\u3008\u27e8]\s*(/?)\s*([^<>\uff1c\uff1e\s/]{1,40})[^<>\uff1e]{0,60}?[>\uff1e\u203a\u3009\u27e9]"
)
_OUR_TAGS = frozenset({"response", "prompt", "reference"})
_FENCE_RE = re.compile(r"\A```(?:json)?[ \t]*\r?\n(.*?)\r?\n?```\Z", re.DOTALL)

_MIN_CALL_S = 0.2  # no call is started with less time than this before the deadline
_RETURN_MARGIN_S = 0.1  # score_batch returns this long before the deadline
_BACKOFF_BASE_S = 0.25
_BACKOFF_CAP_S = 4.0
# Errors that hold for every call of the invocation (credentials, permissions, model id).
_FATAL_CODES = frozenset(
    {
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "ResourceNotFoundException",
        "NoCredentialsError",
        "PartialCredentialsError",
    }
)
_RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "InternalServerException",
        "ModelTimeoutException",
        "RequestTimeout",
    }
)


class JudgeError(Exception):
    """The judge could not score a sample (the composition records it as a sample error)."""


class JudgeCallError(JudgeError):
    """The Converse call failed: non-retryable error, or retryable errors on every attempt."""


class JudgeOutputError(JudgeError):
    """The judge answered, but not with exactly one valid `{"score", "reason"}` JSON object."""


class JudgeTimeoutError(JudgeError, TimeoutError):
    """The scoring deadline left no time for (or ran out during) the judge call."""


# ----------------------------------------------------------------------------------------------
# Prompt resources


@cache
def _resource_text(*parts: str) -> str:
    return resources.files(_PROMPTS).joinpath(*parts).read_text(encoding="utf-8")


def bundled_rubrics() -> list[str]:
    """File names usable as `rubric` (shipped in `nova_rewards/prompts/rubrics/`)."""
    folder = resources.files(_PROMPTS).joinpath("rubrics")
    return sorted(entry.name for entry in folder.iterdir() if _RUBRIC_NAME_RE.fullmatch(entry.name))


def _rubric_text(rubric: str) -> str:
    if _RUBRIC_NAME_RE.fullmatch(rubric):
        return _resource_text("rubrics", rubric).strip()
    return rubric.strip()


# ----------------------------------------------------------------------------------------------
# Parameters


class LlmJudgeParams(DimensionParams):
    """Parameters of `llm_judge` (validated at spec load)."""

    rubric: str = Field(min_length=1, description="inline rubric text, or a bundled rubric file name")
    model_id: str = Field("amazon.nova-lite-v1:0", min_length=1, description="env REWARD_JUDGE_MODEL_ID wins")
    scale_min: int = 1
    scale_max: int = 5
    temperature: float = Field(0.0, ge=0.0, le=1.0)
    max_tokens: int = Field(200, ge=16, le=4096)
    timeout_s: float = Field(20.0, gt=0, le=300, description="socket read timeout of one call")
    connect_timeout_s: float = Field(3.0, gt=0, le=60)
    max_attempts: int = Field(4, ge=1, le=10, description="calls per sample, retries included")
    max_concurrency: int = Field(32, ge=1, le=256)
    region: str | None = Field(None, description="default: AWS_REGION / AWS_DEFAULT_REGION / us-east-1")
    include_reference: bool = Field(False, description="show the reference answer to the judge")
    max_response_chars: int = Field(20_000, ge=100, description="longer responses are cut before judging")

    @field_validator("rubric")
    @classmethod
    def _rubric_exists(cls, value: str) -> str:
        if _RUBRIC_NAME_RE.fullmatch(value) and value not in bundled_rubrics():
            raise ValueError(
                f"no bundled rubric named {value!r}; bundled: {', '.join(bundled_rubrics())} "
                "(or write the rubric text inline)"
            )
        if not value.strip():
            raise ValueError("rubric is blank")
        return value

    @model_validator(mode="after")
    def _scale_ordered(self) -> LlmJudgeParams:
        if self.scale_max <= self.scale_min:
            raise ValueError(f"scale_max ({self.scale_max}) must be above scale_min ({self.scale_min})")
        return self


# ----------------------------------------------------------------------------------------------
# Parsing the judge's answer


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise JudgeOutputError(f"judge answer repeats a key: {keys}")
    return dict(pairs)


def _snippet(text: str, limit: int = 80) -> str:
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def parse_judge_output(text: str, scale_min: int, scale_max: int) -> tuple[int, str]:
    """(score, reason) from the judge's answer; JudgeOutputError for anything but the agreed object.

    Accepted: one JSON object with exactly the keys `score` (an integer on the scale) and `reason`
    (a string), optionally surrounded by whitespace or inside one ```json fence.

    >>> parse_judge_output('{"score": 4, "reason": "polite"}', 1, 5)
    (4, 'polite')
    """
    body = text.strip()
    fenced = _FENCE_RE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        obj = json.loads(body, object_pairs_hook=_reject_duplicate_keys)
    except ValueError as exc:
        raise JudgeOutputError(f"judge answer is not one JSON object ({exc}): {_snippet(text)}") from None
    if not isinstance(obj, dict) or set(obj) != {"score", "reason"}:
        raise JudgeOutputError(f'judge answer must be {{"score", "reason"}} only: {_snippet(text)}')
    score, reason = obj["score"], obj["reason"]
    if type(score) is not int:  # bool and float (even 4.0) are rejected: the contract says integer
        raise JudgeOutputError(f"judge score is not an integer: {score!r}")
    if not scale_min <= score <= scale_max:
        raise JudgeOutputError(f"judge score {score} is outside the scale {scale_min}..{scale_max}")
    if not isinstance(reason, str):
        raise JudgeOutputError(f"judge reason is not a string: {type(reason).__name__}")
    return score, reason


# ----------------------------------------------------------------------------------------------
# The boto3 client (one per configuration and process)

_CLIENTS: dict[tuple[Any, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_SESSION: Any = None


def clear_client_cache() -> None:
    """Forget cached clients (tests that change endpoint or credential environment variables)."""
    global _SESSION
    with _CLIENTS_LOCK:
        _CLIENTS.clear()
        _SESSION = None


def _client(region: str, connect_timeout: float, read_timeout: float, pool_size: int) -> Any:
    """The process-wide bedrock-runtime client for this configuration (created on first use).

    Retries are ours (deadline-aware, counted for the audit log), so botocore makes one attempt.
    """
    global _SESSION
    key = (region, connect_timeout, read_timeout, pool_size)
    with _CLIENTS_LOCK:  # boto3 sessions are not thread-safe while creating clients
        client = _CLIENTS.get(key)
        if client is None:
            import boto3.session
            from botocore.config import Config

            if _SESSION is None:
                _SESSION = boto3.session.Session()
            config = Config(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                max_pool_connections=pool_size,
                retries={"total_max_attempts": 1, "mode": "standard"},
                user_agent_extra="nova-rft-kit-judge",
            )
            client = _SESSION.client("bedrock-runtime", region_name=region, config=config)
            _CLIENTS[key] = client
        return client


def _read_timeout(timeout_s: float, remaining: float) -> float:
    """`timeout_s`, or less when the deadline is nearer: the largest power of two seconds (>= 0.25)
    not beyond the remaining time. Quantised so only a handful of clients ever exist."""
    if remaining >= timeout_s:
        return timeout_s
    step = 0.25
    while step * 2 <= remaining:
        step *= 2
    return min(step, timeout_s)


def _region(params: LlmJudgeParams) -> str:
    return (
        params.region
        or os.environ.get(env_vars.AWS_REGION)
        or os.environ.get(env_vars.AWS_DEFAULT_REGION)
        or "us-east-1"
    )


# ----------------------------------------------------------------------------------------------
# One judge call


@dataclass(frozen=True, slots=True)
class _JudgeRequest:
    key: str  # SHA-256 of the exact request: dedup key and audit hash
    model_id: str
    system: str
    user: str
    flags: tuple[str, ...]  # only reward-hacking signals: the composition counts every flag as one
    truncated: bool


@dataclass(frozen=True, slots=True)
class _CallOutcome:
    text: str
    stop_reason: str
    usage: dict[str, Any]


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(exc).__name__)
    return type(exc).__name__


def _is_retryable(exc: BaseException) -> bool:
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return _error_code(exc) in _RETRYABLE_CODES or status in (429, 500, 502, 503, 504)
    # read/connect timeouts, refused or reset connections
    return isinstance(exc, ConnectionError | HTTPClientError)


def _backoff(attempt: int, rng: random.Random) -> float:
    """Full-jitter exponential backoff (AWS architecture blog): uniform(0, min(cap, base * 2^n))."""
    return rng.uniform(0.0, min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2 ** (attempt - 1)))


def _pause_before_retry(
    attempt: int,
    max_attempts: int,
    ctx: ScoringContext,
    failure: tuple[str, BaseException],
    sleep: Callable[[float], None],
    rng: random.Random,
) -> None:
    """Sleep a backoff before the next attempt, or raise when there is none (or no time for one)."""
    error, exc = failure
    if attempt >= max_attempts:
        raise JudgeCallError(f"judge call failed after {attempt} attempts: {error}") from exc
    pause = _backoff(attempt, rng)
    if pause > ctx.remaining() - _MIN_CALL_S:
        raise JudgeTimeoutError(
            f"deadline reached while retrying the judge after {attempt} attempts: {error}"
        ) from exc
    sleep(pause)


def _text_of(response: dict[str, Any]) -> str:
    content = response.get("output", {}).get("message", {}).get("content") or []
    texts = [block["text"] for block in content if isinstance(block, dict) and "text" in block]
    if not texts:
        raise JudgeOutputError(f"judge answer has no text (stopReason {response.get('stopReason')!r})")
    return "".join(texts)


def _neutralise_tags(text: str) -> str:
    """`text` with every tag that reads as one of our prompt tags written as `&lt;/name&gt;`."""

    def escape(match: re.Match[str]) -> str:
        name = skeleton(match.group(2)).strip("\"'")
        if name not in _OUR_TAGS:
            return match.group(0)
        return f"&lt;{match.group(1)}{name}&gt;"

    return _ANY_TAG_RE.sub(escape, text)


class LlmJudge(Dimension):
    """An LLM judge on a 1..N rubric scale, normalised to 0..1. See the module docstring."""

    kind: ClassVar[str] = "llm_judge"
    Params: ClassVar[type[DimensionParams]] = LlmJudgeParams
    params: LlmJudgeParams

    def __init__(
        self,
        params: DimensionParams,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(params)
        self._sleep = sleep  # injected so tests of the retry path do not wait
        self._rng = rng or random.Random()
        self._rubric = _rubric_text(self.params.rubric)
        p = self.params
        self._system = Template(_resource_text("judge_system.txt")).substitute(
            scale_min=p.scale_min, scale_max=p.scale_max
        )
        self._user_template = Template(_resource_text("judge_user.txt"))
        self._reference_template = Template(_resource_text("judge_reference.txt"))

    def warm_up(self) -> None:
        """Import boto3 and create the client now (~0.3 s) instead of during the first batch.

        For a Lambda init phase (not billed against the invocation's timeout); makes no request.
        """
        p = self.params
        _client(_region(p), min(p.connect_timeout_s, p.timeout_s), p.timeout_s, p.max_concurrency)

    # -- prompt -------------------------------------------------------------------------------------
    def model_id(self) -> str:
        """The judge model: env REWARD_JUDGE_MODEL_ID when set, else the spec's `model_id`."""
        return os.environ.get(MODEL_ID_ENV, "").strip() or self.params.model_id

    def build_request(self, sample: Sample, model_id: str) -> _JudgeRequest:
        """The exact system prompt and user message sent for `sample` (public for tests and tools)."""
        p = self.params
        response, flags = sample.response, []
        truncated = len(response) > p.max_response_chars
        if truncated:
            response = response[: p.max_response_chars] + "\n[... truncated ...]"
        fenced = _neutralise_tags(response)
        if fenced != response:  # a response forging our prompt structure is a reward-hacking signal
            flags.append("judge_delimiter_injection")
        reference_block = ""
        if p.include_reference and sample.reference is not None:
            reference = sample.reference
            if not isinstance(reference, str):
                reference = json.dumps(reference, ensure_ascii=False, sort_keys=True)
            reference_block = self._reference_template.substitute(reference=_TAG_RE.sub("", reference))
        user = self._user_template.substitute(
            rubric=self._rubric,
            prompt=_TAG_RE.sub("", sample.prompt_text),
            reference_block=reference_block,
            response=fenced,
            scale_min=p.scale_min,
            scale_max=p.scale_max,
        )
        canonical = json.dumps(
            [model_id, self._system, user, p.temperature, p.max_tokens], ensure_ascii=False
        )
        key = hashlib.sha256(canonical.encode()).hexdigest()
        return _JudgeRequest(key, model_id, self._system, user, tuple(flags), truncated)

    # -- calling ------------------------------------------------------------------------------------
    def _converse(self, request: _JudgeRequest, ctx: ScoringContext, audit: dict[str, Any]) -> _CallOutcome:
        """One judged sample: Converse with deadline-aware retries (full-jitter backoff).

        `audit["attempts"]` counts the calls made, also when this raises. An error that no retry and
        no other sample can fix (denied access, unknown model) opens a per-invocation breaker: the
        batch's remaining samples fail at once instead of repeating a doomed call each.
        """
        p = self.params
        kwargs = {
            "modelId": request.model_id,
            "system": [{"text": request.system}],
            "messages": [{"role": "user", "content": [{"text": request.user}]}],
            "inferenceConfig": {"maxTokens": p.max_tokens, "temperature": p.temperature},
        }
        breaker = ("llm_judge_fatal", request.model_id)
        region, last_error = _region(p), "none"
        audit["attempts"] = 0
        for attempt in range(1, p.max_attempts + 1):
            if breaker in ctx.cache:
                raise JudgeCallError(f"judge disabled for this invocation: {ctx.cache[breaker]}")
            remaining = ctx.remaining()
            if remaining < _MIN_CALL_S:
                raise JudgeTimeoutError(
                    f"no time left for judge attempt {attempt} (last error: {last_error})"
                )
            read_timeout = _read_timeout(p.timeout_s, remaining)
            client = _client(region, min(p.connect_timeout_s, read_timeout), read_timeout, p.max_concurrency)
            audit["attempts"] = attempt
            try:
                response = client.converse(**kwargs)
            except Exception as exc:
                last_error = _error_code(exc)
                if not _is_retryable(exc):
                    if last_error in _FATAL_CODES:
                        ctx.cache[breaker] = f"{last_error} from model {request.model_id}"
                    raise JudgeCallError(f"judge call failed: {last_error}: {exc}") from exc
                _pause_before_retry(attempt, p.max_attempts, ctx, (last_error, exc), self._sleep, self._rng)
                continue
            return _CallOutcome(
                text=_text_of(response),
                stop_reason=str(response.get("stopReason", "")),
                usage=dict(response.get("usage") or {}),
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _judge(self, request: _JudgeRequest, ctx: ScoringContext) -> DimensionResult:
        """Call, parse, normalise; writes one audit record whatever happens."""
        p = self.params
        started = time.monotonic()
        audit: dict[str, Any] = {
            "model_id": request.model_id,
            "prompt_sha256": request.key,
        }
        try:
            outcome = self._converse(request, ctx, audit)
            audit.update(
                stop_reason=outcome.stop_reason,
                input_tokens=outcome.usage.get("inputTokens"),
                output_tokens=outcome.usage.get("outputTokens"),
            )
            try:
                score, _reason = parse_judge_output(outcome.text, p.scale_min, p.scale_max)
            except JudgeOutputError as exc:
                if outcome.stop_reason == "max_tokens":
                    raise JudgeOutputError(f"{exc} (answer cut at max_tokens={p.max_tokens})") from None
                raise
            audit.update(outcome="ok", score=score)
        except Exception as exc:
            audit.update(outcome="error", error=type(exc).__name__)
            cause = exc.__cause__
            if cause is not None:
                audit["error_code"] = _error_code(cause)
            raise
        finally:
            audit["latency_ms"] = round((time.monotonic() - started) * 1000.0, 1)
            AUDIT_LOGGER.info("llm_judge_call", extra=audit)  # fields: top-level keys of the JSON log line
        value = (score - p.scale_min) / (p.scale_max - p.scale_min)
        metrics = {"judge_score": float(score)}
        if request.truncated:
            metrics["judge_truncated"] = 1.0
        return DimensionResult(value=value, metrics=metrics, flags=request.flags)

    # -- Dimension API ------------------------------------------------------------------------------
    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        outcome = self.score_batch([sample], ctx)[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def score_batch(
        self, samples: Sequence[Sample], ctx: ScoringContext
    ) -> list[DimensionResult | BaseException]:
        """Judge the batch concurrently; identical requests are judged once per invocation."""
        results: list[DimensionResult | BaseException | None] = [None] * len(samples)
        pending: dict[str, list[int]] = {}
        requests: dict[str, _JudgeRequest] = {}
        model_id = self.model_id()
        for index, sample in enumerate(samples):
            if not sample.response.strip():
                results[index] = DimensionResult(value=0.0)  # nothing to judge: the worst score
                continue
            try:
                request = self.build_request(sample, model_id)
            except Exception as exc:
                results[index] = exc
                continue
            cached = ctx.cache.get(("llm_judge", request.key))
            if cached is not None:
                results[index] = cached
                continue
            requests[request.key] = request
            pending.setdefault(request.key, []).append(index)
        if requests:
            for key, outcome in self._run_concurrently(list(requests.values()), ctx).items():
                if isinstance(outcome, DimensionResult):
                    ctx.cache[("llm_judge", key)] = outcome
                for index in pending[key]:
                    results[index] = outcome
        return [r if r is not None else JudgeError("sample not judged") for r in results]

    def _run_concurrently(
        self, requests: list[_JudgeRequest], ctx: ScoringContext
    ) -> dict[str, DimensionResult | BaseException]:
        workers = min(self.params.max_concurrency, len(requests))
        pool = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm-judge")
        try:
            futures = {pool.submit(self._judge, request, ctx): request.key for request in requests}
            # Return a little before the deadline, so the composition (which stops waiting for a
            # dimension at the deadline) still receives the verdicts that did arrive.
            timeout = max(0.0, ctx.remaining() - _RETURN_MARGIN_S) if math.isfinite(ctx.deadline) else None
            done, _not_done = cf.wait(futures, timeout=timeout)
        finally:
            # Threads still running end by themselves: their read timeout is bounded by the deadline.
            pool.shutdown(wait=False, cancel_futures=True)
        outcomes: dict[str, DimensionResult | BaseException] = {}
        for future, key in futures.items():
            if future in done:
                error = future.exception()
                outcomes[key] = error if error is not None else future.result()
            else:
                outcomes[key] = JudgeTimeoutError("judge call not finished by the scoring deadline")
        return outcomes
