"""Decoded values as the client's dataclasses: object_list, registers, log-book."""

from __future__ import annotations

import datetime as dt

import pytest

from openamr.client.values import (
    Event,
    ObjectInfo,
    RegisterValue,
    event_name,
    events_of,
    parse_object_list,
    rows_of,
)
from openamr.codec import (
    Array,
    CosemDateTime,
    DoubleLongUnsigned,
    Enum,
    Integer,
    LongUnsigned,
    Obis,
    OctetString,
    Structure,
    Unsigned,
    decode,
    encode,
)
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem.access import AttributeAccess, MethodAccess
from openamr.errors import DecodeError

T0 = dt.datetime(2026, 1, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0x0080, "power failure"),
        (0x0090, "billing reset, power failure"),
        (0x8011, "terminal cover opened"),
        (0x8020, "under voltage begin L1"),  # the twin logs it: its name, not a number
        (0x8034, "alarm input"),
        (0x8040, "contactor disconnected"),
        (0x8042, "contactor ready for reconnection"),
        (0x8037, "event 0x8037"),  # no such event
        (0x0400, "event 0x0400"),
        (0x0401, "fatal error, event 0x0400"),
    ],
)
def test_event_names(code: int, name: str) -> None:
    assert event_name(code) == name


def test_events_repeat_the_previous_time_for_zero_or_null() -> None:
    stamp = CosemDateTime.from_datetime(T0).to_bytes()
    rows = [(stamp, 0x8001), (0, 0x8004), (None, 0x0040)]
    assert events_of(rows) == [Event(T0, 0x8001), Event(T0, 0x8004), Event(T0, 0x0040)]
    with pytest.raises(DecodeError, match="no event code"):
        events_of([(stamp,)])


def test_object_list_round_trip_through_the_codec() -> None:
    element = Structure((
        LongUnsigned(70), Unsigned(0), OctetString(bytes([0, 0, 96, 3, 10, 255])),
        Structure((
            Array([Structure((Integer(2), Enum(1), None)),
                   Structure((Integer(4), Enum(6), Array([Integer(1), Integer(2)])))]),
            Array([Structure((Integer(1), Enum(2))), Structure((Integer(2), False))]),
        )),
    ))  # fmt: skip
    (info,) = parse_object_list(decode(encode(Array([element]))))
    assert (info.class_id, info.version, info.logical_name) == (70, 0, Obis(0, 0, 96, 3, 10, 255))
    assert info.attribute_access(4) is AttributeAccess.AUTHENTICATED_READ_AND_WRITE
    assert info.attributes[1].selectors == (1, 2) and info.attributes[0].selectors == ()
    assert info.attribute_access(9) is AttributeAccess.NO_ACCESS
    assert info.method_access(1) is MethodAccess.AUTHENTICATED_ACCESS
    assert info.method_access(2) is MethodAccess.ACCESS  # version 0 boolean false


def test_register_value() -> None:
    r = RegisterValue(Obis.parse("1.0.1.8.0.255"), DoubleLongUnsigned(1234567),
                      ScalerUnit(-3, Unit.WATT_HOUR))  # fmt: skip
    assert r.value == pytest.approx(1234.567) and str(r) == "1234.567 Wh"
    text = RegisterValue(Obis.parse("0.0.96.1.0.255"), "x", ScalerUnit(0, Unit.COUNT))
    with pytest.raises(DecodeError, match="not a number"):
        _ = text.value


def test_rows_of_generic_buffers_keep_nulls() -> None:
    value = decode(encode(Array([Structure((None, DoubleLongUnsigned(5)))])))
    assert rows_of(value) == [(None, 5)]
    with pytest.raises(DecodeError):
        rows_of(DoubleLongUnsigned(1))


def test_an_object_is_named_by_the_device_profile() -> None:
    energy = ObjectInfo(3, 0, Obis.parse("1.0.1.8.0.255"), (), ())
    demand = ObjectInfo(5, 0, Obis.parse("1.0.1.4.0.255"), (), ())
    unknown = ObjectInfo(3, 0, Obis.parse("1.0.99.8.0.255"), (), ())
    assert (energy.name, demand.name, unknown.name) == (
        "A+ total", "current average demand A+", ""
    )  # fmt: skip
