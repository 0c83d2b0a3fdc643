"""`orch plan` arithmetic with hand-checked figures (each expected number is worked out in a comment)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from orchestrator.errors import ConfigError
from orchestrator.preflight.plan import (
    JudgeLoad,
    PlanInputs,
    compute_plan,
    invocations_for,
    load_prices,
    sizing_reserved_concurrency,
    variations,
)

PRICES = {
    "lambda": {
        "gb_second_usd": {"arm64": 0.0000133334, "x86_64": 0.0000166667},
        "request_usd_per_million": 0.20,
        "account_concurrency_limit": 1000,
        "unreserved_minimum": 100,
    },
    "bedrock_models": {
        "amazon.nova-lite-v1:0": {"input_usd_per_1k_tokens": 0.00006, "output_usd_per_1k_tokens": 0.00024}
    },
}

BASE = PlanInputs(
    prompts=143,
    epochs=2,
    batch_size=32,
    samples_per_prompt=4,
    samples_per_invocation=4,
    safety_factor=1.5,
    latency_p95_ms=900.0,
    memory_mb=512,
    timeout_s=300,
    architecture="arm64",
    reserved_concurrency=None,
    account_limit=1000,
    target_step_s=60.0,
)


def test_steps_samples_and_invocations() -> None:
    plan = compute_plan(BASE, PRICES)
    assert plan["steps_per_epoch"] == 5  # ceil(143 / 32) = 4.47 -> 5
    assert plan["total_steps"] == 10  # 5 x 2 epochs
    assert plan["per_step"]["samples"] == 128  # 32 x 4
    assert plan["per_step"]["invocations"] == 32  # 128 / 4
    assert plan["per_job"]["samples"] == 1280
    assert plan["per_job"]["invocations"] == 320


def test_concurrency_matches_sizing_and_target() -> None:
    conc = compute_plan(BASE, PRICES)["concurrency"]
    assert conc["sizing_reserved_concurrency"] == 48  # ceil(32 x 1.5)
    assert conc["reserved_concurrency"] == 48  # not given: what Terraform reserves
    assert conc["rounds_within_target"] == 66  # floor(60000 / 900)
    assert conc["needed_for_target"] == 2  # ceil(ceil(32 / 66) x 1.5) = ceil(1.5)
    assert conc["max_reservable"] == 900  # 1000 - 100 unreserved
    assert conc["step_time_at_reserved_ms"] == 900.0  # ceil(32 / 48) = 1 round of 900 ms
    assert conc["fits_reserved"] and conc["fits_account"] and conc["target_reachable"]


def test_tight_target_needs_more_than_the_reservation() -> None:
    # target 2 s at 900 ms: 2 rounds -> ceil(ceil(32 / 2) x 1.5) = 24; reserved 10 is too few
    plan = compute_plan(replace(BASE, target_step_s=2.0, reserved_concurrency=10), PRICES)
    conc = plan["concurrency"]
    assert (conc["rounds_within_target"], conc["needed_for_target"]) == (2, 24)
    assert not conc["fits_reserved"]
    assert conc["step_time_at_reserved_ms"] == 3600.0  # ceil(32 / 10) = 4 rounds x 900 ms
    assert any("needs 24 concurrent executions" in w for w in plan["warnings"])


def test_unreachable_target_is_one_round_and_a_warning() -> None:
    plan = compute_plan(replace(BASE, target_step_s=0.5), PRICES)
    assert plan["concurrency"]["rounds_within_target"] == 1
    assert plan["concurrency"]["needed_for_target"] == 48  # the whole step in flight: Terraform's figure
    assert not plan["concurrency"]["target_reachable"]
    assert any("cannot be graded in 0.5 s" in w for w in plan["warnings"])


def test_account_limit_is_checked() -> None:
    # 512 x 16 = 8192 samples, 1 per call -> 8192 invocations x 1.5 = 12288 > 900 reservable
    plan = compute_plan(
        replace(BASE, batch_size=512, samples_per_prompt=16, samples_per_invocation=1), PRICES
    )
    assert plan["concurrency"]["sizing_reserved_concurrency"] == 12288
    assert not plan["concurrency"]["fits_account"]
    assert any("request a higher Lambda concurrency quota" in w for w in plan["warnings"])


def test_lambda_cost_per_step_and_job() -> None:
    plan = compute_plan(BASE, PRICES)
    lam = plan["per_step"]["lambda"]
    assert lam["gb_seconds"] == pytest.approx(14.4)  # 32 calls x 0.5 GB x 0.9 s
    assert lam["compute_usd"] == pytest.approx(14.4 * 0.0000133334)  # = 0.000192001
    assert lam["requests_usd"] == pytest.approx(0.0000064)  # 32 x $0.20 / 1e6
    assert plan["per_step"]["usd"] == pytest.approx(0.000198401, rel=1e-6)
    assert plan["per_job"]["lambda"]["gb_seconds"] == pytest.approx(144.0)  # x 10 steps
    assert plan["per_job"]["usd"] == pytest.approx(0.00198401, rel=1e-5)


def test_x86_costs_more_per_gb_second() -> None:
    lam = compute_plan(replace(BASE, architecture="x86_64"), PRICES)["per_step"]["lambda"]
    assert lam["compute_usd"] == pytest.approx(14.4 * 0.0000166667)  # = 0.00024000048


def test_judge_calls_tokens_and_cost() -> None:
    judge = JudgeLoad("tone", "amazon.nova-lite-v1:0", input_tokens=500, output_tokens=200)
    plan = compute_plan(replace(BASE, judges=(judge,)), PRICES)
    step = plan["per_step"]["judge"]
    assert (step["calls"], step["input_tokens"], step["output_tokens"]) == (128, 64_000, 25_600)
    # 128 x (500 x 0.00006 + 200 x 0.00024) / 1000 = 128 x 0.078 / 1000
    assert step["usd"] == pytest.approx(0.009984)
    assert plan["per_job"]["judge"]["calls"] == 1280
    assert plan["per_job"]["judge"]["usd"] == pytest.approx(0.09984)
    assert plan["per_step"]["usd"] == pytest.approx(0.009984 + 0.000198401, rel=1e-6)


def test_unpriced_judge_model_leaves_the_total_unpriced() -> None:
    judge = JudgeLoad("tone", "acme.secret-model", input_tokens=10, output_tokens=10)
    plan = compute_plan(replace(BASE, judges=(judge,)), PRICES)
    assert plan["per_step"]["judge"]["usd"] is None and plan["per_job"]["usd"] is None
    assert any("acme.secret-model" in w for w in plan["warnings"])


def test_timeout_headroom() -> None:
    timeout = compute_plan(BASE, PRICES)["timeout"]
    assert timeout["headroom_ratio"] == pytest.approx(333.333)  # 300000 / 900
    assert timeout["budgeted_latency_ms"] == 1350.0 and timeout["fits"]
    tight = compute_plan(replace(BASE, latency_p95_ms=250_000), PRICES)
    assert not tight["timeout"]["fits"]  # 250 s x 1.5 = 375 s > 300 s
    assert any("below p95 x safety factor" in w for w in tight["warnings"])


@pytest.mark.parametrize(
    ("samples", "per_call", "safety", "invocations", "reserved"),
    [
        (128, 1, 1.5, 128, 192),  # terraform sizing test "defaults_one_invocation_per_response"
        (300, 16, 1.25, 19, 24),  # "batched_invocations_round_up": 19 x 1.25 = 23.75 -> 24
        (32, 64, 1.0, 1, 1),  # "small_reservation..."
        (8192, 1, 1.0, 8192, 8192),  # "accepts_reservation_with_raised_quota"
        (100, 1, 1.15, 100, 115),  # decimal-exact: 100 x 1.15 is 115, not 114.99999999999999
    ],
)
def test_sizing_formula(samples: int, per_call: int, safety: float, invocations: int, reserved: int) -> None:
    assert invocations_for(samples, per_call) == invocations
    assert sizing_reserved_concurrency(invocations, safety) == reserved


def test_variations_cover_the_grid_and_agree_with_the_plan() -> None:
    rows = variations(BASE, PRICES)
    assert {(r["batch_size"], r["samples_per_prompt"]) for r in rows} == {
        (b, k) for b in (16, 32, 64) for k in (2, 4, 8)
    }
    row = next(r for r in rows if (r["batch_size"], r["samples_per_prompt"]) == (64, 8))
    assert row["total_steps"] == 6  # ceil(143 / 64) = 3 per epoch x 2
    assert row["invocations_per_step"] == 128  # 512 / 4
    assert row["sizing_reserved_concurrency"] == 192
    assert (
        row["job_usd"]
        == compute_plan(replace(BASE, batch_size=64, samples_per_prompt=8), PRICES)["per_job"]["usd"]
    )


def test_prices_override_changes_only_given_keys(tmp_path: Path) -> None:
    override = tmp_path / "prices.json"
    override.write_text(json.dumps({"lambda": {"request_usd_per_million": 1.0}, "as_of": "2030-01-01"}))
    prices = load_prices(override)
    assert prices["lambda"]["request_usd_per_million"] == 1.0 and prices["as_of"] == "2030-01-01"
    assert prices["lambda"]["gb_second_usd"] == load_prices()["lambda"]["gb_second_usd"]
    assert load_prices()["source"], "the bundled prices name their source"


def test_bad_prices_file_is_one_line_error(tmp_path: Path) -> None:
    broken = tmp_path / "prices.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_prices(broken)
    with pytest.raises(ConfigError, match="cannot read"):
        load_prices(tmp_path / "missing.json")


def test_unknown_architecture_names_the_key() -> None:
    with pytest.raises(ConfigError, match="gb_second_usd for architecture 'riscv'"):
        compute_plan(replace(BASE, architecture="riscv"), PRICES)


@pytest.mark.parametrize(
    "model_id",
    [
        "amazon.nova-lite-v1:0",
        "us.amazon.nova-lite-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
    ],
)
def test_judge_prices_by_bare_model_id(model_id: str) -> None:
    judge = JudgeLoad("tone", model_id, input_tokens=500, output_tokens=200)
    assert compute_plan(replace(BASE, judges=(judge,)), PRICES)["per_step"]["judge"]["usd"] == pytest.approx(
        0.009984
    )


def test_judge_model_override_from_the_environment() -> None:
    from nova_rewards.spec import load_spec

    from orchestrator.preflight.plan import judge_loads

    loads = judge_loads(load_spec("support"), 400.0, 100, "amazon.nova-pro-v1:0")
    assert [(j.dimension, j.model_id, j.output_tokens) for j in loads] == [
        ("tone", "amazon.nova-pro-v1:0", 200)
    ]
    assert loads[0].input_tokens > 100 + 100  # template + rubric + prompt, then the response tokens
    assert judge_loads(load_spec("math"), 400.0, 100) == ()


def test_payload_estimate_against_the_invoke_limit() -> None:
    prices = {**PRICES, "lambda": {**PRICES["lambda"], "payload_limit_bytes": 6_291_456}}
    small = compute_plan(replace(BASE, average_record_bytes=1000, max_response_tokens=8192), prices)
    assert small["payload"]["estimated_max_bytes"] == 4 * (1000 + 8192 * 4)  # 135,072 bytes
    assert small["payload"]["fits"] and not any("invoke limit" in w for w in small["warnings"])
    # 64 samples per call x (1000 + 32768 x 4) bytes = 64 x 132,072 = 8,452,608 > 6,291,456
    big = compute_plan(
        replace(BASE, samples_per_invocation=64, average_record_bytes=1000, max_response_tokens=32768), prices
    )
    assert big["payload"]["estimated_max_bytes"] == 8_452_608 and not big["payload"]["fits"]
    assert any("over Lambda's 6,291,456-byte invoke limit" in w for w in big["warnings"])
