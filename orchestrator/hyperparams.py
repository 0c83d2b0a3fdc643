"""Nova RFT hyperparameters: names, documented ranges, and validation before any AWS call.

Ranges are those of the Bedrock service model (botocore `bedrock/2023-04-20`, shape
`RFTHyperParameters`) and the Nova RFT reference; botocore itself does not check maximums, so a bad
value would otherwise fail only on the server. Values not given are left out of the request, so
Bedrock's own defaults apply (`--dry-run` shows exactly what is sent).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import ConfigError


@dataclass(frozen=True)
class HyperParameter:
    """One RFT hyperparameter: API name, CLI option, type and inclusive range (None = open)."""

    api_name: str
    option: str
    kind: type
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def describe_range(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.minimum is not None and self.maximum is not None:
            return f"{self.minimum:g}..{self.maximum:g}"
        return f">= {self.minimum:g}" if self.minimum is not None else "any"


HYPERPARAMETERS: tuple[HyperParameter, ...] = (
    HyperParameter("epochCount", "--epochs", int, 1, 50),
    HyperParameter("batchSize", "--batch-size", int, 16, 512),
    HyperParameter("learningRate", "--learning-rate", float, 1e-7, 1e-3),
    HyperParameter("trainingSamplePerPrompt", "--samples-per-prompt", int, 2, 16),
    # No documented range for the two lengths: only positive integers are checked.
    HyperParameter("maxPromptLength", "--max-prompt-length", int, 1, None),
    HyperParameter("inferenceMaxTokens", "--inference-max-tokens", int, 1, None),
    HyperParameter("reasoningEffort", "--reasoning-effort", str, choices=("low", "medium", "high")),
    HyperParameter("evalInterval", "--eval-interval", int, 1, 100),
)
BY_API_NAME = {hp.api_name: hp for hp in HYPERPARAMETERS}
# Accepted spellings in a --hyperparameters file: API names, option names, snake_case option names.
ALIASES = {
    **{hp.api_name: hp.api_name for hp in HYPERPARAMETERS},
    **{hp.option.lstrip("-"): hp.api_name for hp in HYPERPARAMETERS},
    **{hp.option.lstrip("-").replace("-", "_"): hp.api_name for hp in HYPERPARAMETERS},
}


def check_value(hp: HyperParameter, value: Any, origin: str) -> Any:
    """The value converted to the API type, or ConfigError naming `origin` and the range."""
    where = f"{origin}: {hp.api_name} ({hp.option})"
    if hp.kind is str:
        if value not in hp.choices:
            raise ConfigError(f"{where} must be {hp.describe_range()}, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    if hp.kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"{where} must be an integer, got {value!r}")
        value = int(value)
    else:
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{where} must be finite, got {value!r}")
    too_low = hp.minimum is not None and value < hp.minimum
    too_high = hp.maximum is not None and value > hp.maximum
    if too_low or too_high:
        raise ConfigError(f"{where} must be in {hp.describe_range()}, got {value!r}")
    return value


def validate(values: Mapping[str, Any], origin: str = "hyperparameters") -> dict[str, Any]:
    """Validate {name or alias: value}; return {API name: value} without unset (None) entries."""
    result: dict[str, Any] = {}
    for name, value in values.items():
        api_name = ALIASES.get(name)
        if api_name is None:
            known = ", ".join(hp.api_name for hp in HYPERPARAMETERS)
            raise ConfigError(f"{origin}: unknown hyperparameter '{name}' (known: {known})")
        if value is None:
            continue
        result[api_name] = check_value(BY_API_NAME[api_name], value, origin)
    return {hp.api_name: result[hp.api_name] for hp in HYPERPARAMETERS if hp.api_name in result}


def load_file(path: Path) -> dict[str, Any]:
    """Read and validate a JSON hyperparameter file (an object, optionally {"hyperParameters": {...}})."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--hyperparameters {path}: cannot read: {exc.strerror or exc}") from exc
    except (ValueError, RecursionError) as exc:  # bad JSON, not UTF-8, too deep, a 5,000-digit number
        raise ConfigError(f"--hyperparameters {path}: not valid JSON: {type(exc).__name__}: {exc}") from None
    if isinstance(document, dict) and isinstance(document.get("hyperParameters"), dict):
        document = document["hyperParameters"]
    if not isinstance(document, dict):
        raise ConfigError(f"--hyperparameters {path}: expected a JSON object of hyperparameters")
    return validate(document, origin=str(path))


def merge(file_values: Mapping[str, Any], option_values: Mapping[str, Any]) -> dict[str, Any]:
    """Options given on the command line override the file's values."""
    merged = dict(file_values)
    merged.update(validate(option_values, origin="options"))
    return {hp.api_name: merged[hp.api_name] for hp in HYPERPARAMETERS if hp.api_name in merged}
