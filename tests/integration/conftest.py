"""Session fixtures of the integration tests: one local stack for the whole session, `local` provisioned once.

Fixtures (use them from any test under tests/integration):

- `local_stack` -> `orchestrator.local_stack.stack.LocalStack`, started on a free port with its state in a
  temporary directory, stopped (by PID) at the end of the session. Useful members: `endpoint_url`,
  `client_env()` (AWS_ENDPOINT_URL, dummy credentials, region for subprocesses), `session()`,
  `client(service)` (boto3 client with timeouts and retries), `log_tail()`.
- `grader_package` -> Path of build/grader-<host arch>.zip (built with `orch reward package`'s builder
  when missing).
- `provisioned_local` -> `ProvisionResult` of `orch local provision` (real `terraform apply` with the
  AWS provider) of terraform/environments/local on that stack; `.outputs` is the environment's outputs
  dict read from the Terraform state (docs/architecture.md names), `.outputs_file` the outputs file
  (terraform output -json shape), `.changes` the planned actions per resource address.

Every test in this directory is marked `integration` (so `-m "not integration"` skips them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.local_stack.provision import ProvisionResult, provision
from orchestrator.local_stack.stack import LocalStack, free_port
from orchestrator.local_stack.terraform import host_architecture

PROJECT_DIR = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
START_TIMEOUT_S = 180.0  # two cores shared with other test sessions: be patient, fail clearly


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)
    # `terraform destroy` of the session's `local` environment runs after every test that uses it.
    items.sort(key=lambda item: item.name.startswith("test_destroy_"))


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A LocalStack of our own (free port, temporary state), started once per session."""
    stack = LocalStack(PROJECT_DIR, port=free_port(), state_dir=tmp_path_factory.mktemp("localstack"))
    stack.start(timeout=START_TIMEOUT_S)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def grader_package() -> Path:
    """The grader zip for this host's CPU (the emulator runs code natively); built when missing or
    stale (its stamp names other sources), as `orch local provision` does."""
    from orchestrator.local_stack.packages import ensure_base_package

    return ensure_base_package(PROJECT_DIR, host_architecture(), lambda _line: None)


@pytest.fixture(scope="session")
def provisioned_local(
    local_stack: LocalStack, grader_package: Path, tmp_path_factory: pytest.TempPathFactory
) -> ProvisionResult:
    """terraform/environments/local applied to the session's stack by real Terraform."""
    outputs_file = tmp_path_factory.mktemp("outputs") / "local.json"
    return provision(PROJECT_DIR, local_stack.endpoint_url, environment="local", outputs_file=outputs_file)
