"""Load the annotated hex vectors of tests/vectors/xdlms/.

A vector file is hex text: ``#`` starts a comment (the header names the source),
whitespace is ignored. :func:`vector_params` yields ``pytest.param(data, id=stem)``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "xdlms"


def read_hex(path: Path) -> bytes:
    lines = (line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
    return bytes.fromhex(" ".join(lines))


def vector(stem: str) -> bytes:
    """The bytes of ``tests/vectors/xdlms/<stem>.hex``."""
    return read_hex(VECTORS / f"{stem}.hex")


def vector_params(pattern: str = "*.hex") -> list[object]:
    """Every vector matching ``pattern`` as ``pytest.param(bytes, id=stem)``."""
    return [pytest.param(read_hex(p), id=p.stem) for p in sorted(VECTORS.glob(pattern))]


def expected_params(expected: dict[str, object]) -> list[object]:
    """``pytest.param(bytes, value, id=stem)`` for each named vector; every file
    of the directory must be named somewhere (no vector goes unchecked)."""
    return [pytest.param(vector(stem), value, id=stem) for stem, value in expected.items()]
