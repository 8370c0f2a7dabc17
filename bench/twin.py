"""Twin benchmarks (issue 4): how many simulated meter-days per second the MT372
twin computes, and its memory per meter.

* one meter, a year: ``build_mt372(history_days=365)`` simulates a year before it
  answers: 35,040 load-profile periods, rates, demand, 12 billings, DST, events;
* a fleet of 1,000 twins advanced by one day each (lazy twins cost nothing while
  nobody reads them: this is what a head-end's daily read of a fleet costs the
  simulator). Memory per twin is measured with tracemalloc on the fleet.

No peer simulates a meter, so there is no ratio: the figures stand alone.
"""

from __future__ import annotations

import datetime as dt
import tracemalloc

from bench import Case, suite
from openamr.codec.obis import Obis
from openamr.meter.application import ServerApplication
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import build_mt372

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
FLEET = 1_000
A_PLUS = Obis.parse("1.0.1.8.0.255")
LP1 = Obis.parse("1.0.99.1.0.255")


def _year() -> ServerApplication:
    return build_mt372("bench-year", time_base=SteppedTime(START), history_days=365)


def _check_year(app: object) -> None:
    assert isinstance(app, ServerApplication)
    lp = app.device.find(LP1)
    assert lp is not None and len(lp.rows) == 19_680  # type: ignore[attr-defined]


@suite("twin", "simulate one meter for a year", unit="meter-days", items=365)
def one_year() -> list[Case]:
    return [Case("openamr", _year, check=_check_year)]


def _fleet() -> tuple[list[ServerApplication], SteppedTime, float]:
    time = SteppedTime(START)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fleet = [build_mt372(f"{i:08d}", time_base=time) for i in range(FLEET)]
    per_meter = (tracemalloc.get_traced_memory()[0] - before) / FLEET
    tracemalloc.stop()
    return fleet, time, per_meter


@suite("twin", f"advance a fleet of {FLEET:,} twins by one day", unit="meter-days", items=FLEET)
def fleet_day() -> list[Case]:
    fleet, time, per_meter = _fleet()

    def advance_all() -> int:
        time.step(86_400)
        for app in fleet:
            app.refresh()
        return len(fleet)

    def check(_: object) -> None:
        energies = [app.device.find(A_PLUS).get(2) for app in fleet]  # type: ignore[union-attr]
        assert all(isinstance(e, int) and e > 0 for e in energies)

    note = f"{per_meter / 1024:.0f} KiB per idle twin (tracemalloc, {FLEET:,} twins)"
    return [Case("openamr", advance_all, check=check, note=note)]
