"""The one loader of the annotated vector files under tests/vectors/<area>/.

Every file is text where ``#`` starts a comment (the header names the source) and
whitespace is ignored. Three layouts, by what a file holds:

- ``*.hex``, one vector: the whole file is spaced hex (``Vectors.vector``,
  ``Vectors.params``, ``Vectors.expected_params``);
- named fields, ``name = hex``, a line without ``=`` continuing the previous field
  (``Vectors.fields``, used by the security vectors);
- sections, ``[name] key=value ...`` opening a vector whose spaced hex follows on the
  next lines (``Vectors.sections``, ``Vectors.named``, ``Vectors.section_params``)::

      # source: Green Book 8.4 example
      [snrm] dest=3 src=0x41
      7e a0 07 03 41 93 5a 64 7e   # flag, format, addresses, SNRM+P, FCS, flag
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent / "vectors"


def _lines(path: Path) -> list[str]:
    """The file's non-empty lines without their comments."""
    lines = (raw.split("#", 1)[0].strip() for raw in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def read_hex(path: Path) -> bytes:
    """The bytes of a one-vector hex file."""
    return bytes.fromhex(" ".join(_lines(path)))


def read_fields(path: Path) -> dict[str, bytes]:
    """The ``name = hex`` fields of a file, in order."""
    hexes: dict[str, list[str]] = {}
    name = None
    for line in _lines(path):
        if "=" in line:
            name, _, line = (part.strip() for part in line.partition("="))
            hexes[name] = []
        assert name is not None, f"{path.name}: hex before any field name"
        hexes[name].append(line)
    return {k: bytes.fromhex(" ".join(v)) for k, v in hexes.items()}


def as_int(b: bytes) -> int:
    return int.from_bytes(b, "big")


@dataclass
class Vector:
    """One ``[name] key=value ...`` section of a file and its bytes."""

    name: str
    data: bytes = b""
    meta: dict[str, str] = field(default_factory=dict)

    def int(self, key: str) -> int:
        return int(self.meta[key], 0)


def read_sections(path: Path) -> list[Vector]:
    vectors: list[Vector] = []
    hexes: list[list[str]] = []
    for line in _lines(path):
        if line.startswith("["):
            name, _, rest = line[1:].partition("]")
            vectors.append(Vector(name, meta=dict(i.split("=", 1) for i in rest.split())))
            hexes.append([])
        else:
            assert hexes, f"{path.name}: hex before any [section]"
            hexes[-1].append(line)
    for v, h in zip(vectors, hexes, strict=True):
        v.data = bytes.fromhex(" ".join(h))
    return vectors


class Vectors:
    """The vector files of one area, ``tests/vectors/<area>/``."""

    def __init__(self, area: str) -> None:
        self.path = ROOT / area
        assert self.path.is_dir(), f"no vector directory {self.path}"

    def _glob(self, pattern: str) -> list[Path]:
        paths = sorted(self.path.glob(pattern))
        assert paths, f"no vector of {self.path.name}/ matches {pattern}"
        return paths

    def vector(self, stem: str) -> bytes:
        """The bytes of ``<stem>.hex``."""
        return read_hex(self.path / f"{stem}.hex")

    def stems(self, prefix: str = "") -> list[str]:
        return sorted(p.stem for p in self.path.glob(f"{prefix}*.hex"))

    def params(self, pattern: str = "*.hex") -> list[object]:
        """Every hex vector matching ``pattern`` as ``pytest.param(bytes, id=stem)``."""
        return [pytest.param(read_hex(p), id=p.stem) for p in self._glob(pattern)]

    def expected_params(self, expected: dict[str, object]) -> list[object]:
        """``pytest.param(bytes, value, id=stem)`` for each named vector."""
        return [pytest.param(self.vector(stem), value, id=stem) for stem, value in expected.items()]

    def fields(self, pattern: str) -> list[object]:
        """Every field file matching ``pattern`` as ``pytest.param(fields, id=stem)``."""
        return [pytest.param(read_fields(p), id=p.stem) for p in self._glob(pattern)]

    def sections(self, filename: str) -> list[Vector]:
        return read_sections(self.path / filename)

    def named(self, filename: str) -> dict[str, Vector]:
        return {v.name: v for v in self.sections(filename)}

    def section_params(self, filename: str) -> list[object]:
        """The sections of ``filename`` as pytest params with their names as ids."""
        return [pytest.param(v, id=v.name) for v in self.sections(filename)]
