"""Load the annotated vectors of tests/vectors/security/.

A vector file holds named hex fields, ``name = hex``; a line without ``=`` continues
the previous field; ``#`` starts a comment (the header names the source). Files are
loaded as ``pytest.param(fields, id=<file stem>)``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "security"


def read_fields(path: Path) -> dict[str, bytes]:
    hexes: dict[str, list[str]] = {}
    name = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" in line:
            name, _, line = (part.strip() for part in line.partition("="))
            hexes[name] = []
        assert name is not None, f"{path.name}: hex before any field name"
        hexes[name].append(line)
    return {k: bytes.fromhex(" ".join(v)) for k, v in hexes.items()}


def vector_params(pattern: str) -> list[object]:
    """Every vector file matching ``pattern`` as ``pytest.param(fields, id=stem)``."""
    paths = sorted(VECTORS.glob(pattern))
    assert paths, f"no vector matches {pattern}"
    return [pytest.param(read_fields(p), id=p.stem) for p in paths]


def as_int(b: bytes) -> int:
    return int.from_bytes(b, "big")
