"""Fixed-memory statistics for streaming dataset validation (stdlib only).

Validation must keep memory flat in the size of the file, so nothing here grows with the number of
records: prompt lengths go into a log-linear histogram of fixed size, and duplicate detection uses a
pre-allocated open-addressing table of 64-bit fingerprints sized by the record limit (a file larger
than that limit is invalid anyway; records past it are not checked for duplicates).
"""

from __future__ import annotations

import hashlib
import json
import math
from array import array
from typing import Any

# Lengths below this are counted exactly; above it, buckets of 1/128 of an octave (< 0.8 % error).
_EXACT_LIMIT = 4096
_SUB_BUCKETS = 128
_FIRST_SHIFT = 5  # 4096 >> 5 == 128, the first non-exact bucket
_OCTAVES = 56
MAX_TRACKED_FINGERPRINTS = 1_000_000


class LengthHistogram:
    """Count of non-negative integers with exact min/max/mean and approximate percentiles.

    Percentiles are exact for values below 4096 and within 0.8 % above (HdrHistogram-like buckets).
    """

    def __init__(self) -> None:
        self._counts = array("I", bytes(4 * (_EXACT_LIMIT + _OCTAVES * _SUB_BUCKETS)))
        self.count = 0
        self.total = 0
        self.minimum: int | None = None
        self.maximum: int | None = None

    def add(self, value: int) -> None:
        value = max(0, value)
        self._counts[_bucket(value)] += 1
        self.count += 1
        self.total += value
        self.minimum = value if self.minimum is None else min(self.minimum, value)
        self.maximum = value if self.maximum is None else max(self.maximum, value)

    def percentile(self, pct: float) -> int | None:
        """Nearest-rank percentile (clamped to the exact min/max)."""
        if not self.count:
            return None
        rank = max(1, math.ceil(pct / 100.0 * self.count))
        seen = 0
        for index, bucket_count in enumerate(self._counts):
            seen += bucket_count
            if seen >= rank:
                value = _bucket_value(index)
                assert self.minimum is not None and self.maximum is not None
                return min(max(value, self.minimum), self.maximum)
        return self.maximum

    def summary(self) -> dict[str, Any]:
        """min/mean/p50/p95/max as a JSON-ready dict (None when empty)."""
        mean = round(self.total / self.count, 1) if self.count else None
        return {
            "min": self.minimum,
            "mean": mean,
            "p50": self.percentile(50),
            "p95": self.percentile(95),
            "max": self.maximum,
        }


def _bucket(value: int) -> int:
    if value < _EXACT_LIMIT:
        return value
    shift = min(value.bit_length() - 8, _FIRST_SHIFT + _OCTAVES - 1)
    mantissa = min(value >> shift, 2 * _SUB_BUCKETS - 1)
    return _EXACT_LIMIT + (shift - _FIRST_SHIFT) * _SUB_BUCKETS + (mantissa - _SUB_BUCKETS)


def _bucket_value(index: int) -> int:
    """Midpoint of a bucket (the exact value below the exact limit)."""
    if index < _EXACT_LIMIT:
        return index
    offset = index - _EXACT_LIMIT
    shift = _FIRST_SHIFT + offset // _SUB_BUCKETS
    mantissa = _SUB_BUCKETS + offset % _SUB_BUCKETS
    return (mantissa << shift) + (1 << shift) // 2


class FingerprintTable:
    """Set of 64-bit fingerprints in a pre-allocated table, remembering the first line of each.

    `add` returns the first line number of an equal fingerprint, 0 for a new one, or -1 when the
    table is full (the value is then not tracked).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, min(capacity, MAX_TRACKED_FINGERPRINTS))
        size = 1 << max(4, (2 * self.capacity).bit_length())
        self._mask = size - 1
        self._keys = array("Q", bytes(8 * size))
        self._lines = array("I", bytes(4 * size))
        self.size = 0

    def add(self, fingerprint: int, line: int) -> int:
        fingerprint = fingerprint or 1  # 0 marks an empty slot
        slot = fingerprint & self._mask
        while True:
            key = self._keys[slot]
            if key == 0:
                break
            if key == fingerprint:
                return self._lines[slot]
            slot = (slot + 1) & self._mask
        if self.size >= self.capacity:
            return -1
        self._keys[slot] = fingerprint
        self._lines[slot] = min(line, 0xFFFFFFFF)
        self.size += 1
        return 0


def fingerprint(value: Any) -> int:
    """Stable 64-bit fingerprint of a JSON value (key order and whitespace do not matter)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.blake2b(canonical.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")
