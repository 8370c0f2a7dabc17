"""DATA-NOTIFICATION and EVENT-NOTIFICATION-Request."""

from __future__ import annotations

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.notification import (
    DataNotification,
    EventNotificationRequest,
    LongInvokeIdAndPriority,
)
from openamr.codec import CosemDateTime, DecodeError, EncodeError, LongUnsigned, OctetString
from openamr.codec.obis import Obis
from openamr.codec.types import Structure
from tests.vector_files import Vectors

XDLMS = Vectors("xdlms")


TIME = bytes.fromhex("07 ea 0b 18 02 0c 00 00 00 ff c4 00")

EXPECTED: dict[str, object] = {
    "data-notification": DataNotification(
        OctetString(
            bytes.fromhex(
                "12 5a 85 91 36 00 00 00 00 49 00 00 00 11 00 00 00 0a 5a 85 13 d0"
                " 14 80 00 00 00 0d 00 00 00 0a 01 00"
            )
        ),
        None,
        LongInvokeIdAndPriority(475),
    ),
    "data-notification-with-time": DataNotification(
        Structure((LongUnsigned(5), OctetString(b"\x01\x02"))),
        bytes.fromhex("07 ea 0b 18 ff 0c 00 00 00 00 00 00"),
        LongInvokeIdAndPriority(1, confirmed=True, high_priority=True),
    ),
    "event-notification-request": EventNotificationRequest(
        CosemAttributeDescriptor(1, Obis.parse("0.0.96.11.0.255"), 2), LongUnsigned(47), TIME
    ),
}


@pytest.mark.parametrize(("data", "value"), XDLMS.expected_params(EXPECTED))
def test_vector_both_ways(data: bytes, value: object) -> None:
    assert decode_apdu(data) == value
    assert value.to_bytes() == data  # type: ignore[attr-defined]


def test_long_invoke_id_and_priority_bits() -> None:
    for v in (0, 0xFFFFFFFF, 0x80000001, 0x40000000, 0x20FFFFFF, 0x10000000, 0x0F000000):
        assert LongInvokeIdAndPriority.from_int(v).to_int() == v
    liip = LongInvokeIdAndPriority.from_int(0xB0000007)
    assert (liip.high_priority, liip.confirmed, liip.break_on_error, liip.self_descriptive) == (
        True, False, True, True,
    )  # fmt: skip
    assert liip.long_invoke_id == 7
    with pytest.raises(EncodeError):
        LongInvokeIdAndPriority(1 << 24)


def test_cosem_date_time_view() -> None:
    n = DataNotification(None, TIME)
    assert n.cosem_date_time == CosemDateTime.from_bytes(TIME)
    assert DataNotification(None).cosem_date_time is None
    with pytest.raises(EncodeError):
        DataNotification(None, b"")


def test_event_notification_without_time_and_with_empty_time() -> None:
    desc = CosemAttributeDescriptor(1, Obis.parse("0.0.96.11.0.255"), 2)
    for time in (None, b""):
        ev = EventNotificationRequest(desc, None, time)
        assert decode_apdu(ev.to_bytes()) == ev
    assert EventNotificationRequest(desc, None).to_bytes()[:2] == bytes.fromhex("c2 00")


@pytest.mark.parametrize("hex_", ["0f 00 00 00", "0f 00 00 00 01 05", "c2 02", "c2 00 00 01"])
def test_malformed(hex_: str) -> None:
    with pytest.raises(DecodeError):
        decode_apdu(bytes.fromhex(hex_))
