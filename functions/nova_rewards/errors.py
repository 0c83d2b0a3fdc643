"""Errors of the reward library. Each one means the whole invocation cannot proceed; a problem with
one sample is never an exception (it becomes that sample's failure score and an error metric).

RewardError (ValueError)
├── EventError        the Lambda event is not a batch at all (not a list/object, empty, not JSON)
├── SpecError         a reward spec is missing or invalid; `.errors` holds one line per problem,
│                     each naming the field, e.g. "dimensions[1].params.tolerance: ..."
└── LocalScoringError a dataset/responses file for local scoring is unreadable (names file:line)
"""

from __future__ import annotations


class RewardError(ValueError):
    """Root of the reward library's errors."""


class EventError(RewardError):
    """The invocation event cannot be read as a batch of samples."""


class SpecError(RewardError):
    """A reward spec cannot be loaded; the message lists every problem with its field path."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        self.errors = list(errors or [])
        if self.errors:
            message = message + "\n" + "\n".join(f"  - {line}" for line in self.errors)
        super().__init__(message)


class LocalScoringError(RewardError):
    """A local scoring input (dataset or responses file) is malformed; the message names file:line."""
