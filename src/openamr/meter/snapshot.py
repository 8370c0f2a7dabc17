"""What the twin's engine has reached, read in one place (ARCHITECTURE.md "Wired in
plain sight"): the persistence commits it and the control endpoint shows it, neither
reaching into the engine's internals.

A :class:`TwinState` is a frozen copy taken at one instant (the true time the twin is
complete up to); the registers keep their exact carry below one Wh::

    s = snapshot(twin)
    s.true_t, s.meter_t, s.offset      where the twin is, in true and in meter time
    s.a_plus.total, s.a_plus.rates     A+ (Wh, not wrapped at 2**32), T1..T4
    s.status, s.day_status, s.rate     LP1/LP2 status bits, the active rate
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from openamr.meter.tariff.registers import RateRegisters, Wh
from openamr.meter.twin import Twin


@dataclass(frozen=True, slots=True)
class Registers:
    """One quantity's rate registers (Wh, T1..T4) and the carry below one Wh."""

    rates: tuple[int, ...]
    carry: Wh

    @property
    def total(self) -> int:
        return sum(self.rates)

    def rate(self, rate: int) -> int:
        """The register of ``rate`` (1-based)."""
        return self.rates[rate - 1]

    @classmethod
    def of(cls, registers: RateRegisters) -> Registers:
        return cls(tuple(registers.rates), registers.carry)


@dataclass(frozen=True, slots=True)
class TwinState:
    """The engine's state at ``true_t``; see the module docstring."""

    true_t: dt.datetime
    meter_t: dt.datetime
    offset: dt.timedelta
    status: int
    day_status: int
    rate: int
    powered: bool
    billing_counter: int
    a_plus: Registers
    a_minus: Registers
    #: the error register (FF) and the clock's status flags other than DST
    errors: int
    clock_flags: int
    #: meter time of the last power failure still open (None: powered)
    down_since: dt.datetime | None
    #: the power quality counters, by logical name
    counters: dict[str, int]
    #: demand (W): the running period's average so far and the last period's
    current_average_w: float
    last_average_w: float


def snapshot(twin: Twin) -> TwinState:
    """A frozen copy of what ``twin`` has reached."""
    objects = twin.objects
    return TwinState(
        true_t=twin.true_t,
        meter_t=twin.position,
        offset=twin.source.offset,
        status=int(twin.status),
        day_status=int(twin.day_status),
        rate=twin.rate,
        powered=twin.powered,
        billing_counter=twin.billing.counter,
        a_plus=Registers.of(twin.a_plus),
        a_minus=Registers.of(twin.a_minus),
        errors=_int(objects.error_register.value),
        clock_flags=objects.clock.flags,
        down_since=twin.down_since,
        counters={str(o.logical_name): _int(o.value) for o in objects.quality_counters.values()},
        current_average_w=float(twin.demand.current_average),
        last_average_w=float(twin.demand.last_average),
    )


def _int(value: object) -> int:
    assert isinstance(value, int)
    return int(value)


__all__ = ["Registers", "TwinState", "snapshot"]
