"""Reward specs: the JSON file that says which dimensions score a sample and how they combine.

`load_spec(ref)` accepts a bundled spec name (`functions/nova_rewards/specs/<name>.json`), a path
to a JSON file, or, with `ref=None`, the environment variable `REWARD_SPEC`. It returns a
`CompiledSpec`: the validated model plus one built `Dimension` per entry, in an order where every
dimension comes after the dimensions it `requires`.

Every problem is reported with its field path ("dimensions[1].params.tolerance: ..."), all at once,
in one `SpecError`.
"""

from __future__ import annotations

import importlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nova_rewards import env_vars, jsonsafe
from nova_rewards.dimensions import Dimension, get_dimension_class
from nova_rewards.errors import SpecError

__all__ = [
    "GuardsConfig",
    "DimensionSpec",
    "RewardSpec",
    "CompiledDimension",
    "CompiledSpec",
    "bundled_spec_names",
    "load_spec",
    "compile_spec",
    "import_plugins",
    "SPEC_ENV",
    "PLUGINS_ENV",
]

SPEC_ENV = env_vars.REWARD_SPEC
PLUGINS_ENV = env_vars.REWARD_PLUGINS
_SPECS_PACKAGE = "nova_rewards"
_SPECS_DIR = "specs"

_Finite = Field(allow_inf_nan=False)
MAX_WEIGHT = 1e6


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GuardsConfig(_Strict):
    """Reward-hacking guards applied by the composition. A penalty is the share of the reward removed:
    0 keeps the reward, 1 removes it all (the sample gets the bottom of the range)."""

    max_length_chars: int | None = Field(default=20_000, ge=1)
    over_length_penalty: float = Field(default=0.5, ge=0.0, le=1.0, allow_inf_nan=False)
    max_repetition: float | None = Field(default=0.6, ge=0.0, le=1.0, allow_inf_nan=False)
    repetition_penalty: float = Field(default=0.5, ge=0.0, le=1.0, allow_inf_nan=False)
    min_repetition_tokens: int = Field(default=24, ge=1)
    detect_grader_addressing: bool = True
    echo_prompt_threshold: float | None = Field(default=0.9, ge=0.0, le=1.0, allow_inf_nan=False)
    min_echo_tokens: int = Field(default=12, ge=1)
    hacking_penalty: float = Field(default=1.0, ge=0.0, le=1.0, allow_inf_nan=False)


