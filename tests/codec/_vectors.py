"""Load the annotated hex vectors of tests/vectors/codec/.

A vector file is hex text: ``#`` starts a comment (the header names the source),
whitespace is ignored. Files are loaded as ``pytest.param(data, id=<file stem>)``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "codec"


def read_hex(path: Path) -> bytes:
    lines = (line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
    return bytes.fromhex(" ".join(lines))


def vector_params(pattern: str) -> list[object]:
    """Every vector matching ``pattern`` as ``pytest.param(bytes, id=stem)``."""
    paths = sorted(VECTORS.glob(pattern))
    return [pytest.param(read_hex(p), id=p.stem) for p in paths]
