"""Reward statistics of a set of scored samples, and AWS's guidance verdict for the base model.

Nova RFT guidance (docs/preflight.md): check the base model's reward on the dataset before training.
About 0% passing: do supervised fine-tuning (SFT) first; above about 95%: RFT is unlikely to help;
fewer than about 5% positive rewards: the reward is too sparse to learn from. A prompt group (the K
samples of one prompt) whose rewards are all equal gives GRPO-style training no signal.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SFT_FIRST_MAX_PASS_RATE = 0.01  # "about 0%"
RFT_UNLIKELY_MIN_PASS_RATE = 0.95
SPARSE_MAX_POSITIVE_SHARE = 0.05
HIGH_ZERO_SPREAD_SHARE = 0.5

VERDICTS = {
    "sft_first": "almost no prompt is solved: train with SFT first, then RFT",
    "rft_unlikely_to_help": "the base model already passes more than 95%: RFT is unlikely to help",
    "sparse_reward": "fewer than 5% of rewards are positive: the signal is too sparse for RFT",
    "rft_suitable": "the base model passes some prompts and fails others: RFT has room to help",
}


@dataclass(frozen=True)
class Thresholds:
    """What counts as a pass and as a positive reward, on the spec's score range."""

    pass_threshold: float
    positive_above: float

    @classmethod
    def for_range(cls, low: float, high: float, pass_threshold: float | None = None) -> Thresholds:
        """Pass at the middle of the range unless given; positive = above max(low, 0)."""
        middle = low + (high - low) / 2
        return cls(middle if pass_threshold is None else pass_threshold, max(low, 0.0))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def distribution(values: Sequence[float], low: float, high: float, bins: int = 10) -> dict[str, Any]:
    """Mean, std, min, max, quartiles and a histogram of `bins` equal bins over [low, high]."""
    if not values:
        return {"n": 0, "histogram": [0] * bins}
    counts = [0] * bins
    for value in values:
        index = int((min(max(value, low), high) - low) / (high - low) * bins)
        counts[min(index, bins - 1)] += 1
    return {
        "n": len(values),
        "mean": round(statistics.fmean(values), 6),
        "std": round(statistics.pstdev(values), 6) if len(values) > 1 else 0.0,
        "min": min(values),
        "p25": percentile(values, 25),
        "p50": percentile(values, 50),
        "p75": percentile(values, 75),
        "max": max(values),
        "histogram": counts,
        "histogram_range": [low, high],
    }


def group_scores(ids: Sequence[str], scores: Sequence[float]) -> dict[str, list[float]]:
    """Scores per prompt id, in order of first appearance."""
    groups: dict[str, list[float]] = {}
    for key, score in zip(ids, scores, strict=True):
        groups.setdefault(key, []).append(score)
    return groups


def zero_spread_share(groups: Mapping[str, Sequence[float]]) -> float:
    """Share of groups with >= 2 samples whose scores are all equal (0.0 when there are none)."""
    multi = [g for g in groups.values() if len(g) >= 2]
    if not multi:
        return 0.0
    return sum(1 for g in multi if max(g) == min(g)) / len(multi)


def verdict(pass_rate: float, positive_share: float) -> str:
    """AWS's guidance as one word (the most important finding first)."""
    if pass_rate <= SFT_FIRST_MAX_PASS_RATE:
        return "sft_first"
    if pass_rate > RFT_UNLIKELY_MIN_PASS_RATE:
        return "rft_unlikely_to_help"
    if positive_share < SPARSE_MAX_POSITIVE_SHARE:
        return "sparse_reward"
    return "rft_suitable"


def dimension_means(results: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, float | None]:
    """Mean value of each spec dimension over the samples that report it."""
    means: dict[str, float | None] = {}
    for name in names:
        values = [
            float(m["value"])
            for item in results
            for m in item.get("metrics_list", [])
            if m.get("name") == name
        ]
        means[name] = round(statistics.fmean(values), 6) if values else None
    return means


def reward_report(
    ids: Sequence[str],
    results: Sequence[Mapping[str, Any]],
    dimensions: Sequence[str],
    score_range: tuple[float, float],
    thresholds: Thresholds,
) -> dict[str, Any]:
    """The baseline's reward findings for samples `ids` and their grader results (same order)."""
    scores = [float(item["aggregate_reward_score"]) for item in results]
    groups = group_scores(ids, scores)
    passed = sum(1 for s in scores if s >= thresholds.pass_threshold)
    positive = sum(1 for s in scores if s > thresholds.positive_above)
    pass_rate = passed / len(scores) if scores else 0.0
    positive_share = positive / len(scores) if scores else 0.0
    always = [key for key, g in groups.items() if all(s >= thresholds.pass_threshold for s in g)]
    never = [key for key, g in groups.items() if all(s < thresholds.pass_threshold for s in g)]
    zero_spread = zero_spread_share(groups)
    found = verdict(pass_rate, positive_share)
    warnings = []
    if found != "sparse_reward" and positive_share < SPARSE_MAX_POSITIVE_SHARE:
        warnings.append(VERDICTS["sparse_reward"])
    if zero_spread >= HIGH_ZERO_SPREAD_SHARE:
        warnings.append(f"{zero_spread:.0%} of prompt groups have zero spread: they give no learning signal")
    return {
        "samples": len(scores),
        "prompts": len(groups),
        "reward": distribution(scores, *score_range),
        "dimension_means": dimension_means(results, dimensions),
        "pass_threshold": thresholds.pass_threshold,
        "pass_rate": round(pass_rate, 6),
        "positive_share": round(positive_share, 6),
        "zero_spread_group_share": round(zero_spread, 6),
        "always_solved_prompts": len(always),
        "never_solved_prompts": len(never),
        "verdict": found,
        "verdict_text": VERDICTS[found],
        "warnings": warnings,
        "_always": always,
        "_never": never,
    }
