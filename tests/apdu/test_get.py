"""GET-Request / GET-Response: vectors both ways, the descriptors, hostile input."""

from __future__ import annotations

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.descriptors import (
    CosemAttributeDescriptor,
    CosemAttributeDescriptorWithSelection,
    InvokeIdAndPriority,
    SelectiveAccessDescriptor,
)
from openamr.apdu.get import (
    DataBlockG,
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
)
from openamr.apdu.results import DataAccessResult
from openamr.apdu.selective_access import CaptureObjectDefinition, EntryDescriptor, RangeDescriptor
from openamr.codec import (
    Array,
    CosemDateTime,
    DecodeError,
    DoubleLongUnsigned,
    EncodeError,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
)
from openamr.codec.obis import Obis
from tests.vector_files import Vectors

XDLMS = Vectors("xdlms")

CLOCK = CaptureObjectDefinition(8, Obis.parse("0.0.1.0.0.255"), 2, 0)


def _range_access() -> SelectiveAccessDescriptor:
    return SelectiveAccessDescriptor(
        1,
        Structure(
            (
                CLOCK.to_data(),
                OctetString(bytes.fromhex("07 e1 0a 01 07 00 00 00 00 ff c4 80")),
                OctetString(bytes.fromhex("07 e1 0a 01 07 01 00 00 00 ff c4 80")),
                Array(),
            )
        ),
    )


def _attr(class_id: int, ln: str, attr: int) -> CosemAttributeDescriptor:
    return CosemAttributeDescriptor(class_id, Obis.parse(ln), attr)


EXPECTED: dict[str, object] = {
    "get-request-normal": GetRequestNormal(_attr(1, "0.0.43.1.0.255", 2)),
    "get-request-next": GetRequestNext(1),
    "get-request-with-list": GetRequestWithList(
        (
            CosemAttributeDescriptorWithSelection(_attr(1, "0.0.42.0.0.255", 2)),
            CosemAttributeDescriptorWithSelection(_attr(8, "0.0.1.0.0.255", 2)),
        )
    ),
    "get-request-normal-range": GetRequestNormal(
        _attr(7, "1.0.99.1.0.255", 2), access_selection=_range_access()
    ),
    "get-response-normal": GetResponseNormal(DoubleLongUnsigned(5009)),
    "get-response-normal-error": GetResponseNormal(DataAccessResult.HARDWARE_FAULT),
    "get-response-with-datablock": GetResponseWithDatablock(
        DataBlockG(False, 1, bytes.fromhex("01 02 12 00 01 12 00 02 12 00"))
    ),
    "get-response-with-datablock-error": GetResponseWithDatablock(
        DataBlockG(True, 2, DataAccessResult.DATA_BLOCK_UNAVAILABLE)
    ),
}


@pytest.mark.parametrize(("data", "value"), XDLMS.expected_params(EXPECTED))
def test_vector_both_ways(data: bytes, value: object) -> None:
    assert decode_apdu(data) == value
    assert type(value).from_bytes(data) == value  # type: ignore[attr-defined]
    assert value.to_bytes() == data  # type: ignore[attr-defined]


def test_invoke_id_and_priority_every_octet_round_trips() -> None:
    for b in range(256):
        iip = InvokeIdAndPriority.from_byte(b)
        assert iip.to_byte() == b
    assert InvokeIdAndPriority().to_byte() == 0xC1
    assert InvokeIdAndPriority(5, confirmed=False, high_priority=False).to_byte() == 0x05
    assert InvokeIdAndPriority.from_byte(0x81) == InvokeIdAndPriority(1, False, True)


@pytest.mark.parametrize("bad", [{"invoke_id": 16}, {"invoke_id": -1}, {"reserved": 4}])
def test_invoke_id_and_priority_range(bad: dict[str, int]) -> None:
    with pytest.raises(EncodeError):
        InvokeIdAndPriority(**bad)  # type: ignore[arg-type]


def test_range_descriptor_view_of_the_vector() -> None:
    apdu = GetRequestNormal.from_bytes(XDLMS.vector("get-request-normal-range"))
    sel = apdu.access_selection
    assert sel is not None and sel.access_selector == RangeDescriptor.ACCESS_SELECTOR
    rd = RangeDescriptor.from_data(sel.access_parameters)
    assert rd.restricting_object == CLOCK
    assert rd.from_value == bytes.fromhex("07 e1 0a 01 07 00 00 00 00 ff c4 80")
    assert rd.selected_values == ()
    assert rd.to_access() == sel


def test_range_descriptor_with_columns_and_date_time_values() -> None:
    frm = CosemDateTime.from_bytes(bytes.fromhex("07 ea 0b 18 02 00 00 00 00 ff c4 00"))
    to = CosemDateTime.from_bytes(bytes.fromhex("07 ea 0b 18 02 0c 00 00 00 ff c4 00"))
    energy = CaptureObjectDefinition(3, Obis.parse("1.0.1.8.0.255"), 2)
    rd = RangeDescriptor(CLOCK, frm, to, (CLOCK, energy))
    data = rd.to_data()
    assert data[3] == [CLOCK.to_data(), energy.to_data()]
    assert RangeDescriptor.from_data(data) == rd
    req = GetRequestNormal(_attr(7, "1.0.99.1.0.255", 2), rd.to_access())
    assert GetRequestNormal.from_bytes(req.to_bytes()) == req


