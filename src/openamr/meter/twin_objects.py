"""The COSEM objects the twin's engine drives, as typed handles: each taken once
from the device by its declaration in the device profile
(:mod:`openamr.devices.mt372.objects`), its class checked against the declaration.

The instantaneous registers the engine publishes carry their scaler with them
(:class:`Scaled`): the engine computes in SI units and the scaler the profile
declares turns a value into the raw integer the register holds (``raw = value /
10**scaler``). The registers it counts (energy in Wh, demand in W, volumes in
litres) must be declared in those units: another scaler is refused at start
(:func:`counted`), never published wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from openamr.codec.obis import Obis
from openamr.codec.types import Data as DlmsData
from openamr.codec.types import FixedInt
from openamr.codec.units import ScalerUnit
from openamr.cosem import LogicalDevice
from openamr.cosem.base import CosemObject
from openamr.cosem.classes.activity_calendar import ActivityCalendar
from openamr.cosem.classes.clock import Clock
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.demand_register import DemandRegister
from openamr.cosem.classes.extended_register import ExtendedRegister
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.cosem.classes.register import Register
from openamr.cosem.classes.script_table import ScriptTable
from openamr.cosem.classes.special_days import SpecialDaysTable
from openamr.devices.mt372 import objects as mt372
from openamr.devices.profile import ObjectDecl

T = TypeVar("T", bound=CosemObject)
#: What brings the engine's due values into their objects (nothing when none is due).
Pending = Callable[[], None]


def handle(device: LogicalDevice, decl: ObjectDecl, cls: type[T]) -> T:
    """The object ``decl`` declares, as the class the engine drives."""
    obj = device.find(decl.obis)
    if not isinstance(obj, cls) or decl.class_id != cls.CLASS_ID:
        raise LookupError(f"the twin needs {cls.__name__} {decl.obis} ({decl.name})")
    return obj


class Scaled:
    """A register the engine writes in SI units (V, A, W, Hz, cos phi), with the
    scaler and the integer type that turn a value into its raw value, both from the
    register as the device profile declares it (its scaler_unit, its initial value)."""

    __slots__ = ("factor", "kind", "register")

    def __init__(self, register: Register) -> None:
        self.register = register
        scaler = ScalerUnit.from_data(register.scaler_unit).scaler
        #: multiply by 10**-scaler; an exact integer when the scaler is <= 0
        self.factor: int | float = 10**-scaler if scaler <= 0 else 10.0**-scaler
        if not isinstance(register.value, FixedInt):
            raise TypeError(f"{register.logical_name} is declared without an integer type")
        self.kind = type(register.value)

    def publish(self, value: float) -> None:
        """Set the register to ``value`` (rounded half to even, as ``round``); beyond
        the range of its type it saturates (an unsigned register shows 0, not -1)."""
        raw = round(value * self.factor)
        self.register.value = self.kind(min(max(raw, self.kind.lo), self.kind.hi))


class LiveRegister(Register):
    """A Register whose value the engine publishes when it is first read (issue 9:
    publish lazily): the engine marks its values due, and reading or writing any
    such register first brings every due value in (``pending``, the twin's
    :meth:`~openamr.meter.twin.Twin.publish_pending` through its port). So a value
    reads exactly as if it had been written when it fell due, and one nobody reads
    costs nothing."""

    def __init__(
        self, logical_name: Obis, value: DlmsData, scaler_unit: ScalerUnit, pending: Pending
    ) -> None:
        self._pending = pending
        super().__init__(logical_name, value, scaler_unit)

    @property
    def value(self) -> DlmsData:
        self._pending()
        return self._value

    @value.setter
    def value(self, value: DlmsData) -> None:
        self._pending()  # the due values first: a write then stands as written
        self._value = value


#: The instantaneous values (the :class:`Scaled` registers), published lazily.
INSTANTANEOUS: tuple[ObjectDecl, ...] = (
    *mt372.VOLTAGE, *mt372.CURRENT, *mt372.PHASE_POWER_FACTOR, mt372.POWER_IMPORT,
    mt372.POWER_EXPORT, mt372.POWER_FACTOR, mt372.FREQUENCY,
)  # fmt: skip


R = TypeVar("R", Register, ExtendedRegister, DemandRegister)


def counted(register: R) -> R:
    """A register the engine counts in whole units (Wh, W, litres): declared with
    scaler 0, or for the gas and water volumes in litres (scaler -3 of m3)."""
    scaler = ScalerUnit.from_data(register.scaler_unit).scaler
    if scaler != COUNTED_SCALERS.get(register.logical_name.a, 0):
        raise ValueError(
            f"{register.logical_name}: the engine counts it in whole units, "
            f"it cannot be declared with scaler {scaler}"
        )
    return register


#: Value group A (1 electricity, 7 gas, 8 water) -> the scaler the engine counts in.
COUNTED_SCALERS = {1: 0, 7: -3, 8: -3}


class TwinObjects:
    """The COSEM objects the engine drives, found once by their declarations."""

    def __init__(self, d: LogicalDevice) -> None:
        def reg(decl: ObjectDecl) -> Register:
            return counted(handle(d, decl, Register))

        def scaled(decl: ObjectDecl) -> Scaled:
            return Scaled(handle(d, decl, Register))

        def data(decl: ObjectDecl) -> Data:
            return handle(d, decl, Data)

        def profile(decl: ObjectDecl) -> ProfileGeneric:
            return handle(d, decl, ProfileGeneric)

        m = mt372
        self.clock = handle(d, m.CLOCK, Clock)
        self.a_plus = [reg(r) for r in m.A_PLUS]
        self.a_minus = [reg(r) for r in m.A_MINUS]
        self.a_abs = reg(m.A_ABS)
        self.voltage = [scaled(r) for r in m.VOLTAGE]
        self.current = [scaled(r) for r in m.CURRENT]
        self.phase_pf = [scaled(r) for r in m.PHASE_POWER_FACTOR]
        self.power_import, self.power_export = scaled(m.POWER_IMPORT), scaled(m.POWER_EXPORT)
        self.power_factor, self.frequency = scaled(m.POWER_FACTOR), scaled(m.FREQUENCY)
        #: every instantaneous register publishes itself when read (else: at once)
        self.lazy_instantaneous = all(
            isinstance(handle(d, r, Register), LiveRegister) for r in INSTANTANEOUS
        )
        self.p1, self.p2 = reg(m.P1), reg(m.P2)
        self.current_demand = counted(handle(d, m.CURRENT_DEMAND, DemandRegister))
        self.last_demand = reg(m.LAST_DEMAND)
        self.maximum_demand = [counted(handle(d, r, ExtendedRegister)) for r in m.MAXIMUM_DEMAND]
        self.tariff, self.status = data(m.ACTIVE_TARIFF), data(m.LP_STATUS)
        self.last_event = data(m.LAST_EVENT)
        self.billing_counter = data(m.BILLING_COUNTER)
        self.error_register = data(m.ERROR_REGISTER)
        #: power quality counters by (kind, phase 0..2 or None): sags, swells, failures
        self.quality_counters: dict[tuple[str, int | None], Data] = {
            **{("sag", p): data(c) for p, c in enumerate(m.SAGS)},
            **{("swell", p): data(c) for p, c in enumerate(m.SWELLS)},
            ("failure", None): data(m.POWER_FAILURES),
        }
        self.lp1, self.lp2 = profile(m.LP1), profile(m.LP2)
        self.event_log = profile(m.EVENT_LOG)
        self.monthly, self.daily = profile(m.MONTHLY_BILLING), profile(m.DAILY_BILLING)
        self.calendar = handle(d, m.CALENDAR, ActivityCalendar)
        self.special_days = handle(d, m.SPECIAL_DAYS, SpecialDaysTable)
        self.end_of_billing = handle(d, m.END_OF_BILLING, ScriptTable)
