"""start-job and validation data: AWS's SDK leaves it out for Nova 2 Lite on Bedrock; so do we, with a
warning, unless --keep-validation-data. A validation set below the record minimum is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.jobs import request as req
from tests.unit.orchestrator.orch_helpers import AWS_ENV, BUCKET, run_orch, write_dataset, write_outputs

TRAIN_URI = f"s3://{BUCKET}/datasets/{'a' * 64}/train.jsonl"
VAL_URI = f"s3://{BUCKET}/datasets/{'b' * 64}/val.jsonl"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "ORCH_ENV"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    return write_outputs(tmp_path / "outputs.json")


def dry_run(outputs: Path, *extra: str):  # type: ignore[no-untyped-def]
    args = ["start-job", "--outputs", str(outputs), "--dataset", TRAIN_URI, "--grader", "math", "--dry-run"]
    return run_orch([*args, *extra])


@pytest.mark.parametrize(
    ("model", "supported"),
    [
        ("amazon.nova-2-lite-v1:0:256k", False),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-2-lite-v1:0:256k", False),
        ("amazon.nova-lite-2-v1:0", False),
        ("amazon.nova-lite-v1:0:300k", True),
        ("amazon.nova-micro-v1:0:128k", True),
    ],
)
def test_which_base_models_take_validation_data(model: str, supported: bool) -> None:
    assert req.validation_data_supported(model) is supported


def test_nova_2_lite_leaves_validation_data_out_with_a_warning(outputs: Path) -> None:
    run = dry_run(outputs, "--validation-dataset", VAL_URI)
    assert run.exit_code == 0, run.stderr
    assert "validationDataConfig" not in json.loads(run.stdout)
    assert "validation data left out" in run.stderr and "--keep-validation-data" in run.stderr


def test_keep_validation_data_sends_it(outputs: Path) -> None:
    run = dry_run(outputs, "--validation-dataset", VAL_URI, "--keep-validation-data")
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["validationDataConfig"] == {"validators": [{"s3Uri": VAL_URI}]}
    assert "left out" not in run.stderr


def test_other_base_models_send_it_without_a_flag(outputs: Path) -> None:
    run = dry_run(outputs, "--validation-dataset", VAL_URI, "--base-model", "amazon.nova-lite-v1:0:300k")
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["validationDataConfig"] == {"validators": [{"s3Uri": VAL_URI}]}


def test_a_validation_set_of_one_record_is_refused(outputs: Path, tmp_path: Path) -> None:
    val = write_dataset(tmp_path / "val.jsonl", 1)
    run = dry_run(outputs, "--validation-dataset", str(val), "--keep-validation-data")
    assert run.exit_code == 3
    assert "1 records; Nova RFT needs at least 100" in run.stderr
