"""The `python` kind: plain functions as dimensions (the extension point)."""

from __future__ import annotations

import math
import sys
import textwrap
from pathlib import Path

import pytest
from nova_rewards.compose import score_slots
from nova_rewards.contract import parse_event
from nova_rewards.dimensions.base import DimensionResult, ScoringContext
from nova_rewards.errors import SpecError

from tests.unit.rewards.core_helpers import build_spec, raw_sample

MODULE = "h1_custom_rewards"


@pytest.fixture(autouse=True)
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / f"{MODULE}.py").write_text(
        textwrap.dedent(
            """
            from nova_rewards.dimensions.base import DimensionResult

            def exact(response, reference):
                return response.strip() == str(reference)

            def words(response, min_words=1):
                return {"value": min(1.0, len(response.split()) / min_words), "metrics": {"n": 3}}

            def everything(**kwargs):
                return 1.0 if {"response", "reference", "prompt", "messages", "metadata", "sample",
                               "ctx", "bonus"} <= set(kwargs) else 0.0

            def skip(response):
                return None

            def as_result(response):
                return DimensionResult(0.25, {"k": 1.0})

            def wrong_type(response):
                return "high"

            class Holder:
                @staticmethod
                def method(response):
                    return 0.5

            not_callable = 3
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop(MODULE, None)


def score(function: str, response: str = "4", reference: object = "4", **params: object) -> dict:
    spec = build_spec(
        {"name": "f", "kind": "python", "params": {"function": f"{MODULE}:{function}", **params}}
    )
    outcome = score_slots(
        spec, parse_event([raw_sample("s", response, reference=reference)]), ScoringContext()
    )
    (item,) = outcome.response()
    return {
        "status": outcome.samples[0].status,
        "score": item["aggregate_reward_score"],
        "metrics": {m["name"]: m["value"] for m in item["metrics_list"]},
    }


@pytest.mark.parametrize(
    ("function", "response", "params", "expected_score"),
    [
        ("exact", "4", {}, 1.0),  # bool True -> 1.0; only named arguments are passed
        ("exact", "5", {}, 0.0),
        ("words", "a b", {"kwargs": {"min_words": 4}}, 0.5),  # kwargs reach the function
        ("everything", "x", {"kwargs": {"bonus": 1}}, 1.0),  # **kwargs receives every argument
        ("as_result", "x", {}, 0.25),
        ("Holder.method", "x", {}, 0.5),  # dotted attribute
    ],
)
def test_function_results(function: str, response: str, params: dict, expected_score: float) -> None:
    assert score(function, response, **params)["score"] == pytest.approx(expected_score)


def test_mapping_metrics_are_reported() -> None:
    assert score("words", "a b c", kwargs={"min_words": 3})["metrics"]["f.n"] == 3.0


def test_none_means_unscored_and_wrong_type_is_a_sample_error() -> None:
    assert score("skip")["status"] == "unscored"
    result = score("wrong_type")
    assert result["status"] == "error" and math.isfinite(result["score"])


@pytest.mark.parametrize(
    ("function", "fragment"),
    [
        ("no_colon_here", "expected 'package.module:function'"),
        ("missing_mod_xyz:f", "cannot import module 'missing_mod_xyz'"),
        (f"{MODULE}:nope", f"module '{MODULE}' has no attribute 'nope'"),
        (f"{MODULE}:not_callable", "is not callable"),
    ],
)
def test_bad_function_reference_is_a_spec_error(function: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        build_spec({"name": "f", "kind": "python", "params": {"function": function}})
    assert any(
        line.startswith("dimensions[0].params.function:") and fragment in line for line in info.value.errors
    )


def test_kwargs_cannot_shadow_sample_arguments() -> None:
    with pytest.raises(SpecError, match="kwargs may not redefine"):
        build_spec(
            {
                "name": "f",
                "kind": "python",
                "params": {"function": f"{MODULE}:exact", "kwargs": {"response": 1}},
            }
        )


def test_result_type_is_dimension_result() -> None:
    from nova_rewards.dimensions.custom import _as_result

    assert _as_result(True) == DimensionResult(1.0)
    assert _as_result(None) == DimensionResult(None)
