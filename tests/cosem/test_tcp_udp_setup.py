"""TCP-UDP setup (class 41): the wrapper port."""

from __future__ import annotations

from openamr.apdu.results import DataAccessResult
from openamr.codec.obis import Obis
from openamr.codec.types import LongUnsigned, OctetString, Unsigned
from openamr.cosem.classes.tcp_udp_setup import TcpUdpSetup
from tests.cosem.declared import check_declaration


def test_declaration_and_defaults() -> None:
    obj = TcpUdpSetup()
    assert (obj.CLASS_ID, obj.VERSION) == (41, 0)
    check_declaration(obj)
    assert obj.get(2) == LongUnsigned(4059)
    assert obj.get(3) == OctetString(Obis.parse("0.0.25.1.0.255").to_bytes())
    assert obj.get(4) == LongUnsigned(576)


def test_checks() -> None:
    obj = TcpUdpSetup()
    assert obj.set(3, OctetString(b"\x00\x00\x19")) is DataAccessResult.TYPE_UNMATCHED
    assert obj.set(4, LongUnsigned(39)) is DataAccessResult.OTHER_REASON
    assert obj.set(5, Unsigned(0)) is DataAccessResult.OTHER_REASON
    assert obj.set(2, LongUnsigned(2048)) is DataAccessResult.SUCCESS  # the real Mx372 port
    assert obj.get(2) == 2048
