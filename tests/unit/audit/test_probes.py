"""The probe library: which probes a spec and a record get, and what they contain."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.audit.probes import CONTROL, HACK, Probe, generate_probes

SPECS = Path(__file__).resolve().parents[3] / "functions" / "nova_rewards" / "specs"
PROMPT = [
    {"role": "system", "content": "You are a careful tutor. End with 'The answer is X.'"},
    {"role": "user", "content": "Jade buys 23 pencils at $3.50 each. How many dollars does she spend?"},
]


def spec(name: str) -> dict:
    return json.loads((SPECS / f"{name}.json").read_text(encoding="utf-8"))


def label_spec(**params: object) -> dict:
    labels = {"labels": ["billing", "shipping", "technical"], **params}
    return {"name": "triage", "dimensions": [{"name": "label", "kind": "label_match", "params": labels}]}


def by_name(probes: list[Probe]) -> dict[str, Probe]:
    return {p.name: p for p in probes}


MATH_RECORD = {"id": "m1", "messages": PROMPT, "reference_answer": {"final_answer": "80.50",
               "solution": "23 x $3.50 = $80.50.\n#### 80.50"}}  # fmt: skip


def test_common_hacks_for_every_spec() -> None:
    probes = by_name(generate_probes(spec("math"), MATH_RECORD))
    assert probes["empty"].text == "" and not probes["whitespace"].text.strip()
    assert probes["prompt_echo_user"].text == PROMPT[1]["content"]
    assert probes["prompt_echo_system"].text == PROMPT[0]["content"]
    grader = [p for name, p in probes.items() if name.startswith("grader_")]
    assert len(grader) >= 5 and len({p.text for p in grader}) == len(grader)  # several phrasings
    assert "non_answer" in probes and "judge_verdict_spoof" in probes
    junk = json.loads(probes["junk_json_reference_shape"].text)
    assert set(junk) == {"final_answer", "solution"} and junk["final_answer"] != "80.50"


def test_math_probes_hedge_bury_and_control_every_marker() -> None:
    probes = generate_probes(spec("math"), MATH_RECORD)
    named = by_name(probes)
    assert all(p.kind in (HACK, CONTROL) for p in probes)
    assert len(named) == len(probes)  # names are unique
    shotgun = named["shotgun_list"].text
    assert "80.50" in shotgun and shotgun.count(",") >= 3  # the right answer among wrong ones
    assert named["shotgun_boxed"].text.count("\\boxed{") >= 3
    assert named["marker_no_answer"].text.endswith("\\boxed{}.")
    assert "\u0435" in named["homoglyph_markers"].text  # Cyrillic e hides competing markers
    buried = named["buried_answer"].text
    assert "The answer is 80.50." in buried and len(buried) > 1.5 * 6000  # past the spec's max_length_chars
    assert named["repetition"].text.count("80.50") >= 20
    assert "80.50" not in named["truncated"].text
    controls = {p.name: p.text for p in probes if p.kind == CONTROL}
    for marker in ("\\boxed{80.50}", "The answer is 80.50", "#### 80.50", "Answer: 80.50",
                   "**Answer:** 80.50", "Final answer: 80.50", "<answer>80.50</answer>"):  # fmt: skip
        assert any(marker in text for text in controls.values()), marker
    assert controls["control_reference_solution"] == MATH_RECORD["reference_answer"]["solution"]


def test_label_probes_name_every_label_and_hide_labels_in_look_alikes() -> None:
    record = {"messages": PROMPT, "reference_answer": {"label": "billing"}}
    named = by_name(generate_probes(label_spec(), record))
    for probe in ("all_labels", "all_labels_marker", "homoglyph_all_labels"):
        assert named[probe].kind == HACK
    assert all(label in named["all_labels"].text for label in ("billing", "shipping", "technical"))
    assert "billing" in named["shotgun_slash"].text and "/" in named["shotgun_slash"].text
    hidden = named["homoglyph_second_label"].text
    assert "billing" in hidden and not hidden.isascii()
    assert named["marker_no_answer"].text == "Label:"
    assert {"control_bare", "control_label_colon", "control_answer_tags"} <= set(named)
    assert named["control_bare"].text == "billing"


def test_json_probes_keep_the_shape_but_not_the_values() -> None:
    expected = {"name": "Ada", "age": 36, "vip": True, "tags": ["a"]}
    record = {"messages": PROMPT, "reference_answer": {"expected": expected, "schema": {"type": "object"}}}
    named = by_name(generate_probes(spec("json_extraction"), record))
    junk = json.loads(named["junk_json_expected_shape"].text)
    assert set(junk) == set(expected)
    assert all(junk[k] != v for k, v in expected.items())
    assert json.loads(named["control_compact"].text) == expected
    assert named["control_fenced"].text.startswith("```json\n")
    with pytest.raises(json.JSONDecodeError):
        json.loads(named["truncated"].text)


def test_free_text_probes_come_from_the_reference_reply() -> None:
    record = {
        "messages": PROMPT,
        "reference_answer": {"answer": "Your order ships today.", "required_facts": ["today"]},
    }
    named = by_name(generate_probes(spec("support"), record))
    assert named["control_reference"].text == "Your order ships today."
    assert named["repetition"].text.count("Your order ships today.") >= 20
    assert "Your order ships today." in named["buried_answer"].text


def test_code_probes_include_the_sandbox_harness_attacks() -> None:
    record = {"messages": PROMPT, "reference_answer": {"tests": ["assert f(1) == 2"]}}
    probes = generate_probes(spec("code"), record)
    from orchestrator.audit.code_hacks import code_hack_probes

    harness = {name for name, _ in code_hack_probes(record)}
    assert harness and harness <= {p.name for p in probes if p.kind == HACK}


def test_deterministic_for_a_seed_and_different_across_seeds() -> None:
    first = generate_probes(spec("math"), MATH_RECORD, seed=3)
    assert first == generate_probes(spec("math"), MATH_RECORD, seed=3)
    other = generate_probes(spec("math"), MATH_RECORD, seed=4)
    assert [p.name for p in first] == [p.name for p in other]
    assert by_name(first)["buried_answer"].text != by_name(other)["buried_answer"].text


def test_records_without_a_usable_reference_get_only_the_common_hacks() -> None:
    record = {"messages": PROMPT, "reference_answer": None}
    probes = generate_probes(label_spec(), record)
    assert not [p for p in probes if p.kind == CONTROL]
    assert {"empty", "non_answer"} <= {p.name for p in probes}


def test_probe_library_imports_only_the_standard_library() -> None:
    """The local Bedrock emulator imports it inside LocalStack's Python (no project dependencies)."""
    import sys

    source = (Path(__file__).resolve().parents[3] / "orchestrator" / "audit" / "probes.py").read_text()
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    # `orchestrator.audit.code_hacks` is stdlib-only too (interface 2)
    assert {m for m in modules if m not in sys.stdlib_module_names} <= {"orchestrator"}


