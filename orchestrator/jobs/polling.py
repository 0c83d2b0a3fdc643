"""Follow a job until it ends: exponential backoff with jitter, a timeout, and documented exit codes.

Exit codes of `orch wait` (and `orch start-job --wait`):

    0   Completed
    10  Failed
    11  Stopped
    12  timed out (the job is still running; nothing was stopped)

`sleep`, `clock` and `rng` are parameters so tests run without waiting (chalice's lesson).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

EXIT_CODES = {"Completed": 0, "Failed": 10, "Stopped": 11}
TIMED_OUT = "TimedOut"
EXIT_TIMED_OUT = 12
TERMINAL = frozenset(EXIT_CODES)
DEFAULT_POLL_INTERVAL_S = 15.0
MAX_POLL_INTERVAL_S = 300.0
BACKOFF_FACTOR = 1.5
MAX_TRANSIENT_FAILURES = 5  # consecutive failed polls (after botocore's own retries) before giving up
SUB_STATUSES = (
    ("validation", "validationDetails"),
    ("data processing", "dataProcessingDetails"),
    ("training", "trainingDetails"),
)


@dataclass
class Backoff:
    """Delays of initial * factor**n, capped, with "equal jitter": half fixed, half random.

    `reset()` goes back to the initial delay (called when the job changes phase, so the next change
    is seen quickly).
    """

    initial: float
    maximum: float
    factor: float = BACKOFF_FACTOR
    rng: Callable[[], float] = random.random
    attempt: int = 0

    def next_delay(self) -> float:
        base = min(self.maximum, self.initial * self.factor**self.attempt)
        self.attempt += 1
        return base / 2 + self.rng() * base / 2

    def reset(self) -> None:
        self.attempt = 0


@dataclass(frozen=True)
class WaitOutcome:
    state: str  # Completed | Failed | Stopped | TimedOut
    job: dict[str, Any]
    elapsed: float
    polls: int

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.state, EXIT_TIMED_OUT)


def phase_signature(job: dict[str, Any]) -> tuple[str, ...]:
    """Status plus sub-statuses; a change means the job moved on."""
    details = job.get("statusDetails") or {}
    return (str(job.get("status")),) + tuple(
        str((details.get(key) or {}).get("status", "")) for _, key in SUB_STATUSES
    )


def describe_phase(job: dict[str, Any]) -> str:
    """E.g. 'InProgress (validation Completed, data processing InProgress, training NotStarted)'."""
    details = job.get("statusDetails") or {}
    parts = [
        f"{label} {(details.get(key) or {}).get('status')}"
        for label, key in SUB_STATUSES
        if (details.get(key) or {}).get("status")
    ]
    status = str(job.get("status", "?"))
    return f"{status} ({', '.join(parts)})" if parts else status


def wait_for_job(
    fetch: Callable[[], dict[str, Any]],
    *,
    timeout: float | None,
    poll_interval: float = DEFAULT_POLL_INTERVAL_S,
    max_interval: float = MAX_POLL_INTERVAL_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: Callable[[], float] = random.random,
    on_update: Callable[[dict[str, Any], float], None] | None = None,
    transient: tuple[type[BaseException], ...] = (),
    max_transient_failures: int = MAX_TRANSIENT_FAILURES,
) -> WaitOutcome:
    """Poll `fetch()` until the job reaches a terminal status or `timeout` seconds pass.

    A `transient` error of a poll (throttling, a network blip: a wait can last hours) is retried with
    the same backoff, up to `max_transient_failures` in a row; any other error propagates at once.
    """
    backoff = Backoff(initial=poll_interval, maximum=max(max_interval, poll_interval), rng=rng)
    started = clock()
    polls = 0
    failures = 0
    last_phase: tuple[str, ...] | None = None
    job: dict[str, Any] = {}
    while True:
        try:
            job = fetch()
            failures = 0
        except transient:
            failures += 1
            if failures >= max_transient_failures:
                raise
            elapsed = clock() - started
            if timeout is not None and elapsed >= timeout:
                return WaitOutcome(TIMED_OUT, job, elapsed, polls)
            sleep(_bounded(backoff.next_delay(), timeout, elapsed))
            continue
        polls += 1
        elapsed = clock() - started
        if on_update is not None:
            on_update(job, elapsed)
        if job.get("status") in TERMINAL:
            return WaitOutcome(str(job["status"]), job, elapsed, polls)
        phase = phase_signature(job)
        if phase != last_phase:
            backoff.reset()
            last_phase = phase
        if timeout is not None and elapsed >= timeout:
            return WaitOutcome(TIMED_OUT, job, elapsed, polls)
        sleep(_bounded(backoff.next_delay(), timeout, elapsed))


def _bounded(delay: float, timeout: float | None, elapsed: float) -> float:
    """Never sleep past the timeout."""
    return delay if timeout is None else max(0.0, min(delay, timeout - elapsed))
