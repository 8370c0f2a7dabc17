"""DLMS Data values as the CLI takes and prints them (Blue Book 4.1.5, Data).

One form, used both ways: ``openamr decode --json`` and ``openamr get --json``
print it, ``openamr set`` and ``openamr action`` take it. Each value is a JSON
object of one key, the type's name as ``openamr decode`` prints it, holding the
content::

    {"structure": [{"octet-string": "0a0b"}, {"unsigned": 5}]}
    {"array": [{"long-unsigned": 1}, {"long-unsigned": 2}]}
    {"visible-string": "abc"}   {"boolean": true}   {"null-data": null}
    {"double-long": -1}         {"float32": 1.5}    {"bit-string": "0101"}
    {"date-time": "07ea0101040c0000ff800000"}  (date, time too: the octets as hex)

octet-strings are hex (spaces allowed). A value may also be given as its A-XDR
encoding in hex, as ``openamr decode`` reads it, prefixed ``hex:`` (for example
``hex:1105`` for ``unsigned 5``).
"""

from __future__ import annotations

import json
from typing import Any

from openamr.codec import (
    BitString,
    CompactArray,
    CosemDate,
    CosemDateTime,
    CosemTime,
    Data,
    Table,
    decode,
)
from openamr.codec.axdr import DATE_TYPES, FIXED_TYPES, tag_of
from openamr.codec.types import (
    DONT_CARE,
    Array,
    FixedFloat,
    FixedInt,
    OctetString,
    Structure,
    Tag,
    Utf8String,
    VisibleString,
)
from openamr.errors import DecodeError, DlmsError

#: A value given on the command line that is not a DLMS value; the message says why.
ValueFormError = ValueError

_INTS: dict[int, type[FixedInt]] = {t: c for t, c in FIXED_TYPES.items() if issubclass(c, FixedInt)}
_FLOATS: dict[int, type[FixedFloat]] = {
    t: c for t, c in FIXED_TYPES.items() if issubclass(c, FixedFloat)
}


def type_name(tag: Tag) -> str:
    """``Tag.OCTET_STRING`` -> ``octet-string``."""
    return tag.name.lower().replace("_", "-")


_BY_NAME: dict[str, Tag] = {type_name(t): t for t in Tag}


def to_typed(value: Data) -> Any:
    """The typed JSON form of a Data value (the module's docstring)."""
    tag = tag_of(value)
    name = type_name(tag)
    content: Any
    if isinstance(value, CompactArray):
        return {"array": [to_typed(v) for v in value.values]}
    if isinstance(value, (list, tuple, Table)):
        content = [to_typed(v) for v in value]
    elif isinstance(value, bytes):
        content = value.hex()
    elif isinstance(value, (CosemDateTime, CosemDate, CosemTime)):
        content = value.to_bytes().hex()
    elif isinstance(value, BitString):
        content = str(value)
    elif value is DONT_CARE:
        content = None
    else:
        content = value
    return {name: content}


def _hex(text: object, name: str) -> bytes:
    if not isinstance(text, str):
        raise ValueFormError(f"{name}: give the octets as a hex string")
    try:
        return bytes.fromhex("".join(text.split()))
    except ValueError:
        raise ValueFormError(f"{name}: {text!r} is not hex") from None


def from_typed(obj: Any) -> Data:
    """A Data value from its typed JSON form; ValueError says what is wrong."""
    if not isinstance(obj, dict) or len(obj) != 1:
        raise ValueFormError(
            f"{json.dumps(obj)}: each value is an object of one key, the type, "
            'e.g. {"unsigned": 5} or {"octet-string": "0a0b"}'
        )
    ((name, content),) = obj.items()
    tag = _BY_NAME.get(name)
    if tag is None:
        raise ValueFormError(f"unknown type {name!r}: one of {', '.join(_BY_NAME)}")
    try:
        return _content(tag, name, content)
    except (DlmsError, OverflowError, TypeError) as e:
        raise ValueFormError(f"{name} {json.dumps(content)}: {e}") from None


def _content(tag: Tag, name: str, content: Any) -> Data:
    if tag in (Tag.ARRAY, Tag.STRUCTURE, Tag.COMPACT_ARRAY):
        if not isinstance(content, list):
            raise ValueFormError(f"{name}: give a list of values")
        items = [from_typed(v) for v in content]
        return Structure(items) if tag == Tag.STRUCTURE else Array(items)
    if tag in _INTS:
        if isinstance(content, bool) or not isinstance(content, int):
            raise ValueFormError(f"{name}: give a whole number, not {json.dumps(content)}")
        return _INTS[tag](content)
    if tag in _FLOATS:
        if isinstance(content, bool) or not isinstance(content, (int, float)):
            raise ValueFormError(f"{name}: give a number")
        return _FLOATS[tag](content)
    if tag in DATE_TYPES:
        return DATE_TYPES[tag].from_bytes(_hex(content, name))
    if tag == Tag.OCTET_STRING:
        return OctetString(_hex(content, name))
    if tag in (Tag.VISIBLE_STRING, Tag.UTF8_STRING):
        if not isinstance(content, str):
            raise ValueFormError(f"{name}: give a string")
        return VisibleString(content) if tag == Tag.VISIBLE_STRING else Utf8String(content)
    if tag == Tag.BOOLEAN:
        if not isinstance(content, bool):
            raise ValueFormError(f"{name}: give true or false")
        return content
    if tag == Tag.BIT_STRING:
        if not isinstance(content, str) or set(content) - {"0", "1"}:
            raise ValueFormError(f'{name}: give the bits as a string, e.g. "0101"')
        return BitString.from_str(content)
    if tag == Tag.DONT_CARE:
        return DONT_CARE
    return None  # null-data


def parse_value(text: str) -> Data:
    """A value given on the command line: typed JSON, or ``hex:`` and A-XDR."""
    stripped = text.strip()
    if stripped.lower().startswith("hex:"):
        raw = _hex(stripped[4:], "hex")
        try:
            return decode(raw)
        except DecodeError as e:
            raise ValueFormError(f"hex: cannot decode: {e.reason} at byte {e.offset}") from None
    try:
        obj = json.loads(stripped)
    except json.JSONDecodeError as e:
        raise ValueFormError(
            f"not JSON ({e.msg} at column {e.colno}): give a typed value such as "
            "'{\"unsigned\": 5}', or A-XDR as hex:1105"
        ) from None
    return from_typed(obj)
