"""Decoded JSON made safe to walk, print, hash and encode: one pass at the contract boundary. STDLIB ONLY.

`json.loads` accepts, and the Lambda runtime hands the handler, values that break ordinary code later:

- a lone surrogate (`"\\ud800"` is valid JSON) raises `UnicodeEncodeError` in `str.encode`, hashing
  and logging;
- nesting ~1000 levels deep raises `RecursionError` in `json.dumps`, `str()` and every recursive walk;
- an integer beyond Python's int-to-str digit limit (in-process callers, or `parse_int`) raises
  `ValueError` in `str()` and `json.dumps`;
- `NaN` / `Infinity` are accepted by `json.loads`, and a NaN reference compares equal to nothing (or,
  as text, to the answer "nan").

Fixing each use would leave the next one to find. Instead `clean` copies a value once: lone surrogates
become U+FFFD (the text stays readable), and what cannot be repaired (too deep, a too-long integer,
optionally a non-finite number) raises `UnsafeJSON` naming where, so the caller reports that one
sample and moves on. The walk is recursive but stops at `max_depth`, so it cannot itself overflow.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "UnsafeJSON", "clean", "loads"]

MAX_DEPTH = 64  # far deeper than any dataset record or grader event; far below the recursion limit
MAX_INT_DIGITS = 4000  # below CPython's default int-to-str limit (4300 digits)
_MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10))
_SURROGATE = re.compile("[\ud800-\udfff]")


class UnsafeJSON(ValueError):
    """A JSON value that cannot be made safe; the message names the path and the problem."""


def clean(value: Any, *, max_depth: int = MAX_DEPTH, finite: bool = False, path: str = "$") -> Any:
    """A copy of `value` that is safe to encode and walk (see the module docstring).

    `finite=True` also refuses NaN and infinities. Tuples become lists, as JSON would give them.
    Raises `UnsafeJSON` for nesting deeper than `max_depth`, an integer of more than
    `MAX_INT_DIGITS` digits, a non-JSON type, or (with `finite`) a non-finite number.
    """
    return _clean(value, max_depth, finite, path, 0)


def _clean(value: Any, max_depth: int, finite: bool, path: str, depth: int) -> Any:
    if isinstance(value, str):
        return _text(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value.bit_length() > _MAX_INT_BITS:
            raise UnsafeJSON(f"{path}: integer of more than {MAX_INT_DIGITS} digits")
        return value
    if isinstance(value, float):
        if finite and not math.isfinite(value):
            raise UnsafeJSON(f"{path}: non-finite number {value!r} (NaN and Infinity are not JSON numbers)")
        return value
    if depth >= max_depth:
        raise UnsafeJSON(f"{path}: nested more than {max_depth} levels deep")
    if isinstance(value, dict):
        return {
            _text(str(key)): _clean(item, max_depth, finite, f"{path}.{_label(key)}", depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            _clean(item, max_depth, finite, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)
        ]
    raise UnsafeJSON(f"{path}: {type(value).__name__} is not a JSON value")


def _text(text: str) -> str:
    """`text` with each lone surrogate replaced by one U+FFFD (ASCII, the common case, costs nothing).

    In a Python `str` every surrogate code point is lone: `json.loads` already joins escaped pairs.
    """
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


def _label(key: Any) -> str:
    text = _text(str(key))
    return text if len(text) <= 40 else text[:37] + "..."


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, finite: bool = True) -> Any:
    """`json.loads` that only raises `ValueError` subclasses, with a one-line reason.

    Bytes must be UTF-8 (`UnicodeDecodeError` is a `ValueError`, reported with its byte offset);
    too deep nesting (`RecursionError` inside the decoder), a too-long integer, and, unless
    `finite=False`, NaN/Infinity become `UnsafeJSON`; bad syntax stays `json.JSONDecodeError`.
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8")
    try:
        data = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise UnsafeJSON(f"nested more than {max_depth} levels deep") from None
    return clean(data, max_depth=max_depth, finite=finite)


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise UnsafeJSON(f"integer of {len(digits.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(digits)
