"""`orch reward verify`: AWS's sample event shapes sent to the grader, its answers checked strictly.

The fake Lambda client runs the real handler in-process (the bundled `math` spec), so a correct grader
passes; variants break one rule of the contract each and must be reported.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nova_rewards.handler import handle
from nova_rewards.spec import load_spec

from orchestrator.errors import AwsError
from orchestrator.grader_verify import contract_problems, report_lines, verify_cases, verify_grader
from tests.contract_samples import contract_samples_dir
from tests.unit.orchestrator.orch_helpers import AWS_ENV, GRADER_ARN, run_orch, write_outputs


class FakeLambda:
    """`invoke` as boto3 answers it; `answer(event)` plays the deployed function."""

    def __init__(self, answer: Callable[[Any], Any], function_error: str | None = None) -> None:
        self.answer = answer
        self.function_error = function_error
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        payload = self.answer(json.loads(kwargs["Payload"]))
        response: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(payload).encode())}
        if self.function_error:
            response["FunctionError"] = self.function_error
        return response


def real_grader(event: Any) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        return handle(event, None, load_spec("math"))


def test_the_real_handler_passes_every_case() -> None:
    client = FakeLambda(real_grader)
    report = verify_grader(client, GRADER_ARN)
    assert report.ok, report.to_dict()
    assert len(client.calls) == len(verify_cases())
    assert all(
        c["InvocationType"] == "RequestResponse" and c["FunctionName"] == GRADER_ARN for c in client.calls
    )
    first = report.results[0]
    assert first.scores[0] == 1.0 and first.scores[1] < 0.5  # right above wrong, under metadata


def test_both_placements_of_the_reference_and_nova_assistant_are_sent() -> None:
    samples = [s for case in verify_cases() for s in case.event]
    assert any("reference_answer" in s.get("metadata", {}) for s in samples)
    assert any("reference_answer" in s for s in samples)
    assert any(s["messages"][-1]["role"] == "nova_assistant" for s in samples)


@pytest.mark.skipif(contract_samples_dir() is None, reason="../shared/contract-samples is not checked out")
def test_cases_use_the_shapes_of_aws_sample_events() -> None:
    folder = contract_samples_dir()
    assert folder is not None
    aws_shapes = set()
    for path in folder.glob("*.json"):
        for sample in json.loads(path.read_text(encoding="utf-8")):
            if "messages" in sample:
                aws_shapes.add(
                    (frozenset(sample) - {"metadata"}, "reference_answer" in sample.get("metadata", {}))
                )
    ours = {
        (frozenset(s) - {"metadata"}, "reference_answer" in s.get("metadata", {}))
        for c in verify_cases()
        for s in c.event
    }
    placements = {shape for shape in aws_shapes if "reference_answer" in shape[0] or shape[1]}
    assert placements <= ours, (placements, ours)
    # AWS's own sample events pass our contract check when our handler answers them
    for path in folder.glob("*input*.json"):
        event = json.loads(path.read_text(encoding="utf-8"))
        assert contract_problems(event, real_grader(event)) == []


def broken(change: Callable[[list[dict[str, Any]]], Any]) -> Callable[[Any], Any]:
    return lambda event: change(real_grader(event))


def _set(key: str, value: Any) -> Callable[[list[dict[str, Any]]], Any]:
    def change(items: list[dict[str, Any]]) -> Any:
        items[0][key] = value
        return items

    return change


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (broken(lambda items: items[:-1]), "items for"),
        (broken(lambda items: list(reversed(items)) if len(items) > 1 else items), "is not the sample's id"),
        (broken(_set("aggregate_reward_score", "1.0")), "not a finite number"),
        (broken(_set("aggregate_reward_score", True)), "not a finite number"),
        (broken(_set("aggregate_reward_score", math.inf)), "not a finite number"),
        (broken(_set("extra", 1)), "unexpected keys extra"),
        (broken(_set("metrics_list", [{"name": "a", "value": 1, "type": "Score"}])), "not Reward or Metric"),
        (broken(_set("metrics_list", {"a": 1})), "not an array"),
        (broken(lambda items: {"results": items}), "not an array of results"),
        (broken(lambda items: [{k: v for k, v in i.items() if k != "id"} for i in items]), "missing id"),
    ],
    ids=[
        "short",
        "order",
        "string-score",
        "bool-score",
        "inf-score",
        "extra-key",
        "metric-type",
        "metrics-dict",
        "not-a-list",
        "no-id",
    ],
)
def test_each_broken_answer_is_reported(answer: Callable[[Any], Any], fragment: str) -> None:
    report = verify_grader(FakeLambda(answer), GRADER_ARN)
    assert not report.ok
    assert any(fragment in problem for result in report.results for problem in result.problems), (
        report.to_dict()
    )


def test_a_function_error_is_reported_with_its_message() -> None:
    error = {"errorType": "SpecError", "errorMessage": "no reward spec"}
    report = verify_grader(FakeLambda(lambda event: error, function_error="Unhandled"), GRADER_ARN)
    assert not report.ok
    assert "SpecError: no reward spec" in report.results[0].problems[0]


def test_a_grader_that_fails_the_batch_for_one_bad_sample_is_reported() -> None:
    def strict(event: list[dict[str, Any]]) -> Any:
        if any(s["messages"][-1]["role"] == "user" for s in event):
            return {"errorType": "ValueError", "errorMessage": "no assistant message"}
        return real_grader(event)

    client = FakeLambda(strict)
    report = verify_grader(client, GRADER_ARN)
    failed = [r.name for r in report.results if not r.ok]
    assert failed == ["one unreadable sample in the batch"]


def test_an_invoke_error_is_an_aws_error() -> None:
    from botocore.exceptions import ClientError

    class Denied:
        def invoke(self, **kwargs: Any) -> Any:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "Invoke")

    with pytest.raises(AwsError, match="invoke the grader"):
        verify_grader(Denied(), GRADER_ARN)


@pytest.fixture
def outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    return write_outputs(tmp_path / "outputs.json")


def test_cli_reports_ok_and_exit_0(outputs: Path) -> None:
    client = FakeLambda(real_grader)
    run = run_orch(
        ["reward", "verify", "--outputs", str(outputs), "--grader", "math"], {"clients": {"lambda": client}}
    )
    assert run.exit_code == 0, run.stderr
    assert f"{len(verify_cases())}/{len(verify_cases())} cases keep the grader contract" in run.stdout
    assert client.calls[0]["FunctionName"] == GRADER_ARN


def test_cli_json_and_exit_1_on_a_broken_grader(outputs: Path) -> None:
    client = FakeLambda(broken(lambda items: items[:-1]))
    run = run_orch(
        ["reward", "verify", "--outputs", str(outputs), "--grader", "math", "--json"],
        {"clients": {"lambda": client}},
    )
    assert run.exit_code == 1
    payload = json.loads(run.stdout)
    assert payload["ok"] is False and payload["function"] == GRADER_ARN
    assert "breaks the contract" in run.stderr


def test_report_lines_name_every_case() -> None:
    report = verify_grader(FakeLambda(real_grader), GRADER_ARN)
    text = "\n".join(report_lines(report))
    assert all(case.name in text for case in verify_cases())
