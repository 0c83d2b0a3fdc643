"""The Nova RFT LocalStack extension: plugins that run *inside* LocalStack's own process.

Runtime: LocalStack's Python 3.13 virtual environment (`.orch/localstack-venv/`), where this project
is installed editable and without dependencies. Only the standard library, LocalStack's own
dependencies (boto3/botocore among them) and the stdlib-only parts of this repository may be imported
here; `orch` never imports this package. Entry points (`pyproject.toml`):

- `executor`: the `host` Lambda runtime executor (runs functions as host subprocesses, no Docker);
- `bedrock`: the `nova_rft` Bedrock provider that emulates RFT customization jobs;
- `bedrock_runtime`: Converse/InvokeModel answered by a deterministic rubric model.
"""
