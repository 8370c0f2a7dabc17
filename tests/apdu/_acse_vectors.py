"""Load the annotated hex vectors of tests/vectors/acse/.

A vector file is hex text: ``#`` starts a comment (the header names the source),
whitespace is ignored.
"""

from __future__ import annotations

from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "acse"


def vector(stem: str) -> bytes:
    """The bytes of ``tests/vectors/acse/<stem>.hex``."""
    text = (VECTORS / f"{stem}.hex").read_text(encoding="utf-8")
    return bytes.fromhex(" ".join(line.split("#", 1)[0] for line in text.splitlines()))


def stems(prefix: str = "") -> list[str]:
    return sorted(p.stem for p in VECTORS.glob(f"{prefix}*.hex"))


def expected_params(expected: dict[str, object]) -> list[object]:
    """``pytest.param(bytes, value, id=stem)`` for each named vector."""
    return [pytest.param(vector(stem), value, id=stem) for stem, value in expected.items()]
