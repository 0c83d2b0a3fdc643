"""Registry of dimension kinds. Kinds are imported on first use, so a spec pays at cold start only
for the dimensions it uses (the code sandbox, sympy and boto3 are never imported by a spec that
does not need them).

Extension point: `register_dimension(MyDimension)` for a `Dimension` subclass, or name it in a spec
as `"kind": "python"` with `"params": {"function": "package.module:function"}` (see the README of
`nova_rewards`). Modules listed in the environment variable `REWARD_PLUGINS` (comma separated) are
imported before a spec is built, so they can call `register_dimension`.
"""

from __future__ import annotations

import importlib

from nova_rewards.dimensions.base import (
    Dimension,
    DimensionParams,
    DimensionResult,
    Sample,
    ScoringContext,
)

__all__ = [
    "Dimension",
    "DimensionParams",
    "DimensionResult",
    "Sample",
    "ScoringContext",
    "known_kinds",
    "get_dimension_class",
    "register_dimension",
]

# kind -> "module:ClassName", imported lazily. Modules owned by the reward library.
_BUILTIN: dict[str, str] = {
    # verifiable (RLVR)
    "math_equivalence": "nova_rewards.dimensions.math:MathEquivalence",
    "math_answer_format": "nova_rewards.dimensions.math:MathAnswerFormat",
    "exact_match": "nova_rewards.dimensions.matching:ExactMatch",
    "label_match": "nova_rewards.dimensions.matching:LabelMatch",
    "regex": "nova_rewards.dimensions.matching:RegexFormat",
    "json_match": "nova_rewards.dimensions.json_match:JsonMatch",
    "code_tests": "nova_rewards.dimensions.code:CodeTests",
    "text_similarity": "nova_rewards.dimensions.similarity:TextSimilarity",
    "length_window": "nova_rewards.dimensions.length:LengthWindow",
    "repetition": "nova_rewards.dimensions.length:RepetitionPenalty",
    # judged (RLAIF)
    "llm_judge": "nova_rewards.dimensions.judge:LlmJudge",
    "rules_rubric": "nova_rewards.dimensions.rules:RulesRubric",
    # extension point
    "python": "nova_rewards.dimensions.custom:PythonFunction",
}
_REGISTERED: dict[str, type[Dimension]] = {}


def register_dimension(cls: type[Dimension]) -> type[Dimension]:
    """Register a user dimension class under `cls.kind` (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Dimension)):
        raise TypeError(f"{cls!r} is not a Dimension subclass")
    _REGISTERED[cls.kind] = cls
    return cls


def known_kinds() -> list[str]:
    """Every kind a spec may name, sorted."""
    return sorted({*_BUILTIN, *_REGISTERED})


def get_dimension_class(kind: str) -> type[Dimension]:
    """The class for `kind`; KeyError listing the known kinds when there is none."""
    if kind in _REGISTERED:
        return _REGISTERED[kind]
    target = _BUILTIN.get(kind)
    if target is None:
        raise KeyError(f"unknown dimension kind {kind!r}; known kinds: {', '.join(known_kinds())}")
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    _REGISTERED[kind] = cls
    return cls
