"""Loader for the annotated hex vector files under tests/vectors/link/.

Format: ``#`` starts a comment (to the end of the line); ``[name] key=value ...``
opens a vector whose hex follows on the next lines (spaced hex, any layout)::

    # source: Green Book 8.4 example
    [snrm] dest=3 src=0x41
    7e a0 07 03 41 93 5a 64 7e   # flag, format, addresses, SNRM+P, FCS, flag
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "link"


@dataclass
class Vector:
    name: str
    data: bytes
    meta: dict[str, str] = field(default_factory=dict)

    def int(self, key: str) -> int:
        return int(self.meta[key], 0)


def load(filename: str) -> list[Vector]:
    vectors: list[Vector] = []
    hexes: list[str] = []
    for raw in (VECTORS / filename).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            if vectors:
                vectors[-1].data = bytes.fromhex(" ".join(hexes))
            name, _, rest = line[1:].partition("]")
            meta = dict(item.split("=", 1) for item in rest.split())
            vectors.append(Vector(name, b"", meta))
            hexes = []
        else:
            hexes.append(line)
    if vectors:
        vectors[-1].data = bytes.fromhex(" ".join(hexes))
    return vectors


def params(filename: str) -> list[object]:
    """The vectors of ``filename`` as pytest params with their names as ids."""
    return [pytest.param(v, id=v.name) for v in load(filename)]
