"""Spec loading and validation: every error names its field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nova_rewards.errors import SpecError
from nova_rewards.spec import bundled_spec_names, compile_spec, import_plugins, load_spec

from tests.unit.rewards.core_helpers import ConstDim, spec_dict, write_spec

CONST = {"name": "c", "kind": "t_const", "weight": 1.0}


def errors_of(data: object) -> list[str]:
    with pytest.raises(SpecError) as info:
        compile_spec(data, source="x.json")
    assert "x.json" in str(info.value)
    return info.value.errors


def test_valid_spec_builds_dimensions_with_validated_params() -> None:
    compiled = compile_spec(spec_dict(CONST, {"name": "k", "kind": "t_keyword", "params": {"word": "hi"}}))
    assert [d.name for d in compiled.dimensions] == ["c", "k"]
    assert isinstance(compiled.dimensions[0].dimension, ConstDim)
    assert compiled.dimensions[1].dimension.params.word == "hi"
    spec = compiled.spec
    assert spec.score_range == (0.0, 1.0) and spec.failure_value == 0.0  # defaults


def test_dependency_order_puts_required_dimensions_first() -> None:
    compiled = compile_spec(
        spec_dict(
            {"name": "a", "kind": "t_const", "requires": {"b": 1.0}},
            {"name": "b", "kind": "t_const", "type": "Metric", "weight": 0},
            {"name": "c", "kind": "t_const"},
        )
    )
    assert [d.name for d in compiled.dimensions] == ["b", "a", "c"]


@pytest.mark.parametrize(
    ("dimensions", "settings", "expected"),
    [
        # params validated by the kind's Params model, with the path down to the field
        (
            [CONST, {"name": "k", "kind": "t_keyword", "params": {}}],
            {},
            "dimensions[1].params.word: Field required",
        ),
        ([{**CONST, "params": {"valu": 1}}], {}, "dimensions[0].params.valu: Extra inputs are not permitted"),
        ([{**CONST, "params": {"value": "x"}}], {}, "dimensions[0].params.value:"),
        (
            [CONST, {"name": "z", "kind": "nope"}],
            {},
            "dimensions[1].kind: unknown dimension kind 'nope'; known kinds:",
        ),
        ([CONST, dict(CONST)], {}, "dimensions[1].name: duplicate name 'c' (also dimensions[0])"),
        ([{**CONST, "requires": {"ghost": 1}}], {}, "dimensions[0].requires: unknown dimension 'ghost'"),
        ([{**CONST, "requires": {"c": 1}}], {}, "dimensions[0].requires: a dimension cannot require itself"),
        ([{**CONST, "weight": -1}], {}, "dimensions[0].weight: Input should be greater than or equal to 0"),
        ([{**CONST, "weight": float("inf")}], {}, "dimensions[0].weight: Input should be a finite number"),
        ([{**CONST, "weight": 0}], {}, "dimensions: no dimension of type 'Reward' with weight > 0"),
        ([{**CONST, "type": "Metric"}], {}, "dimensions: no dimension of type 'Reward' with weight > 0"),
        ([{**CONST, "type": "Bonus"}], {}, "dimensions[0].type:"),
        (
            [{**CONST, "requires": {"c": 2}}],
            {},
            "dimensions[0].requires: minimum score for 'c' must be within [0, 1], got 2.0",
        ),
        ([CONST], {"failure_score": 2.0}, "failure_score 2.0 is outside score_range [0.0, 1.0]"),
        ([CONST], {"score_range": [1, 0]}, "score_range: lower bound 1.0 must be below upper bound 0.0"),
        ([CONST], {"score_range": [0, float("nan")]}, "score_range: bounds must be finite numbers"),
        ([CONST], {"guards": {"hacking_penalty": 2}}, "guards.hacking_penalty:"),
        ([CONST], {"guards": {"typo": 1}}, "guards.typo: Extra inputs are not permitted"),
        ([CONST], {"extra_top": 1}, "extra_top: Extra inputs are not permitted"),
        ([], {}, "dimensions: List should have at least 1 item"),
        ([CONST, {**CONST, "name": "error"}], {}, "dimensions[1].name: 'error' is reserved"),
    ],
)
def test_errors_name_the_field(dimensions: list[dict], settings: dict, expected: str) -> None:
    errors = errors_of(spec_dict(*dimensions, **settings))
    assert any(expected in line for line in errors), errors


def test_cycle_is_reported_with_its_path() -> None:
    errors = errors_of(
        spec_dict(
            {"name": "a", "kind": "t_const", "requires": {"b": 0.5}},
            {"name": "b", "kind": "t_const", "requires": {"a": 0.5}},
        )
    )
    assert any(line.startswith("requires: cycle a -> b -> a") for line in errors), errors


def test_all_param_errors_reported_at_once() -> None:
    errors = errors_of(
        spec_dict(
            {"name": "a", "kind": "t_keyword", "params": {}},
            {"name": "b", "kind": "t_const", "params": {"bogus": 1}},
        )
    )
    assert len(errors) == 2


def test_unknown_kind_lists_known_kinds() -> None:
    errors = errors_of(spec_dict(CONST, {"name": "z", "kind": "nope"}))
    line = next(e for e in errors if "nope" in e)
    for kind in ("math_equivalence", "python", "t_const"):
        assert kind in line


def test_load_from_path_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_spec(tmp_path / "s.json", CONST, name="from-file")
    assert load_spec(path).name == "from-file"
    assert load_spec(str(path)).source == str(path)
    monkeypatch.setenv("REWARD_SPEC", str(path))
    assert load_spec().name == "from-file"


def test_missing_env_and_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REWARD_SPEC", raising=False)
    with pytest.raises(SpecError, match="set REWARD_SPEC"):
        load_spec()
    with pytest.raises(SpecError, match="spec file not found"):
        load_spec(str(tmp_path / "missing.json"))
    with pytest.raises(SpecError, match="unknown spec 'no_such_spec'.*bundled specs"):
        load_spec("no_such_spec")


def test_invalid_json_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"name": "x",\n "dimensions": [,]}', encoding="utf-8")
    with pytest.raises(SpecError, match=r"bad.json: not valid JSON \(line 2"):
        load_spec(path)


def test_bundled_specs_are_loadable_by_name() -> None:
    for name in bundled_spec_names():
        assert load_spec(name).source == f"bundled:{name}"


def test_plugins_are_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "h1_plugin_mod.py"
    module.write_text(
        "from nova_rewards.dimensions import Dimension, DimensionResult, register_dimension\n"
        "@register_dimension\n"
        "class P(Dimension):\n"
        "    kind = 't_plugin_kind'\n"
        "    def score(self, sample, ctx):\n"
        "        return DimensionResult(0.5)\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("REWARD_PLUGINS", " h1_plugin_mod , ")
    compiled = compile_spec(spec_dict({"name": "p", "kind": "t_plugin_kind"}))
    assert compiled.dimensions[0].dimension.kind == "t_plugin_kind"
    with pytest.raises(SpecError, match="REWARD_PLUGINS: cannot import plugin module 'nope_mod'"):
        import_plugins("nope_mod")


def test_spec_file_roundtrip_keeps_shape(tmp_path: Path) -> None:
    data = spec_dict(
        CONST,
        score_range=[-1, 1],
        failure_score=-1,
        time_budget_margin_ms=500,
        guards={"max_length_chars": 100, "detect_grader_addressing": False},
    )
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    spec = load_spec(path).spec
    assert spec.score_range == (-1.0, 1.0) and spec.failure_value == -1.0
    assert spec.guards.max_length_chars == 100 and not spec.guards.detect_grader_addressing


def test_readme_kinds_table_lists_every_builtin_kind() -> None:
    from nova_rewards.dimensions import _BUILTIN

    readme = (Path(__file__).resolve().parents[3] / "functions" / "nova_rewards" / "README.md").read_text()
    table = readme.split("## Dimension kinds", 1)[1].split("\n## ", 1)[0]
    listed = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert listed == set(_BUILTIN)
