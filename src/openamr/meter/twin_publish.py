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

from openamr.codec.types import DoubleLongUnsigned, FixedInt, OctetString, Unsigned
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.extended_register import ExtendedRegister
from openamr.cosem.classes.register import Register
from openamr.meter.metrology.instant import instantaneous
from openamr.meter.profiles import stamp

if TYPE_CHECKING:
    from openamr.meter.twin import Twin

WRAP = 1 << 32  # double-long-unsigned registers roll over


def publish(twin: Twin) -> None:
    """The engine's state into the COSEM objects, then the components'."""
    o = twin.objects
    for quantity, registers in ((o.a_plus, twin.a_plus), (o.a_minus, twin.a_minus)):
        _set(quantity[0], DoubleLongUnsigned, registers.total % WRAP)
        for rate in range(1, 5):
            _set(quantity[rate], DoubleLongUnsigned, registers.rate(rate) % WRAP)
    _set(o.a_abs, DoubleLongUnsigned, (twin.a_plus.total + twin.a_minus.total) % WRAP)
    _set(o.tariff, Unsigned, twin.rate)
    _set(o.billing_counter, Unsigned, twin.billing.counter % 256)
    _set(o.status, Unsigned, int(twin.status))
    _demand(twin)
    if o.lazy_instantaneous:  # computed when one of them is read (Twin.publish_pending)
        twin.instant_due = twin.true_t
    else:
        publish_instantaneous(twin, twin.true_t)
    for component in twin.components:
        component.publish(twin)


def _set(register: Register | ExtendedRegister | Data, kind: type[FixedInt], value: int) -> None:
    """``register.value = kind(value)``, unless it holds that already (an equal value
    of that very type): a day's publish leaves most registers as they were, and a
    value not made again is one object less to make and to collect."""
    old = register.value
    if type(old) is not kind or old != value:
        register.value = kind(value)


def _demand(twin: Twin) -> None:
    o, demand, clock = twin.objects, twin.demand, twin.objects.clock
    o.current_demand.current_average_value = DoubleLongUnsigned(int(demand.current_average))
    o.current_demand.start_time_current = OctetString(stamp(clock, demand.start_time_current))
    _set(o.last_demand, DoubleLongUnsigned, int(demand.last_average))
    for rate, register in enumerate(o.maximum_demand):
        maximum = demand.maximum(rate)
        _set(register, DoubleLongUnsigned, int(maximum.value) if maximum else 0)
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
