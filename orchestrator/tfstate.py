"""Read Terraform outputs straight from an environment's state, without running Terraform.

The backend is found in the environment's `.tf` files (python-hcl2 8.x, with its serialization
options stripping the quotes of strings and labels). An `s3` backend's state object is fetched with
boto3 `get_object`, using the backend's region, profile, S3 endpoint, path-style setting and
credentials as Terraform does (`access_key`/`secret_key` written in the backend block win over the
environment, as in Terraform's S3 backend; without them boto3's standard credential chain applies); a
`local` backend (or none) means `terraform.tfstate` in the directory. Only the `outputs` section of
the state (format version 4) is used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

DEFAULT_WORKSPACE = "default"


class SourceUnavailable(Exception):
    """One source of outputs did not work; the message says why (collected into the final error)."""


@dataclass(frozen=True)
class S3Backend:
    """The settings of a `backend "s3"` block that locate the state object."""

    bucket: str
    key: str
    region: str | None = None
    profile: str | None = None
    endpoint: str | None = None
    declared_in: str = ""
    path_style: bool = False
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)

    @property
    def on_loopback(self) -> bool:
        """True for a backend on this machine (the local stack), whatever its port."""
        host = urlparse(self.endpoint or "").hostname or ""
        return host in ("127.0.0.1", "localhost", "::1")

    def with_endpoint(self, endpoint: str) -> S3Backend:
        return replace(self, endpoint=endpoint)

    def describe(self) -> str:
        where = f" at {self.endpoint}" if self.endpoint else ""
        return f"S3 state s3://{self.bucket}/{self.key}{where} (backend in {self.declared_in})"


@dataclass(frozen=True)
class LocalBackend:
    """A local state file (the `local` backend, or no backend block at all)."""

    path: Path

    def describe(self) -> str:
        return f"local state {self.path}"


Backend = S3Backend | LocalBackend


def load_hcl(path: Path) -> dict[str, Any]:
    """Parse one HCL file with quotes stripped; SourceUnavailable naming the file on errors."""
    import hcl2
    from hcl2 import SerializationOptions

    options = SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
    try:
        return hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=options)
    except OSError as exc:
        raise SourceUnavailable(f"cannot read {path}: {exc.strerror or exc}") from exc
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceUnavailable(f"cannot parse {path}: {first_line}") from exc


def _backend_blocks(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    blocks = []
    for terraform_block in document.get("terraform", []) or []:
        for backend in terraform_block.get("backend", []) or []:
            for kind, body in backend.items():
                blocks.append((kind, body if isinstance(body, dict) else {}))
    return blocks


def find_backend(directory: Path, *, workspace: str | None = None) -> Backend:
    """The backend declared by the `.tf` files of `directory` (backend.tf first)."""
    files = sorted(directory.glob("*.tf"), key=lambda p: (p.name != "backend.tf", p.name))
    for path in files:
        for kind, body in _backend_blocks(load_hcl(path)):
            if kind == "s3":
                return _s3_backend(body, path, workspace or DEFAULT_WORKSPACE)
            if kind == "local":
                return _local_backend(directory, body.get("path"), workspace or DEFAULT_WORKSPACE)
            raise SourceUnavailable(f"{path}: backend '{kind}' is not supported (only s3 and local)")
    return _local_backend(directory, None, workspace or DEFAULT_WORKSPACE)


def _s3_backend(body: dict[str, Any], path: Path, workspace: str) -> S3Backend:
    bucket, key = body.get("bucket"), body.get("key")
    if not bucket or not key:
        missing = " and ".join(name for name in ("bucket", "key") if not body.get(name))
        raise SourceUnavailable(f'{path}: backend "s3" has no {missing} (partial configuration?)')
    if workspace != DEFAULT_WORKSPACE:
        prefix = body.get("workspace_key_prefix") or "env:"
        key = f"{prefix}/{workspace}/{key}"
    endpoints = body.get("endpoints")
    if not isinstance(endpoints, dict):
        endpoints = {}
    return S3Backend(
        bucket=str(bucket),
        key=str(key),
        region=body.get("region"),
        profile=body.get("profile"),
        endpoint=endpoints.get("s3") or body.get("endpoint"),
        declared_in=str(path),
        path_style=bool(body.get("use_path_style") or body.get("force_path_style")),
        access_key=body.get("access_key") or None,
        secret_key=body.get("secret_key") or None,
    )


def _local_backend(directory: Path, path: str | None, workspace: str) -> LocalBackend:
    if path:
        return LocalBackend(directory / path)
    if workspace != DEFAULT_WORKSPACE:
        return LocalBackend(directory / "terraform.tfstate.d" / workspace / "terraform.tfstate")
    return LocalBackend(directory / "terraform.tfstate")


def read_state_outputs(backend: Backend, s3_client_factory: Callable[[S3Backend], Any]) -> dict[str, Any]:
    """{output name: value} from the state of `backend`."""
    if isinstance(backend, LocalBackend):
        try:
            raw = backend.path.read_bytes()
        except FileNotFoundError as exc:
            raise SourceUnavailable(f"no state file {backend.path}") from exc
        except OSError as exc:
            raise SourceUnavailable(f"cannot read {backend.path}: {exc.strerror or exc}") from exc
    else:
        raw = _get_s3_state(backend, s3_client_factory)
    try:
        state = json.loads(raw)
    except ValueError as exc:
        raise SourceUnavailable(f"{backend.describe()} is not valid JSON: {exc}") from exc
    outputs = state.get("outputs") if isinstance(state, dict) else None
    if not isinstance(outputs, dict):
        raise SourceUnavailable(f"{backend.describe()} has no 'outputs' section")
    return {name: entry.get("value") for name, entry in outputs.items() if isinstance(entry, dict)}


def _get_s3_state(backend: S3Backend, s3_client_factory: Callable[[S3Backend], Any]) -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = s3_client_factory(backend)
        body = client.get_object(Bucket=backend.bucket, Key=backend.key)["Body"]
        try:
            return body.read()
        finally:
            body.close()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise SourceUnavailable(f"cannot get {backend.describe()}: {code or exc}") from exc
    except BotoCoreError as exc:
        raise SourceUnavailable(f"cannot get {backend.describe()}: {exc}") from exc
