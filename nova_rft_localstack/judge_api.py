"""Request/response shapes of the local Bedrock runtime's EMULATED judge (no LLM; see rubric_model).

Converse: the prompt is the text of the system blocks and every message; the answer is the rubric
model's JSON verdict in `output.message.content[0].text`, with `stopReason`, `usage` (tokens estimated
as characters / 4) and `metrics.latencyMs`. InvokeModel: the same for a Nova (`messages` + `system`
lists of `{"text"}` parts) or Anthropic Messages body. LocalStack-free, so unit-tested directly.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from nova_rft_localstack.job_requests import ValidationError
from nova_rft_localstack.rubric_model import judge


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _text_of(content: Any) -> str:
    """Text of a message `content`: a string, or a list of blocks with `text` (others ignored)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and "text" in b)
    return ""


def prompt_of(messages: Any, system: Any = None) -> str:
    """The prompt the judge reads: system text then the messages' text, in order."""
    if not isinstance(messages, list) or not messages:
        raise ValidationError("messages must be a non-empty list")
    parts = [_text_of(system)] if system else []
    for position, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise ValidationError(f"messages[{position}] must be an object with role user or assistant")
        parts.append(_text_of(message.get("content")))
    return "\n".join(p for p in parts if p)


def converse(request: dict[str, Any]) -> dict[str, Any]:
    """Converse response for a Converse request."""
    if not request.get("modelId"):
        raise ValidationError("modelId is required")
    started = time.perf_counter()
    prompt = prompt_of(request.get("messages"), request.get("system"))
    answer = judge(prompt).to_json()
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": answer}]}},
        "stopReason": "end_turn",
        "usage": {
            "inputTokens": _tokens(prompt),
            "outputTokens": _tokens(answer),
            "totalTokens": _tokens(prompt) + _tokens(answer),
        },
        "metrics": {"latencyMs": max(1, round((time.perf_counter() - started) * 1000))},
    }


def invoke_model(body: bytes | str) -> bytes:
    """InvokeModel response body for a Nova or Anthropic Messages request body."""
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationError("The request body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise ValidationError("The request body must be a JSON object")
    prompt = prompt_of(payload.get("messages"), payload.get("system"))
    answer = judge(prompt).to_json()
    if "anthropic_version" in payload:
        response: dict[str, Any] = {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": answer}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": _tokens(prompt), "output_tokens": _tokens(answer)},
        }
    else:
        response = {
            "output": {"message": {"role": "assistant", "content": [{"text": answer}]}},
            "stopReason": "end_turn",
            "usage": {
                "inputTokens": _tokens(prompt),
                "outputTokens": _tokens(answer),
                "totalTokens": _tokens(prompt) + _tokens(answer),
            },
        }
    return json.dumps(response).encode("utf-8")
