"""`orch local provision` without a stack: Terraform/provider discovery, the CLI config orch writes, the
run sequence (init only when needed, apply only when the plan has changes) with a scripted runner, and
the parsing of Terraform's machine-readable output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import ConfigError, LocalStackError
from orchestrator.local_stack import provision as prov
from orchestrator.local_stack.terraform import (
    HOW_TO_GET_THE_PROVIDER,
    MIRROR_ENV,
    Toolchain,
    cli_config_text,
    find_mirror,
    find_terraform,
    host_platform,
)

PROJECT = Path(__file__).resolve().parents[3]
ENDPOINT = "http://127.0.0.1:4610"


def make_mirror(root: Path) -> Path:
    (root / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / host_platform()).mkdir(parents=True)
    return root


# ---- provider and Terraform discovery -------------------------------------------------------------


def test_the_named_mirror_wins(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "named")
    make_mirror(tmp_path / "wellknown")
    found = find_mirror({MIRROR_ENV: str(mirror)}, candidates=(str(tmp_path / "wellknown"),))
    assert found == mirror.resolve()


def test_a_named_mirror_without_the_provider_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"{MIRROR_ENV}=.*registry.terraform.io/hashicorp/aws"):
        find_mirror({MIRROR_ENV: str(tmp_path)})


def test_well_known_mirrors_are_searched_in_order(tmp_path: Path) -> None:
    make_mirror(tmp_path / "second")
    (tmp_path / "other" / "registry.terraform.io" / "hashicorp" / "aws" / "5.0.0" / "plan9_mips").mkdir(
        parents=True
    )  # another platform only: not usable here
    candidates = (str(tmp_path / "missing"), str(tmp_path / "other"), str(tmp_path / "second"))
    assert find_mirror({}, candidates=candidates) == (tmp_path / "second").resolve()
    assert find_mirror({}, candidates=candidates[:2]) is None


def test_cli_config_serves_hashicorp_from_the_mirror_only(tmp_path: Path) -> None:
    text = cli_config_text(tmp_path)
    assert f'path    = "{tmp_path}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/*"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/*"]' in text
    assert "provider_installation" not in cli_config_text(None)  # registry: Terraform's defaults


def test_discover_writes_orchs_cli_config(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "mirror")
    environ = {MIRROR_ENV: str(mirror), "PATH": "/usr/bin:/bin:/usr/local/bin", "TF_CLI_CONFIG_FILE": "/nope"}
    tools = Toolchain.discover(PROJECT, environ, config_dir=tmp_path / "cfg")
    assert tools.cli_config == tmp_path / "cfg" / "cli.tfrc" and not tools.user_config
    assert str(mirror.resolve()) in tools.cli_config.read_text()
    env = tools.env({"TF_CLI_CONFIG_FILE": "/nope", "HOME": "/root"})
    assert env["TF_CLI_CONFIG_FILE"] == str(tools.cli_config) and env["CHECKPOINT_DISABLE"] == "1"
    assert env["HOME"] == "/root"
    assert "filesystem mirror" in tools.describe_source()


def test_an_existing_user_cli_config_is_used_as_is(tmp_path: Path) -> None:
    user = tmp_path / "user.tfrc"
    user.write_text('provider_installation {\n  network_mirror {\n    url = "https://m/"\n  }\n}\n')
    tools = Toolchain.discover(PROJECT, {"TF_CLI_CONFIG_FILE": str(user), "PATH": "/usr/local/bin:/usr/bin"})
    assert tools.user_config and tools.cli_config == user
    assert tools.env({})["TF_CLI_CONFIG_FILE"] == str(user)


def test_find_terraform_order(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "terraform"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_terraform({"PATH": str(fake.parent)}, PROJECT) == [str(fake)]
    assert find_terraform({"PATH": "", "ORCH_TERRAFORM": str(fake)}, PROJECT) == [str(fake)]
    with pytest.raises(ConfigError, match="ORCH_TERRAFORM"):
        find_terraform({"PATH": "", "ORCH_TERRAFORM": str(tmp_path / "nothing")}, PROJECT)
    with pytest.raises(ConfigError, match=r"no Terraform: .*`make runtime` \(what `make demo` installs"):
        find_terraform({"PATH": ""}, tmp_path)  # no wrapper in this "project"


def test_the_provider_error_says_how_to_get_one(tmp_path: Path) -> None:
    tools = Toolchain(("terraform",), tmp_path / "cli.tfrc", None)
    message = str(tools.provider_error("Failed to query available provider packages"))
    assert "registry.terraform.io" in message and MIRROR_ENV in message and "TF_CLI_CONFIG_FILE" in message
    assert HOW_TO_GET_THE_PROVIDER in message


# ---- Terraform's JSON output ----------------------------------------------------------------------


def event(kind: str, **body: Any) -> str:
    return json.dumps({"type": kind, "@level": "info", **body})


PLAN_WITH_CHANGES = "\n".join(
    [
        event("version", terraform="1.11.4"),
        event("planned_change", change={"resource": {"addr": "aws_s3_bucket.b"}, "action": "create"}),
        event("planned_change", change={"resource": {"addr": "aws_lambda_function.f"}, "action": "update"}),
        event("planned_change", change={"resource": {"addr": "aws_iam_role.r"}, "action": "replace"}),
        event("change_summary", changes={"add": 2, "change": 1, "remove": 1}),
    ]
)


def test_planned_actions_and_summary() -> None:
    actions = prov.planned_actions(prov.parse_events("not json\n" + PLAN_WITH_CHANGES))
    assert actions == {
        "aws_s3_bucket.b": "create",
        "aws_lambda_function.f": "update",
        "aws_iam_role.r": "replace",
    }
    result = prov.ProvisionResult(changes=actions)
    assert result.summary() == "1 created, 1 replaced, 1 updated" and result.changed
    assert prov.ProvisionResult().summary() == "no changes"
    assert result.warnings() == []


def test_a_run_that_deletes_a_grader_says_how_to_keep_it() -> None:
    """`orch demo` after `orch local provision --var-file triage.tfvars` deleted the triage grader and
    said only "13 deleted"; the next `orch demo --grader triage` found no such grader."""
    grader = 'module.stack.module.grader["triage"]'
    result = prov.ProvisionResult(
        changes={
            f"{grader}.aws_lambda_function.this": "delete",
            f"{grader}.aws_iam_role.this": "delete",
            'module.stack.module.grader["math"].aws_lambda_function.this': "update",
        }
    )
    assert result.removed_graders() == ["triage"]
    assert result.warnings() == [
        "removed grader(s) triage: this run's variables do not define them; "
        "pass the --var-file that does to keep them"
    ]


def test_error_diagnostics_name_file_line_and_detail() -> None:
    diagnostic = {
        "severity": "error",
        "summary": "Invalid value for variable",
        "detail": "Every grader ...\n\nmust use x86_64",
        "range": {"filename": "providers.tf", "start": {"line": 16}},
    }
    events = prov.parse_events(
        event("diagnostic", diagnostic=diagnostic)
        + "\n"
        + event("diagnostic", diagnostic={"severity": "warning", "summary": "w"})
    )
    assert prov.error_diagnostics(events) == [
        "providers.tf:16: Invalid value for variable: Every grader ... must use x86_64"
    ]


def test_only_loopback_endpoints_are_provisioned() -> None:
    with pytest.raises(ConfigError, match="127.0.0.1 only"):
        prov.require_loopback("https://s3.amazonaws.com")
    prov.require_loopback(ENDPOINT)


# ---- the run sequence, with a scripted runner -----------------------------------------------------


class Script:
    """Fake Terraform: answers each subcommand from a queue and records what was run."""

    def __init__(self, answers: dict[str, list[tuple[int, str]]]) -> None:
        self.answers = answers
        self.calls: list[list[str]] = []
        self.envs: list[dict[str, str]] = []

    def __call__(
        self, args: list[str], cwd: Path, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        self.envs.append(env)
        sub = args[1]
        code, stdout = self.answers[sub].pop(0) if self.answers.get(sub) else (0, "")
        if sub == "init":  # what a real init leaves in TF_DATA_DIR
            data = Path(env["TF_DATA_DIR"])
            (data / "providers").mkdir(parents=True, exist_ok=True)
            (data / "terraform.tfstate").write_text("{}")
        return subprocess.CompletedProcess(args, code, stdout, "")

    def subcommands(self) -> list[str]:
        return [call[1] for call in self.calls]


class FakeS3:
    """The two calls provision makes on the stack's S3, and the state object Terraform would write."""

    def __init__(self, state: dict[str, Any] | None) -> None:
        self.state = state
        self.created: list[str] = []

    def head_bucket(self, Bucket: str) -> None:
        from botocore.exceptions import ClientError

        if Bucket not in self.created:
            raise ClientError({"Error": {"Code": "404"}}, "HeadBucket")

    def create_bucket(self, Bucket: str) -> None:
        self.created.append(Bucket)

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        import io

        from botocore.exceptions import ClientError

        if Key.endswith(".tflock"):  # no Terraform run was interrupted
            raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
        return {"Body": io.BytesIO(json.dumps(self.state).encode())}


