"""The orchestrator's error tree. The CLI turns any `OrchError` into one line and its exit code.

OrchError                      exit 1 unless a subclass says otherwise
├── ConfigError                exit 2: bad option, missing environment output, unreadable file
├── DatasetError               exit 3: a dataset breaks the Nova RFT rules
├── AwsError                   exit 4: an AWS call failed (the message names the operation)
└── LocalStackError            exit 5: the local stack cannot be installed, started or reached
"""

from __future__ import annotations


class OrchError(Exception):
    """Root of every error `orch` reports to the user."""

    exit_code = 1


class ConfigError(OrchError):
    """A setting, option or environment output is missing or wrong."""

    exit_code = 2


class DatasetError(OrchError):
    """A dataset file breaks the Nova RFT rules."""

    exit_code = 3


class AwsError(OrchError):
    """An AWS API call failed."""

    exit_code = 4


class LocalStackError(OrchError):
    """The local AWS stack could not be installed, started, stopped or reached."""

    exit_code = 5
