"""Content-addressed dataset upload against moto's in-process S3 (incl. multipart, retries, aborts)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from orchestrator.aws import AwsError
from orchestrator.datasets.upload import (
    MB,
    DatasetUploader,
    dataset_key,
    digest_file,
    part_size,
    safe_file_name,
    transfer_config,
)
from orchestrator.errors import DatasetError
from tests.unit.orchestrator.orch_helpers import (
    AWS_ENV,
    BUCKET,
    all_keys,
    pending_uploads,
    run_orch,
    s3_client,
    write_dataset,
    write_outputs,
)

SMALL_PARTS = transfer_config(threshold=5 * MB, chunksize=5 * MB)  # S3's minimum part size


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = s3_client()
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    """~12 MB valid dataset: three 5 MB parts with SMALL_PARTS."""
    return write_dataset(tmp_path / "big.jsonl", count=1200, pad=10_000)


def fail_on_call(client: Any, operation: str, call_number: int) -> list[int]:
    """Make the `call_number`-th call of `operation` raise; returns the call counter."""
    calls = [0]

    def hook(**_: Any) -> None:
        calls[0] += 1
        if calls[0] == call_number:
            raise ConnectionError(f"injected failure in {operation} #{call_number}")

    client.meta.events.register(f"before-call.s3.{operation}", hook)
    return calls


def test_single_part_upload_is_content_addressed_and_verified(s3: Any, tmp_path: Path) -> None:
    path = write_dataset(tmp_path / "train set.jsonl")
    data = path.read_bytes()
    result = DatasetUploader(s3).upload(path, BUCKET, "datasets/")
    sha = hashlib.sha256(data).hexdigest()
    assert result.key == f"datasets/{sha}/train-set.jsonl"
    assert result.uri == f"s3://{BUCKET}/datasets/{sha}/train-set.jsonl"
    assert result.uploaded is True
    assert result.checksum == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert s3.get_object(Bucket=BUCKET, Key=result.key)["Body"].read() == data
    head = s3.head_object(Bucket=BUCKET, Key=result.key)
    assert head["Metadata"] == {"sha256": sha}


def test_second_upload_is_a_no_op(s3: Any, tmp_path: Path) -> None:
    path = write_dataset(tmp_path / "train.jsonl")
    first = DatasetUploader(s3).upload(path, BUCKET, "datasets/")
    puts = fail_on_call(s3, "PutObject", 1)  # any write would now fail
    second = DatasetUploader(s3).upload(path, BUCKET, "datasets/")
    assert puts == [0]
    assert second.uploaded is False
    assert second.uri == first.uri
    assert all_keys(s3, BUCKET) == [first.key]


def test_foreign_object_at_the_key_is_never_overwritten(s3: Any, tmp_path: Path) -> None:
    path = write_dataset(tmp_path / "train.jsonl")
    uploader = DatasetUploader(s3)
    _, key = uploader.plan(path, BUCKET, "datasets/")
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"something else")
    with pytest.raises(DatasetError, match="refusing to overwrite"):
        uploader.upload(path, BUCKET, "datasets/")
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"something else"


def test_multipart_upload_checks_composite_checksum(s3: Any, big_file: Path) -> None:
    result = DatasetUploader(s3, config=SMALL_PARTS).upload(big_file, BUCKET, "datasets/")
    data = big_file.read_bytes()
    parts = [data[i : i + 5 * MB] for i in range(0, len(data), 5 * MB)]
    assert len(parts) == 3
    composite = base64.b64encode(hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest())
    assert result.checksum.split("-")[0] == composite.decode()
    assert s3.get_object(Bucket=BUCKET, Key=result.key)["Body"].read() == data
    assert pending_uploads(s3, BUCKET) == []
    # a later single-part configuration still recognises the object (metadata sha256)
    again = DatasetUploader(s3).upload(big_file, BUCKET, "datasets/")
    assert again.uploaded is False


def test_failed_part_leaves_no_object_and_no_pending_upload(s3: Any, big_file: Path) -> None:
    fail_on_call(s3, "UploadPart", 2)
    with pytest.raises((AwsError, ConnectionError)):
        DatasetUploader(s3, config=SMALL_PARTS).upload(big_file, BUCKET, "datasets/")
    assert all_keys(s3, BUCKET) == []
    assert pending_uploads(s3, BUCKET) == []


def test_leftover_multipart_is_aborted_when_the_transfer_cannot_abort(s3: Any, big_file: Path) -> None:
    """s3transfer's own abort fails here; the uploader's second line of defence cleans up."""
    fail_on_call(s3, "UploadPart", 2)
    aborts = fail_on_call(s3, "AbortMultipartUpload", 1)
    with pytest.raises((AwsError, ConnectionError)):
        DatasetUploader(s3, config=SMALL_PARTS).upload(big_file, BUCKET, "datasets/")
    assert aborts[0] == 2  # s3transfer's attempt (failed), then ours
    assert pending_uploads(s3, BUCKET) == []
    assert all_keys(s3, BUCKET) == []


def test_retry_after_a_failure_completes(s3: Any, big_file: Path) -> None:
    fail_on_call(s3, "UploadPart", 2)
    with pytest.raises((AwsError, ConnectionError)):
        DatasetUploader(s3, config=SMALL_PARTS).upload(big_file, BUCKET, "datasets/")
    result = DatasetUploader(s3, config=SMALL_PARTS).upload(big_file, BUCKET, "datasets/")
    assert result.uploaded is True
    assert s3.get_object(Bucket=BUCKET, Key=result.key)["Body"].read() == big_file.read_bytes()


def test_old_leftovers_of_other_uploads_are_not_touched(s3: Any, big_file: Path) -> None:
    uploader = DatasetUploader(s3, config=SMALL_PARTS)
    _, key = uploader.plan(big_file, BUCKET, "datasets/")
    other = s3.create_multipart_upload(Bucket=BUCKET, Key="datasets/other.jsonl")["UploadId"]
    fail_on_call(s3, "UploadPart", 1)
    with pytest.raises((AwsError, ConnectionError)):
        uploader.upload(big_file, BUCKET, "datasets/")
    assert [u["UploadId"] for u in pending_uploads(s3, BUCKET)] == [other]
    assert key not in all_keys(s3, BUCKET)


class LyingHead:
    """Delegates to a real client but reports a wrong checksum after the upload."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.heads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def head_object(self, **kwargs: Any) -> dict[str, Any]:
        self.heads += 1
        response = self._client.head_object(**kwargs)
        response["ChecksumSHA256"] = base64.b64encode(b"\0" * 32).decode()
        return response


