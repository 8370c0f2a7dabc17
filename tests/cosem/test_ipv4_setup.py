"""IPv4 setup (class 42): addresses and the multicast methods."""

from __future__ import annotations

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.types import (
    Array,
    DoubleLongUnsigned,
    Integer,
    LongUnsigned,
    Structure,
    Unsigned,
)
from openamr.cosem.classes.ipv4_setup import MAX_MULTICAST, Ipv4Setup, dotted, ipv4
from tests.cosem.declared import check_declaration


def test_declaration_and_addresses() -> None:
    obj = Ipv4Setup(ip_address="10.20.30.40", subnet_mask="255.255.255.0")
    assert (obj.CLASS_ID, obj.VERSION) == (42, 0)
    check_declaration(obj)
    assert obj.get(3) == DoubleLongUnsigned(0x0A141E28)
    assert dotted(obj.get(6)) == "255.255.255.0"  # type: ignore[arg-type]
    assert ipv4("192.168.0.1") == 0xC0A80001


def test_multicast_methods() -> None:
    obj = Ipv4Setup()
    group = ipv4("239.1.2.3")
    assert obj.action(1, group) == (ActionResult.SUCCESS, None)
    assert obj.action(1, group) == (ActionResult.SUCCESS, None)  # already there
    assert obj.get(4) == Array([group])
    assert obj.action(3, Integer(0)) == (ActionResult.SUCCESS, LongUnsigned(1))
    assert obj.action(2, ipv4("239.9.9.9"))[0] is ActionResult.OTHER_REASON
    assert obj.action(2, group) == (ActionResult.SUCCESS, None)
    assert obj.action(3, Integer(0)) == (ActionResult.SUCCESS, LongUnsigned(0))
    for i in range(MAX_MULTICAST):
        assert obj.action(1, DoubleLongUnsigned(0xEF000000 + i))[0] is ActionResult.SUCCESS
    assert obj.action(1, ipv4("239.9.9.9"))[0] is ActionResult.OTHER_REASON
    assert obj.action(1, Unsigned(1))[0] is ActionResult.TYPE_UNMATCHED


def test_ip_options_shape() -> None:
    obj = Ipv4Setup()
    option = Structure((Unsigned(0x44), Unsigned(4), b"\x01\x02"))
    assert obj.set(5, Array([option])) is DataAccessResult.SUCCESS
    assert obj.set(5, Array([Structure((Unsigned(1),))])) is DataAccessResult.TYPE_UNMATCHED