STATE = {
    "version": 4,
    "outputs": {"region": {"value": "us-east-1", "type": "string"}},
    "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": "b"}],
}
EMPTY_STATE = {"version": 4, "outputs": {}, "resources": []}


def run_provision(
    tmp_path: Path, script: Script, state: dict[str, Any] | None = None
) -> prov.ProvisionResult:
    tools = Toolchain(("terraform",), tmp_path / "cli.tfrc", None)
    project = tmp_path / "project"
    env_dir = project / "terraform" / "environments" / "local"
    env_dir.mkdir(parents=True, exist_ok=True)
    (env_dir / "backend.tf").write_text(
        'terraform {\n  backend "s3" {\n    bucket = "state"\n    key = "local.tfstate"\n'
        '    region = "us-east-1"\n    access_key = "test"\n    secret_key = "test"\n  }\n}\n'
    )
    s3 = FakeS3(STATE if state is None else state)
    return prov.provision(
        project,
        ENDPOINT,
        toolchain=tools,
        s3_client=s3,
        runner=script,
        outputs_file=tmp_path / "outputs.json",
    )


APPLIED = "\n".join(
    [
        event("apply_complete", hook={"resource": {"addr": "aws_s3_bucket.b"}, "action": "create"}),
        event("apply_complete", hook={"resource": {"addr": "aws_iam_role.r"}, "action": "create"}),
    ]
)


