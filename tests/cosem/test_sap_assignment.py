"""SAP assignment (class 17): one device per SAP, SAP 0 disconnects."""

from __future__ import annotations

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import decode, encode
from openamr.codec.types import Array, LongUnsigned, OctetString, Structure, Unsigned
from openamr.cosem.classes.sap_assignment import DEFAULT_LOGICAL_DEVICE_NAME, SapAssignment
from tests.cosem.declared import check_declaration

OTHER = b"ISKMT372LD2....."


def connect(obj: SapAssignment, sap: int, name: bytes) -> ActionResult:
    params = decode(encode(Structure((LongUnsigned(sap), OctetString(name)))))
    return obj.action(1, params)[0]


def test_declaration_and_mt372_default() -> None:
    obj = SapAssignment()
    assert (obj.CLASS_ID, obj.VERSION) == (17, 0)
    check_declaration(obj)
    assert len(DEFAULT_LOGICAL_DEVICE_NAME) == 16 and DEFAULT_LOGICAL_DEVICE_NAME[:3] == b"ISK"
    assert obj.get(2) == Array(
        [Structure((LongUnsigned(1), OctetString(DEFAULT_LOGICAL_DEVICE_NAME)))]
    )


def test_connect_move_and_disconnect() -> None:
    obj = SapAssignment()
    assert connect(obj, 17, OTHER) is ActionResult.SUCCESS
    assert obj.device_at(17) == OTHER
    assert connect(obj, 17, DEFAULT_LOGICAL_DEVICE_NAME) is ActionResult.OTHER_REASON  # taken
    assert connect(obj, 18, OTHER) is ActionResult.SUCCESS  # moves
    assert obj.device_at(17) is None and obj.device_at(18) == OTHER
    assert connect(obj, 18, OTHER) is ActionResult.SUCCESS  # idempotent
    assert connect(obj, 0, OTHER) is ActionResult.SUCCESS  # disconnects
    assert obj.get(2) == Array(
        [Structure((LongUnsigned(1), OctetString(DEFAULT_LOGICAL_DEVICE_NAME)))]
    )


def test_refusals() -> None:
    obj = SapAssignment()
    assert obj.action(1, Structure((Unsigned(1), OctetString(OTHER))))[0] is (
        ActionResult.TYPE_UNMATCHED
    )
    assert obj.set(2, Array()) is DataAccessResult.READ_WRITE_DENIED
    assert obj.device_at(1) == DEFAULT_LOGICAL_DEVICE_NAME
