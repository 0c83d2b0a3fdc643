"""The commands `orch demo` tells the user to run next must run as printed in a new shell: `make demo`
runs `.venv/bin/orch`, which is not on PATH there."""

from __future__ import annotations

from pathlib import Path

from orchestrator.local_stack.demo import orch_command


def venv(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "checkout" / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "orch").write_text("#!/bin/sh\n")
    return bin_dir


def test_plain_orch_when_this_venvs_orch_is_on_path(tmp_path: Path) -> None:
    bin_dir = venv(tmp_path)
    found = str(bin_dir / "orch")
    assert orch_command(str(bin_dir / "python"), tmp_path, lambda name: found) == "orch"


def test_the_venv_path_when_orch_is_not_on_path(tmp_path: Path) -> None:
    bin_dir = venv(tmp_path)
    checkout = tmp_path / "checkout"
    assert orch_command(str(bin_dir / "python"), checkout, lambda name: None) == ".venv/bin/orch"
    assert orch_command(str(bin_dir / "python"), tmp_path / "elsewhere", lambda name: None) == str(
        bin_dir / "orch"
    )


def test_another_orch_on_path_is_not_this_checkouts(tmp_path: Path) -> None:
    bin_dir = venv(tmp_path)
    other = tmp_path / "other" / "orch"
    other.parent.mkdir()
    other.write_text("")
    checkout = tmp_path / "checkout"
    assert orch_command(str(bin_dir / "python"), checkout, lambda name: str(other)) == ".venv/bin/orch"


def test_a_misspelt_bundled_grader_is_named(tmp_path: Path) -> None:
    import pytest

    from orchestrator.errors import ConfigError
    from orchestrator.local_stack.demo import dataset_path

    with pytest.raises(ConfigError, match=r"did you mean --grader math\? Else pass --dataset FILE"):
        dataset_path(tmp_path, "maths")
    with pytest.raises(ConfigError) as caught:
        dataset_path(tmp_path, "triage")  # a grader of the user's: no guess, only --dataset
    assert "did you mean" not in str(caught.value) and "pass --dataset FILE" in str(caught.value)


class MetricsBucket:
    """An S3 client holding one emulator metrics file."""

    class exceptions:  # noqa: N801 - boto3's attribute name
        NoSuchKey = KeyError

    def __init__(self, records: list[dict]) -> None:
        import io
        import json

        self.body = "".join(json.dumps(r) + "\n" for r in records).encode()
        self.io = io

    def get_object(self, Bucket: str, Key: str) -> dict:  # noqa: N803
        return {"Body": self.io.BytesIO(self.body)}


def test_a_step_warning_is_explained_once() -> None:
    """The demo printed `warning [zero_spread_groups]` and nothing a new user could act on."""
    from orchestrator.local_stack.demo import Progress

    message = "81% of prompt groups have no reward spread"
    step = {
        "type": "step",
        "reward_mean": 0.9,
        "reward_min": 0.0,
        "reward_max": 1.0,
        "reward_std": 0.3,
        "samples": 64,
        "grader_invocations": 2,
        "grader_latency_ms_p95": 40.0,
        "verdicts": [{"code": "zero_spread_groups", "step": 1, "message": message}],
    }
    records = [{**step, "step": 1}, {**step, "step": 2}]
    lines: list[str] = []
    progress = Progress(MetricsBucket(records), "s3://bucket/key", lines.append)
    progress({"status": "InProgress"}, 1.0)
    warnings = [line.strip() for line in lines if "warning" in line]
    assert warnings == [
        f"warning [zero_spread_groups]: {message}",
        "warning [zero_spread_groups] (as above)",
    ]


def test_a_broken_dataset_fails_before_the_stack_and_terraform(tmp_path: Path, monkeypatch) -> None:
    """`orch demo --dataset broken.jsonl` started the stack and ran Terraform (36 s) before naming line 6."""
    import pytest

    from orchestrator.errors import DatasetError
    from orchestrator.local_stack import demo

    def no_stack(*args: object) -> None:
        raise AssertionError("the stack was started before the dataset was checked")

    monkeypatch.setattr(demo, "start_stack", no_stack)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages": [{"role": "user", "content": "hi"}], "reference_answer": {"a": 1}\n')
    with pytest.raises(DatasetError, match=r"line 1: not valid JSON"):
        demo.run_demo(demo.DemoSettings(tmp_path, dataset=broken), lambda line: None)


def test_bad_rollouts_fail_before_the_stack_naming_the_local_file(tmp_path: Path, monkeypatch) -> None:
    """A rollouts id the dataset lacks cost a stack start and a Terraform run, then failed the emulated
    job naming the S3 copy of the file."""
    import pytest

    from orchestrator.errors import ConfigError
    from orchestrator.local_stack import demo

    def no_stack(*args: object) -> None:
        raise AssertionError("the stack was started before the rollouts were checked")

    monkeypatch.setattr(demo, "start_stack", no_stack)
    rollouts = tmp_path / "mine.jsonl"
    rollouts.write_text('{"id": "math-0001", "responses": ["80.50"]}\n{"id": "nope-1", "response": "42"}\n')
    dataset = Path(__file__).resolve().parents[3] / "datasets" / "math.jsonl"
    with pytest.raises(ConfigError, match=rf"--rollouts {rollouts} line 2: field 'id' 'nope-1' names no"):
        demo.run_demo(demo.DemoSettings(tmp_path, dataset=dataset, rollouts=rollouts), lambda line: None)
    rollouts.write_bytes(b'{"id": "math-0001", "responses": ["\xff"]}\n')
    with pytest.raises(
        ConfigError, match=rf"--rollouts {rollouts}: not UTF-8 \(invalid start byte at byte 35\)"
    ):
        demo.run_demo(demo.DemoSettings(tmp_path, dataset=dataset, rollouts=rollouts), lambda line: None)
    rollouts.write_text('{"id": "math-0001", "responses": ["80.50"]}\n')
    with pytest.raises(AssertionError, match="the stack was started"):  # a good file goes on
        demo.run_demo(demo.DemoSettings(tmp_path, dataset=dataset, rollouts=rollouts), lambda line: None)


def test_a_foreign_localstack_on_the_port_is_refused(tmp_path: Path, monkeypatch) -> None:
    """A LocalStack of another project on 4566 (its Docker image, no Bedrock) was reused: Terraform
    applied into it and the job failed late."""
    import pytest

    from orchestrator.errors import LocalStackError
    from orchestrator.local_stack import demo
    from orchestrator.local_stack.stack import LocalStack, StartResult

    services: dict[str, str] = {"s3": "running", "lambda": "running"}
    monkeypatch.setattr(
        LocalStack, "start", lambda self: StartResult("external", self.endpoint_url, None, 0.0, "external")
    )
    monkeypatch.setattr(LocalStack, "health", lambda self, timeout=2.0: {"services": services})
    settings = demo.DemoSettings(tmp_path, port=4599)
    with pytest.raises(
        LocalStackError, match=r"without this kit's Bedrock emulator answers on .*:4599.*4600"
    ):
        demo.start_stack(settings, lambda line: None)
    services["bedrock"] = "running"  # the kit's (a stack of the test session, say): reused
    lines: list[str] = []
    demo.start_stack(settings, lines.append)
    assert lines == ["local stack: reusing the instance already answering at http://127.0.0.1:4599"]