def test_an_empty_state_is_applied_without_a_separate_plan(tmp_path: Path) -> None:
    script = Script({"apply": [(0, APPLIED)]})
    result = run_provision(tmp_path, script, state=EMPTY_STATE)
    assert script.subcommands() == ["init", "apply"]
    apply = script.calls[1]
    assert "-auto-approve" in apply and f"-var=localstack_endpoint={ENDPOINT}" in apply
    assert any(arg.startswith("-var=host_architecture=") for arg in apply)
    assert result.changes == {"aws_s3_bucket.b": "create", "aws_iam_role.r": "create"}
    assert result.summary() == "2 created"


def test_a_deployed_state_is_planned_then_applied(tmp_path: Path) -> None:
    script = Script({"plan": [(2, PLAN_WITH_CHANGES)]})
    result = run_provision(tmp_path, script)
    assert script.subcommands() == ["init", "plan", "apply"]
    init, plan, apply = script.calls
    backend_file = Path(init[-1].split("=", 1)[1])
    assert backend_file.read_text() == f'endpoints = {{\n  s3 = "{ENDPOINT}"\n}}\n'
    assert backend_file.parent.name == "port-4610"  # one data dir per stack port
    assert f"-var=localstack_endpoint={ENDPOINT}" in plan and "-detailed-exitcode" in plan
    assert any(arg.startswith("-var=host_architecture=") for arg in plan)
    assert apply[-1].endswith(prov.PLAN_FILE)  # applies exactly the plan it checked
    assert all(env["TF_DATA_DIR"].endswith("port-4610") for env in script.envs)
    assert result.changes["aws_s3_bucket.b"] == "create"
    assert result.outputs == {"region": "us-east-1"}  # read from the state object
    assert json.loads((tmp_path / "outputs.json").read_text()) == {
        "region": {"sensitive": False, "value": "us-east-1"}
    }


def test_nothing_changed_means_no_init_and_no_apply(tmp_path: Path) -> None:
    run_provision(tmp_path, Script({"plan": [(2, PLAN_WITH_CHANGES)]}))
    again = Script({"plan": [(0, "")]})
    result = run_provision(tmp_path, again)
    assert again.subcommands() == ["plan"]
    assert result.changes == {} and result.summary() == "no changes"


def test_init_runs_again_when_terraform_asks_for_it(tmp_path: Path) -> None:
    run_provision(tmp_path, Script({"plan": [(0, "")]}))
    needs_init = event(
        "diagnostic",
        diagnostic={
            "severity": "error",
            "summary": 'Backend initialization required, please run "terraform init"',
        },
    )
    script = Script({"plan": [(1, needs_init), (0, "")]})
    run_provision(tmp_path, script)
    assert script.subcommands() == ["plan", "init", "plan"]


