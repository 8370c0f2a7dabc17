"""Mutators for the campaign: bytes in, bytes out, driven by one seeded
``random.Random`` so that a run is reproduced by its seed.

The mutations are the classic ones of grammar-less fuzzers (bit and byte flips,
interesting values, insertions, deletions, duplications, truncation, splicing)
plus the ones that hit A-XDR and BER where they break: length octets set to their
edges (0x00, 0x7F, 0x80, 0x81 0xFF, 0x82 0xFF 0xFF, 0x84 ...) and a tag byte
replaced by another tag of the xDLMS or ACSE tables.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

#: Tags of xDLMS and ACSE APDUs, A-XDR data types and BER context tags.
TAGS = bytes.fromhex(
    "60 61 62 63 c0 c1 c2 c3 c4 c5 c7 c8 c9 cb cd cf d0 d1 d3 d5 d7 d8 db dc 0e 0f"
    " 00 01 02 03 04 05 06 09 0a 0c 0d 10 11 12 13 14 15 16 17 18 19 1a 1b 1c"
    " 80 81 8a 8b a1 a2 a3 a4 a6 aa ac be 28 30"
)
LENGTHS = (b"\x00", b"\x7f", b"\x80", b"\x81\xff", b"\x82\xff\xff", b"\x84\xff\xff\xff\xff")
INTERESTING = (b"\x00", b"\xff", b"\x7f", b"\x80", b"\x01", b"\xff\xff", b"\x00\x00", b"\x7e")

Mutator = Callable[[random.Random, bytes, Sequence[bytes]], bytes]


def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data)) if data else 0


def flip_bit(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    i = _pos(rng, data)
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


def set_byte(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    i = _pos(rng, data)
    return data[:i] + bytes([rng.randrange(256)]) + data[i + 1 :]


def interesting(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    i = _pos(rng, data)
    value = rng.choice(INTERESTING)
    return data[:i] + value + data[i + len(value) :]


def length_edge(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    i = _pos(rng, data)
    return data[:i] + rng.choice(LENGTHS) + data[i + 1 :]


def swap_tag(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    i = _pos(rng, data)
    return data[:i] + bytes([rng.choice(TAGS)]) + data[i + 1 :]


def insert(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    i = _pos(rng, data)
    return data[:i] + rng.randbytes(rng.choice((1, 2, 4, 16, 64))) + data[i:]


def delete(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    if len(data) < 2:
        return data
    i = _pos(rng, data)
    return data[:i] + data[i + rng.randint(1, min(16, len(data) - i)) :]


def duplicate(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    i = _pos(rng, data)
    j = min(len(data), i + rng.randint(1, 32))
    return data[:j] + data[i:j] * rng.choice((1, 2, 8)) + data[j:]


def truncate(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    return data[: _pos(rng, data)]


def splice(rng: random.Random, data: bytes, corpus: Sequence[bytes]) -> bytes:
    other = rng.choice(corpus) if corpus else data
    return data[: _pos(rng, data)] + other[_pos(rng, other) :]


def random_bytes(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    return rng.randbytes(rng.choice((1, 2, 3, 8, 13, 40, 200)))


MUTATORS: tuple[Mutator, ...] = (
    flip_bit, set_byte, interesting, length_edge, swap_tag, insert, delete, duplicate,
    truncate, splice, random_bytes,
)  # fmt: skip


def mutate(rng: random.Random, seed: bytes, corpus: Sequence[bytes]) -> bytes:
    """One to four stacked mutations of ``seed``."""
    data = seed
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        data = rng.choice(MUTATORS)(rng, data, corpus)
    return data
