"""IEC local port setup (class 19 v1): the optical port's parameters."""

from __future__ import annotations

import pytest

from openamr.apdu.results import DataAccessResult
from openamr.codec.types import Enum, OctetString
from openamr.cosem.classes.iec_local_port_setup import Baud, IecLocalPortSetup
from tests.cosem.declared import check_declaration

PASSWORDS = frozenset({"pass_p1", "pass_p2", "pass_w5"})


def test_declaration_and_mt372_defaults() -> None:
    obj = IecLocalPortSetup(pass_p1=b"00000000")
    assert (obj.CLASS_ID, obj.VERSION) == (19, 1)
    check_declaration(obj, unreadable=PASSWORDS)
    assert obj.get(2) == Enum(0)  # IEC 62056-21 first
    assert Baud(obj.get(3)).rate == 300 and Baud(obj.get(4)).rate == 9600  # type: ignore[arg-type]
    assert obj.get(5) == Enum(1)  # 200 ms


def test_passwords_are_write_only() -> None:
    obj = IecLocalPortSetup(pass_p1=b"00000000")
    assert obj.set(7, OctetString(b"12345678")) is DataAccessResult.SUCCESS
    assert obj.pass_p1 == b"12345678"
    assert obj.get(7) is DataAccessResult.READ_WRITE_DENIED


@pytest.mark.parametrize(("index", "value"), [(2, 3), (3, 10), (4, 255), (5, 2)])
def test_enum_out_of_range(index: int, value: int) -> None:
    obj = IecLocalPortSetup()
    before = obj.get(index)
    assert obj.set(index, Enum(value)) is DataAccessResult.OTHER_REASON
    assert obj.get(index) == before


def test_baud_rates() -> None:
    assert [b.rate for b in Baud] == [300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]
