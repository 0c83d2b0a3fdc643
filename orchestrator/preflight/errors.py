"""Errors of the pre-flight commands (under `orchestrator.errors.OrchError`).

OrchError
└── ScoringIncompleteError   exit 6: some grader batches failed (each is named on stderr)
"""

from __future__ import annotations

from orchestrator.errors import OrchError


class ScoringIncompleteError(OrchError):
    """At least one batch could not be scored by the deployed grader, even after retries."""

    exit_code = 6
