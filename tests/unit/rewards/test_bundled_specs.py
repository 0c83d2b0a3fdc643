"""Every bundled spec validates and scores its sample responses through `orch reward score --json`.

Specs with an LLM judge run against the fake Bedrock runtime (real boto3 path, fixed verdict).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from nova_rewards.dimensions.judge import clear_client_cache
from nova_rewards.spec import bundled_spec_names, load_spec

from orchestrator.cli import cli
from tests.fakes.bedrock_runtime import FakeBedrockRuntime, score_reply

ROOT = Path(__file__).resolve().parents[3]
SLOW_SPECS = {"code"}  # runs every candidate program in a sandbox: tens of seconds


def spec_params() -> list[object]:
    return [
        pytest.param(name, marks=pytest.mark.slow) if name in SLOW_SPECS else pytest.param(name)
        for name in bundled_spec_names()
    ]


def test_the_agreed_specs_are_bundled() -> None:
    assert {"math", "support", "json_extraction", "code"} <= set(bundled_spec_names())


@pytest.mark.parametrize("name", spec_params())
def test_bundled_spec_scores_its_responses(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    compiled = load_spec(name)
    dataset = ROOT / "datasets" / f"{name}.jsonl"
    responses = ROOT / "datasets" / "responses" / f"{name}.responses.jsonl"
    assert dataset.is_file() and responses.is_file()
    expected_ids = [json.loads(line)["id"] for line in responses.read_text().splitlines() if line.strip()]
    uses_judge = any(d.spec.kind == "llm_judge" for d in compiled.dimensions)
    with FakeBedrockRuntime(score_reply(4)) as fake:
        if uses_judge:
            monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
            monkeypatch.delenv("AWS_PROFILE", raising=False)
            monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
            for key, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                               ("AWS_DEFAULT_REGION", "us-east-1")):  # fmt: skip
                monkeypatch.setenv(key, value)
            monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
            monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
            clear_client_cache()
        args = ["reward", "score", "--spec", name, "--dataset", str(dataset), "--responses", str(responses)]
        result = CliRunner().invoke(cli, [*args, "--json"])
        clear_client_cache()
    assert result.exit_code == 0, result.output[-2000:]
    items = json.loads(result.stdout)
    assert [item["id"] for item in items] == [str(i) for i in expected_ids]
    lo, hi = compiled.spec.score_range
    names: Counter[str] = Counter()
    for item in items:
        assert math.isfinite(item["aggregate_reward_score"]) and lo <= item["aggregate_reward_score"] <= hi
        names.update(m["name"] for m in item["metrics_list"])
    assert names["error"] == 0 and names["timeout"] == 0, names
    scores = [item["aggregate_reward_score"] for item in items]
    assert len(set(scores)) > 2  # the mix of right, wrong and malformed responses is told apart
    for dim in compiled.spec.dimensions:
        assert names[dim.name] > 0, f"dimension {dim.name} never reported"