def test_checksum_mismatch_deletes_the_object(s3: Any, tmp_path: Path) -> None:
    path = write_dataset(tmp_path / "train.jsonl")
    with pytest.raises(AwsError, match="checksum verification"):
        DatasetUploader(LyingHead(s3)).upload(path, BUCKET, "datasets/")
    assert all_keys(s3, BUCKET) == []


def test_progress_callback_sees_every_byte(s3: Any, big_file: Path) -> None:
    seen: list[int] = []

    def progress(name: str, total: int) -> Any:
        assert name == "big.jsonl" and total == big_file.stat().st_size
        return seen.append

    DatasetUploader(s3, config=SMALL_PARTS, progress=progress).upload(big_file, BUCKET, "datasets/")
    assert sum(seen) == big_file.stat().st_size


def test_digest_layout_matches_s3transfer(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"a" * (11 * MB + 3))
    chunk = part_size(SMALL_PARTS, 11 * MB + 3)
    digest = digest_file(path, chunk)
    assert (chunk, digest.parts, digest.size) == (5 * MB, 3, 11 * MB + 3)
    assert part_size(SMALL_PARTS, 4 * MB) is None
    assert digest_file(path, None).composite_b64 is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("train.jsonl", "train.jsonl"),  # unchanged
        ("my data=v2.jsonl", "my-data-v2.jsonl"),  # spaces and '=' are not allowed in Bedrock S3 URIs
        ("...", "..."),  # dots are allowed
        ("é", "dataset.jsonl"),  # nothing usable left
    ],
)
def test_safe_file_names(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected


def test_dataset_key_normalises_the_prefix() -> None:
    assert dataset_key("datasets", "ab", "x.jsonl") == "datasets/ab/x.jsonl"
    assert dataset_key("", "ab", "x.jsonl") == "ab/x.jsonl"
    assert dataset_key("/a/b/", "ab", "x.jsonl") == "a/b/ab/x.jsonl"


# -- the command ---
def test_upload_dataset_command_json(s3: Any, tmp_path: Path) -> None:
    outputs = write_outputs(tmp_path / "outputs.json")
    train = write_dataset(tmp_path / "train.jsonl", 120)
    val = write_dataset(tmp_path / "val.jsonl", 100)
    args = ["upload-dataset", str(train), "--validation-file", str(val), "--outputs", str(outputs), "--json"]
    first = run_orch(args)
    assert first.exit_code == 0, first.stderr
    payload = first.json()
    assert payload["training"]["uploaded"] is True
    assert payload["validation"]["uri"].startswith(f"s3://{BUCKET}/datasets/")
    assert payload["validation"]["uri"].endswith("/val.jsonl")
    second = run_orch(args)
    assert second.json()["training"]["uploaded"] is False
    assert second.json()["training"]["uri"] == payload["training"]["uri"]


def test_upload_dataset_command_human_prints_uri(s3: Any, tmp_path: Path) -> None:
    outputs = write_outputs(tmp_path / "outputs.json")
    train = write_dataset(tmp_path / "train.jsonl")
    run = run_orch(["upload-dataset", str(train), "--outputs", str(outputs)])
    assert run.exit_code == 0
    sha = hashlib.sha256(train.read_bytes()).hexdigest()
    assert f"s3://{BUCKET}/datasets/{sha}/train.jsonl" in run.stdout


def test_invalid_dataset_is_never_uploaded(s3: Any, tmp_path: Path) -> None:
    outputs = write_outputs(tmp_path / "outputs.json")
    train = write_dataset(tmp_path / "train.jsonl", 50)
    run = run_orch(["upload-dataset", str(train), "--outputs", str(outputs)])
    assert run.exit_code == 3
    assert "50 records; Nova RFT needs at least 100" in run.stderr
    assert all_keys(s3, BUCKET) == []


def test_bucket_flag_overrides_outputs(s3: Any, tmp_path: Path) -> None:
    s3.create_bucket(Bucket="other-bucket")
    outputs = write_outputs(tmp_path / "outputs.json")
    train = write_dataset(tmp_path / "train.jsonl")
    run = run_orch(
        ["upload-dataset", str(train), "--outputs", str(outputs), "--bucket", "other-bucket", "--json"]
    )
    assert run.json()["training"]["bucket"] == "other-bucket"
    assert all_keys(s3, BUCKET) == []


class SilentlyLosingTransfer:
    """A client whose managed transfer "succeeds" without storing anything.

    s3transfer does this when a worker thread dies of a BaseException (e.g. KeyboardInterrupt there).
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def upload_file(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_a_transfer_that_stored_nothing_is_an_error(s3: Any, tmp_path: Path) -> None:
    path = write_dataset(tmp_path / "train.jsonl")
    with pytest.raises(AwsError, match="did not create the object"):
        DatasetUploader(SilentlyLosingTransfer(s3)).upload(path, BUCKET, "datasets/")
    assert all_keys(s3, BUCKET) == []


def test_ctrl_c_in_the_main_thread_leaves_nothing_partial(s3: Any, big_file: Path) -> None:
    """A real SIGINT while parts are in flight: no partial object and no pending multipart upload."""
    import os
    import signal
    import threading
    import time

    part_started, interrupt_sent = threading.Event(), threading.Event()

    def slow_part(**_: Any) -> None:
        part_started.set()
        if interrupt_sent.wait(10):
            time.sleep(2.0)  # the main thread handles Ctrl-C within this window

    def press_ctrl_c() -> None:
        if part_started.wait(10):
            os.kill(os.getpid(), signal.SIGINT)  # a real signal: it wakes the main thread's wait
        interrupt_sent.set()

    s3.meta.events.register("before-call.s3.UploadPart", slow_part)
    # A process started in the background by a non-interactive shell (as CI may be) inherits SIGINT
    # as ignored, and Python keeps that: install Python's own Ctrl-C handler for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=press_ctrl_c, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            DatasetUploader(s3, config=SMALL_PARTS).upload(big_file, BUCKET, "datasets/")
    finally:
        signal.signal(signal.SIGINT, previous)
    keys = all_keys(s3, BUCKET)
    # Normally nothing was completed (the parts were in flight). On a loaded machine S3 may complete the
    # object before the main thread handles the signal: then it must be whole and intact.
    if keys:
        assert s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read() == big_file.read_bytes()
    assert pending_uploads(s3, BUCKET) == []


class _RawBody:
    """The raw body of a fabricated HTTP response (what botocore reads from urllib3)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body

    def read(self, *_: Any, **__: Any) -> bytes:
        return self.body


def test_a_transient_500_on_a_part_is_retried(s3: Any, big_file: Path) -> None:
    """The client's retry policy (standard mode) re-sends a part that got a 500; the upload completes."""
    from botocore.awsrequest import AWSResponse

    sends = [0]
    error = b"<?xml version='1.0'?><Error><Code>InternalError</Code><Message>boom</Message></Error>"

    def flaky_send(request: Any, **_: Any) -> AWSResponse | None:
        sends[0] += 1
        return AWSResponse(request.url, 500, {}, _RawBody(error)) if sends[0] == 2 else None

    s3.meta.events.register_first("before-send.s3.UploadPart", flaky_send)
    result = DatasetUploader(s3, config=SMALL_PARTS).upload(big_file, BUCKET, "datasets/")
    assert result.uploaded
    assert sends[0] == 4  # three parts, one of them sent twice
    assert s3.get_object(Bucket=BUCKET, Key=result.key)["Body"].read() == big_file.read_bytes()
    assert pending_uploads(s3, BUCKET) == []


class InterruptedTransfer(SilentlyLosingTransfer):
    """A client whose managed transfer is interrupted by Ctrl-C."""

    def upload_file(self, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_in_the_command_says_what_is_left(s3: Any, tmp_path: Path) -> None:
    """Ctrl-C printed only "Aborted.": whether something half-written was left was the user's guess."""
    outputs = write_outputs(tmp_path / "outputs.json")
    train = write_dataset(tmp_path / "train.jsonl")
    args = ["upload-dataset", str(train), "--outputs", str(outputs)]
    run = run_orch(args, obj={"clients": {"s3": InterruptedTransfer(s3)}})
    assert isinstance(run.exception, SystemExit) and run.exit_code != 0
    assert "interrupted: an upload is all or nothing, so no partial object" in run.stderr
    assert "run the same command again to finish" in run.stderr
    assert all_keys(s3, BUCKET) == [] and pending_uploads(s3, BUCKET) == []
