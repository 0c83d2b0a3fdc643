"""Pace and tolerance of the EMULATED RFT run: environment of the LocalStack process, or job tags.

Every setting has an environment variable (`NOVA_RFT_EMULATOR_*`, read by the LocalStack process) and
a job tag of the same meaning (`nova-rft-emulator:<name>`), so a test or the demo can set the pace
of one job without restarting the stack. Tag beats environment beats default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Settings: environment of the LocalStack process, overridable per job by a job tag of the same meaning.
ENV_STEP_DELAY = "NOVA_RFT_EMULATOR_STEP_DELAY_S"
ENV_PHASE_DELAY = "NOVA_RFT_EMULATOR_PHASE_DELAY_S"
ENV_MAX_STEPS = "NOVA_RFT_EMULATOR_MAX_STEPS"
ENV_MAX_ERROR_RATE = "NOVA_RFT_EMULATOR_MAX_GRADER_ERROR_RATE"
ENV_CHUNK_SIZE = "NOVA_RFT_EMULATOR_GRADER_CHUNK_SIZE"
ENV_CONCURRENCY = "NOVA_RFT_EMULATOR_GRADER_CONCURRENCY"
TAG_PREFIX = "nova-rft-emulator:"  # e.g. jobTags [{"key": "nova-rft-emulator:max-steps", "value": "2"}]


@dataclass(frozen=True)
class EmulatorSettings:
    """Pace and tolerance of the emulation (env `NOVA_RFT_EMULATOR_*`, or job tags `nova-rft-emulator:*`)."""

    step_delay_s: float = 0.0
    phase_delay_s: float = 0.0
    max_steps: int = 5
    max_grader_error_rate: float = 0.2
    grader_chunk_size: int = 32
    grader_concurrency: int = 2

    @classmethod
    def resolve(cls, env: Mapping[str, str], tags: Mapping[str, str]) -> EmulatorSettings:
        """Job tag beats environment beats default. Raises ValueError naming a bad value."""
        spec: list[tuple[str, str, str, type, float]] = [
            ("step_delay_s", ENV_STEP_DELAY, "step-delay-s", float, 0.0),
            ("phase_delay_s", ENV_PHASE_DELAY, "phase-delay-s", float, 0.0),
            ("max_steps", ENV_MAX_STEPS, "max-steps", int, 1),
            ("max_grader_error_rate", ENV_MAX_ERROR_RATE, "max-grader-error-rate", float, 0.0),
            ("grader_chunk_size", ENV_CHUNK_SIZE, "grader-chunk-size", int, 1),
            ("grader_concurrency", ENV_CONCURRENCY, "grader-concurrency", int, 1),
        ]
        values: dict[str, Any] = {}
        for attribute, env_name, tag_name, kind, minimum in spec:
            raw = tags.get(TAG_PREFIX + tag_name, env.get(env_name))
            if raw is None or raw == "":
                continue
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(
                    f"{env_name} / tag {TAG_PREFIX}{tag_name}: not a {kind.__name__}: {raw!r}"
                ) from None
            if not math.isfinite(value) or value < minimum:
                raise ValueError(
                    f"{env_name} / tag {TAG_PREFIX}{tag_name}: must be >= {minimum}, got {raw!r}"
                )
            values[attribute] = value
        return cls(**values)
