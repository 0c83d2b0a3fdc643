"""Environment output resolution: outputs file, fake `terraform` on PATH, S3/local state, flags."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from orchestrator.environment import (
    EnvironmentOutputs,
    EnvironmentResolver,
    Overrides,
    default_env_name,
    find_project_root,
)
from orchestrator.errors import ConfigError
from orchestrator.tfstate import LocalBackend, S3Backend, SourceUnavailable, find_backend
from tests.unit.orchestrator.orch_helpers import AWS_ENV, GRADER_ARN, OUTPUTS, REGION, run_orch, s3_client

STATE_BUCKET = "nova-rft-tfstate-123456789012"
BACKEND_TF = f"""
terraform {{
  required_version = ">= 1.6"
  backend "s3" {{
    bucket       = "{STATE_BUCKET}"
    key          = "dev/terraform.tfstate"
    region       = "{REGION}"
    use_lockfile = true
  }}
}}
"""


def state_document(values: dict[str, Any]) -> bytes:
    outputs = {name: {"value": value, "type": "string"} for name, value in values.items()}
    return json.dumps({"version": 4, "terraform_version": "1.15.5", "outputs": outputs}).encode()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    env_dir = tmp_path / "repo" / "terraform" / "environments" / "dev"
    env_dir.mkdir(parents=True)
    (tmp_path / "repo" / "terraform" / "environments" / "staging").mkdir()
    return tmp_path / "repo"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "TF_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = s3_client()
        client.create_bucket(Bucket=STATE_BUCKET)
        yield client


def fake_terraform(bin_dir: Path, body: str) -> Path:
    """A `terraform` executable (shell script) on a private PATH directory."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "terraform"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def terraform_printing(tmp_path: Path, values: dict[str, Any]) -> dict[str, str]:
    payload = tmp_path / "tf-output.json"
    payload.write_text(
        json.dumps({k: {"value": v, "type": "string", "sensitive": False} for k, v in values.items()})
    )
    fake_terraform(tmp_path / "bin", f'[ "$1 $2" = "output -json" ] || exit 9\ncat "{payload}"')
    return {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"}


def resolver(project: Path, environ: dict[str, str] | None = None, **kwargs: Any) -> EnvironmentResolver:
    env = {**AWS_ENV, "PATH": "/nonexistent", **(environ or {})}
    return EnvironmentResolver("dev", cwd=project / "terraform", environ=env, **kwargs)


# -- discovery ---
def test_project_root_is_found_walking_up(project: Path) -> None:
    deep = project / "a" / "b"
    deep.mkdir(parents=True)
    assert find_project_root(deep) == project
    assert find_project_root(project.parent) is None


def test_env_name_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_env_name({}) == "dev"
    assert default_env_name({"ORCH_ENV": "prod"}) == "prod"


def test_unknown_environment_lists_existing_ones(project: Path) -> None:
    with pytest.raises(ConfigError, match=r"no environment 'prod' .* \(found: dev, staging\)"):
        EnvironmentResolver("prod", cwd=project, environ={"PATH": "/nonexistent"}).resolve()


def test_no_project_root_suggests_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("orchestrator.environment.checkout_root", lambda: None)  # orch installed from a wheel
    with pytest.raises(ConfigError, match="--project-dir.*--outputs FILE"):
        EnvironmentResolver("dev", cwd=tmp_path, environ={"PATH": "/nonexistent"}).resolve()


# -- outputs file ---
@pytest.mark.parametrize("terraform_shape", [True, False])
def test_outputs_file_in_both_shapes(tmp_path: Path, terraform_shape: bool) -> None:
    path = tmp_path / "out.json"
    document = {k: {"value": v, "type": "x"} for k, v in OUTPUTS.items()} if terraform_shape else OUTPUTS
    path.write_text(json.dumps(document))
    outputs = EnvironmentResolver("dev", outputs_file=path, cwd=tmp_path).resolve()
    assert outputs.grader_arns == OUTPUTS["grader_arns"]
    assert outputs.dataset_bucket == OUTPUTS["dataset_bucket"]
    assert outputs.region == REGION
    assert outputs.source == f"outputs file {path}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1]", "expected a JSON object"),
        ('{"grader_arns": ["x"]}', "'grader_arns' must be a map"),
        ('{"dataset_bucket": 3}', "'dataset_bucket' must be a string"),
    ],
)
def test_bad_outputs_file_names_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "out.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        EnvironmentResolver("dev", outputs_file=path, cwd=tmp_path).resolve()
    assert str(path) in str(info.value)


