"""Profile generic selective access (Blue Book 4.3.6, class 7 attribute 2).

A GET of a profile's ``buffer`` may carry a Selective-Access-Descriptor whose
``access_parameters`` are one of two standard structures:

* selector 1, :class:`RangeDescriptor`: rows whose restricting object (usually the
  clock) lies in ``from_value .. to_value``, optionally only some columns;
* selector 2, :class:`EntryDescriptor`: rows ``from_entry .. to_entry`` (1-based,
  0 = the last), columns ``from_selected_value .. to_selected_value``.

Both convert to and from their ``Data`` form (``to_data`` / ``from_data``); a
malformed structure raises :class:`DecodeError` (offset 0: the value was already
decoded), which a server turns into a Data-Access-Result.
"""

from __future__ import annotations

from typing import ClassVar

from openamr.apdu.base import message
from openamr.apdu.descriptors import SelectiveAccessDescriptor, check_range
from openamr.codec.obis import Obis
from openamr.codec.table import Table
from openamr.codec.types import (
    Array,
    Data,
    DoubleLongUnsigned,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
)
from openamr.errors import DecodeError, EncodeError


def _fail(reason: str) -> DecodeError:
    return DecodeError(0, f"selective access parameters: {reason}")


def _fields(value: Data, n: int, what: str) -> Structure:
    if not isinstance(value, tuple) or len(value) != n:
        raise _fail(f"{what} must be a structure of {n} elements, got {value!r}")
    return Structure(value)


def _int(value: Data, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{what} must be an integer, got {value!r}")
    return int(value)


@message
class CaptureObjectDefinition:
    """capture_object_definition (Blue Book 4.3.6)::

    structure { class_id long-unsigned, logical_name octet-string[6],
                attribute_index integer, data_index long-unsigned }
    """

    class_id: int
    logical_name: Obis
    attribute_index: int
    data_index: int = 0

    def __post_init__(self) -> None:
        check_range("class_id", self.class_id, 0, 0xFFFF)
        check_range("attribute_index", self.attribute_index, -128, 127)
        check_range("data_index", self.data_index, 0, 0xFFFF)

    def to_data(self) -> Structure:
        return Structure(
            (
                LongUnsigned(self.class_id),
                OctetString(self.logical_name.to_bytes()),
                Integer(self.attribute_index),
                LongUnsigned(self.data_index),
            )
        )

    @classmethod
    def from_data(cls, value: Data) -> CaptureObjectDefinition:
        f = _fields(value, 4, "capture_object_definition")
        ln = f[1]
        if not isinstance(ln, bytes) or len(ln) != 6:
            raise _fail(f"logical_name must be an octet-string of 6, got {ln!r}")
        try:
            return cls(_int(f[0], "class_id"), Obis(*ln), _int(f[2], "attribute_index"),
                       _int(f[3], "data_index"))  # fmt: skip
        except EncodeError as e:
            raise _fail(str(e)) from None


@message
class RangeDescriptor:
    """range_descriptor, access selector 1 (Blue Book 4.3.6)::

    structure { restricting_object capture_object_definition,
                from_value, to_value (the restricting object's type, e.g. date-time),
                selected_values array of capture_object_definition (empty = all) }
    """

    ACCESS_SELECTOR: ClassVar[int] = 1

    restricting_object: CaptureObjectDefinition
    from_value: Data
    to_value: Data
    selected_values: tuple[CaptureObjectDefinition, ...] = ()

    def to_data(self) -> Structure:
        cols = Array(c.to_data() for c in self.selected_values)
        return Structure((self.restricting_object.to_data(), self.from_value, self.to_value, cols))

    @classmethod
    def from_data(cls, value: Data) -> RangeDescriptor:
        f = _fields(value, 4, "range_descriptor")
        cols = f[3]
        if not isinstance(cols, list | Table):  # two or more decode as a Table
            raise _fail(f"selected_values must be an array, got {cols!r}")
        selected = tuple(CaptureObjectDefinition.from_data(c) for c in cols)
        return cls(CaptureObjectDefinition.from_data(f[0]), f[1], f[2], selected)

    def to_access(self) -> SelectiveAccessDescriptor:
        return SelectiveAccessDescriptor(self.ACCESS_SELECTOR, self.to_data())


@message
class EntryDescriptor:
    """entry_descriptor, access selector 2 (Blue Book 4.3.6); entries and values
    count from 1, a ``to_`` of 0 means "up to the last"::

    structure { from_entry double-long-unsigned, to_entry double-long-unsigned,
                from_selected_value long-unsigned, to_selected_value long-unsigned }
    """

    ACCESS_SELECTOR: ClassVar[int] = 2

    from_entry: int = 1
    to_entry: int = 0
    from_selected_value: int = 1
    to_selected_value: int = 0

    def __post_init__(self) -> None:
        check_range("from_entry", self.from_entry, 0, 0xFFFFFFFF)
        check_range("to_entry", self.to_entry, 0, 0xFFFFFFFF)
        check_range("from_selected_value", self.from_selected_value, 0, 0xFFFF)
        check_range("to_selected_value", self.to_selected_value, 0, 0xFFFF)

    def to_data(self) -> Structure:
        return Structure(
            (
                DoubleLongUnsigned(self.from_entry),
                DoubleLongUnsigned(self.to_entry),
                LongUnsigned(self.from_selected_value),
                LongUnsigned(self.to_selected_value),
            )
        )

    @classmethod
    def from_data(cls, value: Data) -> EntryDescriptor:
        f = _fields(value, 4, "entry_descriptor")
        names = ("from_entry", "to_entry", "from_selected_value", "to_selected_value")
        try:
            return cls(*(_int(v, n) for v, n in zip(f, names, strict=True)))
        except EncodeError as e:
            raise _fail(str(e)) from None

    def to_access(self) -> SelectiveAccessDescriptor:
        return SelectiveAccessDescriptor(self.ACCESS_SELECTOR, self.to_data())


__all__ = ["CaptureObjectDefinition", "EntryDescriptor", "RangeDescriptor"]
