"""Confusable skeletons (label matching) and the generated look-alike table."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from nova_rewards.confusables_table import ASCII, CHARS
from nova_rewards.skeleton import skeleton

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("billing", "billing"),
        ("b\u0456lling", "billing"),  # Cyrillic i
        ("\u0405\u04bb\u0456\u0440\u0440\u0456ng", "shipping"),  # Cyrillic S, h, i, p
        ("acc\u03bfunt", "account"),  # Greek omicron
        ("\u0391\u039a\u03a4\u0395", "akte"),  # Greek capitals A, K, T, E
        ("\uff22\uff29\uff2c\uff2c\uff29\uff2e\uff27", "billing"),  # full-width (NFKC)
        ("\U0001d41b\U0001d422\U0001d425\U0001d425", "bill"),  # mathematical bold (NFKC)
        ("bil\u200bli\u00adng", "billing"),  # zero-width space, soft hyphen
        ("caf\u00e9", "cafe"),  # combining marks dropped
        ("Order_Status", "order_status"),
    ],
)
def test_skeleton_folds_look_alikes(text: str, expected: str) -> None:
    assert skeleton(text) == expected


def test_case_is_kept_on_request() -> None:
    assert skeleton("B\u0456lling", casefold=False) == "Billing"


def test_table_maps_non_ascii_characters_to_ascii_letters_and_digits() -> None:
    assert len(CHARS) == len(ASCII) > 300
    assert all(not ch.isascii() for ch in CHARS)
    assert all(ch.isascii() and ch.isalnum() for ch in ASCII)


@pytest.mark.skipif(
    importlib.util.find_spec("confusable_homoglyphs") is None, reason="development dependency not installed"
)
def test_table_is_what_the_generator_makes_from_the_maintained_library() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_table", ROOT / "scripts" / "make_confusables_table.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run python scripts/make_confusables_table.py"