def test_a_plan_error_stops_with_terraforms_message(tmp_path: Path) -> None:
    bad = event(
        "diagnostic",
        diagnostic={
            "severity": "error",
            "summary": "Invalid value for variable",
            "detail": "Every grader of the local stack must use this machine's architecture",
            "range": {"filename": "providers.tf", "start": {"line": 16}},
        },
    )
    script = Script({"plan": [(1, bad)]})
    with pytest.raises(
        prov.TerraformError, match="providers.tf:16: Invalid value for variable: Every grader"
    ):
        run_provision(tmp_path, script)
    assert "apply" not in script.subcommands()


def test_an_init_without_provider_says_how_to_get_one(tmp_path: Path) -> None:
    failure = event(
        "diagnostic",
        diagnostic={
            "severity": "error",
            "summary": "Failed to query available provider packages",
            "detail": "Could not retrieve the list of available versions for provider hashicorp/aws",
        },
    )
    with pytest.raises(ConfigError, match="TF_CLI_CONFIG_FILE") as caught:
        run_provision(tmp_path, Script({"init": [(1, failure)]}))
    assert "Failed to query available provider packages" in str(caught.value)
    assert not isinstance(caught.value, prov.TerraformError)  # no fallback of any kind


def test_ctrl_c_reaches_terraform_which_may_release_its_lock(tmp_path: Path, capsys) -> None:
    """Terraform runs in its own process group, so the terminal's Ctrl-C never reached it: orch exited,
    Terraform was cut off holding the state lock, and every later provision failed on that lock."""
    import os
    import signal
    import sys
    import threading
    import time

    from orchestrator.environment import run_bounded

    ready, released = tmp_path / "ready", tmp_path / "released"
    child = (
        "import pathlib, signal, sys, time\n"
        "def stop(*_):\n"
        f"    pathlib.Path({str(released)!r}).write_text('lock released')\n"
        "    sys.exit(1)\n"
        "signal.signal(signal.SIGINT, stop)\n"
        f"pathlib.Path({str(ready)!r}).write_text('')\n"
        "time.sleep(60)\n"
    )

    def press_ctrl_c() -> None:
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=press_ctrl_c, daemon=True).start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            run_bounded([sys.executable, "-c", child], tmp_path, dict(os.environ), timeout=60)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert released.read_text() == "lock released"
    assert time.monotonic() - started < 30
    assert "interrupted: letting Terraform stop cleanly" in capsys.readouterr().err


class LockBucket:
    """The state bucket of the stack, holding only (maybe) Terraform's lock file."""

    def __init__(self, lock: bytes | None) -> None:
        self.objects = {} if lock is None else {"local/terraform.tfstate.tflock": lock}

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803
        import io

        from botocore.exceptions import ClientError

        if Key not in self.objects:
            raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
        return {"Body": io.BytesIO(self.objects[Key])}

    def delete_object(self, Bucket: str, Key: str) -> None:  # noqa: N803
        del self.objects[Key]


def test_a_lock_left_by_a_killed_terraform_is_removed_under_orchs_own_lock() -> None:
    """After an interrupted provision every later one failed: "Error acquiring the state lock"."""
    from orchestrator.tfstate import S3Backend

    backend = S3Backend(bucket="state", key="local/terraform.tfstate", region="us-east-1")
    lock = b'{"ID": "cd72e99f", "Operation": "OperationTypePlan", "Created": "2026-11-30T07:28:20Z"}'
    bucket = LockBucket(lock)
    note = prov.remove_stale_state_lock(backend, bucket)
    assert note == (
        "removed the state lock an interrupted Terraform run left "
        "(OperationTypePlan of 2026-11-30T07:28:20Z, ID cd72e99f)"
    )
    assert bucket.objects == {}
    assert prov.remove_stale_state_lock(backend, bucket) is None


def test_two_provisions_of_one_stack_do_not_run_at_once() -> None:
    from orchestrator.local_stack.stack import free_port

    endpoint = f"http://127.0.0.1:{free_port()}"
    busy = pytest.raises(LocalStackError, match="another `orch local provision` or `orch demo`")
    with prov.provisioning_lock(endpoint), busy, prov.provisioning_lock(endpoint):
        pass
    with prov.provisioning_lock(endpoint):  # released
        pass
