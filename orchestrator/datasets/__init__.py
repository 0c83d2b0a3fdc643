"""Nova RFT datasets: validation (stdlib only), statistics and content-addressed upload.

Only `validation` is imported here on purpose: the Bedrock emulator of the local stack reuses it
inside LocalStack's own Python, which has neither click nor rich. `upload` (boto3, rich) is imported
by its users directly.
"""

from __future__ import annotations

from orchestrator.datasets.validation import (
    Issue,
    ValidationReport,
    validate_dataset_file,
    validate_dataset_lines,
)

__all__ = ["Issue", "ValidationReport", "validate_dataset_file", "validate_dataset_lines"]
