"""The MT372 twin's metrology: a seeded grid and load model, and exact registers.

Sans-IO and deterministic: nothing reads a clock; every function takes the instant (an
aware datetime or integer seconds since the Unix epoch); all randomness comes from the
meter's seed (``random.Random(mix(seed, day, stream))`` per day, SplitMix64 hashes for
voltage and frequency noise).

- :mod:`.model`: ratings (datasheet), load configuration, injected events as data
  (:class:`Disturbance`, :class:`LoadStep`), instants.
- :mod:`.load`: day and week shapes per profile kind, PV, minute patterns.
- :mod:`.grid`: per-phase voltage, frequency, phase presence, phase sequence.
- :mod:`.daytable`: one day of registered power with prefix sums (exact mJ).
- :mod:`.energy`: :class:`Metrology`, the registers A+, A-, |A| (:class:`Energy`).
- :mod:`.instant`: instantaneous values and the LED.
- :mod:`.quality`: power quality events over an interval.

A year of 15-minute interval energies for one meter (the figure in the report comes
from this; it is not a test)::

    >>> import time
    >>> from openamr.meter.metrology import Metrology, MeterModel, seeded_load
    >>> def bench(seed: int = 1) -> float:
    ...     m = Metrology(MeterModel(seed, seeded_load(seed, pv=True)), 1_704_067_200)
    ...     t = time.perf_counter()
    ...     for k in range(365 * 96):
    ...         m.energy_between(1_704_067_200 + 900 * k, 1_704_067_200 + 900 * (k + 1))
    ...     return time.perf_counter() - t
"""

from openamr.meter.metrology.energy import Energy, Metrology
from openamr.meter.metrology.grid import VoltageState
from openamr.meter.metrology.instant import (
    Instantaneous,
    LedState,
    PhaseValues,
    instantaneous,
    led_state,
)
from openamr.meter.metrology.load import seeded_load
from openamr.meter.metrology.model import (
    DAY,
    EPOCH,
    Disturbance,
    DisturbanceKind,
    Instant,
    LoadConfig,
    LoadStep,
    MeterModel,
    Phase,
    ProfileKind,
    Ratings,
    Site,
    Summation,
    instant,
    seconds,
)
from openamr.meter.metrology.quality import (
    QualityEvent,
    QualityKind,
    SupplyState,
    counters,
    quality_events,
    supply_state,
)

__all__ = [
    "DAY",
    "EPOCH",
    "Disturbance",
    "DisturbanceKind",
    "Energy",
    "Instant",
    "Instantaneous",
    "LedState",
    "LoadConfig",
    "LoadStep",
    "MeterModel",
    "Metrology",
    "Phase",
    "PhaseValues",
    "ProfileKind",
    "QualityEvent",
    "QualityKind",
    "Ratings",
    "Site",
    "Summation",
    "SupplyState",
    "VoltageState",
    "counters",
    "instant",
    "instantaneous",
    "led_state",
    "quality_events",
    "seconds",
    "seeded_load",
    "supply_state",
]
