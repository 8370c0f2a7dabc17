"""OBIS codes: the six-group logical name of every COSEM object.

IEC 62056-6-1 (Blue Book 7.2): value groups A..F, each 0..255. On the wire the
logical name is an octet-string of 6 bytes, one per group::

    A   B   C   D   E   F
    01  00  01  08  00  ff      1-0:1.8.0*255  (active energy import, total)

Text forms accepted by :meth:`Obis.parse`:

* dotted: ``"1.0.1.8.0.255"`` (the form used by ``str(obis)``);
* the reduced form of IEC 62056-61: ``"1-0:1.8.0*255"`` (``&`` also separates F),
  ``"1-0:1.8.0"`` (F is 255). ``"1.8.0"`` without A-B is refused: a logical
  name has all six groups.
"""

from __future__ import annotations

import functools
import re

from openamr.codec.record import record
from openamr.errors import DecodeError

SIZE = 6

_DOTTED = re.compile(r"(\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)")
_REDUCED = re.compile(r"(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)(?:[*&](\d+))?")


@record(order=True)
class Obis:
    """One OBIS code; ordered group by group (A first), hashable."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int = 255

    def __post_init__(self) -> None:
        for name in "abcdef":
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 255:
                raise ValueError(f"OBIS group {name.upper()} must be an int 0..255, got {v!r}")

    @classmethod
    def parse(cls, text: str) -> Obis:
        """``"1.0.1.8.0.255"``, ``"1-0:1.8.0*255"`` or ``"1-0:1.8.0"`` (F = 255)."""
        s = text.strip()
        m = _DOTTED.fullmatch(s) or _REDUCED.fullmatch(s)
        if m is None:
            raise ValueError(
                f"{text!r} is not an OBIS code: expected 'A.B.C.D.E.F' or 'A-B:C.D.E*F'"
            )
        groups = [int(g) for g in m.groups() if g is not None]
        bad = [g for g in groups if g > 255]
        if bad:
            raise ValueError(f"{text!r} is not an OBIS code: group value {bad[0]} exceeds 255")
        return cls(*groups)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Obis:
        """The 6-octet logical name as carried on the wire (the codes a meter is asked
        for repeat: each is built and checked once, then shared; it is immutable)."""
        if len(data) != SIZE:
            raise DecodeError(0, f"an OBIS code is {SIZE} octets, got {len(data)}")
        octets = bytes(data)
        return _from_octets(octets) if cls is Obis else cls(*octets)

    def to_bytes(self) -> bytes:
        return bytes((self.a, self.b, self.c, self.d, self.e, self.f))

    def short(self) -> str:
        """The standard's reduced form, ``"1-0:1.8.0*255"``."""
        return f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}*{self.f}"

    def __str__(self) -> str:
        return f"{self.a}.{self.b}.{self.c}.{self.d}.{self.e}.{self.f}"

    def __repr__(self) -> str:
        return f"Obis.parse({str(self)!r})"


__all__ = ["Obis"]


@functools.lru_cache(maxsize=4096)
def _from_octets(octets: bytes) -> Obis:
    return Obis(*octets)
