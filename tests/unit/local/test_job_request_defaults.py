"""Unset RFT hyperparameters get the defaults of AWS's SDK (PyPI amzn-nova-forge 1.4.10,
amzn_nova_forge/recipe/templates/bedrock/override/rft_lora.json), each within its documented range."""

from __future__ import annotations

import pytest

from nova_rft_localstack.job_requests import RFT_DEFAULTS, RFT_RANGES, check_hyper_parameters

SDK_DEFAULTS = {
    "epochCount": 1,
    "batchSize": 128,
    "learningRate": 0.00001,
    "maxPromptLength": 8192,
    "trainingSamplePerPrompt": 8,
    "inferenceMaxTokens": 2048,
    "reasoningEffort": "medium",
    "evalInterval": 10,
}


def test_unset_hyperparameters_get_the_sdk_defaults() -> None:
    assert check_hyper_parameters(None) == SDK_DEFAULTS
    assert check_hyper_parameters({}) == SDK_DEFAULTS


def test_given_values_win_over_defaults() -> None:
    assert check_hyper_parameters({"batchSize": 16})["batchSize"] == 16
    assert check_hyper_parameters({"batchSize": 16})["trainingSamplePerPrompt"] == 8


@pytest.mark.parametrize("name", sorted(RFT_RANGES))
def test_every_default_is_in_its_range(name: str) -> None:
    kind, low, high = RFT_RANGES[name]
    assert isinstance(RFT_DEFAULTS[name], kind) and low <= RFT_DEFAULTS[name] <= high
