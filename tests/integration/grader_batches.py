"""Bedrock-shaped grader batches built from the repository's sample datasets and candidate responses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]
SPECS_DIR = PROJECT_DIR / "functions" / "nova_rewards" / "specs"


def bedrock_batch(spec: str, size: int = 8) -> list[dict[str, Any]]:
    """`size` samples as Bedrock sends them: prompt + candidate as the last (assistant) turn, extra
    dataset fields (reference_answer, task ids...) inside `metadata`; ids made unique per candidate."""
    records = {}
    with open(PROJECT_DIR / "datasets" / f"{spec}.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            records[record["id"]] = record
    batch = []
    with open(PROJECT_DIR / "datasets" / "responses" / f"{spec}.responses.jsonl", encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            if len(batch) == size:
                break
            candidate = json.loads(line)
            record = records[candidate["id"]]
            metadata = {k: v for k, v in record.items() if k not in ("messages", "id")}
            batch.append(
                {
                    "id": f"{candidate['id']}#{index}",
                    "messages": [
                        *record["messages"],
                        {"role": "assistant", "content": candidate["response"]},
                    ],
                    "metadata": metadata,
                }
            )
    return batch


def score_range(spec: str) -> tuple[float, float]:
    low, high = json.loads((SPECS_DIR / f"{spec}.json").read_text())["score_range"]
    return float(low), float(high)
