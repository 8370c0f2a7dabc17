"""Checks every interface class's declaration against its values (shared by the
tests of the communication classes): GET answers the declared type and encodes;
a SET of the wrong type is TYPE_UNMATCHED; a SET of the value read back (after an
encode/decode round trip, so arrays may come back as Tables) is accepted or
refused as read-only, never as a type mismatch."""

from __future__ import annotations

from openamr.apdu.results import DataAccessResult
from openamr.codec import decode, encode
from openamr.codec.axdr import tag_of
from openamr.codec.types import Data, Structure, Tag, Unsigned, VisibleString
from openamr.cosem import CosemObject


def wrong_value(tag: Tag) -> Data:
    """A value whose tag is not ``tag``."""
    return Unsigned(1) if tag == Tag.VISIBLE_STRING else VisibleString("x")


def check_declaration(obj: CosemObject, unreadable: frozenset[str] = frozenset()) -> None:
    for a in obj.attributes():
        value = obj.get(a.index)
        if a.name in unreadable:
            assert value is DataAccessResult.READ_WRITE_DENIED, a.name
            continue
        assert not isinstance(value, DataAccessResult), (a.name, value)
        if a.type is not None:
            assert tag_of(value) == a.type, (a.name, value)
        wire = decode(encode(value))
        assert wire == value, a.name
        if a.index == 1:
            continue
        if a.type is not None:
            assert obj.set(a.index, wrong_value(a.type)) is DataAccessResult.TYPE_UNMATCHED, a.name
        if a.type in (Tag.STRUCTURE, Tag.ARRAY):
            assert obj.set(a.index, Structure((wrong_value(Tag.STRUCTURE),))) in (
                DataAccessResult.TYPE_UNMATCHED,
                DataAccessResult.READ_WRITE_DENIED,
            ), a.name
        again = obj.set(a.index, wire)
        assert again in (DataAccessResult.SUCCESS, DataAccessResult.READ_WRITE_DENIED), (
            a.name,
            again,
        )
        assert obj.get(a.index) == value, a.name