class DimensionSpec(_Strict):
    """One dimension entry. `params` are validated later by the kind's own `Params` model."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
    kind: str = Field(min_length=1)
    type: Literal["Reward", "Metric"] = "Reward"
    # Bounded: weights are relative, and 1e308 would make their sum infinite (every score NaN -> 0).
    weight: float = Field(default=1.0, ge=0.0, le=MAX_WEIGHT, allow_inf_nan=False)
    params: dict[str, Any] = Field(default_factory=dict)
    requires: dict[str, float] = Field(default_factory=dict)
    description: str = ""

    @field_validator("requires")
    @classmethod
    def _minimums_in_unit_range(cls, value: dict[str, float]) -> dict[str, float]:
        for name, minimum in value.items():
            if not (math.isfinite(minimum) and 0.0 <= minimum <= 1.0):
                raise ValueError(f"minimum score for {name!r} must be within [0, 1], got {minimum}")
        return value


class RewardSpec(_Strict):
    """A whole reward spec (see spec-format in the README of `nova_rewards`)."""

    name: str = Field(min_length=1)
    description: str = ""
    score_range: tuple[float, float] = (0.0, 1.0)
    failure_score: float | None = None  # default: the bottom of score_range
    time_budget_margin_ms: int = Field(default=1500, ge=0)
    chunk_size: int = Field(default=16, ge=1, le=10_000)
    guards: GuardsConfig = Field(default_factory=GuardsConfig)
    dimensions: list[DimensionSpec] = Field(min_length=1)

    @field_validator("score_range")
    @classmethod
    def _ordered_finite_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        lo, hi = value
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError("bounds must be finite numbers")
        if lo >= hi:
            raise ValueError(f"lower bound {lo} must be below upper bound {hi}")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> RewardSpec:
        lo, hi = self.score_range
        if self.failure_score is not None and not (
            math.isfinite(self.failure_score) and lo <= self.failure_score <= hi
        ):
            raise ValueError(f"failure_score {self.failure_score} is outside score_range [{lo}, {hi}]")
        problems = _dimension_problems(self.dimensions)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def failure_value(self) -> float:
        """The score of an errored or timed-out sample."""
        return self.score_range[0] if self.failure_score is None else self.failure_score


# metric names the composition itself puts in metrics_list
RESERVED_NAMES = frozenset({"error", "timeout", "unscored", "guard", "flag"})


def _dimension_problems(dimensions: list[DimensionSpec]) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, dim in enumerate(dimensions):
        if dim.name in RESERVED_NAMES:
            problems.append(f"dimensions[{i}].name: {dim.name!r} is reserved for the composition's metrics")
        if dim.name in seen:
            problems.append(
                f"dimensions[{i}].name: duplicate name {dim.name!r} (also dimensions[{seen[dim.name]}])"
            )
        seen.setdefault(dim.name, i)
    for i, dim in enumerate(dimensions):
        for required in dim.requires:
            if required not in seen:
                problems.append(f"dimensions[{i}].requires: unknown dimension {required!r}")
            elif required == dim.name:
                problems.append(f"dimensions[{i}].requires: a dimension cannot require itself")
    if not problems:
        cycle = _find_cycle({d.name: list(d.requires) for d in dimensions})
        if cycle:
            problems.append("requires: cycle " + " -> ".join(cycle))
    if not any(d.type == "Reward" and d.weight > 0 for d in dimensions):
        problems.append("dimensions: no dimension of type 'Reward' with weight > 0")
    return problems


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a list of names (first == last), or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
            if nxt not in state:
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in graph:
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


@dataclass(frozen=True, slots=True)
class CompiledDimension:
    """A spec entry with its built dimension."""

    spec: DimensionSpec
    dimension: Dimension

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True, slots=True)
class CompiledSpec:
    """A validated spec with its dimensions built, in dependency order."""

    spec: RewardSpec
    dimensions: tuple[CompiledDimension, ...]
    source: str

    @property
    def name(self) -> str:
        return self.spec.name


def bundled_spec_names() -> list[str]:
    """Names of the specs shipped inside the package."""
    folder = resources.files(_SPECS_PACKAGE).joinpath(_SPECS_DIR)
    try:
        return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))
    except (FileNotFoundError, NotADirectoryError):
        return []


def load_spec(ref: str | os.PathLike[str] | None = None) -> CompiledSpec:
    """Load, validate and build a spec from a bundled name, a file path, or `$REWARD_SPEC`."""
    if ref is None:
        ref = os.environ.get(SPEC_ENV, "").strip()
        if not ref:
            raise SpecError(f"no reward spec: set {SPEC_ENV} to a bundled name ({_names_hint()}) or a path")
    text, source = _read_spec_text(ref)
    try:
        data = jsonsafe.loads(text)  # also refuses NaN/Infinity, deep nesting and 5,000-digit numbers
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from None
    except ValueError as exc:
        raise SpecError(f"{source}: not a usable JSON spec: {exc}") from None
    return compile_spec(data, source=source)


def _read_spec_text(ref: str | os.PathLike[str]) -> tuple[str, str]:
    ref_str = os.fspath(ref)
    path = Path(ref_str)
    looks_like_path = ref_str.endswith(".json") or os.sep in ref_str or "/" in ref_str
    if path.is_file():
        return _decode(path.read_bytes(), str(path)), str(path)
    if path.is_dir():
        raise SpecError(f"{ref_str} is a directory: pass a spec JSON file or a bundled spec name")
    if looks_like_path:
        raise SpecError(f"spec file not found: {ref_str}")
    resource = resources.files(_SPECS_PACKAGE).joinpath(_SPECS_DIR, f"{ref_str}.json")
    if not resource.is_file():
        raise SpecError(f"unknown spec {ref_str!r}: not a file, and not a bundled spec ({_names_hint()})")
    return resource.read_text(encoding="utf-8"), f"bundled:{ref_str}"


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start}): save the spec as UTF-8 JSON"
        ) from None


def _names_hint() -> str:
    names = bundled_spec_names()
    return "bundled specs: " + (", ".join(names) if names else "none")


def compile_spec(data: Any, *, source: str = "<spec>") -> CompiledSpec:
    """Validate spec data (already parsed JSON) and build its dimensions."""
    import_plugins()
    try:
        spec = RewardSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{source}: invalid reward spec", _format_errors(exc)) from None
    built: dict[str, CompiledDimension] = {}
    problems: list[str] = []
    for i, dim_spec in enumerate(spec.dimensions):
        try:
            built[dim_spec.name] = CompiledDimension(dim_spec, _build_dimension(dim_spec))
        except _DimensionBuildError as exc:
            problems.extend(f"dimensions[{i}].{line}" for line in exc.lines)
    if problems:
        raise SpecError(f"{source}: invalid reward spec", problems)
    ordered = tuple(built[name] for name in _dependency_order(spec.dimensions))
    return CompiledSpec(spec=spec, dimensions=ordered, source=source)


class _DimensionBuildError(Exception):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


def _build_dimension(dim_spec: DimensionSpec) -> Dimension:
    try:
        cls = get_dimension_class(dim_spec.kind)
    except KeyError as exc:
        raise _DimensionBuildError([f"kind: {exc.args[0]}"]) from None
    except ImportError as exc:
        raise _DimensionBuildError([f"kind: cannot import kind {dim_spec.kind!r}: {exc}"]) from None
    try:
        params = cls.Params.model_validate(dim_spec.params)
    except ValidationError as exc:
        raise _DimensionBuildError([f"params{_dot(line)}" for line in _format_errors(exc)]) from None
    try:
        return cls(params)
    except (ValueError, TypeError) as exc:
        raise _DimensionBuildError([f"params: {exc}"]) from None


def _dot(line: str) -> str:
    """Join a nested error line onto `params` ("tolerance: x" -> ".tolerance: x")."""
    return "." + line if ":" in line.split(" ")[0] else ": " + line


def _format_errors(exc: ValidationError) -> list[str]:
    """Pydantic errors as "a.b[2].c: message" lines."""
    lines = []
    for err in exc.errors(include_url=False):
        path = ""
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = err["msg"].removeprefix("Value error, ")
        if path:
            lines.append(f"{path}: {message}")
        else:  # model-level checks already name their fields, one per line
            lines.extend(message.splitlines())
    return lines


def _dependency_order(dimensions: list[DimensionSpec]) -> list[str]:
    """Names in spec order, except that each dimension follows the ones it requires (stable)."""
    placed: list[str] = []
    remaining = {d.name: set(d.requires) for d in dimensions}
    while remaining:
        ready = [name for name, needs in remaining.items() if needs <= set(placed)]
        name = ready[0]  # the validator rules out cycles, so something is always ready
        placed.append(name)
        del remaining[name]
    return placed


def import_plugins(value: str | None = None) -> list[str]:
    """Import the modules named in `$REWARD_PLUGINS` (comma separated) so they can register kinds."""
    raw = os.environ.get(PLUGINS_ENV, "") if value is None else value
    modules = [m.strip() for m in raw.split(",") if m.strip()]
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise SpecError(f"{PLUGINS_ENV}: cannot import plugin module {module!r}: {exc}") from None
    return modules


def describe(compiled: CompiledSpec) -> list[Mapping[str, Any]]:
    """One row per dimension (for `orch reward check`)."""
    return [
        {
            "name": d.spec.name,
            "kind": d.spec.kind,
            "type": d.spec.type,
            "weight": d.spec.weight,
            "requires": dict(d.spec.requires),
            "params": d.dimension.params.model_dump(mode="json"),
        }
        for d in compiled.dimensions
    ]