def test_outputs_file_wins_over_terraform(project: Path, tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text(json.dumps({**OUTPUTS, "dataset_bucket": "from-file"}))
    (project / "terraform/environments/dev/.terraform").mkdir()
    environ = terraform_printing(tmp_path, {**OUTPUTS, "dataset_bucket": "from-terraform"})
    assert resolver(project, environ, outputs_file=path).resolve().dataset_bucket == "from-file"


# -- terraform output ---
def test_terraform_output_is_used_when_initialised(project: Path, tmp_path: Path) -> None:
    (project / "terraform/environments/dev/.terraform").mkdir()
    environ = terraform_printing(tmp_path, OUTPUTS)
    outputs = resolver(project, environ).resolve()
    assert outputs.grader_arn("math") == GRADER_ARN
    assert outputs.source.startswith("terraform output in ")


def test_terraform_beats_the_state_file(project: Path, tmp_path: Path) -> None:
    env_dir = project / "terraform/environments/dev"
    (env_dir / ".terraform").mkdir()
    (env_dir / "terraform.tfstate").write_bytes(state_document({**OUTPUTS, "dataset_bucket": "from-state"}))
    environ = terraform_printing(tmp_path, {**OUTPUTS, "dataset_bucket": "from-terraform"})
    assert resolver(project, environ).resolve().dataset_bucket == "from-terraform"


def test_uninitialised_directory_falls_back_to_state(project: Path, tmp_path: Path) -> None:
    env_dir = project / "terraform/environments/dev"
    (env_dir / "terraform.tfstate").write_bytes(state_document({**OUTPUTS, "dataset_bucket": "from-state"}))
    environ = terraform_printing(tmp_path, OUTPUTS)  # on PATH, but no .terraform/
    outputs = resolver(project, environ).resolve()
    assert outputs.dataset_bucket == "from-state"
    assert outputs.source == f"local state {env_dir / 'terraform.tfstate'}"


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("sleep 30 & sleep 30", "timed out after 0.5 s"),  # a grandchild holds the pipes open
        (
            "echo 'Error: Backend initialization required' >&2; exit 1",
            "exited 1: Error: Backend initialization",
        ),
        ("echo '{}'", "returned no outputs (not applied yet?)"),
        ("echo 'not json'", "printed invalid JSON"),
    ],
)
def test_terraform_failures_are_reported(project: Path, tmp_path: Path, script: str, reason: str) -> None:
    (project / "terraform/environments/dev/.terraform").mkdir()
    fake_terraform(tmp_path / "bin", script)
    environ = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"}
    with pytest.raises(ConfigError) as info:
        resolver(project, environ, terraform_timeout=0.5).resolve()
    message = str(info.value)
    assert f"terraform output: {reason}" in message
    assert "state file: no state file" in message
    assert "--outputs FILE: not given" in message


def test_nothing_works_lists_every_source(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        resolver(project).resolve()
    assert str(info.value) == (
        "cannot read the outputs of environment 'dev': terraform output: no terraform executable on PATH; "
        f"state file: no state file {project / 'terraform/environments/dev/terraform.tfstate'}; "
        "--outputs FILE: not given; "
        "no AWS account at hand? for the local stack of `make demo`, add --env local"
    )


# -- S3 backend state ---
def test_state_in_s3_backend(project: Path, aws: Any) -> None:
    (project / "terraform/environments/dev/backend.tf").write_text(BACKEND_TF)
    aws.put_object(Bucket=STATE_BUCKET, Key="dev/terraform.tfstate", Body=state_document(OUTPUTS))
    outputs = resolver(project).resolve()
    assert outputs.customization_role_arn == OUTPUTS["customization_role_arn"]
    assert outputs.source.startswith(f"S3 state s3://{STATE_BUCKET}/dev/terraform.tfstate")


def test_s3_backend_workspace_key(project: Path, aws: Any) -> None:
    (project / "terraform/environments/dev/backend.tf").write_text(BACKEND_TF)
    values = {**OUTPUTS, "dataset_bucket": "ws-bucket"}
    aws.put_object(Bucket=STATE_BUCKET, Key="env:/blue/dev/terraform.tfstate", Body=state_document(values))
    outputs = resolver(project, {"TF_WORKSPACE": "blue"}).resolve()
    assert outputs.dataset_bucket == "ws-bucket"


def test_missing_state_object_is_reported(project: Path, aws: Any) -> None:
    (project / "terraform/environments/dev/backend.tf").write_text(BACKEND_TF)
    with pytest.raises(ConfigError, match=r"state file: cannot get S3 state .*: NoSuchKey"):
        resolver(project).resolve()


def test_backend_parsing(tmp_path: Path) -> None:
    (tmp_path / "backend.tf").write_text(
        'terraform {\n backend "s3" {\n bucket = "b-1"\n key = "k"\n profile = "p"\n'
        ' endpoints = { s3 = "http://127.0.0.1:4566" }\n }\n}\n'
    )
    backend = find_backend(tmp_path)
    assert backend == S3Backend("b-1", "k", None, "p", "http://127.0.0.1:4566", str(tmp_path / "backend.tf"))
    (tmp_path / "backend.tf").write_text(
        'terraform {\n backend "s3" {\n bucket = "b"\n key = "k"\n use_path_style = true\n }\n}\n'
    )
    assert find_backend(tmp_path).path_style is True
    (tmp_path / "backend.tf").write_text(
        'terraform {\n backend "local" {\n path = "state/x.tfstate"\n }\n}\n'
    )
    assert find_backend(tmp_path) == LocalBackend(tmp_path / "state" / "x.tfstate")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('terraform {\n backend "s3" {\n key = "k"\n }\n}\n', 'backend "s3" has no bucket'),
        ('terraform {\n backend "gcs" {\n bucket = "x"\n }\n}\n', "backend 'gcs' is not supported"),
        ("terraform {\n backend ", "cannot parse"),
    ],
)
def test_backend_errors_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "backend.tf").write_text(text)
    with pytest.raises(SourceUnavailable, match=message) as info:
        find_backend(tmp_path)
    assert "backend.tf" in str(info.value)


