"""The multi-utility inputs: S0 impulse inputs P1 and P2, alarm input P3.

Registers (MT372.md section 2, decision [I]) and impulse constants (decision: the
manufacturer range, so no standard code is given a meaning it does not have):

=====  ===================  =========================  ===============================
input  counts into          scaler/unit                impulse constant (Register)
=====  ===================  =========================  ===============================
P1     8.0.1.0.0.255 water  -3, m3 (litres)            0.0.128.40.1.255, unit 55 (1/m3)
P2     7.0.3.0.0.255 gas    -3, m3 (litres)            0.0.128.40.2.255, unit 55 (1/m3)
=====  ===================  =========================  ===============================

A register holds the volume of the pulses counted, exactly: each pulse adds
1/constant m3 (kept as a fraction, so a change of constant loses nothing), the
register shows the floor in litres, rolling over at 2**32. A DLMS reset or write of
the register is respected: the next pulse counts on from what it holds. Default
constant: 1000 pulses/m3 (one pulse per litre).

P3 logs the alarm input event 0x8034 (and, with a push destination, pushes it).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from openamr.codec.obis import Obis
from openamr.codec.types import DoubleLongUnsigned
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem.classes.register import Register
from openamr.devices.mt372 import objects as mt372
from openamr.meter.events import EventCode
from openamr.meter.peripherals.agenda import Agenda, place, run_at
from openamr.meter.twin import Action, Twin

WRAP = 1 << 32
LITRES_PER_M3 = 1000
DEFAULT_CONSTANT = 1000
#: input number -> (volume register, impulse constant register)
INPUTS: dict[int, tuple[Obis, Obis]] = {
    1: (mt372.P1.obis, mt372.IMPULSE_CONSTANTS[0].obis),
    2: (mt372.P2.obis, mt372.IMPULSE_CONSTANTS[1].obis),
}
PER_M3 = ScalerUnit(0, Unit.PER_CUBIC_METRE)


class ImpulseInputs:
    """P1 and P2 counting S0 pulses; P3 the alarm input."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self.agenda = Agenda()
        self.volumes: dict[int, Fraction] = {}  # litres, exact
        self.registers: dict[int, Register] = {}
        self.constants: dict[int, Register] = {}
        device = twin.device
        for number, (volume, constant) in INPUTS.items():
            found = device.find(volume)
            if not isinstance(found, Register):
                raise LookupError(f"the twin needs Register {volume}")
            self.registers[number] = found
            self.volumes[number] = Fraction(self._shown(number))
            if not isinstance(device.find(constant), Register):
                place(device, Register(constant, DoubleLongUnsigned(DEFAULT_CONSTANT), PER_M3))
            register = device.find(constant)
            assert isinstance(register, Register)
            self.constants[number] = register

    # -- the public face -----------------------------------------------------------------

    def pulses(self, input_number: int, count: int, at: dt.datetime | None = None) -> None:
        """``count`` pulses on P1 (1) or P2 (2) at ``at`` (meter time, None: now)."""
        if input_number not in INPUTS:
            raise ValueError(f"impulse inputs are P1 and P2, not P{input_number}")
        if count < 0:
            raise ValueError(f"a pulse count is not negative, got {count}")
        run_at(self.twin, self.agenda, at, lambda _: self._count(input_number, count))

    def alarm_input(self, at: dt.datetime | None = None) -> None:
        """P3 became active at ``at``: logged as 0x8034."""
        run_at(self.twin, self.agenda, at, lambda t: self.twin.log(t, EventCode.ALARM_INPUT))

    def constant(self, input_number: int) -> int:
        """Pulses per m3 of an input (0 or unreadable: the default)."""
        value = self.constants[input_number].value
        return int(value) if isinstance(value, int) and value > 0 else DEFAULT_CONSTANT

    def litres(self, input_number: int) -> Fraction:
        """The exact volume counted (before the register's floor and rollover)."""
        return self.volumes[input_number]

    def restore(self, volumes: dict[int, Fraction]) -> None:
        """The exact volumes kept over a restart, into their registers."""
        for number, volume in volumes.items():
            self.volumes[number] = volume
            self.registers[number].value = DoubleLongUnsigned(int(volume) % WRAP)

    # -- component -----------------------------------------------------------------------

    def boundaries(
        self, twin: Twin, m0: dt.datetime, m1: dt.datetime
    ) -> list[tuple[dt.datetime, Action]]:
        return self.agenda.due(m0, m1)

    def publish(self, twin: Twin) -> None:
        """Nothing to copy: a pulse writes its register at once (LP2 captures it)."""

    # -- inside ----------------------------------------------------------------------------

    def _shown(self, number: int) -> int:
        value = self.registers[number].value
        return int(value) if isinstance(value, int) else 0

    def _count(self, number: int, count: int) -> None:
        volume = self.volumes[number]
        if int(volume) % WRAP != self._shown(number):  # reset or written by DLMS
            volume = Fraction(self._shown(number))
        volume += Fraction(count * LITRES_PER_M3, self.constant(number))
        self.volumes[number] = volume
        self.registers[number].value = DoubleLongUnsigned(int(volume) % WRAP)
