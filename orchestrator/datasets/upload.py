"""Content-addressed, verified, all-or-nothing dataset upload to S3.

Key: `<dataset_prefix><sha256 of the file>/<file name>`. Because the key names the content:
- an object already at the key with the same checksum makes the upload a no-op (nothing is rewritten);
- an object at the key with a different or unknown checksum is never overwritten (error instead).

boto3's managed transfer (`upload_file` + `TransferConfig`) does the multipart work with
`ChecksumAlgorithm=SHA256`, so S3 checks every part. Afterwards `head_object(ChecksumMode=ENABLED)`
is compared with the checksum computed locally: the full-object SHA-256 for a single-part upload, or
the composite one (SHA-256 of the parts' SHA-256 digests, "-N" suffix) for multipart, using the same
part size s3transfer uses. s3transfer aborts the multipart upload when a part fails; as a second line
of defence, any multipart upload of this key that appeared during this call and is still pending is
aborted too (uploads pending before the call are left alone), so a failed or interrupted upload
leaves neither an object nor pending parts.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.aws import AwsError, AwsNotFoundError, translate_errors
from orchestrator.errors import DatasetError

MB = 1024 * 1024
MULTIPART_THRESHOLD = 16 * MB
MULTIPART_CHUNKSIZE = 16 * MB
MAX_CONCURRENCY = 4
HASH_BLOCK = 1 * MB
METADATA_KEY = "sha256"
# Characters Bedrock accepts in an S3 URI path segment (service model pattern of S3Uri).
_UNSAFE_KEY_CHARS = re.compile(r"[^-!_*'().a-zA-Z0-9]")

ProgressFactory = Callable[[str, int], Callable[[int], None]]


@dataclass(frozen=True)
class FileDigest:
    """SHA-256 of a whole file and of each part of the multipart layout used to upload it."""

    size: int
    sha256_hex: str
    sha256_b64: str
    composite_b64: str | None  # None when the file goes up in one part
    parts: int


@dataclass(frozen=True)
class UploadResult:
    """Where a dataset is and whether this call wrote it."""

    path: str
    bucket: str
    key: str
    sha256: str
    size: int
    uploaded: bool  # False: the object was already there (no-op)
    checksum: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "uri": self.uri,
            "bucket": self.bucket,
            "key": self.key,
            "sha256": self.sha256,
            "size": self.size,
            "uploaded": self.uploaded,
            "checksum_sha256": self.checksum,
        }


def transfer_config(threshold: int = MULTIPART_THRESHOLD, chunksize: int = MULTIPART_CHUNKSIZE) -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(
        multipart_threshold=threshold,
        multipart_chunksize=chunksize,
        max_concurrency=MAX_CONCURRENCY,
        use_threads=True,
    )


def part_size(config: Any, size: int) -> int | None:
    """The part size s3transfer will use for a file of `size` bytes (None: single PUT)."""
    if size < config.multipart_threshold:
        return None
    from s3transfer.utils import ChunksizeAdjuster

    return ChunksizeAdjuster().adjust_chunksize(config.multipart_chunksize, size)


def digest_file(path: Path, chunk: int | None) -> FileDigest:
    """Full SHA-256 and (for multipart) the composite SHA-256, in one streaming read."""
    whole = hashlib.sha256()
    part_digests: list[bytes] = []
    part = hashlib.sha256()
    in_part = 0
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(HASH_BLOCK if chunk is None else min(HASH_BLOCK, chunk - in_part)):
            whole.update(block)
            size += len(block)
            if chunk is not None:
                part.update(block)
                in_part += len(block)
                if in_part == chunk:
                    part_digests.append(part.digest())
                    part, in_part = hashlib.sha256(), 0
    if chunk is not None and in_part:
        part_digests.append(part.digest())
    composite = None
    if chunk is not None:
        composite = base64.b64encode(hashlib.sha256(b"".join(part_digests)).digest()).decode()
    return FileDigest(
        size=size,
        sha256_hex=whole.hexdigest(),
        sha256_b64=base64.b64encode(whole.digest()).decode(),
        composite_b64=composite,
        parts=len(part_digests) if chunk is not None else 1,
    )


def safe_file_name(name: str) -> str:
    """A file name usable in a Bedrock S3 URI (other characters become '-')."""
    cleaned = _UNSAFE_KEY_CHARS.sub("-", name).strip("-") or "dataset.jsonl"
    return cleaned[:200]


def dataset_key(prefix: str, sha256_hex: str, file_name: str) -> str:
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return f"{prefix.lstrip('/')}{sha256_hex}/{safe_file_name(file_name)}"


def _strip_part_count(checksum: str | None) -> str | None:
    return checksum.split("-", 1)[0] if checksum else checksum


class DatasetUploader:
    """Uploads one file per call; the S3 client and the progress display are injected."""

    def __init__(
        self,
        s3_client: Any,
        *,
        config: Any | None = None,
        progress: ProgressFactory | None = None,
    ) -> None:
        self.s3 = s3_client
        self.config = config or transfer_config()
        self.progress = progress

    def plan(self, path: Path, bucket: str, prefix: str) -> tuple[FileDigest, str]:
        """Digest and key of `path`, without any network call (used by --dry-run)."""
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise DatasetError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        digest = digest_file(path, part_size(self.config, size))
        return digest, dataset_key(prefix, digest.sha256_hex, path.name)

    def upload(self, path: Path, bucket: str, prefix: str) -> UploadResult:
        digest, key = self.plan(path, bucket, prefix)
        expected = digest.composite_b64 or digest.sha256_b64
        existing = self._head(bucket, key)
        if existing is not None:
            self._check_existing(existing, digest, bucket, key)
            checksum = existing.get("ChecksumSHA256") or expected
            return UploadResult(str(path), bucket, key, digest.sha256_hex, digest.size, False, checksum)
        try:
            self._transfer(path, bucket, key, digest)
        except BaseException:
            # Ctrl-C can land after S3 already completed the object: keep it only if it is intact.
            self._discard_unless_intact(bucket, key, expected)
            raise
        checksum = self._verify(bucket, key, expected)
        return UploadResult(str(path), bucket, key, digest.sha256_hex, digest.size, True, checksum)

    # -- steps ----------------------------------------------------------------------------------------
    def _head(self, bucket: str, key: str) -> dict[str, Any] | None:
        try:
            with translate_errors(f"s3:HeadObject s3://{bucket}/{key}"):
                return self.s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        except AwsNotFoundError:
            return None

    def _check_existing(self, head: dict[str, Any], digest: FileDigest, bucket: str, key: str) -> None:
        same_meta = head.get("Metadata", {}).get(METADATA_KEY) == digest.sha256_hex
        remote = _strip_part_count(head.get("ChecksumSHA256"))
        same_checksum = remote is not None and remote in (digest.sha256_b64, digest.composite_b64)
        if head.get("ContentLength") == digest.size and (same_meta or same_checksum):
            return
        raise DatasetError(
            f"s3://{bucket}/{key} exists but its content does not match the local file "
            "(size or SHA-256 differ); refusing to overwrite a content-addressed object"
        )

    def _transfer(self, path: Path, bucket: str, key: str, digest: FileDigest) -> None:
        multipart = digest.composite_b64 is not None
        # Uploads of this key that exist before ours are someone else's: never abort those.
        before = self._pending_upload_ids(bucket, key) if multipart else set()
        callback = self.progress(path.name, digest.size) if self.progress else None
        extra = {
            "ChecksumAlgorithm": "SHA256",
            "Metadata": {METADATA_KEY: digest.sha256_hex},
            "ContentType": "application/jsonl",
        }
        if not multipart:
            # Single PUT: S3 rejects the body unless it matches this full-object checksum.
            extra["ChecksumSHA256"] = digest.sha256_b64
        try:
            with translate_errors(f"upload {path} to s3://{bucket}/{key}"):
                self.s3.upload_file(
                    str(path), bucket, key, ExtraArgs=extra, Config=self.config, Callback=callback
                )
        except BaseException:
            if multipart:
                self._abort_leftovers(bucket, key, before)
            raise

    def _pending_upload_ids(self, bucket: str, key: str) -> set[str]:
        with translate_errors(f"s3:ListMultipartUploads s3://{bucket}/{key}"):
            listing = self.s3.list_multipart_uploads(Bucket=bucket, Prefix=key)
        return {u["UploadId"] for u in listing.get("Uploads", []) if u.get("Key") == key}

    def _abort_leftovers(self, bucket: str, key: str, before: set[str]) -> None:
        """Abort multipart uploads of `key` begun by this call (best effort: never masks the error)."""
        try:
            for upload_id in self._pending_upload_ids(bucket, key) - before:
                self.s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except Exception:  # cleanup must not hide the original failure
            return

    def _verify(self, bucket: str, key: str, expected: str) -> str:
        head = self._head(bucket, key)
        if head is None:
            # s3transfer can report success when a worker thread died (e.g. KeyboardInterrupt there).
            raise AwsError(f"upload to s3://{bucket}/{key} did not create the object; nothing was stored")
        remote = head.get("ChecksumSHA256")
        if _strip_part_count(remote) == expected:
            return str(remote)
        self._delete_quietly(bucket, key)
        raise AwsError(
            f"checksum verification of s3://{bucket}/{key} failed: S3 reports {remote!r}, "
            f"expected {expected!r}; the object was deleted"
        )

    def _discard_unless_intact(self, bucket: str, key: str, expected: str) -> None:
        """After a failed transfer: delete an object at `key` whose checksum is not the expected one."""
        try:
            head = self.s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        except Exception:  # absent (the normal case) or unreachable: nothing to do
            return
        if _strip_part_count(head.get("ChecksumSHA256")) != expected:
            self._delete_quietly(bucket, key)

    def _delete_quietly(self, bucket: str, key: str) -> None:
        try:
            self.s3.delete_object(Bucket=bucket, Key=key)
        except Exception:  # the verification error is the one to report
            return
