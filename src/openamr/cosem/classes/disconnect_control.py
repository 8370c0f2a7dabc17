"""Disconnect control, class_id 70, version 0 (Blue Book 4.5.8): the supply
disconnector (on the MT372: the R3/R4 contactor outputs).

=====  =============  =========================================================
index  attribute      type
=====  =============  =========================================================
2      output_state   boolean (true: the supply is connected)
3      control_state  enum: 0 disconnected, 1 connected, 2 ready_for_reconnection
4      control_mode   enum 0..6 (static)
=====  =============  =========================================================

Methods (``integer 0``): 1 ``remote_disconnect``, 2 ``remote_reconnect``.

The state diagram's transitions, and the control modes that allow each::

    a remote_reconnect   disconnected -> connected               modes 2, 4
    b remote_disconnect  connected -> disconnected               modes 1..6
    c remote_disconnect  ready_for_reconnection -> disconnected  modes 1..6
    d remote_reconnect   disconnected -> ready_for_reconnection  modes 1, 3, 5, 6
    e manual_reconnect   ready_for_reconnection -> connected     modes 1..6
    f manual_disconnect  connected -> ready_for_reconnection     modes 1, 2, 5
    g local_disconnect   connected -> ready_for_reconnection     modes 1..6
    h local_reconnect    ready_for_reconnection -> connected     modes 5, 6

Mode 0 (none): the object stays connected and refuses both methods. A method
already satisfied (remote_disconnect when disconnected, remote_reconnect when
connected or already ready in modes 1, 3, 5, 6) succeeds and changes nothing;
remote_reconnect from ready_for_reconnection in modes 2 and 4 connects (the
method "forces the connected state" where direct reconnection is enabled).
Refusals are ``(ActionResult.OTHER_REASON, None)``. The manual and local
transitions are the meter's (button, limiter, ...): Python methods returning
whether the transition was taken.
"""

from __future__ import annotations

import enum

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.obis import Obis
from openamr.codec.types import Data, Enum, Tag
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult, denied


class ControlState(enum.IntEnum):
    DISCONNECTED = 0
    CONNECTED = 1
    READY_FOR_RECONNECTION = 2


class Trigger(enum.Enum):
    REMOTE_DISCONNECT = "remote_disconnect"
    REMOTE_RECONNECT = "remote_reconnect"
    MANUAL_DISCONNECT = "manual_disconnect"
    MANUAL_RECONNECT = "manual_reconnect"
    LOCAL_DISCONNECT = "local_disconnect"
    LOCAL_RECONNECT = "local_reconnect"


D, C, R = ControlState.DISCONNECTED, ControlState.CONNECTED, ControlState.READY_FOR_RECONNECTION
ALL = frozenset(range(1, 7))

#: (trigger, from state) -> (to state, the control modes that allow it): a..h above.
TRANSITIONS: dict[tuple[Trigger, ControlState], tuple[ControlState, frozenset[int]]] = {
    (Trigger.REMOTE_RECONNECT, D): (C, frozenset({2, 4})),  # a
    (Trigger.REMOTE_DISCONNECT, C): (D, ALL),  # b
    (Trigger.REMOTE_DISCONNECT, R): (D, ALL),  # c
    (Trigger.REMOTE_RECONNECT, R): (C, frozenset({2, 4})),  # forced, see above
    (Trigger.MANUAL_RECONNECT, R): (C, ALL),  # e
    (Trigger.MANUAL_DISCONNECT, C): (R, frozenset({1, 2, 5})),  # f
    (Trigger.LOCAL_DISCONNECT, C): (R, ALL),  # g
    (Trigger.LOCAL_RECONNECT, R): (C, frozenset({5, 6})),  # h
}
#: d: remote_reconnect from disconnected where direct reconnection is disabled.
_READY_MODES = frozenset({1, 3, 5, 6})


def check_mode(value: Data) -> DataAccessResult | None:
    return None if isinstance(value, int) and 0 <= value <= 6 else DataAccessResult.OTHER_REASON


class DisconnectControl(CosemObject, class_id=70, version=0):
    """The disconnector's state machine."""

    ATTRIBUTES = (
        Attribute(2, "output_state", Tag.BOOLEAN),
        Attribute(3, "control_state", Tag.ENUM),
        Attribute(4, "control_mode", Tag.ENUM, static=True, check=check_mode),
    )
    METHODS = (
        Method(1, "remote_disconnect", Tag.INTEGER),
        Method(2, "remote_reconnect", Tag.INTEGER),
    )

    def __init__(
        self,
        logical_name: Obis | str,
        control_mode: int = 1,
        state: ControlState = ControlState.CONNECTED,
    ) -> None:
        super().__init__(logical_name)
        self.mode = control_mode
        self.state = ControlState.CONNECTED if control_mode == 0 else state

    def fire(self, trigger: Trigger) -> bool:
        """Take the transition ``trigger`` from the current state if the control
        mode allows it; False (and no change) otherwise."""
        if (trigger, self.state) == (Trigger.REMOTE_RECONNECT, D) and self.mode in _READY_MODES:
            self.state = R  # d
            return True
        target = TRANSITIONS.get((trigger, self.state))
        if target is None or self.mode not in target[1]:
            return False
        self.state = target[0]
        return True

    # -- attributes --------------------------------------------------------------------

    def get_output_state(self) -> Data:
        return self.state is ControlState.CONNECTED

    set_output_state = staticmethod(denied)  # it follows control_state

    def get_control_state(self) -> Data:
        return Enum(self.state)

    set_control_state = staticmethod(denied)  # only the methods move it

    def get_control_mode(self) -> Data:
        return Enum(self.mode)

    def set_control_mode(self, value: Data) -> None:
        assert isinstance(value, int)
        self.mode = int(value)
        if self.mode == 0:
            self.state = ControlState.CONNECTED

    # -- methods ---------------------------------------------------------------------------

    def _remote(self, trigger: Trigger, satisfied: bool) -> MethodResult:
        if self.mode == 0:
            return ActionResult.OTHER_REASON, None
        if self.fire(trigger) or satisfied:
            return SUCCESS
        return ActionResult.OTHER_REASON, None

    def remote_disconnect(self, parameters: Data) -> MethodResult:
        return self._remote(Trigger.REMOTE_DISCONNECT, self.state is D)

    def remote_reconnect(self, parameters: Data) -> MethodResult:
        satisfied = self.state is C or (self.state is R and self.mode in _READY_MODES)
        return self._remote(Trigger.REMOTE_RECONNECT, satisfied)

    def manual_disconnect(self) -> bool:
        return self.fire(Trigger.MANUAL_DISCONNECT)

    def manual_reconnect(self) -> bool:
        return self.fire(Trigger.MANUAL_RECONNECT)

    def local_disconnect(self) -> bool:
        return self.fire(Trigger.LOCAL_DISCONNECT)

    def local_reconnect(self) -> bool:
        return self.fire(Trigger.LOCAL_RECONNECT)
