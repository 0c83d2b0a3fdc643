"""Benchmark of dataset validation and upload. Prints numbers; asserts nothing.

- validation time of a 20,000-record dataset (goal: < 2 s), best of 3;
- peak memory (tracemalloc) of validating 2k, 20k and 100k records: should be flat, because validation
  streams the file and keeps fixed-size statistics;
- upload throughput (MB/s) of `DatasetUploader` to a moto S3 server on 127.0.0.1 (a free port), for a
  single-part and a multipart file (an in-process mock is used when moto's server extras are missing).

Run: `.venv/bin/python tests/benchmarks/bench_dataset.py`
"""

from __future__ import annotations

import json
import os
import random
import socket
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from orchestrator.datasets.validation import validate_dataset_file  # noqa: E402

GOAL_S = 2.0


def write_dataset(path: Path, records: int, seed: int = 7) -> Path:
    """A realistic dataset: system prompt, a 200-1500 character question, varied reference answers."""
    rng = random.Random(seed)
    words = ["the", "of", "a", "to", "in", "is", "that", "for", "it", "as", "with", "was", "on", "be"]
    with open(path, "w", encoding="utf-8") as handle:
        for index in range(records):
            question = " ".join(rng.choice(words) for _ in range(rng.randint(40, 300)))
            record = {
                "messages": [
                    {"role": "system", "content": "You are a careful math tutor. Show your work."},
                    {"role": "user", "content": f"Problem {index}: {question}?"},
                ],
                "reference_answer": {"final_answer": str(rng.randint(0, 10_000))},
                "id": f"bench-{index}",
                "domain": "math",
            }
            handle.write(json.dumps(record) + "\n")
    return path


def bench_validation(tmp: Path) -> None:
    path = write_dataset(tmp / "20k.jsonl", 20_000)
    size_mb = path.stat().st_size / 1e6
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        report = validate_dataset_file(path)
        timings.append(time.perf_counter() - started)
    assert report.ok, report.summary()
    best = min(timings)
    verdict = "OK" if best < GOAL_S else "OVER GOAL"
    print(f"validate 20,000 records ({size_mb:.1f} MB): best {best:.3f} s of 3 (goal < {GOAL_S} s) {verdict}")
    print(f"  throughput: {20_000 / best:,.0f} records/s, {size_mb / best:.1f} MB/s")


def peak_memory(path: Path) -> int:
    tracemalloc.start()
    try:
        validate_dataset_file(path, max_records=20_000)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_memory(tmp: Path) -> None:
    peaks = {}
    for records in (2_000, 20_000, 100_000):
        path = write_dataset(tmp / f"mem-{records}.jsonl", records)
        peaks[records] = peak_memory(path)
        print(
            f"peak memory validating {records:>7,} records ({path.stat().st_size / 1e6:6.1f} MB file): "
            f"{peaks[records] / 1024:8.1f} KiB"
        )
    ratio_20k, ratio_100k = peaks[20_000] / peaks[2_000], peaks[100_000] / peaks[2_000]
    print(f"  ratio 20k/2k: {ratio_20k:.2f}, 100k/2k: {ratio_100k:.2f} (flat ~ 1.0)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_upload(tmp: Path) -> None:
    import logging

    import boto3

    from orchestrator.datasets.upload import DatasetUploader

    os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    server = None
    try:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request log lines

        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        endpoint = f"http://127.0.0.1:{port}"
        kind = f"moto server at {endpoint}"
        mock = None
    except ImportError:
        from moto import mock_aws

        endpoint, kind = None, "in-process moto mock (moto[server] extras missing)"
        mock = mock_aws()
        mock.start()
    try:
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
        s3.create_bucket(Bucket="bench-datasets")
        for label, megabytes in (("single part", 8), ("multipart", 96)):
            path = tmp / f"upload-{megabytes}.bin"
            path.write_bytes(os.urandom(megabytes * 1024 * 1024))
            started = time.perf_counter()
            result = DatasetUploader(s3).upload(path, "bench-datasets", "datasets/")
            elapsed = time.perf_counter() - started
            assert result.uploaded
            print(
                f"upload {megabytes:3d} MB {label:<11} to {kind}: {elapsed:.2f} s, "
                f"{megabytes / elapsed:.1f} MB/s (incl. local SHA-256, head checks, checksum verification)"
            )
            path.unlink()
    finally:
        if server is not None:
            server.stop()
        if mock is not None:
            mock.stop()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-dataset-") as directory:
        tmp = Path(directory)
        bench_validation(tmp)
        bench_memory(tmp)
        bench_upload(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
