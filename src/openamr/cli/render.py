"""Rendering Data values for people (trees) and for scripts (JSON)."""

from __future__ import annotations

from collections.abc import Iterator

from openamr.codec import (
    BitString,
    CompactArray,
    CosemDate,
    CosemDateTime,
    CosemTime,
    Data,
    Table,
)
from openamr.codec.axdr import tag_of

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


def _scalar(value: Data) -> str:
    if isinstance(value, bytes):
        if len(value) == 12:
            try:
                return f"{value.hex(' ')}  ({date_time_text(CosemDateTime.from_bytes(value))})"
            except ValueError:
                pass
        return value.hex(" ") if value else "(empty)"
    if isinstance(value, CosemDateTime):
        return date_time_text(value)
    if isinstance(value, (CosemDate, CosemTime, BitString)):
        return str(value)
    return repr(value) if isinstance(value, str) else str(value)


def date_time_text(stamp: CosemDateTime) -> str:
    """A date-time as every command shows one (:mod:`openamr.cli.times`): ISO 8601
    with the meter's offset, or without one ("the meter's local time") when it sent
    no deviation; wildcards as the codec writes them."""
    try:
        when = stamp.to_datetime()
    except ValueError:
        return str(stamp)
    return when.isoformat() if when.tzinfo else f"{when.isoformat()}, the meter's local time"


def tree(value: Data, indent: str = "") -> Iterator[str]:
    """Lines of an indented tree, one value a line, each with its DLMS type."""
    name = tag_of(value).name.lower().replace("_", "-")
    if isinstance(value, CompactArray):
        yield f"{indent}{name} ({len(value.values)})"
        for v in value.values:
            yield from tree(v, indent + "  ")
    elif isinstance(value, (list, tuple, Table)):
        yield f"{indent}{name} ({len(value)})"
        for v in value:
            yield from tree(v, indent + "  ")
    else:
        yield f"{indent}{name}: {_scalar(value)}"


def to_jsonable(value: Data) -> JsonValue:
    """Plain JSON: octet-strings as hex, dates as ISO-like strings."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, CompactArray):
        return [to_jsonable(v) for v in value.values]
    if isinstance(value, (list, tuple, Table)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, CosemDateTime):  # ISO 8601 with the meter's offset (cli/times)
        try:
            return value.to_datetime().isoformat()
        except ValueError:
            pass  # wildcards: as the codec writes them
    return str(value)
