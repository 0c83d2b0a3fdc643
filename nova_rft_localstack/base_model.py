"""An EMULATED base model for the local stack's Bedrock runtime. It is NOT a model and learns nothing.

`orch baseline` samples the base model (Nova 2 Lite, `amazon.nova-2-lite-v1:0:256k`) through
Converse. Offline there is no model, so the local Bedrock runtime answers Converse for base-model ids
with text DERIVED FROM THE PROMPT by fixed heuristics, so that a baseline run gets a realistic mix of
right and wrong answers and exercises the grader end to end:

- math word problems (the prompt asks for "The answer is X" / \\boxed{}): half the variants apply the
  operation the wording suggests ("each"/"per" multiply, "left"/"change" subtract, "share" divide,
  else add) to the numbers of the question, the others a random one of product, sum, difference,
  quotient of the first two numbers or the sum of all; 15% add an arithmetic slip; most answers
  carry an answer marker. Simple one-step problems come out right often, multi-step ones rarely;
- JSON extraction ("Extract these fields as JSON: - name: type"): an object with the requested fields
  filled by regular expressions (e-mail, phone, numbers, booleans from words like "sold out",
  capitalised words for strings); some variants drop a field or wrap the JSON in prose;
- code ("```python" requested, a `name(args)` in backticks): a function with that signature whose body
  is one of a few generic guesses (return the first argument, their sum, their reverse, ...);
- anything else (support answers): a polite reply built from the system prompt's sentences that share
  words with the user's question; some variants are curt and miss the facts.

Determinism: the answer is a pure function of (model id, system text, messages, variant). At
temperature 0 the variant is always 0; at temperature > 0 the n-th call with the same request gets
variant n (a per-request counter of this process), so K samples of one prompt differ like K real
samples would, and the same sequence of calls always gets the same answers. Requests the grader's LLM
judge sends (they carry the `<response>` ... `</response>` contract) are never answered here.

Stdlib only: loaded inside LocalStack's Python (nova_rft_localstack) and unit-tested directly.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import re
import threading
import time
from typing import Any

BASE_MODELS_ENV = "NOVA_RFT_EMULATOR_BASE_MODELS"  # comma-separated extra model ids answered here
# Nova 2 models (the RFT base models), also as inference profiles (us./eu./global. prefixes).
BASE_MODEL_PREFIXES = ("amazon.nova-2-",)
EMULATION_NOTE = "EMULATED base model (nova_rft_localstack.base_model): answers derived from the prompt"

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_FIELD = re.compile(r"^\s*-\s*([A-Za-z_][\w]*)\s*:\s*([A-Za-z]+)", re.MULTILINE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\b")
_SIGNATURE = re.compile(r"`([A-Za-z_]\w*)\(([^`)]*)\)`")
_WORD = re.compile(r"[a-z0-9@.-]{4,}")
_NEGATIVE = ("sold out", "out of stock", "not available", "unavailable", "no longer", "inactive")


def bare_model_id(model_id: str) -> str:
    """`amazon.nova-2-lite-v1:0:256k` from an id, a foundation-model ARN or an inference profile id."""
    name = model_id.rsplit("/", 1)[-1]
    for prefix in ("us.", "eu.", "apac.", "global.", "us-gov."):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def is_base_model(model_id: str, environ: dict[str, str] | None = None) -> bool:
    """True for the models `orch baseline` samples (Nova 2 family, plus $NOVA_RFT_EMULATOR_BASE_MODELS)."""
    env = os.environ if environ is None else environ
    extra = {bare_model_id(m.strip()) for m in env.get(BASE_MODELS_ENV, "").split(",") if m.strip()}
    name = bare_model_id(model_id)
    return name.startswith(BASE_MODEL_PREFIXES) or name in extra


def is_judge_request(text: str) -> bool:
    """The grader's LLM judge delimits the graded response; such requests go to the rubric model."""
    return "<response>" in text and "</response>" in text


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and "text" in b)
    return ""


def _system_and_user(request: dict[str, Any]) -> tuple[str, str]:
    system = _text_of(request.get("system"))
    messages = request.get("messages")
    if not isinstance(messages, list):
        messages = []
    user = "\n".join(_text_of(m.get("content")) for m in messages if isinstance(m, dict))
    return system, user


# -- answers by task -------------------------------------------------------------------------------


def _format_number(value: float) -> str:
    if math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


# Words that suggest the operation of a one- or two-step word problem (checked in this order).
_OPERATION_WORDS = (
    ("left", "remain", "change", "fewer", "less than", "after spending"),
    ("per ", "each", "every", "times", "twice"),
    ("share", "split", "equally", "average", "half"),
    ("total", "altogether", "in all", "combined", "more"),
)


def _keyword_guess(text: str, numbers: list[float]) -> float:
    """The arithmetic the question's wording suggests (right for many one-step problems)."""
    a, b = numbers[0], numbers[1] if len(numbers) > 1 else 1.0
    rest = numbers[2] if len(numbers) > 2 else None
    lowered = text.lower()
    subtract, multiply, divide, add = (any(w in lowered for w in words) for words in _OPERATION_WORDS)
    if subtract and multiply and rest is not None:
        return rest - a * b if rest > a * b else a * b - rest
    if subtract:
        return a - b - (rest or 0.0) if a >= b else b - a
    if multiply:
        return a * b * (rest or 1.0)
    if divide:
        return a / b if b else a
    return sum(numbers)


