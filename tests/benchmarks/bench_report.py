"""Benchmark: `orch report` of an emulated job (reference: < 5 s), in a fresh process.

Builds the metrics file of a 5-step emulated run (fake grader, no local stack), then times a new
Python process that imports the report modules (matplotlib included), reads the file and writes the
HTML and the PNG plots: what a user waits for after typing `orch report`, minus the S3 download.

Run: `.venv/bin/python tests/benchmarks/bench_report.py`
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

REFERENCE_S = 5.0  # issue 12

CHILD = """
import sys
from pathlib import Path
from orchestrator.jobs.progress import parse_records
from orchestrator.jobs.report import from_progress
from orchestrator.jobs.report_render import write_report

text = Path(sys.argv[1]).read_text()
data = from_progress({"jobName": "bench", "status": "Completed"}, parse_records(text, sys.argv[1]))
page, pngs = write_report(data, Path(sys.argv[2]))
print(len(pngs))
"""


def metrics_file(path: Path) -> None:
    from nova_rft_localstack.rft_emulation import EmulatedRftRun, EmulatorSettings, nova_rft_validator
    from tests.unit.local.emulation_fakes import FakePorts, RecordingEvents, dataset_bytes, reference_grader
    from tests.unit.local.test_rft_emulation import TRAIN, make_spec

    ports = FakePorts({TRAIN: dataset_bytes(100)}, grader=reference_grader)
    spec = make_spec()
    EmulatedRftRun(spec, ports, RecordingEvents(), nova_rft_validator, EmulatorSettings(max_steps=5)).run()
    path.write_bytes(ports.objects[spec.metrics_uri])


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        source = Path(tmp) / "metrics.jsonl"
        metrics_file(source)
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(source), str(Path(tmp) / "out")],
                cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
            )  # fmt: skip
            timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    spread = f"best {min(timings):.2f}, worst {max(timings):.2f} of 3"
    print(f"orch report (5 steps, {done.stdout.strip()} plots + HTML), fresh process: median {median:.2f} s "
          f"({spread})   (reference: < {REFERENCE_S:.0f} s)")  # fmt: skip
    print(f"machine load average while measuring: {load} on {os.cpu_count()} cores")
    return 0 if median < REFERENCE_S else 1


if __name__ == "__main__":
    sys.exit(main())
