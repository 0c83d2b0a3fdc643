"""`orch reward loadtest`: drive the deployed grader with Bedrock-shaped batches at a target
concurrency, bounded in time and in count, and measure it.

`concurrency` workers each send one batch at a time (a closed loop, like Bedrock waiting for a step's
scores) until `duration_s` has passed or `max_batches` were sent. Batches are built by cycling through
the samples (dataset records + responses), `batch_size` at a time. Every invoke asks for the log tail
(`LogType=Tail`), whose REPORT line gives the billed duration, the memory used and, on a cold start,
the init duration.

The report is saved (JSON) so `orch plan` can use the measured p95 latency without `--latency-ms`.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.preflight.lambda_grader import Batch, BatchOutcome, LambdaGrader
from orchestrator.preflight.stats import percentile

STATE_DIR = Path(".orch") / "preflight"


def loadtest_file(root: Path, env: str, grader: str) -> Path:
    """Where the last load test of `grader` in `env` is kept (read by `orch plan`)."""
    return root / STATE_DIR / f"loadtest-{env}-{grader}.json"


@dataclass(frozen=True)
class LoadTestSettings:
    concurrency: int
    duration_s: float
    batch_size: int
    max_batches: int


@dataclass
class _Recorder:
    outcomes: list[BatchOutcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    issued: int = 0

    def take(self, limit: int) -> int | None:
        with self.lock:
            if self.issued >= limit:
                return None
            self.issued += 1
            return self.issued - 1


def run_loadtest(
    grader: LambdaGrader,
    samples: Sequence[dict[str, Any]],
    settings: LoadTestSettings,
    *,
    clock: Callable[[], float] = time.monotonic,
    on_batch: Callable[[BatchOutcome], None] | None = None,
) -> dict[str, Any]:
    """Run the load test and return its report (see `summarise`)."""
    if not samples:
        raise ValueError("no samples to send")
    cycle = itertools.cycle(samples)
    cycle_lock = threading.Lock()
    recorder = _Recorder()
    started = clock()
    deadline = started + settings.duration_s

    def next_batch(index: int) -> Batch:
        with cycle_lock:
            return Batch(
                index, index * settings.batch_size, [next(cycle) for _ in range(settings.batch_size)]
            )

    def worker() -> None:
        while clock() < deadline:
            index = recorder.take(settings.max_batches)
            if index is None:
                return
            outcome = grader.invoke(next_batch(index))
            with recorder.lock:
                recorder.outcomes.append(outcome)
            if on_batch is not None:
                on_batch(outcome)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(settings.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summarise(recorder.outcomes, settings, clock() - started)


def _rounded(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "p99": round(percentile(values, 99), 1),
        "mean": round(statistics.fmean(values), 1),
        "max": round(max(values), 1),
    }


def summarise(
    outcomes: Sequence[BatchOutcome], settings: LoadTestSettings, elapsed_s: float
) -> dict[str, Any]:
    """Latency percentiles and throughput of the answered batches, throttles, errors, cold starts."""
    answered = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    reports = [o.report for o in outcomes if o.report is not None]
    cold = [r for r in reports if r.cold_start]
    elapsed = max(elapsed_s, 1e-9)
    return {
        "settings": {
            "concurrency": settings.concurrency,
            "duration_s": settings.duration_s,
            "batch_size": settings.batch_size,
            "max_batches": settings.max_batches,
        },
        "elapsed_s": round(elapsed_s, 3),
        "batches": len(outcomes),
        "batches_ok": len(answered),
        "samples_scored": sum(len(o.batch.samples) for o in answered),
        "batches_per_s": round(len(answered) / elapsed, 3),
        "samples_per_s": round(sum(len(o.batch.samples) for o in answered) / elapsed, 2),
        "latency_ms": _rounded([o.latency_ms for o in answered]),
        "throttles": sum(o.throttles for o in outcomes),
        "errors": len(failed),
        "first_errors": [o.describe() for o in failed[:3]],
        "reports": len(reports),
        "cold_starts": len(cold),
        "init_duration_ms": _rounded([r.init_duration_ms or 0.0 for r in cold]),
        "billed_duration_ms": _rounded([r.billed_duration_ms for r in reports]),
        "max_memory_used_mb": max((r.max_memory_used_mb for r in reports), default=None),
        "memory_size_mb": reports[0].memory_size_mb if reports else None,
    }