# -- flags and lookups ---
def test_flags_override_single_outputs(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text(json.dumps(OUTPUTS))
    overrides = Overrides(
        bucket="b2", role_arn="arn:aws:iam::1:role/r", region="eu-west-1", reward_arn="arn:x"
    )
    outputs = EnvironmentResolver("dev", outputs_file=path, cwd=tmp_path).resolve(overrides)
    assert (outputs.dataset_bucket, outputs.customization_role_arn, outputs.region) == (
        "b2",
        "arn:aws:iam::1:role/r",
        "eu-west-1",
    )
    assert outputs.grader_arn("anything") == "arn:x"
    assert outputs.dataset_prefix == "datasets/"


def test_complete_flags_need_no_environment(tmp_path: Path) -> None:
    overrides = Overrides(bucket="b", role_arn="arn:aws:iam::1:role/r", reward_arn=GRADER_ARN)
    outputs = EnvironmentResolver("dev", cwd=tmp_path, environ={"PATH": ""}).resolve(overrides)
    assert outputs.source == "command-line flags"
    assert outputs.grader_arn(None) == GRADER_ARN


def test_grader_lookup_errors() -> None:
    outputs = EnvironmentOutputs(name="dev", source="test", grader_arns=OUTPUTS["grader_arns"])
    with pytest.raises(
        ConfigError, match=r"no grader 'code' in environment 'dev' \(available: math, support\)"
    ):
        outputs.grader_arn("code")
    with pytest.raises(ConfigError, match="choose a grader with --grader"):
        outputs.grader_arn(None)
    single = EnvironmentOutputs(name="dev", source="test", grader_arns={"math": GRADER_ARN})
    assert single.grader_arn(None) == GRADER_ARN
    with pytest.raises(ConfigError, match="no output 'dataset_bucket' .* pass --bucket"):
        single.require("dataset_bucket", "--bucket")


def test_orch_env_variable_selects_the_environment(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--env` defaults to $ORCH_ENV: the error names the environment it tried."""
    monkeypatch.setenv("ORCH_ENV", "qa")
    monkeypatch.setenv("PATH", "/nonexistent:" + os.environ.get("PATH", ""))
    dataset = tmp_path / "d.jsonl"
    from tests.unit.orchestrator.orch_helpers import write_dataset

    write_dataset(dataset)
    run = run_orch(["upload-dataset", str(dataset), "--project-dir", str(project)])
    assert run.exit_code == 2
    assert "no environment 'qa'" in run.stderr


def test_state_client_follows_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """Endpoint, region and path style of the backend block are used, as Terraform would."""
    from orchestrator.environment import _default_s3_client

    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    backend = S3Backend("my-state", "k", "eu-west-1", None, "http://localhost:4566", "backend.tf", True)
    client = _default_s3_client(backend)
    urls: list[str] = []

    def capture(request: Any, **_: Any) -> None:
        urls.append(request.url)
        raise SystemExit  # stop before any network I/O

    client.meta.events.register("before-send.s3.GetObject", capture)
    with pytest.raises(SystemExit):
        client.get_object(Bucket="my-state", Key="a/b")
    assert urls == ["http://localhost:4566/my-state/a/b"]
    assert client.meta.region_name == "eu-west-1"


def test_outside_any_checkout_the_environments_of_orchs_own_checkout_are_used(tmp_path: Path) -> None:
    """`orch list-jobs --env local` from ~/triage (the BYO page's directory) said "no terraform/environments/
    directory at or above", while `orch demo` from there worked."""
    repo = Path(__file__).resolve().parents[3]
    resolver = EnvironmentResolver("local", cwd=tmp_path, environ={})
    assert resolver.project_root() == repo
    assert resolver.environment_dir() == repo / "terraform" / "environments" / "local"
    project = tmp_path / "mine"
    (project / "terraform" / "environments" / "local").mkdir(parents=True)
    assert EnvironmentResolver("local", cwd=project, environ={}).project_root() == project  # cwd first
