"""OBIS codes: the text forms, the 6-octet wire form, order and hashing."""

from __future__ import annotations

import pytest

from openamr.codec import DecodeError, Obis, OctetString, decode, encode


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        pytest.param("1.0.1.8.0.255", (1, 0, 1, 8, 0, 255), id="dotted"),
        pytest.param("1-0:1.8.0*255", (1, 0, 1, 8, 0, 255), id="reduced"),
        pytest.param("1-0:1.8.0", (1, 0, 1, 8, 0, 255), id="reduced-no-f"),
        pytest.param("0.0.1.0.0.255", (0, 0, 1, 0, 0, 255), id="clock"),
        pytest.param("1-0:99.1.0*255", (1, 0, 99, 1, 0, 255), id="load-profile"),
        pytest.param("1-0:1.8.1*101", (1, 0, 1, 8, 1, 101), id="billing-f"),
        pytest.param("1-0:1.8.1&101", (1, 0, 1, 8, 1, 101), id="ampersand-f"),
        pytest.param(" 0.0.96.1.0.255 ", (0, 0, 96, 1, 0, 255), id="surrounding-space"),
    ],
)
def test_parse(text: str, groups: tuple[int, ...]) -> None:
    obis = Obis.parse(text)
    assert (obis.a, obis.b, obis.c, obis.d, obis.e, obis.f) == groups
    assert Obis.parse(str(obis)) == obis
    assert Obis.parse(obis.short()) == obis


def test_text_forms() -> None:
    obis = Obis.parse("1-0:1.8.0")
    assert str(obis) == "1.0.1.8.0.255"
    assert obis.short() == "1-0:1.8.0*255"
    assert eval(repr(obis)) == obis


@pytest.mark.parametrize(
    ("text", "match"),
    [
        pytest.param("", "not an OBIS code", id="empty"),
        pytest.param("1.8.0", "not an OBIS code", id="no-a-b"),
        pytest.param("1.0.1.8.0", "not an OBIS code", id="five-dotted"),
        pytest.param("1.0.1.8.0.255.1", "not an OBIS code", id="seven"),
        pytest.param("1.0.1.8.0.256", "exceeds 255", id="group-too-big"),
        pytest.param("1-0:1.8.0*300", "exceeds 255", id="f-too-big"),
        pytest.param("1.0.1.8.x.255", "not an OBIS code", id="letter"),
        pytest.param("1.0.-1.8.0.255", "not an OBIS code", id="negative"),
        pytest.param("1-0-1.8.0", "not an OBIS code", id="bad-separator"),
    ],
)
def test_parse_refuses_bad_text(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Obis.parse(text)


def test_groups_are_checked() -> None:
    with pytest.raises(ValueError, match="group C"):
        Obis(1, 0, 256, 8, 0)
    with pytest.raises(ValueError, match="group A"):
        Obis(True, 0, 1, 8, 0)  # type: ignore[arg-type]


def test_wire_form() -> None:
    data = bytes.fromhex("01 00 01 08 00 ff")
    obis = Obis.from_bytes(data)
    assert obis == Obis(1, 0, 1, 8, 0, 255)
    assert obis.to_bytes() == data
    assert Obis.from_bytes(bytearray(data)) == obis
    # as carried in a logical_name attribute: octet-string(6)
    assert encode(OctetString(obis.to_bytes())) == bytes.fromhex("09 06 01 00 01 08 00 ff")
    value = decode(bytes.fromhex("09 06 00 00 01 00 00 ff"))
    assert isinstance(value, bytes)
    assert Obis.from_bytes(value) == Obis.parse("0.0.1.0.0.255")


@pytest.mark.parametrize("size", [0, 5, 7])
def test_wrong_length_is_a_decode_error(size: int) -> None:
    with pytest.raises(DecodeError, match="6 octets"):
        Obis.from_bytes(bytes(size))


def test_hashable_and_ordered() -> None:
    a = Obis.parse("0.0.1.0.0.255")
    b = Obis.parse("1.0.1.8.0.255")
    c = Obis.parse("1.0.1.8.1.255")
    assert sorted([c, b, a]) == [a, b, c]
    assert a < b < c
    assert {b: "energy"}[Obis.parse("1-0:1.8.0")] == "energy"
    assert len({a, b, Obis(0, 0, 1, 0, 0, 255)}) == 2
    with pytest.raises(AttributeError):
        a.a = 5  # type: ignore[misc]
