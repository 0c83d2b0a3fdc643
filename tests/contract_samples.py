"""Where AWS's sample grader events are: `../shared/contract-samples` from the repo root, as CI lays it
out (one more level up when the checkout is a worktree under `wt/`). See the README there."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def contract_samples_dir() -> Path | None:
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base / "shared" / "contract-samples"
        if candidate.is_dir():
            return candidate
    return None
