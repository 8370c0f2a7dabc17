"""The twin's state into its COSEM objects (issue 4): what a client reads.

After each advance the engine writes the energy registers (Register, class 3, Blue
Book 4.3.2; A+ 1.0.1.8.e.255, A- 1.0.2.8.e.255 with e = 0 total and 1..4 the rates,
|A| 1.0.15.8.0.255), the current rate and the status, demand (Demand register,
class 5, 4.3.4; Extended register, class 4, 4.3.3), the instantaneous values in SI
units (each register with its declared scaler, :class:`openamr.meter.twin_objects.
Scaled`), and then every component publishes its own objects.

The instantaneous values are published lazily (issue 9): :func:`publish` marks them
due at the twin's instant, and the first read of one of them
(:class:`openamr.meter.twin_objects.LiveRegister`) computes them all for that
instant; values nobody reads are never computed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from openamr.codec.types import DoubleLongUnsigned, OctetString, Unsigned
from openamr.meter.metrology.instant import instantaneous
from openamr.meter.profiles import stamp

if TYPE_CHECKING:
    from openamr.meter.twin import Twin

WRAP = 1 << 32  # double-long-unsigned registers roll over


def publish(twin: Twin) -> None:
    """The engine's state into the COSEM objects, then the components'."""
    o = twin.objects
    for quantity, registers in ((o.a_plus, twin.a_plus), (o.a_minus, twin.a_minus)):
        quantity[0].value = DoubleLongUnsigned(registers.total % WRAP)
        for rate in range(1, 5):
            quantity[rate].value = DoubleLongUnsigned(registers.rate(rate) % WRAP)
    o.a_abs.value = DoubleLongUnsigned((twin.a_plus.total + twin.a_minus.total) % WRAP)
    o.tariff.value = Unsigned(twin.rate)
    o.billing_counter.value = Unsigned(twin.billing.counter % 256)
    o.status.value = Unsigned(int(twin.status))
    _demand(twin)
    if o.lazy_instantaneous:  # computed when one of them is read (Twin.publish_pending)
        twin.instant_due = twin.true_t
    else:
        publish_instantaneous(twin, twin.true_t)
    for component in twin.components:
        component.publish(twin)


def _demand(twin: Twin) -> None:
    o, demand, clock = twin.objects, twin.demand, twin.objects.clock
    o.current_demand.current_average_value = DoubleLongUnsigned(int(demand.current_average))
    o.current_demand.start_time_current = OctetString(stamp(clock, demand.start_time_current))
    o.last_demand.value = DoubleLongUnsigned(int(demand.last_average))
    for rate, register in enumerate(o.maximum_demand):
        maximum = demand.maximum(rate)
        register.value = DoubleLongUnsigned(int(maximum.value) if maximum else 0)
        if maximum is not None:
            register.capture_time = OctetString(stamp(clock, maximum.captured_at))


def publish_instantaneous(twin: Twin, at: dt.datetime) -> None:
    """Instantaneous values at ``at`` (true time) in SI units, into each register as
    declared (its scaler and type, :class:`openamr.meter.twin_objects.Scaled`)."""
    o = twin.objects
    values = instantaneous(twin.metrology, at)
    for phase, v in enumerate(values.phases):
        o.voltage[phase].publish(v.voltage_v)
        o.current[phase].publish(v.current_a)
        o.phase_pf[phase].publish(v.power_factor)
    o.power_import.publish(values.import_w)
    o.power_export.publish(values.export_w)
    o.power_factor.publish(values.power_factor)
    o.frequency.publish(values.frequency_hz)


__all__ = ["WRAP", "publish", "publish_instantaneous"]
