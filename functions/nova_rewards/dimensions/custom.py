"""The `python` kind: a reward dimension written as a plain Python function (the extension point).

Spec entry:

    {"name": "politeness", "kind": "python", "weight": 0.2,
     "params": {"function": "my_rewards.tone:politeness", "kwargs": {"min_words": 3}}}

The function is imported when the spec is loaded (a bad reference is a spec error naming
`params.function`). It receives, by keyword, only the arguments its signature names among:

- `response` (str), `reference` (the `reference_answer`, any JSON value), `prompt` (user turns
  joined), `messages` (the prompt messages), `metadata` (other dataset fields), `sample` (the whole
  `Sample`), `ctx` (the `ScoringContext`: honour `ctx.remaining()` in slow functions),

plus every key of `params.kwargs` (a function with `**kwargs` receives all of the above). It returns
a number in [0, 1] (bool counts as 0/1), `None` ("cannot score this sample"), a `DimensionResult`,
or a mapping `{"value": x, "metrics": {...}}`. Raising is fine: the sample gets the failure score.

For a class with its own parameters model, subclass `Dimension` and call `register_dimension`
instead (see the README); modules named in `REWARD_PLUGINS` are imported before specs are built.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field, field_validator

from nova_rewards.dimensions.base import (
    Dimension,
    DimensionParams,
    DimensionResult,
    Sample,
    ScoringContext,
)

__all__ = ["PythonFunction", "PythonFunctionParams", "resolve_function"]

_ARGUMENTS = ("response", "reference", "prompt", "messages", "metadata", "sample", "ctx")


def resolve_function(ref: str) -> Callable[..., Any]:
    """Import "package.module:function" (the attribute may be dotted, e.g. "mod:Class.method")."""
    module_name, sep, attribute = ref.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"expected 'package.module:function', got {ref!r}")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import module {module_name!r}: {exc}") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ValueError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not callable(target):
        raise ValueError(f"{ref!r} is not callable")
    return target


class PythonFunctionParams(DimensionParams):
    """Parameters of the `python` kind."""

    function: str = Field(description="'package.module:function' to call for each sample")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="extra keyword arguments")

    @field_validator("function")
    @classmethod
    def _importable(cls, value: str) -> str:
        resolve_function(value)
        return value


class PythonFunction(Dimension):
    """Calls a user function per sample; see the module docstring for its signature."""

    kind = "python"
    Params = PythonFunctionParams
    params: PythonFunctionParams

    def __init__(self, params: DimensionParams) -> None:
        super().__init__(params)
        self._fn = resolve_function(self.params.function)
        self._wanted = _wanted_arguments(self._fn)
        clash = set(self.params.kwargs) & set(_ARGUMENTS)
        if clash:
            raise ValueError(f"kwargs may not redefine {sorted(clash)}")

    def score(self, sample: Sample, ctx: ScoringContext) -> DimensionResult:
        available = {
            "response": sample.response,
            "reference": sample.reference,
            "prompt": sample.prompt_text,
            "messages": sample.prompt_messages,
            "metadata": sample.metadata,
            "sample": sample,
            "ctx": ctx,
        }
        if self._wanted is None:
            arguments = {**available, **self.params.kwargs}
        else:
            arguments = {k: v for k, v in available.items() if k in self._wanted}
            arguments.update(self.params.kwargs)
        return _as_result(self._fn(**arguments))


def _wanted_arguments(fn: Callable[..., Any]) -> set[str] | None:
    """Parameter names of `fn`, or None when it takes **kwargs (then it gets everything)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    names = set()
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        names.add(parameter.name)
    return names


def _as_result(value: Any) -> DimensionResult:
    if isinstance(value, DimensionResult):
        return value
    if value is None:
        return DimensionResult(None)
    if isinstance(value, Mapping):
        metrics = value.get("metrics") or {}
        return DimensionResult(_number(value.get("value")), dict(metrics))
    return DimensionResult(_number(value))


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return float(value)
    raise TypeError(f"the function returned {type(value).__name__}, expected a number or None")
