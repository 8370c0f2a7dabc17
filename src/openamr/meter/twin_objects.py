"""The COSEM objects the twin's engine drives, found once by logical name."""

from __future__ import annotations

from openamr.codec.obis import Obis
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


def _find(device: LogicalDevice, name: str, cls: type[CosemObject]) -> CosemObject:
    obj = device.find(Obis.parse(name))
    if not isinstance(obj, cls):
        raise LookupError(f"the twin needs {cls.__name__} {name} in the device")
    return obj


class TwinObjects:
    """The COSEM objects the engine drives, found once by logical name."""

    def __init__(self, d: LogicalDevice) -> None:
        def reg(name: str) -> Register:
            r = _find(d, name, Register)
            assert isinstance(r, Register)
            return r

        def data(name: str) -> Data:
            x = _find(d, name, Data)
            assert isinstance(x, Data)
            return x

        def profile(name: str) -> ProfileGeneric:
            p = _find(d, name, ProfileGeneric)
            assert isinstance(p, ProfileGeneric)
            return p

        clock = _find(d, "0.0.1.0.0.255", Clock)
        assert isinstance(clock, Clock)
        self.clock = clock
        self.a_plus = [reg(f"1.0.1.8.{r}.255") for r in range(5)]
        self.a_minus = [reg(f"1.0.2.8.{r}.255") for r in range(5)]
        self.a_abs = reg("1.0.15.8.0.255")
        self.voltage = [reg(f"1.0.{c}.7.0.255") for c in (32, 52, 72)]
        self.current = [reg(f"1.0.{c}.7.0.255") for c in (31, 51, 71)]
        self.phase_pf = [reg(f"1.0.{c}.7.0.255") for c in (33, 53, 73)]
        self.power_import, self.power_export = reg("1.0.1.7.0.255"), reg("1.0.2.7.0.255")
        self.power_factor, self.frequency = reg("1.0.13.7.0.255"), reg("1.0.14.7.0.255")
        self.p1, self.p2 = reg("8.0.1.0.0.255"), reg("7.0.3.0.0.255")
        demand = _find(d, "1.0.1.4.0.255", DemandRegister)
        assert isinstance(demand, DemandRegister)
        self.current_demand = demand
        self.last_demand = reg("1.0.1.5.0.255")
        self.maximum_demand: list[ExtendedRegister] = []
        for r in range(5):
            m = _find(d, f"1.0.1.6.{r}.255", ExtendedRegister)
            assert isinstance(m, ExtendedRegister)
            self.maximum_demand.append(m)
        self.tariff, self.status = data("0.0.96.14.0.255"), data("1.0.96.240.0.255")
        self.last_event = data("0.0.96.11.0.255")
        self.billing_counter = data("0.0.0.1.0.255")
        self.error_register = data("0.0.97.97.0.255")
        #: power quality counters by (kind, phase 0..2 or None): sags, swells, failures
        self.quality_counters: dict[tuple[str, int | None], Data] = {
            ("sag", p): data(f"1.0.{c}.32.0.255") for p, c in enumerate((32, 52, 72))
        }
        self.quality_counters.update(
            {("swell", p): data(f"1.0.{c}.36.0.255") for p, c in enumerate((32, 52, 72))}
        )
        self.quality_counters[("failure", None)] = data("0.0.96.7.21.255")
        self.lp1, self.lp2 = profile("1.0.99.1.0.255"), profile("1.0.99.2.0.255")
        self.event_log = profile("1.0.99.98.0.255")
        self.monthly, self.daily = profile("1.0.98.1.0.255"), profile("1.0.98.2.0.255")
        calendar = _find(d, "0.0.13.0.0.255", ActivityCalendar)
        assert isinstance(calendar, ActivityCalendar)
        self.calendar = calendar
        special = _find(d, "0.0.11.0.0.255", SpecialDaysTable)
        assert isinstance(special, SpecialDaysTable)
        self.special_days = special
        script = _find(d, "0.0.10.0.1.255", ScriptTable)
        assert isinstance(script, ScriptTable)
        self.end_of_billing = script