def _math_answer(user: str, rng: random.Random) -> str:
    numbers = [float(n) for n in _NUMBER.findall(user.replace(",", ""))] or [0.0]
    a, b = numbers[0], numbers[1] if len(numbers) > 1 else 1.0
    guesses = [a * b, a + b, abs(a - b), a / b if b else a, sum(numbers)]
    value = _keyword_guess(user, numbers) if rng.random() < 0.5 else rng.choice(guesses)
    if rng.random() < 0.15:  # an arithmetic slip
        value += rng.choice([-2, -1, 1, 3])
    answer = _format_number(value)
    style = rng.random()
    if style < 0.7:
        return f"Using the numbers in the question, the result is {answer}.\nThe answer is {answer}."
    if style < 0.85:
        return f"Let me compute this step by step.\n\\boxed{{{answer}}}"
    return f"I think it comes to about {answer}."  # no answer marker


def _json_value(kind: str, name: str, text: str, rng: random.Random) -> Any:
    lowered = name.lower()
    if kind in ("number", "integer", "float"):
        numbers = _NUMBER.findall(text.replace(",", ""))
        value = float(rng.choice(numbers)) if numbers else 0.0
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return not any(word in text.lower() for word in _NEGATIVE)
    if "mail" in lowered and (match := _EMAIL.search(text)):
        return match.group()
    if "phone" in lowered and (match := _PHONE.search(text)):
        return match.group().strip()
    if lowered in ("currency", "code") and (match := re.search(r"\b[A-Z]{3}\b", text)):
        return match.group()
    words = _CAPITALISED.findall(text)
    return rng.choice(words) if words else ""


def _json_answer(user: str, rng: random.Random) -> str:
    import json

    fields = _FIELD.findall(user)
    source = user.split("Text:", 1)[-1]
    record = {name: _json_value(kind.lower(), name, source, rng) for name, kind in fields}
    if record and rng.random() < 0.2:
        record.pop(rng.choice(sorted(record)))
    text = json.dumps(record)
    return f"Here is the extracted data:\n{text}" if rng.random() < 0.2 else text


def _code_answer(user: str, rng: random.Random) -> str:
    match = _SIGNATURE.search(user)
    name, params = (match.group(1), match.group(2)) if match else ("solve", "x")
    args = [p.strip().split("=")[0].strip() for p in params.split(",") if p.strip()] or ["x"]
    numbers = _NUMBER.findall(user[match.end() :] if match else user)
    body = rng.choice(
        [
            f"return {args[0]} + {numbers[0] if numbers else 1}",
            f"return {args[0]}",
            f"return {' + '.join(args)}",
            f"return {args[0]}[::-1]",
            f"return sorted({args[0]})",
            "return None",
        ]
    )
    return f"```python\ndef {name}({', '.join(args)}):\n    {body}\n```\nThis handles the cases described."


def _text_answer(system: str, user: str, rng: random.Random) -> str:
    asked = set(_WORD.findall(user.lower()))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", system) if s.strip()]
    relevant = [s for s in sentences if asked & set(_WORD.findall(s.lower()))]
    if rng.random() < 0.25 or not relevant:
        return "Please check your account page for details."
    rng.shuffle(relevant)
    body = " ".join(relevant[: rng.randint(1, 3)])
    return f"Thank you for reaching out. {body} Let me know if there is anything else I can help with."


def classify(system: str, user: str) -> str:
    """Which answer heuristic applies: `math`, `json`, `code` or `text`."""
    text = f"{system}\n{user}"
    if "```python" in text or _SIGNATURE.search(user):
        return "code"
    if "as JSON" in text or "JSON object" in text:
        return "json"
    if "The answer is" in text or "\\boxed" in text:
        return "math"
    return "text"


def answer(model_id: str, system: str, user: str, variant: int) -> str:
    """The emulated answer of variant `variant` (a pure function of its arguments)."""
    digest = hashlib.sha256(f"{bare_model_id(model_id)}\x00{variant}\x00{system}\x00{user}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    task = classify(system, user)
    if task == "math":
        return _math_answer(user, rng)
    if task == "json":
        return _json_answer(user, rng)
    if task == "code":
        return _code_answer(user, rng)
    return _text_answer(system, user, rng)


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


class BaseModelEmulator:
    """Converse responses of the emulated base model; counts calls per request for the variants."""

    def __init__(self) -> None:
        self._calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def _variant(self, key: str, temperature: float) -> int:
        if temperature <= 0:
            return 0
        with self._lock:
            variant = self._calls.get(key, 0)
            self._calls[key] = variant + 1
        return variant

    def converse(self, request: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        model_id = str(request.get("modelId") or "")
        system, user = _system_and_user(request)
        config = request.get("inferenceConfig") or {}
        temperature = float(config.get("temperature", 0.7))
        key = hashlib.sha256(f"{model_id}\x00{temperature}\x00{system}\x00{user}".encode()).hexdigest()
        text = answer(model_id, system, user, self._variant(key, temperature))
        stop_reason = "end_turn"
        max_tokens = config.get("maxTokens")
        if isinstance(max_tokens, int) and max_tokens > 0 and _tokens(text) > max_tokens:
            text, stop_reason = text[: max_tokens * 4], "max_tokens"
        prompt_tokens = _tokens(f"{system}\n{user}")
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": stop_reason,
            "usage": {
                "inputTokens": prompt_tokens,
                "outputTokens": _tokens(text),
                "totalTokens": prompt_tokens + _tokens(text),
            },
            "metrics": {"latencyMs": max(1, round((time.perf_counter() - started) * 1000))},
        }


def wants_base_model(request: dict[str, Any]) -> bool:
    """True when a Converse request should be answered by the emulated base model, not the judge."""
    system, user = _system_and_user(request)
    return is_base_model(str(request.get("modelId") or "")) and not is_judge_request(f"{system}\n{user}")
