"""The twin's state into its COSEM objects (issue 4): what a client reads.

After each advance the engine writes the energy registers (Register, class 3, Blue
Book 4.3.2; A+ 1.0.1.8.e.255, A- 1.0.2.8.e.255 with e = 0 total and 1..4 the rates,
|A| 1.0.15.8.0.255), the current rate and the status, demand (Demand register,
class 5, 4.3.4; Extended register, class 4, 4.3.3), the instantaneous values in SI
units (each register with its declared scaler, :class:`openamr.meter.twin_objects.
Scaled`), and then every component publishes its own objects.
"""

from __future__ import annotations

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
    _instantaneous(twin)
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


def _instantaneous(twin: Twin) -> None:
    """Instantaneous values in SI units, into each register as declared (its scaler
    and type, :class:`openamr.meter.twin_objects.Scaled`)."""
    o = twin.objects
    values = instantaneous(twin.metrology, twin.true_t)
    for phase, v in enumerate(values.phases):
        o.voltage[phase].publish(v.voltage_v)
        o.current[phase].publish(v.current_a)
        o.phase_pf[phase].publish(v.power_factor)
    o.power_import.publish(values.import_w)
    o.power_export.publish(values.export_w)
    o.power_factor.publish(values.power_factor)
    o.frequency.publish(values.frequency_hz)


__all__ = ["WRAP", "publish"]
