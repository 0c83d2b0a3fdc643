"""The README's ticket-triage example: rubric credit needs the task done (`requires`) and presence."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from nova_rewards.compose import score_slots
from nova_rewards.contract import parse_event
from nova_rewards.dimensions import ScoringContext
from nova_rewards.spec import compile_spec

README = Path(__file__).resolve().parents[3] / "functions" / "nova_rewards" / "README.md"


def triage_spec() -> dict:
    """The example spec exactly as the README prints it."""
    import json

    text = README.read_text(encoding="utf-8")
    block = re.search(r'```json\n(\{\n  "name": "triage".*?)\n```', text, re.DOTALL)
    assert block, "the triage example is gone from the README"
    return json.loads(block.group(1))


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Category: billing\nThanks for reaching out, we will fix the charge.", 1.0),
        ("billing", 0.7),  # a bare label: the label's weight only
        ("Category: billing\nCalm down, it is fixed.", 0.7),  # forbidden phrase, no courtesy
        ("Category: shipping\nThank you, happy to help!", 0.0),  # wrong label: the tone is gated off
        ("Category: billing/shipping\nThanks so much for your patience.", 0.0),  # a hedge
        ("Thank you for reaching out, I am happy to help.", 0.0),  # a polite non-answer
    ],
)
def test_triage_example_pays_presence_not_absence(response: str, expected: float) -> None:
    sample = {
        "id": "t",
        "messages": [
            {"role": "user", "content": "I was charged twice."},
            {"role": "assistant", "content": response},
        ],
        "metadata": {"reference_answer": {"label": "billing"}},
    }
    outcome = score_slots(
        compile_spec(triage_spec()), parse_event([sample]), ScoringContext(deadline=math.inf)
    )
    assert outcome.samples[0].score == pytest.approx(expected)