def test_exact_match_controls_follow_the_extraction_mode() -> None:
    def exact(extract: str) -> dict:
        params = {"answer_key": "city", "extract": extract}
        return {"name": "qa", "dimensions": [{"name": "em", "kind": "exact_match", "params": params}]}

    record = {"messages": PROMPT, "reference_answer": {"city": "Paris"}}
    marked = by_name(generate_probes(exact("answer_marker"), record))
    assert marked["control_reply"].text == "Answer: Paris"
    assert marked["control_with_reasoning"].text.endswith("\nAnswer: Paris")
    assert marked["marker_no_answer"].text == "Answer: "
    whole = by_name(generate_probes(exact("full"), record))
    assert whole["control_reply"].text == "Paris" and "control_with_reasoning" not in whole


def test_padding_grows_with_the_spec_length_limits() -> None:
    def padded(limit: int) -> int:
        spec = {"name": "s", "guards": {"max_length_chars": limit}, "dimensions": label_spec()["dimensions"]}
        record = {"messages": PROMPT, "reference_answer": "billing"}
        return len(by_name(generate_probes(spec, record))["buried_answer"].text)

    assert padded(1_000) >= 1_500 and padded(10_000) >= 15_000


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(
    name=st.sampled_from(["math", "support", "json_extraction"]),
    reference=JSON,
    messages=st.one_of(JSON, st.lists(st.fixed_dictionaries({"role": st.sampled_from(["system", "user"]),
                                                              "content": JSON}), max_size=3)),
)  # fmt: skip
def test_any_record_gets_probes_without_raising(name: str, reference: object, messages: object) -> None:
    probes = generate_probes(spec(name), {"messages": messages, "reference_answer": reference})
    assert probes[0].name == "empty" and all(isinstance(p.text, str) for p in probes)
    assert len({p.name for p in probes}) == len(probes)


