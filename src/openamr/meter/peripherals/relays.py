"""The contactor on R3/R4: one contactor, two views (MT372.md section 2, decision).

* Disconnect control 0.0.96.3.10.255 (class 70, Blue Book 4.5.8): the state machine,
  its methods remote_disconnect (1) and remote_reconnect (2), control_mode (4).
* Mx372 0.0.128.30.21.255 (Data unsigned8): reads the control state (0 disconnected,
  1 connected, 2 ready for reconnection); a write of 0 is remote_disconnect, of 1
  remote_reconnect (in modes 1, 3, 5, 6 that leaves it ready for reconnection: the
  customer then presses the button). 0.0.128.30.22.255 (unsigned8) is control_mode.

The supply follows output_state: from the instant the contactor opens the
metrology sees no load (a :class:`LoadStep` of 0 W); from the instant it closes the
load is what it would have been (the model, or the last customer step). Each state
change is logged (:class:`PeripheralEvent` 0x8040-0x8042). PV export is not cut:
the metrology's load steps leave generation alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from openamr.apdu.results import DataAccessResult
from openamr.codec.obis import Obis
from openamr.codec.types import Data, Unsigned
from openamr.cosem.classes.disconnect_control import (
    ControlState,
    DisconnectControl,
    Trigger,
)
from openamr.devices.mt372 import objects as mt372
from openamr.meter.metrology.model import LoadStep, seconds
from openamr.meter.peripherals.agenda import Agenda, ValueView, number, place, run_at
from openamr.meter.peripherals.codes import PeripheralEvent
from openamr.meter.twin import Action, Twin

DISCONNECT_CONTROL = mt372.DISCONNECT_CONTROL.obis
MX372_STATE = mt372.DISCONNECTOR_STATE.obis
MX372_MODE = mt372.DISCONNECTOR_MODE.obis

STATE_EVENTS = {
    ControlState.DISCONNECTED: PeripheralEvent.CONTACTOR_DISCONNECTED,
    ControlState.CONNECTED: PeripheralEvent.CONTACTOR_CONNECTED,
    ControlState.READY_FOR_RECONNECTION: PeripheralEvent.CONTACTOR_READY_FOR_RECONNECTION,
}

Change = Callable[[ControlState, ControlState], None]


class Disconnector(DisconnectControl):
    """Class 70 that tells the contactor of every change of state, whoever moved it
    (a DLMS method, the Mx372 view, the limiter, the button)."""

    def __init__(
        self, logical_name: Obis | str, control_mode: int, state: ControlState, on_change: Change
    ) -> None:
        super().__init__(logical_name, control_mode, state)
        self.on_change = on_change

    def fire(self, trigger: Trigger) -> bool:
        before = self.state
        taken = super().fire(trigger)
        if self.state is not before:
            self.on_change(before, self.state)
        return taken

    def set_control_mode(self, value: Data) -> None:
        before = self.state
        super().set_control_mode(value)
        if self.state is not before:
            self.on_change(before, self.state)


class Contactor:
    """The R3/R4 contactor in time. Public methods take ``at`` (meter time, None:
    now); the DLMS services act at the twin's present."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self.agenda = Agenda()
        self._now: dt.datetime | None = None  # the instant of the running action
        self._mine: set[int] = set()  # starts of the 0 W steps the contactor added
        self._held: list[LoadStep] = []  # customer steps given while open
        device = twin.device
        old = device.find(DISCONNECT_CONTROL)
        mode, state = 1, ControlState.CONNECTED
        if isinstance(old, DisconnectControl):
            mode, state = old.mode, old.state
        self.control = Disconnector(DISCONNECT_CONTROL, mode, state, self._changed)
        place(device, self.control)
        place(device, ValueView(MX372_STATE, self._read_state, self._write_state))
        place(device, ValueView(MX372_MODE, lambda: Unsigned(self.control.mode), self._write_mode))

    # -- the public face -----------------------------------------------------------------

    @property
    def state(self) -> ControlState:
        return self.control.state

    @property
    def connected(self) -> bool:
        return self.control.state is ControlState.CONNECTED

    def remote_disconnect(self, at: dt.datetime | None = None) -> None:
        self._at(at, Trigger.REMOTE_DISCONNECT)

    def remote_reconnect(self, at: dt.datetime | None = None) -> None:
        self._at(at, Trigger.REMOTE_RECONNECT)

    def manual_reconnect(self, at: dt.datetime | None = None) -> None:
        """The customer's button (transition e): ready for reconnection -> connected."""
        self._at(at, Trigger.MANUAL_RECONNECT)

    def manual_disconnect(self, at: dt.datetime | None = None) -> None:
        self._at(at, Trigger.MANUAL_DISCONNECT)

    def local_disconnect(self, at: dt.datetime) -> bool:
        """The limiter's disconnection (transition g), inside an advance."""
        return self._fire(Trigger.LOCAL_DISCONNECT, at)

    def local_reconnect(self, at: dt.datetime) -> bool:
        """The limiter's reconnection (transition h, modes 5 and 6), inside an advance."""
        return self._fire(Trigger.LOCAL_RECONNECT, at)

    def load_step(self, step: LoadStep) -> None:
        """A customer load change: applied now when the contactor is closed, kept for
        the reconnection while it is open (use it instead of ``twin.add_load_step``)."""
        if self.connected:
            self.twin.add_load_step(step)
        else:
            self._held.append(step)

    # -- component -----------------------------------------------------------------------

    def boundaries(
        self, twin: Twin, m0: dt.datetime, m1: dt.datetime
    ) -> list[tuple[dt.datetime, Action]]:
        return self.agenda.due(m0, m1)

    def publish(self, twin: Twin) -> None:
        """Nothing to copy: the objects read the state machine directly."""

    # -- inside ----------------------------------------------------------------------------

    def _at(self, at: dt.datetime | None, trigger: Trigger) -> None:
        def act(t: dt.datetime) -> None:
            self._fire(trigger, t)

        run_at(self.twin, self.agenda, at, act)

    def _fire(self, trigger: Trigger, at: dt.datetime) -> bool:
        self._now = at
        try:
            return self.control.fire(trigger)
        finally:
            self._now = None

    def _changed(self, before: ControlState, after: ControlState) -> None:
        at = self._now or self.twin.position
        self.twin.log(at, STATE_EVENTS[after])
        if before is ControlState.CONNECTED:
            self._cut(at)
        elif after is ControlState.CONNECTED:
            self._restore(at)

    def _true(self, at: dt.datetime) -> int:
        return seconds(self.twin.source.to_true(at))

    def _cut(self, at: dt.datetime) -> None:
        step = LoadStep(self._true(at), 0)
        self._mine.add(step.start)
        self.twin.add_load_step(step)

    def _restore(self, at: dt.datetime) -> None:
        start = self._true(at)
        steps = [s for s in self.twin.metrology.steps if s.start <= start]
        customer = [s for s in steps if not (s.level_w == 0 and s.start in self._mine)]
        customer += [s for s in self._held if s.start <= start]
        later = [s for s in self._held if s.start > start]
        self._held = []
        last = max(customer, key=lambda s: s.start, default=None)
        if last is None:
            self.twin.add_load_step(LoadStep(start))
        else:
            self.twin.add_load_step(LoadStep(start, last.level_w, last.scale))
        for step in later:
            self.twin.add_load_step(step)

    # -- persistence (see Peripherals.save_state) -------------------------------------------

    def save_state(self) -> dict[str, object]:
        held = [[s.start, s.level_w, s.scale] for s in self._held]
        return {"mode": self.control.mode, "state": int(self.control.state),
                "mine": sorted(self._mine), "held": held}  # fmt: skip

    def load_state(self, saved: dict[str, object]) -> None:
        """The committed state, without events; a replayed Mx372 write that moved the
        fresh contactor is undone (its 0 W step is overridden by the load restored)."""
        mine, held = saved.get("mine"), saved.get("held")
        self._mine |= {int(s) for s in mine} if isinstance(mine, list) else set()
        self._held = [LoadStep(int(a), None if b is None else int(b), float(c))
                      for a, b, c in held] if isinstance(held, list) else []  # fmt: skip
        replayed_cut = not self.connected
        mode, state = saved.get("mode"), saved.get("state")
        if isinstance(mode, int) and isinstance(state, int):
            self.control.mode, self.control.state = mode, ControlState(state)
        if replayed_cut and self.connected:
            self._restore(self.twin.position)

    # -- the Mx372 views ---------------------------------------------------------------

    def _read_state(self) -> Data:
        return Unsigned(self.control.state)

    def _write_state(self, value: Data) -> DataAccessResult | None:
        command = number(value)
        if command not in (0, 1):
            return DataAccessResult.OTHER_REASON
        method = self.control.remote_disconnect if command == 0 else self.control.remote_reconnect
        result, _ = method(0)
        return None if result == 0 else DataAccessResult.OTHER_REASON

    def _write_mode(self, value: Data) -> DataAccessResult | None:
        mode = number(value)
        if mode is None or not 0 <= mode <= 6:
            return DataAccessResult.OTHER_REASON
        self.control.set_control_mode(mode)
        return None
