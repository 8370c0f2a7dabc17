"""Auto connect (class 29 v2): connect() hands over to the modem model."""

from __future__ import annotations

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.types import Array, Enum, Integer, OctetString
from openamr.cosem.classes.auto_connect import AutoConnect, AutoConnectMode
from tests.cosem.declared import check_declaration


def test_declaration_and_default() -> None:
    obj = AutoConnect(destinations=[b"10.0.0.1:4059"])
    assert (obj.CLASS_ID, obj.VERSION) == (29, 2)
    check_declaration(obj)
    assert obj.get(2) == Enum(AutoConnectMode.CONNECTED_ON_CONNECT)


def test_connect() -> None:
    calls: list[list[bytes]] = []

    def connector(destinations: list[bytes]) -> bool:
        calls.append(destinations)
        return len(calls) == 1

    obj = AutoConnect(destinations=[b"10.0.0.1:4059"], connector=connector)
    assert obj.action(1, Integer(0)) == (ActionResult.SUCCESS, None)
    assert calls == [[b"10.0.0.1:4059"]]
    assert obj.action(1, Integer(0))[0] is ActionResult.TEMPORARY_FAILURE
    assert obj.set(2, Enum(0)) is DataAccessResult.SUCCESS
    assert obj.action(1, Integer(0))[0] is ActionResult.OTHER_REASON  # no auto dialling
    assert len(calls) == 2
    assert AutoConnect().action(1, Integer(0))[0] is ActionResult.OTHER_REASON  # no modem


def test_checks() -> None:
    obj = AutoConnect()
    assert obj.set(2, Enum(100)) is DataAccessResult.OTHER_REASON
    assert obj.set(2, Enum(101)) is DataAccessResult.SUCCESS
    assert obj.set(6, Array([Integer(1)])) is DataAccessResult.TYPE_UNMATCHED
    assert obj.set(6, Array([OctetString(b"+386")])) is DataAccessResult.SUCCESS
    assert obj.destinations() == [b"+386"]