def test_capture_object_definition_layout() -> None:
    # Blue Book 4.3.6: {long-unsigned, octet-string, integer, long-unsigned}; bytes as in
    # dlms-cosem's test_capture_object_definition (tests/test_xdlms/test_selective_access.py).
    from openamr.codec import encode

    assert encode(CLOCK.to_data()) == bytes.fromhex(
        "02 04 12 00 08 09 06 00 00 01 00 00 ff 0f 02 12 00 00"
    )


def test_entry_descriptor_both_ways() -> None:
    ed = EntryDescriptor(1, 96, 1, 0)
    data = ed.to_data()
    assert data == Structure(
        (DoubleLongUnsigned(1), DoubleLongUnsigned(96), LongUnsigned(1), LongUnsigned(0))
    )
    assert EntryDescriptor.from_data(data) == ed
    assert ed.to_access().access_selector == 2


@pytest.mark.parametrize(
    "bad",
    [
        None,
        Structure((LongUnsigned(1),)),
        Structure((LongUnsigned(8), OctetString(b"\x00" * 5), Integer(2), LongUnsigned(0))),
        Structure((LongUnsigned(8), OctetString(b"\x00" * 6), Integer(2), OctetString(b""))),
    ],
)
def test_capture_object_definition_refuses_malformed(bad: object) -> None:
    with pytest.raises(DecodeError):
        CaptureObjectDefinition.from_data(bad)  # type: ignore[arg-type]


def test_entry_descriptor_refuses_out_of_range() -> None:
    bad = Structure((DoubleLongUnsigned(1), DoubleLongUnsigned(2), LongUnsigned(1), True))
    with pytest.raises(DecodeError):
        EntryDescriptor.from_data(bad)


def test_negative_attribute_id_is_manufacturer_specific() -> None:
    req = GetRequestNormal(_attr(1, "0.0.96.1.0.255", -1))
    assert req.to_bytes()[-2:] == bytes.fromhex("ff 00")
    assert GetRequestNormal.from_bytes(req.to_bytes()) == req


def test_get_response_with_list_mixes_data_and_refusals() -> None:
    resp = GetResponseWithList((LongUnsigned(5), DataAccessResult.OBJECT_UNDEFINED, None))
    data = resp.to_bytes()
    assert data == bytes.fromhex("c4 03 c1 03 00 12 00 05 01 04 00 00")
    assert decode_apdu(data) == resp


@pytest.mark.parametrize(
    ("hex_", "offset"),
    [
        ("c0 04 c1", 1),  # unknown GET-Request choice
        ("c4 00 c1", 1),  # unknown GET-Response choice
        ("c0 01 c1 00 01 00 00 2b 01 00 ff 02 02", 12),  # OPTIONAL flag 2
        ("c4 01 c1 02 00", 3),  # Get-Data-Result choice 2
        ("c4 01 c1 01 05", 4),  # 5 is no Data-Access-Result
        ("c4 02 c1 00 00 00 00 01 02", 8),  # DataBlock-G choice 2
    ],
)
def test_malformed_is_a_decode_error_with_offset(hex_: str, offset: int) -> None:
    with pytest.raises(DecodeError) as exc:
        decode_apdu(bytes.fromhex(hex_))
    assert exc.value.offset == offset


def test_truncated_and_trailing() -> None:
    data = XDLMS.vector("get-request-with-list")
    for n in range(1, len(data)):
        with pytest.raises(DecodeError):
            decode_apdu(data[:n])
    with pytest.raises(DecodeError):
        decode_apdu(data + b"\x00")


def test_huge_list_count_is_refused_up_front() -> None:
    with pytest.raises(DecodeError, match="does not fit"):
        decode_apdu(bytes.fromhex("c0 03 c1 84 7f ff ff ff"))


def test_from_bytes_checks_the_class() -> None:
    with pytest.raises(DecodeError, match="expected GetRequestNext"):
        GetRequestNext.from_bytes(XDLMS.vector("get-request-normal"))


def test_profile_buffer_response_decodes_to_a_fast_table() -> None:
    from openamr.codec import Table

    # buffer: array of 2 rows {date-time octet-string, double-long-unsigned} (as in the
    # Makefile's `make run` sample), inside a Get-Response-Normal.
    body = bytes.fromhex(
        "01 02 02 02 09 0c 07 ea 0b 18 02 0c 00 00 00 ff c4 00 06 00 00 04 d2"
        " 02 02 09 0c 07 ea 0b 18 02 0c 0f 00 00 ff c4 00 06 00 00 04 e1"
    )
    data = bytes.fromhex("c4 01 c1 00") + body
    resp = GetResponseNormal.from_bytes(data)
    assert isinstance(resp.result, Table) and len(resp.result) == 2
    assert resp.to_bytes() == data
