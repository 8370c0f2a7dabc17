"""GPRS modem setup (class 45): APN, PIN, quality of service."""

from __future__ import annotations

from openamr.apdu.results import DataAccessResult
from openamr.codec.types import LongUnsigned, OctetString, Structure, Unsigned
from openamr.cosem.classes.gprs_modem_setup import GprsModemSetup, qos_element
from tests.cosem.declared import check_declaration


def test_declaration() -> None:
    obj = GprsModemSetup(apn=b"m2m.operator")
    assert (obj.CLASS_ID, obj.VERSION) == (45, 0)
    check_declaration(obj, unreadable=frozenset({"pin_code"}))
    assert obj.get(2) == OctetString(b"m2m.operator")


def test_pin_is_write_only_and_qos_is_checked_in_depth() -> None:
    obj = GprsModemSetup()
    assert obj.set(3, LongUnsigned(1234)) is DataAccessResult.SUCCESS
    assert obj.pin_code == 1234 and obj.get(3) is DataAccessResult.READ_WRITE_DENIED
    qos = Structure((qos_element((1, 2, 3, 4, 5)), qos_element((0, 0, 0, 0, 0))))
    assert obj.set(4, qos) is DataAccessResult.SUCCESS and obj.get(4) == qos
    short = Structure((qos_element((1, 2, 3, 4, 5)), Structure((Unsigned(0),) * 4)))
    assert obj.set(4, short) is DataAccessResult.TYPE_UNMATCHED