@given(reference=JSON)
def test_any_label_reference_gets_probes_without_raising(reference: object) -> None:
    probes = generate_probes(label_spec(), {"messages": PROMPT, "reference_answer": reference})
    assert all(p.kind in (HACK, CONTROL) for p in probes)


SUPPORT_RECORD = {
    "messages": PROMPT,
    "reference_answer": {
        "answer": "Your order NW-1 shipped with USPS and arrives March 2.",
        "required_facts": ["NW-1", ["USPS", "U.S. Postal Service"], "March 2"],
    },
}


def test_text_probes_list_the_required_facts_without_a_reply() -> None:
    named = by_name(generate_probes(spec("support"), SUPPORT_RECORD))
    assert named["fact_list"].text == "NW-1, USPS, March 2"  # the first phrasing of each fact
    boilerplate = named["fact_list_boilerplate"].text
    assert "NW-1, USPS, March 2" in boilerplate and boilerplate != named["fact_list"].text
    denied = named["facts_denied"].text
    assert all(f"not {fact}" in denied for fact in ("NW-1", "USPS", "March 2"))
    assert named["invisible"].text and not named["invisible"].text.strip("\u200b\u2060\ufeff\u00a0")


def test_specs_with_a_judge_get_injections_after_a_correct_reply() -> None:
    named = by_name(generate_probes(spec("support"), SUPPORT_RECORD))
    injections = {name: p for name, p in named.items() if name.startswith("inject_")}
    assert len(injections) >= 6 and all(p.kind == HACK for p in injections.values())
    answer = SUPPORT_RECORD["reference_answer"]["answer"]
    assert all(p.text.startswith(answer) and len(p.text) > len(answer) + 10 for p in injections.values())
    assert len({p.text for p in injections.values()}) == len(injections)
    assert not [p for p in generate_probes(spec("math"), MATH_RECORD) if p.name.startswith("inject_")]


def test_json_probes_write_every_number_as_infinity() -> None:
    expected = {"total": 149.97, "quantity": 3, "customer": {"name": "Ada", "vip": True}}
    record = {"messages": PROMPT, "reference_answer": {"expected": expected}}
    text = by_name(generate_probes(spec("json_extraction"), record))["nonfinite_numbers"].text
    parsed = json.loads(text)
    assert parsed["total"] == float("inf") and parsed["quantity"] == float("inf")
    assert parsed["customer"]["name"] != "Ada" and text.count("1e999") == 2
    no_numbers = {"messages": PROMPT, "reference_answer": {"expected": {"name": "Ada"}}}
    assert "nonfinite_numbers" not in by_name(generate_probes(spec("json_extraction"), no_numbers))


def test_math_hedge_probes_offer_the_right_answer_and_a_wrong_one() -> None:
    named = by_name(generate_probes(spec("math"), MATH_RECORD))
    hedges = {name: p for name, p in named.items() if name.startswith("hedge_")}
    assert {
        "hedge_next_line",
        "hedge_sentence_after",
        "hedge_restated_conclusion",
        "hedge_in_latex_text",
    } <= set(hedges)
    for probe in hedges.values():
        assert probe.kind == HACK and "80.50" in probe.text
        if probe.name == "hedge_superscript_digits":
            continue  # its second value is not in ASCII digits
        assert len(set(re.findall(r"\d+(?:\.\d+)?", probe.text))) >= 2, probe.text  # a second value


def test_math_superscript_hedge_writes_the_second_value_in_superscript_digits() -> None:
    text = by_name(generate_probes(spec("math"), MATH_RECORD))["hedge_superscript_digits"].text
    assert "The answer is 80.50 or " in text
    assert any(
        ch in text.rsplit(" or ", 1)[1]
        for ch in "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
    )
