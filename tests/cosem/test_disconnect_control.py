"""Disconnect control (class 70): every control mode against the Blue Book's
state diagram, written out as a table."""

from __future__ import annotations

import pytest

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import Enum, Integer, Tag
from openamr.cosem.classes.disconnect_control import ControlState, DisconnectControl, Trigger

from .test_extended_register import assert_types

D, C, R = ControlState.DISCONNECTED, ControlState.CONNECTED, ControlState.READY_FOR_RECONNECTION

#: The Blue Book's table of control modes (which of transitions a..h each allows).
MODES = {
    1: set("bcdefg"),
    2: set("abcefg"),
    3: set("bcdeg"),
    4: set("abceg"),
    5: set("bcdefgh"),
    6: set("bcdegh"),
}
EDGES = {
    "a": (Trigger.REMOTE_RECONNECT, D, C),
    "b": (Trigger.REMOTE_DISCONNECT, C, D),
    "c": (Trigger.REMOTE_DISCONNECT, R, D),
    "d": (Trigger.REMOTE_RECONNECT, D, R),
    "e": (Trigger.MANUAL_RECONNECT, R, C),
    "f": (Trigger.MANUAL_DISCONNECT, C, R),
    "g": (Trigger.LOCAL_DISCONNECT, C, R),
    "h": (Trigger.LOCAL_RECONNECT, R, C),
}


def test_types() -> None:
    dc = DisconnectControl("0.0.96.3.10.255")
    assert_types(dc, {2: Tag.BOOLEAN, 3: Tag.ENUM, 4: Tag.ENUM})
    assert dc.set(2, False) is DataAccessResult.READ_WRITE_DENIED
    assert dc.set(3, Enum(0)) is DataAccessResult.READ_WRITE_DENIED
    assert dc.set(4, Enum(7)) is DataAccessResult.OTHER_REASON
    assert dc.set(4, Enum(5)) is DataAccessResult.SUCCESS and dc.get(4) == 5


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("edge", sorted(EDGES))
def test_transitions_per_mode(mode: int, edge: str) -> None:
    trigger, before, after = EDGES[edge]
    dc = DisconnectControl("0.0.96.3.10.255", mode, before)
    allowed = edge in MODES[mode]
    # a and d leave the same state on the same trigger: the mode picks one
    twin = any(e != edge and e in MODES[mode] and EDGES[e][:2] == (trigger, before) for e in EDGES)
    assert dc.fire(trigger) is (allowed or twin)
    assert (dc.state is after) is allowed
    if not allowed and not twin:
        assert dc.state is before


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("before", list(ControlState))
def test_remote_methods_per_mode(mode: int, before: ControlState) -> None:
    dc = DisconnectControl("0.0.96.3.10.255", mode, before)
    assert dc.action(1, Integer(0)) == (ActionResult.SUCCESS, None)
    assert dc.state is D and dc.get(2) is False and dc.get(3) == 0
    dc = DisconnectControl("0.0.96.3.10.255", mode, before)
    assert dc.action(2, Integer(0)) == (ActionResult.SUCCESS, None)
    direct = "a" in MODES[mode]
    expected = {D: C if direct else R, C: C, R: C if direct else R}[before]
    assert dc.state is expected and dc.get(2) is (expected is C)


def test_mode_zero_is_always_connected() -> None:
    dc = DisconnectControl("0.0.96.3.10.255", 0, D)
    assert dc.state is C
    assert dc.action(1, Integer(0))[0] is ActionResult.OTHER_REASON
    assert dc.action(2, Integer(0))[0] is ActionResult.OTHER_REASON
    assert not dc.local_disconnect() and dc.get(2) is True
    dc = DisconnectControl("0.0.96.3.10.255", 1, D)
    dc.set(4, Enum(0))
    assert dc.state is C


def test_remote_disconnect_then_manual_reconnect_in_mode_1() -> None:
    dc = DisconnectControl("0.0.96.3.10.255", 1)
    dc.action(1, Integer(0))
    dc.action(2, Integer(0))
    assert dc.state is R and dc.get(2) is False
    assert not dc.local_reconnect()  # h: modes 5, 6 only
    assert dc.manual_reconnect() and dc.get(2) is True
    assert dc.action(1, Unsigned_(0))[0] is ActionResult.TYPE_UNMATCHED


def Unsigned_(v: int) -> Enum:
    return Enum(v)
