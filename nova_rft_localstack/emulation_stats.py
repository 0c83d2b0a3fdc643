"""Statistics and batching of the EMULATED RFT run: grader chunks, per-step reward statistics."""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Sequence
from typing import Any

from nova_rft_localstack.grader_contract import ScoredSample

# Lambda's synchronous payload limit is 6 MB; chunks stay below it with room for the JSON framing.
MAX_PAYLOAD_BYTES = 5_500_000


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def chunk_samples(
    samples: list[dict[str, Any]], max_count: int, max_bytes: int
) -> list[list[dict[str, Any]]]:
    """Consecutive chunks of at most `max_count` samples and (unless one sample alone is larger)
    `max_bytes` of JSON, so an invoke never exceeds Lambda's payload limit because of batching."""
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 2  # "[]"
    for sample in samples:
        sample_size = len(json.dumps(sample).encode("utf-8")) + 2
        if current and (len(current) >= max_count or size + sample_size > max_bytes):
            chunks.append(current)
            current, size = [], 2
        current.append(sample)
        size += sample_size
    if current:
        chunks.append(current)
    return chunks


def step_statistics(
    step: int,
    prompts: int,
    scores: Sequence[float | None],
    group_of: Sequence[int],
    scored: Sequence[ScoredSample],
    latencies: Sequence[float],
    errors: Sequence[str],
) -> dict[str, Any]:
    """One step's record of the metrics file (None in `scores` = the sample could not be scored)."""
    valid = [s for s in scores if s is not None]
    groups: dict[int, list[float]] = {}
    for group, score in zip(group_of, scores, strict=True):
        if score is not None:
            groups.setdefault(group, []).append(score)
    multi = [g for g in groups.values() if len(g) >= 2]
    dims: dict[str, list[float]] = {}
    for sample in scored:
        for name, value, _kind in sample.metrics:
            dims.setdefault(name, []).append(value)
    failed = sum(1 for s in scores if s is None)
    return {
        "type": "step",
        "step": step,
        "prompts": prompts,
        "samples": len(scores),
        "reward_mean": round(statistics.fmean(valid), 6) if valid else 0.0,
        "reward_min": round(min(valid), 6) if valid else 0.0,
        "reward_max": round(max(valid), 6) if valid else 0.0,
        "reward_std": round(statistics.pstdev(valid), 6) if len(valid) > 1 else 0.0,
        "no_spread_group_fraction": round(sum(1 for g in multi if max(g) == min(g)) / len(multi), 6)
        if multi
        else 0.0,
        "grader_invocations": len(latencies),
        "grader_errors": failed,
        "grader_error_rate": round(failed / len(scores), 6) if scores else 0.0,
        "first_grader_error": errors[0] if errors else None,
        "grader_latency_ms_p50": round(percentile(latencies, 50), 3),
        "grader_latency_ms_p95": round(percentile(latencies, 95), 3),
        # mean over the samples whose metrics_list reported the name (guards report only when they fire)
        "dimensions": {name: round(statistics.fmean(v), 6) for name, v in sorted(dims.items())},
        "dimension_counts": {name: len(v) for name, v in sorted(dims.items())},
        "rewards": [round(s, 4) for s in valid],  # every scored reward (the report's histograms)
        "time": time.time(),
    }
