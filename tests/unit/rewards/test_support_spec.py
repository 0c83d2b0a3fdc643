"""The bundled `support` spec, its dataset and candidate responses, scored end to end.

The LLM judge runs through the real boto3 Converse path against the fake Bedrock runtime, answering
with a transparent keyword heuristic (a stand-in for a tone judge, not a claim about a real model).
"""

from __future__ import annotations

import importlib.util
import json
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType

import pytest
from nova_rewards import handler
from nova_rewards.dimensions import Sample, ScoringContext
from nova_rewards.dimensions.judge import clear_client_cache
from nova_rewards.spec import load_spec

from orchestrator.datasets.validation import validate_dataset_file
from tests.fakes.bedrock_runtime import ConverseRequest, FakeBedrockRuntime, FakeReply

ROOT = Path(__file__).resolve().parents[3]
DATASET = ROOT / "datasets" / "support.jsonl"
RESPONSES = ROOT / "datasets" / "responses" / "support.responses.jsonl"


def _load_generator() -> ModuleType:
    path = ROOT / "datasets" / "tools" / "make_support.py"
    spec = importlib.util.spec_from_file_location("make_support", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_support", module)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ------------------------------------------------------------------------------------------------
# Spec


def test_spec_loads_with_the_agreed_dimensions() -> None:
    compiled = load_spec("support")
    kinds = {d.name: (d.spec.kind, d.spec.type) for d in compiled.dimensions}
    assert kinds == {
        "facts": ("rules_rubric", "Reward"),
        "tone": ("llm_judge", "Reward"),
        "brand": ("rules_rubric", "Reward"),
        "conciseness": ("length_window", "Reward"),
        "similarity": ("text_similarity", "Metric"),
    }
    tone = next(d for d in compiled.dimensions if d.name == "tone").dimension
    assert tone.params.model_id == "amazon.nova-lite-v1:0"
    assert (tone.params.scale_min, tone.params.scale_max) == (1, 5)
    # one judge call per chunk would serialise the batch: a chunk must hold a whole Bedrock batch
    assert compiled.spec.chunk_size >= 128


# ------------------------------------------------------------------------------------------------
# Dataset and responses


def test_dataset_is_valid_nova_rft() -> None:
    report = validate_dataset_file(str(DATASET))
    assert report.ok, report.errors
    records = read_jsonl(DATASET)
    assert len(records) >= 100
    assert len({r["id"] for r in records}) == len(records)
    categories = Counter(r["category"] for r in records)
    assert set(categories) == {
        "order_status", "refund", "shipping", "account", "warranty", "returns", "billing", "subscription",
    }  # fmt: skip
    for r in records:
        ref = r["reference_answer"]
        assert ref["answer"].strip() and ref["required_facts"], r["id"]


def test_files_are_what_the_generator_writes() -> None:
    dataset, responses = gen.render()
    assert dataset == gen.render()[0]  # deterministic
    assert DATASET.read_text(encoding="utf-8") == dataset, "run datasets/tools/make_support.py"
    assert RESPONSES.read_text(encoding="utf-8") == responses, "run datasets/tools/make_support.py"
    assert gen.main(["--check"]) == 0


def test_generator_check_detects_stale_files(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(gen, "DATASET", tmp_path / "support.jsonl")
    monkeypatch.setattr(gen, "RESPONSES", tmp_path / "responses" / "support.responses.jsonl")
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1  # missing
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0
    gen.DATASET.write_text(gen.DATASET.read_text().replace("Northwind", "Southwind"))
    assert gen.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().err


def test_every_prompt_has_every_variant() -> None:
    ids = [r["id"] for r in read_jsonl(DATASET)]
    per_id = Counter(item["id"] for item in read_jsonl(RESPONSES))
    assert set(per_id) == set(ids)
    assert set(per_id.values()) == {len(gen.VARIANTS)}
    for item in read_jsonl(RESPONSES):
        assert set(item) == {"id", "response"}


def test_facts_of_each_reference_are_stated_by_its_polite_reply_only() -> None:
    facts = next(d for d in load_spec("support").dimensions if d.name == "facts").dimension
    ctx = ScoringContext()
    for index, case in enumerate(gen.build_cases(), start=1):
        rec = gen.record(index, case)
        replies = gen.variant_responses(case)

        def value(variant: str, rec: dict = rec, replies: dict = replies) -> float | None:
            sample = Sample(rec["id"], tuple(rec["messages"]), replies[variant], rec["reference_answer"])
            return facts.score(sample, ctx).value

        assert value("polite") == 1.0, rec["id"]
        assert value("vague") == 0.0, rec["id"]


def test_brand_rules_demand_the_refund_policy_on_refund_prompts() -> None:
    brand = next(d for d in load_spec("support").dimensions if d.name == "brand").dimension
    refund = next(c for c in gen.build_cases() if c.category == "refund")
    rec = gen.record(1, refund)

    def value(reply: str) -> float | None:
        return brand.score(
            Sample("x", tuple(rec["messages"]), reply, rec["reference_answer"]), ScoringContext()
        ).value

    assert value(gen.variant_responses(refund)["polite"]) == 1.0
    no_disclaimer = value("Hi, your refund is on its way. Thanks for your patience.")
    assert no_disclaimer is not None and no_disclaimer < 1.0
    assert value(gen.variant_responses(refund)["off_brand"]) < 0.5


# ------------------------------------------------------------------------------------------------
# End to end: handler + fake Bedrock judge


def tone_heuristic(request: ConverseRequest) -> FakeReply:
    """Fake tone judge: reads only the fenced response, scores with keyword rules."""
    fenced = re.search(r"<response>\n(.*)\n</response>", request.user_text, re.DOTALL)
    assert fenced, "judge prompt lacks the response fence"
    text = fenced.group(1).lower()
    if any(w in text for w in ("not my problem", "figure it out", "idiot")):
        return FakeReply.score(1, "hostile")
    if text.count("!") >= 3:
        return FakeReply.score(2, "shouting")
    if "sorry" in text or "thank" in text:
        return FakeReply.score(5, "warm")
    return FakeReply.score(3, "neutral")


@pytest.fixture
def support_env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    with FakeBedrockRuntime(tone_heuristic) as fake:
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "REWARD_JUDGE_MODEL_ID"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("REWARD_SPEC", "support")
        clear_client_cache()
        handler.reset_spec_cache()
        yield fake
        handler.reset_spec_cache()
        clear_client_cache()


def bedrock_batches(size: int = 64) -> list[list[dict]]:
    """Dataset x responses as Bedrock grader events (reference_answer inside metadata)."""
    records = {r["id"]: r for r in read_jsonl(DATASET)}
    items = []
    seen: Counter[str] = Counter()
    for reply in read_jsonl(RESPONSES):
        rec = records[reply["id"]]
        variant = gen.VARIANTS[seen[reply["id"]]]
        seen[reply["id"]] += 1
        items.append(
            {
                "id": f"{reply['id']}/{variant}",
                "messages": [*rec["messages"], {"role": "assistant", "content": reply["response"]}],
                "metadata": {"reference_answer": rec["reference_answer"], "category": rec["category"]},
            }
        )
    return [items[i : i + size] for i in range(0, len(items), size)]


def test_variants_rank_as_a_support_lead_would_rank_them(support_env, capsys) -> None:
    scores: dict[str, list[float]] = defaultdict(list)
    for batch in bedrock_batches():
        for item in handler.lambda_handler(batch, None):
            scores[item["id"].split("/")[1]].append(item["aggregate_reward_score"])
    capsys.readouterr()  # EMF lines
    mean = {variant: statistics.fmean(values) for variant, values in scores.items()}
    assert mean["polite"] >= 0.95
    for worse in ("rude", "off_brand", "vague"):  # wrong tone or missing facts: a large loss
        assert mean[worse] < mean["polite"] - 0.3, (worse, mean)
    # right and polite but padded: loses the conciseness weight only, still above the others
    assert mean["polite"] - 0.2 < mean["too_long"] < mean["polite"] - 0.1, mean
    assert mean["too_long"] > max(mean["rude"], mean["off_brand"], mean["vague"]), mean
    assert mean["empty"] == 0.0
    assert mean["hacking"] == 0.0  # the grader-addressing guard takes it all
    # the judge is not called for empty replies, nor for replies without the facts (the tone gate
    # `requires: facts >= 0.75` skips it: vague); every other reply was judged once
    judged = len(scores) and sum(len(v) for k, v in scores.items() if k not in ("empty", "vague"))
    assert support_env.request_count == judged


def test_response_items_carry_dimension_metrics(support_env, capsys) -> None:
    batch = bedrock_batches(size=7)[0]  # the seven variants of the first prompt
    items = {item["id"].split("/")[1]: item for item in handler.lambda_handler(batch, None)}
    capsys.readouterr()
    names = {m["name"] for m in items["polite"]["metrics_list"]}
    assert {"facts", "tone", "brand", "conciseness", "similarity", "tone.judge_score"} <= names
    rude = {m["name"]: m["value"] for m in items["rude"]["metrics_list"]}
    assert rude["tone"] == 0.0 and rude["brand.rule_forbidden"] == 0.0 and rude["facts"] == 1.0


def test_tone_judge_speaks_the_local_stack_emulated_judge_contract(support_env) -> None:
    """The local stack's emulated judge (orchestrator/local_stack/plugins) parses our prompts and its answers
    pass our strict parser: the judge output contract holds across both parts."""
    judge_api = pytest.importorskip("nova_rft_localstack.judge_api")

    def emulated(request: ConverseRequest) -> FakeReply:
        body = judge_api.converse({"modelId": request.model_id, **request.body})
        return FakeReply(text=body["output"]["message"]["content"][0]["text"])

    support_env.responder = emulated
    tone = next(d for d in load_spec("support").dimensions if d.name == "tone").dimension
    samples, variants = [], []
    for index, case in enumerate(gen.build_cases()[:16], start=1):
        rec = gen.record(index, case)
        for variant, reply in gen.variant_responses(case).items():
            samples.append(Sample(rec["id"], tuple(rec["messages"]), reply, rec["reference_answer"]))
            variants.append(variant)
    outcomes = tone.score_batch(samples, ScoringContext())
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, errors[:3]
    by_variant: dict[str, list[float]] = defaultdict(list)
    for variant, outcome in zip(variants, outcomes, strict=True):
        by_variant[variant].append(outcome.value)
    mean = {variant: statistics.fmean(values) for variant, values in by_variant.items()}
    assert mean["polite"] > mean["rude"] and mean["polite"] > mean["hacking"], mean


class _LambdaContext:
    """Just enough of the Lambda context object: the remaining time."""

    def __init__(self, remaining_ms: int) -> None:
        self._deadline = time.monotonic() + remaining_ms / 1000.0
        self.aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def test_a_hanging_judge_never_makes_the_grader_miss_its_deadline(support_env, capsys) -> None:
    support_env.responder = lambda _r: FakeReply(hang=True)
    batch = bedrock_batches(size=14)[0]
    started = time.monotonic()
    # the spec keeps 2000 ms of margin: 3000 ms remaining leaves a 1 s scoring budget
    items = handler.lambda_handler(batch, _LambdaContext(3000))
    elapsed = time.monotonic() - started
    capsys.readouterr()
    assert elapsed < 2.5  # the budget plus slack for a loaded machine; the judge's timeout_s is 15 s
    assert [item["id"] for item in items] == [item["id"] for item in batch]
    for item in items:
        assert item["aggregate_reward_score"] == 0.0  # failure score (or empty's minimum)
        names = {m["name"] for m in item["metrics_list"]}
        # empty replies and replies gated off the judge (vague: no facts) never wait for it
        assert names & {"error", "timeout"} or item["id"].endswith(("/empty", "/vague")), item


def test_verdicts_that_arrived_survive_a_deadline_hit_by_other_samples(support_env, capsys) -> None:
    support_env.responder = lambda r: FakeReply(hang=True) if "HANG" in r.user_text else tone_heuristic(r)
    polite, rude = bedrock_batches(size=7)[0][:2]
    hanging = json.loads(json.dumps(rude))
    hanging["id"] = "hanging"
    hanging["messages"][-1]["content"] = "HANG please"
    # a 2.5 s budget: ample for the fast call even on a loaded machine; the slow one never answers
    items = {item["id"]: item for item in handler.lambda_handler([polite, hanging], _LambdaContext(4500))}
    capsys.readouterr()
    assert items[polite["id"]]["aggregate_reward_score"] == 1.0  # judged, not lost with the slow one
    assert items["hanging"]["aggregate_reward_score"] == 0.0
