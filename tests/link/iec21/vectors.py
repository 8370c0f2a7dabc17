"""Loader for the annotated hex vector files under tests/vectors/iec21/.

Same format as tests/link/vectors.py: ``#`` comments, ``[name] key=value ...`` opens a
vector whose spaced hex follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "iec21"


@dataclass
class Vector:
    name: str
    data: bytes = b""
    meta: dict[str, str] = field(default_factory=dict)


def load(filename: str) -> dict[str, Vector]:
    vectors: list[Vector] = []
    hexes: dict[str, list[str]] = {}
    for raw in (VECTORS / filename).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            name, _, rest = line[1:].partition("]")
            vectors.append(Vector(name, meta=dict(i.split("=", 1) for i in rest.split())))
            hexes[name] = []
        else:
            hexes[vectors[-1].name].append(line)
    for v in vectors:
        v.data = bytes.fromhex(" ".join(hexes[v.name]))
    return {v.name: v for v in vectors}
