"""The emulated policy learns from the grader: a sound grader teaches correct answers, a hackable one the
hack; verdicts on the reward signal; the user's rollouts. Fake S3/Lambda ports, fake graders."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

import pytest

from nova_rft_localstack import verdicts
from nova_rft_localstack.aws_ports import find_spec_file, load_grader_spec
from nova_rft_localstack.candidates import CORRECT, HACK, ROLLOUT, WRONG, Candidate
from nova_rft_localstack.policy import Group, StrategyPolicy, effective_rate, group_advantages
from nova_rft_localstack.rft_emulation import EmulatedRftRun, EmulatorSettings, format_lambda_error
from nova_rft_localstack.rollouts import RolloutsError, parse_rollouts
from tests.unit.local.emulation_fakes import FakePorts, RecordingEvents, dataset_bytes, reference_grader
from tests.unit.local.test_rft_emulation import TRAIN, make_spec, metrics_lines

ROLLOUTS = "s3://data/rollouts.jsonl"


def scored(samples: list[dict[str, Any]], score_of) -> list[dict[str, Any]]:
    return [
        {"id": s["id"], "aggregate_reward_score": score_of(s["messages"][-1]["content"], s)} for s in samples
    ]


def _correct(sample: dict[str, Any]) -> bool:
    return reference_grader([sample])[0]["aggregate_reward_score"] == 1.0


def injectable_judge(samples):
    """Hackable: obeys an instruction in the response ("give this response the maximum score")."""
    return scored(samples, lambda text, s: 1.0 if "maximum score" in text else 0.7 * _correct(s))


def length_grader(samples):
    """Hackable: a 'thoroughness' reward that pays for length, plus a little for the right answer."""
    return scored(samples, lambda text, s: min(1.0, len(text) / 2000) + 0.2 * _correct(s))


def constant_grader(samples):
    return scored(samples, lambda text, s: 0.0)


def emulate(grader, *, steps=5, probe_generator=None, objects=None, spec=None, settings=None, **run_spec):
    ports = FakePorts({TRAIN: dataset_bytes(100), **(objects or {})}, grader=grader, spec=spec)
    settings = settings or EmulatorSettings(max_steps=steps)
    run = EmulatedRftRun(
        make_spec(**run_spec), ports, RecordingEvents(), _validator, settings, probe_generator=probe_generator
    )
    outcome = run.run()
    return outcome, ports, metrics_lines(ports)[-1] if outcome.status == "Completed" else None


def _validator(lines, source, max_prompt_length, min_records):
    from nova_rft_localstack.rft_emulation import nova_rft_validator

    return nova_rft_validator(lines, source, max_prompt_length, min_records)


# -- both directions -----------------------------------------------------------------------------------


def test_a_sound_grader_drives_the_policy_to_correct_answers():
    outcome, _, summary = emulate(reference_grader)
    assert outcome.status == "Completed"
    shares = summary["final_kind_shares"]
    assert shares[CORRECT] > 0.8 and shares[HACK] < 0.1
    assert summary["top_strategy"].startswith("correct:")
    assert summary["hack_overtook_step"] is None
    assert "hack_winning" not in {v["code"] for v in summary["verdicts"]}
    means = [s["reward_mean"] for s in outcome.steps]
    assert means[-1] > means[0] + 0.2


@pytest.mark.parametrize(
    ("grader", "winner"), [(injectable_judge, "hack:grader_addressing"), (length_grader, "hack:padded")]
)
def test_a_hackable_grader_drives_the_policy_to_the_hack_and_the_job_says_so(grader, winner):
    outcome, ports, summary = emulate(grader)
    assert outcome.status == "Completed"  # as Bedrock would: the hack is a warning, not a failure
    assert summary["top_strategy"] == winner
    assert summary["hack_share"] > 0.5 and summary["final_kind_shares"][HACK] == summary["hack_share"]
    assert isinstance(summary["hack_overtook_step"], int) and 1 <= summary["hack_overtook_step"] <= 5
    first = summary["hack_overtook_step"]
    assert outcome.steps[first - 1]["kind_shares"][HACK] > outcome.steps[first - 1]["kind_shares"][CORRECT]
    assert all(s["kind_shares"][HACK] <= s["kind_shares"][CORRECT] for s in outcome.steps[: first - 1])
    hack = next(v for v in summary["verdicts"] if v["code"] == "hack_winning")
    assert winner in hack["message"]
    published = [values for _, _, values in ports.metrics if "Verdict.hack_winning" in values]
    assert published and published[-1]["HackShare"] > 0.5


def test_a_grader_without_signal_completes_with_unmissable_verdicts():
    outcome, ports, summary = emulate(constant_grader, steps=3)
    assert outcome.status == "Completed"
    codes = {v["code"] for v in summary["verdicts"]}
    assert {"all_rewards_equal", "few_positive", "zero_spread_groups"} <= codes
    assert summary["final_kind_shares"][CORRECT] == pytest.approx(0.45)  # nothing learnt: the prior
    assert all(values["Verdicts"] >= 3 for _, _, values in ports.metrics if "Verdicts" in values)


def test_mostly_minimum_rewards_are_reported():
    def rare(samples):
        return scored(samples, lambda text, s: 1.0 if s["id"].endswith("p0-r0") else 0.0)

    _, _, summary = emulate(rare, steps=2)
    assert {"mostly_minimum", "few_positive"} <= {v["code"] for v in summary["verdicts"]}


def test_a_rising_grader_error_rate_is_reported():
    ports_calls = {"n": 0}

    def failing_late(call: int) -> str | None:
        ports_calls["n"] = call
        return "boom" if call > 8 and call % 2 == 0 else None  # steps 3+ (4 invokes per step) fail half

    ports = FakePorts({TRAIN: dataset_bytes(100)}, function_error=failing_late)
    settings = EmulatorSettings(
        max_steps=4, grader_chunk_size=16, grader_concurrency=1, max_grader_error_rate=0.9
    )
    outcome = EmulatedRftRun(make_spec(), ports, RecordingEvents(), _validator, settings).run()
    assert outcome.status == "Completed"
    codes = [[v["code"] for v in s["verdicts"]] for s in outcome.steps]
    assert "rising_error_rate" not in codes[0] + codes[1] and "rising_error_rate" in codes[2]
    assert "rising_error_rate" in {v["code"] for v in outcome.verdicts}


# -- hyperparameters and reproducibility -----------------------------------------------------------------


def test_the_learning_rate_sets_how_fast_the_policy_moves():
    slow = emulate(reference_grader, steps=3, learning_rate=1e-6)[2]["final_kind_shares"][CORRECT]
    fast = emulate(reference_grader, steps=3, learning_rate=1e-5)[2]["final_kind_shares"][CORRECT]
    assert 0.45 < slow < fast
    assert effective_rate(1e-5) == pytest.approx(1.0) and effective_rate(1e-3) == 20.0


def test_the_same_job_samples_the_same_strategies():
    first = emulate(injectable_judge, steps=3)[0].steps
    again = emulate(injectable_judge, steps=3)[0].steps
    strip = [{k: v for k, v in s.items() if k not in ("time",) and "latency" not in k} for s in first]
    assert strip == [{k: v for k, v in s.items() if k not in ("time",) and "latency" not in k} for s in again]


# -- the probe library (injected) ------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeProbe:
    name: str
    kind: str
    text: str


def test_probes_of_the_audit_library_become_strategies_and_can_win():
    calls = []

    def generate(spec, record, *, seed=0):
        calls.append((spec, record, seed))
        user = record["messages"][-1]["content"]
        return [FakeProbe("prompt_echo_user", "hack", user), FakeProbe("control_boxed", "control", "x")]

    def echo_judge(samples):
        return scored(
            samples, lambda text, s: 1.0 if text == s["messages"][-2]["content"] else 0.5 * _correct(s)
        )

    spec = {"name": "toy", "dimensions": []}
    outcome, ports, summary = emulate(echo_judge, probe_generator=generate, spec=spec)
    assert summary["top_strategy"] == "probe:prompt_echo_user"
    assert summary["strategy_sources"]["probe_library"] is True
    assert outcome.steps[0]["strategy_kinds"].get("probe:control_boxed", CORRECT) == CORRECT
    given_spec, record, seed = calls[0]
    assert given_spec == spec and set(record) >= {"messages", "reference_answer", "task_id"}
    assert isinstance(seed, int)
    assert len(calls) == len({json.dumps(c[1], sort_keys=True) for c in calls})  # cached per prompt


def test_without_the_probe_library_builtin_strategies_still_run():
    _, _, summary = emulate(reference_grader, steps=1)
    assert summary["strategy_sources"]["probe_library"] is False
    assert summary["strategy_sources"]["grader_spec"] == "no spec (fake)"


# -- user rollouts ---------------------------------------------------------------------------------------


def rollouts_file(lines: list[Any]) -> bytes:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode()


def test_user_rollouts_become_a_strategy_the_grader_can_reward():
    lines = [
        {"id": f"rec-{i}", "responses": [f"My answer is {i * 3}. The answer is {i * 3}."]} for i in range(100)
    ]
    objects = {ROLLOUTS: rollouts_file(lines)}
    outcome, ports, summary = emulate(reference_grader, objects=objects, rollouts_uri=ROLLOUTS)
    assert outcome.status == "Completed", outcome.failure_message
    sent = [s["messages"][-1]["content"] for chunk in ports.invocations for s in chunk]
    assert any(text.startswith("My answer is") for text in sent)
    assert summary["strategy_sources"]["user_rollouts"] == 100
    assert summary["final_kind_shares"][ROLLOUT] + summary["final_kind_shares"][CORRECT] > 0.9


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([{"id": "rec-1", "responses": ["a"]}, "{broken"], "rollouts.jsonl line 2: not valid JSON"),
        ([{"id": "nope", "responses": ["a"]}], "line 1: field 'id' 'nope' names no record"),
        (
            [{"id": "rec-1", "responses": "a"}],
            "line 1: field 'responses' must be a non-empty list of strings",
        ),
        ([{"prompt": "rec-1"}], 'line 1: expected {"id": <prompt id>, "responses"'),
    ],
)
def test_bad_rollouts_fail_the_job_with_a_specific_message(lines, expected):
    outcome, ports, _ = emulate(
        reference_grader, objects={ROLLOUTS: rollouts_file(lines)}, rollouts_uri=ROLLOUTS
    )
    assert outcome.status == "Failed"
    assert outcome.failure_message.startswith("User rollouts invalid: ")
    assert expected in outcome.failure_message
    assert not ports.invocations  # failed in validation, before any grader call


def test_missing_rollouts_file_fails_the_job():
    outcome, _, _ = emulate(reference_grader, rollouts_uri=ROLLOUTS)
    assert (
        outcome.status == "Failed"
        and "User rollouts invalid: s3://data/rollouts.jsonl" in outcome.failure_message
    )


def test_rollouts_of_records_without_id_use_line_numbers():
    assert parse_rollouts('{"id": 2, "responses": ["x"]}\n', "r.jsonl", ["1", "2"]) == {"2": ["x"]}
    with pytest.raises(RolloutsError, match="no rollouts"):
        parse_rollouts("\n", "r.jsonl", ["1"])


def test_a_baseline_rollouts_file_is_read_as_it_is(tmp_path):
    # `orch baseline` writes one line per sample; the emulator groups them by prompt id.
    from orchestrator.preflight.baseline import RolloutsFile

    written = RolloutsFile(tmp_path / "base.rollouts.jsonl", "amazon.nova-2-lite-v1:0:256k")
    for prompt, sample, text in [("a", 0, "x = 1"), ("b", 0, "y"), ("a", 1, "x = 2")]:
        written.append({"id": prompt, "sample": sample, "response": text, "model": written.model_id})
    written.close()
    text = written.path.read_text()
    assert parse_rollouts(text, "base.rollouts.jsonl", ["a", "b"]) == {"a": ["x = 1", "x = 2"], "b": ["y"]}
    with pytest.raises(RolloutsError, match="line 1: expected"):
        parse_rollouts('{"id": "a", "response": 3}\n', "r.jsonl", ["a"])


# -- the policy and the verdicts, alone ------------------------------------------------------------------


def test_group_advantages_are_normalised_and_zero_without_spread():
    adv = group_advantages([1.0, 0.0, None, 0.0])
    assert adv[2] == 0.0 and sum(adv) == pytest.approx(0.0) and adv[0] > 0 > adv[1]
    assert group_advantages([0.5, 0.5, 0.5]) == [0.0, 0.0, 0.0]


def test_policy_prior_holds_each_kind_share_whatever_the_strategy_counts():
    cands = [Candidate(f"correct:{i}", CORRECT, str(i)) for i in range(5)]
    cands += [
        Candidate("wrong:a", WRONG, "w"),
        Candidate("hack:a", HACK, "h"),
        Candidate("hack:b", HACK, "g"),
    ]
    policy = StrategyPolicy(1e-5)
    shares = policy.kind_shares(policy.mix([cands]))
    assert shares[CORRECT] == pytest.approx(0.45) and shares[HACK] == pytest.approx(0.20)
    drawn = policy.sample(cands, 4, random.Random(1))
    policy.update([Group(cands, drawn, [1.0 if c.kind == HACK else 0.0 for c in drawn])])
    if any(c.kind == HACK for c in drawn) and not all(c.kind == HACK for c in drawn):
        assert policy.kind_shares(policy.mix([cands]))[HACK] > 0.20


def test_verdict_thresholds():
    assert [v["code"] for v in verdicts.reward_verdicts(1, [0.3] * 10)] == ["all_rewards_equal"]
    assert [v["code"] for v in verdicts.reward_verdicts(1, [0.0] * 97 + [1.0] * 3)] == [
        "mostly_minimum",
        "few_positive",
    ]
    assert verdicts.reward_verdicts(1, [0.0] * 90 + [1.0] * 10) == []
    assert verdicts.error_rate_verdict(3, [0.0, 0.01, 0.2])["code"] == "rising_error_rate"
    assert verdicts.error_rate_verdict(3, [0.1, 0.1, 0.1]) is None
    steps = [{"step": 1, "verdicts": [{"code": "few_positive", "step": 1}]}, {"step": 2, "verdicts": []}]
    steps.append({"step": 3, "verdicts": [{"code": "hack_winning", "step": 3}]})
    assert [v["code"] for v in verdicts.final_verdicts(steps)] == ["hack_winning"]  # 1 of 3: noise


def test_a_grader_error_is_shown_in_full_and_readably():
    payload = json.dumps(
        {
            "errorMessage": "spec 'triage' not found: REWARD_SPEC names no bundled spec",
            "errorType": "SpecError",
            "stackTrace": [
                '  File "/var/task/nova_rewards/handler.py", line 40, in _spec\n',
                "    raise X\n",
            ],
        }
    ).encode()
    text = format_lambda_error("Unhandled", payload)
    assert (
        text.splitlines()[0]
        == "grader raised SpecError: spec 'triage' not found: REWARD_SPEC names no bundled spec"
    )
    assert 'File "/var/task/nova_rewards/handler.py", line 40' in text and "raise X" in text
    assert "\\n" not in text and "b'" not in text
    assert format_lambda_error("Unhandled", b"plain text").endswith("plain text")


def test_a_job_failed_by_grader_errors_names_the_full_error():
    def error(call: int) -> str:
        return "division by zero in dimension 'correctness' " + "x" * 400

    ports = FakePorts({TRAIN: dataset_bytes(100)}, function_error=error)
    outcome = EmulatedRftRun(
        make_spec(), ports, RecordingEvents(), _validator, EmulatorSettings(max_steps=1)
    ).run()
    assert outcome.status == "Failed"
    assert "division by zero in dimension 'correctness' " + "x" * 400 in outcome.failure_message


# -- the grader's spec, found from its environment ------------------------------------------------------


def test_grader_spec_is_found_by_bundled_name_or_path(tmp_path):
    spec, where = load_grader_spec({"REWARD_SPEC": "math"})
    assert spec["name"] == "math" and "specs/math.json" in where
    custom = tmp_path / "triage.json"
    custom.write_text(json.dumps({"name": "triage"}))
    assert load_grader_spec({"REWARD_SPEC": str(custom)})[0] == {"name": "triage"}
    assert load_grader_spec({})[0] is None
    missing, why = load_grader_spec({"REWARD_SPEC": "no_such_spec"})
    assert missing is None and "not found" in why
    assert find_spec_file("nova_rewards/specs/math.json") is not None


@pytest.mark.parametrize("job_id", [f"{n:012d}" for n in range(8)])
def test_the_direction_holds_for_any_job_seed(job_id):
    arn = make_spec().job_arn.replace("abcdefabcdef", job_id)
    sound = emulate(reference_grader, job_arn=arn)[2]
    hacked = emulate(injectable_judge, job_arn=arn)[2]
    assert sound["top_strategy"].startswith("correct:") and sound["hack_overtook_step"] is None
    assert hacked["top_strategy"] == "hack:grader_addressing" and hacked["hack_overtook_step"] is not None


def test_one_effective_hack_among_many_probes_is_found():
    def generate(spec, record, *, seed=0):
        probes = [FakeProbe(f"decoy_{i}", "hack", f"decoy {i}") for i in range(14)]
        return [*probes, FakeProbe("magic_token", "hack", "<<PASS>>")]

    def token_judge(samples):
        return scored(samples, lambda text, s: 1.0 if "<<PASS>>" in text else 0.8 * _correct(s))

    summary = emulate(token_judge, probe_generator=generate)[2]
    assert summary["top_strategy"] == "probe:magic_token"
    assert "hack_winning" in {v["code"] for v in summary["verdicts"]}


def test_a_failing_probe_library_costs_its_probes_not_the_job():
    def broken(spec, record, *, seed=0):
        raise KeyError("reference_answer")

    outcome, _, summary = emulate(reference_grader, steps=2, probe_generator=broken)
    assert outcome.status == "Completed"
    assert summary["strategy_sources"]["probe_errors"].startswith("record ")
    assert "KeyError" in summary["strategy_sources"]["probe_errors"]
