"""The load-control outputs R1 (mechanical, 6 A) and R2 (solid state, 0.1 A).

Objects (decisions, [I]; OBIS from the Blue Book's abstract list):

* 0.0.96.3.1.255 Data unsigned, "state of the output control signals": bit 0 R1,
  bit 1 R2 (1 = closed). A write is a command: both outputs take the written bits.
* 0.0.10.0.103.255 Script table, "set output signals": ``execute(selector)``::

      1  R1 on     2  R1 off     3  R2 on     4  R2 off

  Switching a relay is no COSEM attribute write, so the scripts' action lists are
  empty (read-only); the meter runs them itself.

The activity calendar 0.0.13.0.0.255 switches the outputs with day actions on the
script 0.0.10.0.103.255 (beside the tariff actions on 0.0.10.0.100.255): at each
action's local time the selector runs. A command holds until the next calendar
action. At installation the outputs take the calendar's selector in force (none:
both open).
"""

from __future__ import annotations

import datetime as dt
import enum

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.types import Array, Data, LongUnsigned, Structure, Unsigned
from openamr.cosem.base import SUCCESS, MethodResult, denied
from openamr.cosem.classes.script_table import ScriptTable
from openamr.devices.mt372 import objects as mt372
from openamr.meter.peripherals.agenda import Agenda, ValueView, number, place, run_at
from openamr.meter.twin import Action, Twin

OUTPUT_STATE = mt372.OUTPUT_STATE.obis
SET_OUTPUTS = mt372.SET_OUTPUTS.obis
_TICK = dt.timedelta(microseconds=1)


class Output(enum.IntFlag):
    R1 = 1
    R2 = 2


#: selector -> (output, closed)
SELECTORS: dict[int, tuple[Output, bool]] = {
    1: (Output.R1, True),
    2: (Output.R1, False),
    3: (Output.R2, True),
    4: (Output.R2, False),
}


class OutputScripts(ScriptTable):
    """0.0.10.0.103.255: the four scripts, run by the meter."""

    def __init__(self, outputs: LoadControl) -> None:
        super().__init__(SET_OUTPUTS)
        self.outputs = outputs

    def get_scripts(self) -> Data:
        return Array(Structure((LongUnsigned(s), Array())) for s in SELECTORS)

    set_scripts = staticmethod(denied)  # type: ignore[assignment]  # the meter's own

    def execute(self, parameters: Data) -> MethodResult:
        selector = number(parameters)
        if selector == 0:
            return SUCCESS
        if selector not in SELECTORS:
            return ActionResult.OTHER_REASON, None
        self.outputs.run_script(selector)
        return SUCCESS


class LoadControl:
    """R1 and R2, switched by command or by the activity calendar."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self.agenda = Agenda()
        self.state = Output(0)
        device = twin.device
        place(device, ValueView(OUTPUT_STATE, lambda: Unsigned(self.state), self._write))
        place(device, OutputScripts(self))
        found = self._calendar_selector(twin.position)
        if found is not None:
            self._execute(found)

    # -- the public face -----------------------------------------------------------------

    def closed(self, output: Output) -> bool:
        return bool(self.state & output)

    def switch(self, output: Output, closed: bool, at: dt.datetime | None = None) -> None:
        """A command: close or open ``output`` at ``at`` (meter time, None: now)."""
        run_at(self.twin, self.agenda, at, lambda _: self._set(output, closed))

    def run_script(self, selector: int, at: dt.datetime | None = None) -> None:
        """Run script ``selector`` of 0.0.10.0.103.255 (1..4)."""
        if selector not in SELECTORS:
            raise ValueError(f"no output script {selector}")
        run_at(self.twin, self.agenda, at, lambda _: self._execute(selector))

    # -- component -----------------------------------------------------------------------

    def boundaries(
        self, twin: Twin, m0: dt.datetime, m1: dt.datetime
    ) -> list[tuple[dt.datetime, Action]]:
        found = self.agenda.due(m0, m1)
        calendar = twin.plan.calendar_at(m0)
        segments = calendar.segments(m0, m1 + _TICK, twin.rules, SET_OUTPUTS)
        for segment in segments[1:]:
            if segment.value is not None:
                found.append((segment.start, self._action(segment.value)))
        return found

    def publish(self, twin: Twin) -> None:
        """Nothing to copy: 0.0.96.3.1.255 reads the state directly."""

    # -- inside ----------------------------------------------------------------------------

    def _action(self, selector: int) -> Action:
        return lambda _: self._execute(selector)

    def _calendar_selector(self, at: dt.datetime) -> int | None:
        segments = self.twin.plan.calendar_at(at).segments(at, at + _TICK, self.twin.rules,
                                                            SET_OUTPUTS)  # fmt: skip
        return segments[0].value if segments else None

    def _execute(self, selector: int) -> None:
        found = SELECTORS.get(selector)
        if found is not None:
            self._set(*found)

    def _set(self, output: Output, closed: bool) -> None:
        self.state = self.state | output if closed else self.state & ~output

    def _write(self, value: Data) -> DataAccessResult | None:
        bits = number(value)
        if bits is None or not 0 <= bits <= 3:
            return DataAccessResult.OTHER_REASON
        self.state = Output(bits)
        return None
