"""Reward-signal verdicts of an EMULATED RFT run: is there anything for the policy to learn from?

Checked after every step (on that step and the history) and at the end (over the whole run):

| code | when |
|---|---|
| `all_rewards_equal` | every scored reward of the step is the same value |
| `mostly_minimum` | more than 95% of the step's rewards are at the step's minimum |
| `few_positive` | fewer than 5% of the step's rewards are > 0 (Nova's guidance) |
| `rising_error_rate` | the grader error/timeout rate rose to >= 5% and to twice the earlier mean |
| `zero_spread_groups` | more than half of the prompt groups have no spread (no GRPO advantage) |
| `hack_winning` | hacking strategies hold a larger share of the policy than correct answers |

Each verdict is `{"code", "step", "message"}`; the message says what it means and what to do.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

MIN_SHARE = 0.95
POSITIVE_SHARE = 0.05
ERROR_RATE_FLOOR = 0.05
ZERO_SPREAD_THRESHOLD = 0.5
CODES = (
    "all_rewards_equal",
    "mostly_minimum",
    "few_positive",
    "rising_error_rate",
    "zero_spread_groups",
    "hack_winning",
)


def _verdict(code: str, step: int, message: str) -> dict[str, Any]:
    return {"code": code, "step": step, "message": message}


def reward_verdicts(step: int, rewards: Sequence[float]) -> list[dict[str, Any]]:
    """Verdicts on one step's scored rewards."""
    if not rewards:
        return []
    found = []
    low, high = min(rewards), max(rewards)
    if high - low < 1e-9:
        found.append(
            _verdict(
                "all_rewards_equal",
                step,
                f"every reward is {low:g}: the grader gives no learning signal (no response is better "
                "than another). Check the grader on a correct and a wrong answer (`orch reward audit`).",
            )
        )
    else:
        at_min = sum(1 for r in rewards if r - low < 1e-9) / len(rewards)
        if at_min > MIN_SHARE:
            found.append(
                _verdict(
                    "mostly_minimum",
                    step,
                    f"{at_min:.0%} of rewards are at the minimum {low:g}: almost nothing to learn from.",
                )
            )
    positive = sum(1 for r in rewards if r > 0) / len(rewards)
    if positive < POSITIVE_SHARE:
        found.append(
            _verdict(
                "few_positive",
                step,
                f"only {positive:.1%} of rewards are positive (Nova RFT struggles below 5%): the task may "
                "be too hard for the model (consider SFT first) or the grader rejects correct answers.",
            )
        )
    return found


def error_rate_verdict(step: int, rates: Sequence[float]) -> dict[str, Any] | None:
    """Rising grader error/timeout rate: the last step's rate against the mean of the earlier ones."""
    if len(rates) < 2:
        return None
    last, earlier = rates[-1], statistics.fmean(rates[:-1])
    if last >= ERROR_RATE_FLOOR and last > 2 * earlier:
        return _verdict(
            "rising_error_rate",
            step,
            f"grader error/timeout rate rose to {last:.0%} (earlier steps: {earlier:.0%} on average): "
            "check the grader's logs, timeout and concurrency.",
        )
    return None


def spread_verdict(step: int, no_spread_fraction: float, reward_mean: float) -> dict[str, Any] | None:
    if no_spread_fraction > ZERO_SPREAD_THRESHOLD:
        return _verdict(
            "zero_spread_groups",
            step,
            f"{no_spread_fraction:.0%} of prompt groups have no reward spread (every sample scored the "
            f"same; reward mean {reward_mean:.3f}): those prompts give GRPO no advantage to learn from. "
            "With high rewards the policy already solves them; with low ones it finds nothing better.",
        )
    return None


def hack_verdict(step: int, shares: Mapping[str, float], top_hack: str | None) -> dict[str, Any] | None:
    if shares.get("hack", 0.0) > shares.get("correct", 0.0):
        return _verdict(
            "hack_winning",
            step,
            f"reward hacking wins: hacking strategies hold {shares['hack']:.0%} of the policy, correct "
            f"answers {shares.get('correct', 0.0):.0%} (top hack: {top_hack}). The grader pays for a "
            "response that does not do the task; fix it before training (`orch reward audit`).",
        )
    return None


def step_verdicts(
    step_record: Mapping[str, Any],
    rewards: Sequence[float],
    history: Sequence[Mapping[str, Any]],
    shares: Mapping[str, float],
    top_hack: str | None,
) -> list[dict[str, Any]]:
    """Every verdict for one step (`history`: the earlier step records, this one excluded)."""
    step = int(step_record["step"])
    found = reward_verdicts(step, rewards)
    rates = [float(h["grader_error_rate"]) for h in history] + [float(step_record["grader_error_rate"])]
    for extra in (
        error_rate_verdict(step, rates),
        spread_verdict(
            step, float(step_record["no_spread_group_fraction"]), float(step_record["reward_mean"])
        ),
        hack_verdict(step, shares, top_hack),
    ):
        if extra is not None:
            found.append(extra)
    return found


def final_verdicts(steps: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The run's verdicts: each code once, from the last step that raised it, in `CODES` order.

    Reward-level codes count only when they held for at least half of the steps (one odd step is
    noise); `hack_winning` counts when it holds at the last step.
    """
    if not steps:
        return []
    by_code: dict[str, list[dict[str, Any]]] = {}
    for record in steps:
        for verdict in record.get("verdicts", []):
            by_code.setdefault(verdict["code"], []).append(verdict)
    last_step = int(steps[-1]["step"])
    final = []
    for code in CODES:
        raised = by_code.get(code, [])
        if not raised:
            continue
        if code == "hack_winning":
            if raised[-1]["step"] == last_step:
                final.append(raised[-1])
        elif code == "rising_error_rate" or 2 * len(raised) >= len(steps):
            final.append(raised[-1])
    return final
