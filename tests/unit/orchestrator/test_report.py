"""`orch report`: HTML + PNG plots for emulated jobs (metrics file) and real ones (grader CloudWatch
metrics over the job's window); and the HTML rendered by a real headless Chromium."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from orchestrator.jobs import report as rep
from orchestrator.jobs.progress import METRICS_FILE_NAME, parse_records
from orchestrator.jobs.report_render import write_report
from tests.unit.local.test_emulated_policy import injectable_judge
from tests.unit.orchestrator.orch_helpers import AWS_ENV, BUCKET, GRADER_ARN, REGION, bedrock_stub, run_orch
from tests.unit.orchestrator.test_progress import NAME, emulated_metrics, job

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
START = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "ORCH_ENV"):
        monkeypatch.delenv(name, raising=False)


def real_job(**extra: Any) -> dict[str, Any]:
    config = {"rftConfig": {"graderConfig": {"lambdaGrader": {"lambdaArn": GRADER_ARN}}}}
    return job(
        "Completed",
        customizationConfig=config,
        creationTime=START,
        endTime=START + timedelta(minutes=30),
        **extra,
    )


def put_grader_metrics(cloudwatch: Any, minutes: int = 30) -> None:
    """One grader invocation's EMF metrics per minute, rewards rising."""
    function = [{"Name": "FunctionName", "Value": "nova-rft-dev-math"}]
    for minute in range(minutes):
        stamp = START + timedelta(minutes=minute, seconds=30)
        mean = 0.2 + minute / minutes * 0.6
        values = {
            "RewardMean": mean,
            "RewardMin": 0.0,
            "RewardMax": 1.0,
            "RewardStd": 0.3,
            "ErrorRate": 0.0,
            "NoSpreadGroupFraction": 0.1,
            "DurationMs": 120.0 + minute,
            "Dim.correctness.Mean": mean,
            "Dim.format.Mean": 0.9,
        }
        cloudwatch.put_metric_data(
            Namespace="NovaRFT/Grader",
            MetricData=[
                {"MetricName": k, "Dimensions": function, "Value": v, "Timestamp": stamp}
                for k, v in values.items()
            ],
        )


def test_report_of_an_emulated_job(tmp_path: Path):
    body = emulated_metrics(injectable_judge)
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=f"rft-output/{NAME}/{METRICS_FILE_NAME}", Body=body)
        clients = {"s3": s3, "cloudwatch": boto3.client("cloudwatch", region_name=REGION)}
        with bedrock_stub() as (client, stubber):
            stubber.add_response("get_model_customization_job", job(), {"jobIdentifier": NAME})
            run = run_orch(
                ["report", NAME, "--output", str(tmp_path), "--json"],
                {"clients": {"bedrock": client, **clients}},
            )
    assert run.exit_code == 0, run.stderr
    result = run.json()
    assert {Path(p).name for p in result["plots"]} == {
        "reward.png",
        "strategies.png",
        "histograms.png",
        "latency.png",
    }
    for path in result["plots"]:
        assert Path(path).read_bytes().startswith(PNG_MAGIC)
    page = Path(result["report"]).read_text()
    assert "hack_winning" in page and "hack:grader_addressing" in page
    assert page.count("data:image/png;base64,") == 4
    assert "http://" not in page and "https://" not in page  # self-contained: nothing to fetch
    assert "metrics file" in result["source"]


def test_report_of_a_real_job_uses_the_graders_cloudwatch_metrics(tmp_path: Path):
    with mock_aws():
        import boto3

        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        put_grader_metrics(cloudwatch)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=f"rft-output/{NAME}/step_metrics.csv", Body=b"step,reward\n")
        data = rep.gather(real_job(), s3, cloudwatch, now=START + timedelta(hours=2))
    assert "FunctionName=nova-rft-dev-math" in data.source and data.x_label.startswith("minutes")
    assert len(data.points) == 30
    assert data.points[0]["reward_mean"] == pytest.approx(0.2)
    assert data.points[-1]["reward_mean"] > data.points[0]["reward_mean"]
    assert set(data.points[0]["dimensions"]) == {"correctness", "format"}
    assert data.output_files == [(f"s3://{BUCKET}/rft-output/{NAME}/step_metrics.csv", 12)]
    page, pngs = write_report(data, tmp_path)
    assert {p.name for p in pngs} == {"reward.png", "dimensions.png", "latency.png"}
    assert "step_metrics.csv" in page.read_text()


def test_real_job_verdicts_from_aggregates():
    flat = [{"x": i, "reward_min": 0.0, "reward_max": 0.0, "grader_error_rate": 0.0} for i in range(6)]
    assert {v["code"] for v in rep.series_verdicts(flat)} == {"all_rewards_equal", "few_positive"}
    rising = [
        {"x": i, "reward_min": 0.0, "reward_max": 1.0, "grader_error_rate": 0.0 if i < 4 else 0.3}
        for i in range(6)
    ]
    assert [v["code"] for v in rep.series_verdicts(rising)] == ["rising_error_rate"]


def test_cloudwatch_period_keeps_at_most_100_points():
    assert rep.period_for(START, START + timedelta(minutes=30)) == 60
    assert rep.period_for(START, START + timedelta(days=3)) == 2640
    assert rep.function_name(real_job()) == "nova-rft-dev-math"


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(
    _chromium() is None, reason="chromium missing: run scripts/install-chromium.sh (make test does)"
)
def test_report_renders_in_headless_chromium_with_its_plots(tmp_path: Path):
    body = emulated_metrics(injectable_judge)
    data = rep.from_progress(job(), parse_records(body.decode(), "s3://b/m.jsonl"))
    page, pngs = write_report(data, tmp_path / "report")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    # The DOM after layout: a script in the page cannot run (there is none), so ask Chromium itself
    # whether each image decoded, by dumping the DOM and screenshotting the page.
    dom = subprocess.run(
        [_chromium(), *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "RFT job report" in dom and "hack_winning" in dom
    images = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)"', dom)
    assert len(images) == len(pngs) == 4
    assert all(base64.b64decode(i).startswith(PNG_MAGIC) for i in images)
    shot = tmp_path / "shot.png"
    subprocess.run(
        [_chromium(), *flags, "--window-size=1200,3000", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes().startswith(PNG_MAGIC)
    assert _coloured_pixels(shot) > 10_000  # the plots were drawn (a blank or text-only page has few)


def _coloured_pixels(png: Path) -> int:
    """Pixels whose colour is saturated (plot fills and lines; text and background are grey/white)."""
    from matplotlib.image import imread

    pixels = imread(str(png))[:, :, :3]
    spread = pixels.max(axis=2) - pixels.min(axis=2)
    return int((spread > 0.25).sum())
