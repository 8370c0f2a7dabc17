"""The shape of a complex attribute or method parameter, checked in depth.

The Blue Book gives each attribute an ASN.1-like type; a SET (or an ACTION
parameter) must match it all the way down, not only in its outer tag::

    send_destination_and_method ::= structure {
        transport_service enum, destination octet-string, message enum }

    SEND_DESTINATION = (Tag.ENUM, Tag.OCTET_STRING, Tag.ENUM)      # a structure
    WINDOWS = ArrayOf((DATE_TIME_VALUE, DATE_TIME_VALUE))         # array of structures

A shape is a :class:`Tag` (that tag), a tuple of shapes (a structure with exactly
those elements), an :class:`ArrayOf` (an array whose every element has one shape)
or a :class:`OneOf` (any of some shapes). ``Array`` and the fast ``Table`` both
count as arrays.

Also here: the other small checks and hooks the interface classes share
(:func:`within`, :func:`among` for ranges, :func:`denied` for attributes only the
server changes, :func:`hidden` for secrets).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

from openamr.apdu.results import DataAccessResult
from openamr.codec.axdr import tag_of
from openamr.codec.types import Data, Structure, Tag
from openamr.cosem.base import Check, denied, hidden
from openamr.errors import EncodeError

LOGICAL_NAME_LENGTH = 6


@dataclass(frozen=True, slots=True)
class ArrayOf:
    """array of ``element``."""

    element: Shape


@dataclass(frozen=True, slots=True)
class OneOf:
    """Any of ``shapes`` (e.g. a date-time sent as octet-string or as date-time)."""

    shapes: tuple[Shape, ...]


Shape: TypeAlias = "Tag | tuple[Shape, ...] | ArrayOf | OneOf"

#: A COSEM date-time in an attribute typed octet-string: both encodings occur.
DATE_TIME_VALUE = OneOf((Tag.OCTET_STRING, Tag.DATE_TIME))


def matches(value: Data, shape: Shape) -> bool:
    """True if ``value`` has ``shape`` all the way down."""
    if isinstance(shape, OneOf):
        return any(matches(value, s) for s in shape.shapes)
    try:
        tag = tag_of(value)
    except EncodeError:
        return False
    if isinstance(shape, Tag):
        return tag == shape
    if isinstance(shape, ArrayOf):
        return tag == Tag.ARRAY and all(
            matches(e, shape.element)
            for e in value  # type: ignore[union-attr]
        )
    return (
        isinstance(value, Structure)
        and len(value) == len(shape)
        and all(matches(v, s) for v, s in zip(value, shape, strict=True))
    )


def shaped(shape: Shape) -> Check:
    """An :class:`~openamr.cosem.base.Attribute` check: TYPE_UNMATCHED unless ``shape``."""

    def check(value: Data) -> DataAccessResult | None:
        return None if matches(value, shape) else DataAccessResult.TYPE_UNMATCHED

    return check


def fields(value: Data, shape: tuple[Shape, ...]) -> tuple[Data, ...] | None:
    """The elements of a structure parameter of ``shape``, or None if it does not match."""
    if isinstance(value, Structure) and matches(value, shape):
        return tuple(value)
    return None


def elements(value: Data, shape: Shape) -> list[Data] | None:
    """The elements of an array parameter of ``ArrayOf(shape)``, or None."""
    if not matches(value, ArrayOf(shape)):
        return None
    items: Iterable[Data] = value  # type: ignore[assignment]
    return list(items)


def within(lo: int, hi: int) -> Check:
    """An attribute check: OTHER_REASON unless the (integer) value is in ``lo..hi``."""

    def check(value: Data) -> DataAccessResult | None:
        ok = isinstance(value, int) and lo <= value <= hi
        return None if ok else DataAccessResult.OTHER_REASON

    return check


def among(values: Iterable[int]) -> Check:
    """An attribute check: OTHER_REASON unless the value is one of ``values`` (an enum)."""
    allowed = frozenset(int(v) for v in values)

    def check(value: Data) -> DataAccessResult | None:
        return (
            None if isinstance(value, int) and value in allowed else DataAccessResult.OTHER_REASON
        )

    return check


__all__ = ["denied", "hidden"]  # declared with the machinery (openamr.cosem.base)


def check_logical_name(value: Data) -> DataAccessResult | None:
    """A reference to another object: octet-string of 6 octets (an OBIS code)."""
    ok = isinstance(value, bytes) and len(value) == LOGICAL_NAME_LENGTH
    return None if ok else DataAccessResult.TYPE_UNMATCHED


# -- typed access to values already checked against their shape ------------------


def as_int(value: Data) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer Data, got {type(value).__name__}")
    return int(value)


def as_bytes(value: Data) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError(f"expected an octet-string, got {type(value).__name__}")
    return bytes(value)


def items(value: Data) -> list[Data]:
    """The elements of an array (``Array`` or ``Table``) or a structure."""
    if isinstance(value, Structure) or tag_of(value) == Tag.ARRAY:
        return list(value)  # type: ignore[arg-type]
    raise TypeError(f"expected an array or a structure, got {type(value).__name__}")
