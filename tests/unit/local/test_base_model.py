"""The local stack's EMULATED base model: deterministic, varied at temperature > 0, derived from the
prompt, never answering the grader's judge requests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nova_rft_localstack.base_model import (
    BASE_MODELS_ENV,
    BaseModelEmulator,
    answer,
    classify,
    is_base_model,
    wants_base_model,
)

DATASETS = Path(__file__).resolve().parents[3] / "datasets"
MODEL = "amazon.nova-2-lite-v1:0:256k"


def request(record: dict, temperature: float = 0.7, max_tokens: int = 1000, model: str = MODEL) -> dict:
    return {
        "modelId": model,
        "system": [{"text": m["content"]} for m in record["messages"] if m["role"] == "system"],
        "messages": [
            {"role": m["role"], "content": [{"text": m["content"]}]}
            for m in record["messages"]
            if m["role"] != "system"
        ],
        "inferenceConfig": {"temperature": temperature, "maxTokens": max_tokens},
    }


def first_records(name: str, count: int = 10) -> list[dict]:
    lines = (DATASETS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[:count]]


def text_of(response: dict) -> str:
    return response["output"]["message"]["content"][0]["text"]


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        (MODEL, True),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-2-lite-v1:0:256k", True),
        ("us.amazon.nova-2-lite-v1:0", True),
        ("amazon.nova-lite-v1:0", False),  # the judge model of the bundled support spec
        ("anthropic.claude-3-haiku", False),
    ],
)
def test_base_model_ids(model_id: str, expected: bool) -> None:
    assert is_base_model(model_id, environ={}) is expected


def test_extra_base_models_from_the_environment() -> None:
    assert is_base_model("acme.base-v1", environ={BASE_MODELS_ENV: "acme.base-v1, other"})


def test_judge_requests_are_left_to_the_rubric_model() -> None:
    judge = {
        "modelId": MODEL,
        "messages": [{"role": "user", "content": [{"text": "<response>hi</response>"}]}],
    }
    assert not wants_base_model(judge)
    assert wants_base_model(request(first_records("math", 1)[0]))


def test_same_calls_same_answers_and_k_samples_differ() -> None:
    record = first_records("json_extraction", 1)[0]
    first, second = BaseModelEmulator(), BaseModelEmulator()
    run_a = [text_of(first.converse(request(record))) for _ in range(6)]
    run_b = [text_of(second.converse(request(record))) for _ in range(6)]
    assert run_a == run_b  # deterministic sequence per process
    assert len(set(run_a)) > 1  # temperature > 0: samples vary


def test_temperature_zero_always_gives_variant_zero() -> None:
    record = first_records("math", 1)[0]
    emulator = BaseModelEmulator()
    answers = {text_of(emulator.converse(request(record, temperature=0.0))) for _ in range(4)}
    system = record["messages"][0]["content"]
    assert answers == {answer(MODEL, system, record["messages"][1]["content"], 0)}


def test_max_tokens_cuts_the_answer() -> None:
    response = BaseModelEmulator().converse(request(first_records("code", 1)[0], max_tokens=3))
    assert response["stopReason"] == "max_tokens" and len(text_of(response)) <= 12
    assert response["usage"]["outputTokens"] == 3


@pytest.mark.parametrize(
    ("dataset", "task"),
    [("math", "math"), ("json_extraction", "json"), ("code", "code"), ("support", "text")],
)
def test_answers_are_derived_from_the_prompt(dataset: str, task: str) -> None:
    emulator = BaseModelEmulator()
    for record in first_records(dataset, 5):
        system = "\n".join(m["content"] for m in record["messages"] if m["role"] == "system")
        user = record["messages"][-1]["content"]
        assert classify(system, user) == task
        text = text_of(emulator.converse(request(record)))
        if task == "code":
            name = re.search(r"`([A-Za-z_]\w*)\(", user).group(1)
            assert f"def {name}(" in text
        elif task == "json":
            body = text[text.index("{") :]
            fields = re.findall(r"^\s*-\s*(\w+)\s*:", user, re.MULTILINE)
            assert set(json.loads(body)) <= set(fields) and json.loads(body)


def test_the_mix_has_right_and_wrong_math_answers() -> None:
    """Over the bundled math set, some sampled answers equal the reference and many do not."""
    emulator = BaseModelEmulator()
    right = total = 0
    for record in first_records("math", 60):
        try:
            expected = float(record["reference_answer"]["final_answer"])
        except ValueError:  # fractions and percentages: not needed for the mix
            continue
        for _ in range(4):
            numbers = re.findall(r"-?\d+(?:\.\d+)?", text_of(emulator.converse(request(record))))
            right += bool(numbers) and abs(float(numbers[-1]) - expected) < 1e-6
            total += 1
    assert 0.05 < right / total < 0.8
