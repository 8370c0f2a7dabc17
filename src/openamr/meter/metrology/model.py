"""The metrology model's data: ratings, load configuration, injected events, time.

Everything here is plain data. Time is an integer number of seconds since the model
epoch (the Unix epoch, 1970-01-01T00:00:00Z); :func:`seconds` turns an aware
``datetime`` into it (floor to the second) without reading any clock.

Ratings are the MT372 datasheet's (MT372.md section 1): Un 3x230/400 V, voltage range
0.8-1.15 Un, Ib 5 or 10 A, Imax 85 A, fn 50 or 60 Hz, accuracy class 1 or 2. The
starting current is IEC 62053-21's for direct-connected meters: 0.004 Ib (class 1),
0.005 Ib (class 2).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DAY = 86_400
SLOT = 900  # the load model's level changes every 15 minutes
_SECOND = dt.timedelta(seconds=1)

Instant = dt.datetime | int
"""An aware datetime, or integer seconds since :data:`EPOCH`."""


def seconds(t: Instant) -> int:
    """``t`` as integer seconds since :data:`EPOCH` (an aware datetime is floored)."""
    if isinstance(t, dt.datetime):
        if t.utcoffset() is None:
            raise ValueError(f"metrology needs aware instants, got naive {t.isoformat()}")
        return (t - EPOCH) // _SECOND
    return int(t)


def instant(s: int) -> dt.datetime:
    """Seconds since :data:`EPOCH` as an aware UTC datetime."""
    return EPOCH + dt.timedelta(seconds=s)


_M64 = (1 << 64) - 1


def mix(*values: int) -> int:
    """A 64-bit hash of integers (SplitMix64 steps): the model's only source of noise."""
    h = 0x372_372
    for v in values:
        z = (h ^ (v & _M64)) + 0x9E3779B97F4A7C15 & _M64
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & _M64
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB & _M64
        h = z ^ (z >> 31)
    return h


def unit(*values: int) -> float:
    """A deterministic number in [0, 1) from integers."""
    return mix(*values) / 2.0**64


class Phase(enum.IntEnum):
    L1 = 1
    L2 = 2
    L3 = 3


PHASES = (Phase.L1, Phase.L2, Phase.L3)


class ProfileKind(enum.StrEnum):
    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    INDUSTRIAL = "industrial"


class Summation(enum.StrEnum):
    """How phase powers become A+ and A-.

    NET: the vector sum of the phases (a PV export on L1 offsets an import on L2), the
    decision for the twin. PER_PHASE: each phase registers on its own (A+ sums the
    importing phases, A- the exporting ones).
    """

    NET = "net"
    PER_PHASE = "per-phase"


class DisturbanceKind(enum.StrEnum):
    SAG = "sag"  # voltage held at level x Un (level < 1)
    SWELL = "swell"  # voltage held at level x Un (level > 1)
    PHASE_LOSS = "phase-loss"  # no voltage, no power on the phase(s)
    POWER_FAILURE = "power-failure"  # no voltage on any phase: the meter is down
    CURRENT_REVERSAL = "current-reversal"  # the phase's current flows backwards (wiring)
    PHASE_SEQUENCE = "phase-sequence"  # L2 and L3 swapped (sequence RTS instead of RST)


POWER_KINDS = frozenset(
    {DisturbanceKind.PHASE_LOSS, DisturbanceKind.POWER_FAILURE, DisturbanceKind.CURRENT_REVERSAL}
)
"""The disturbance kinds that change the power, hence the energy registers."""


@dataclass(frozen=True, slots=True)
class Disturbance:
    """An injected grid disturbance on [start, end) seconds; ``phase`` None = all."""

    start: int
    end: int
    phase: Phase | None
    kind: DisturbanceKind
    level: float = 0.0

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"disturbance ends ({self.end}) before it starts ({self.start})")
        if self.kind is DisturbanceKind.SAG and not 0.0 <= self.level < 1.0:
            raise ValueError(f"a sag's level is a fraction of Un in [0, 1), got {self.level}")
        if self.kind is DisturbanceKind.SWELL and not self.level > 1.0:
            raise ValueError(f"a swell's level is a multiple of Un above 1, got {self.level}")

    @classmethod
    def of(
        cls,
        start: Instant,
        end: Instant,
        phase: Phase | None,
        kind: DisturbanceKind,
        level: float = 0.0,
    ) -> Disturbance:
        return cls(seconds(start), seconds(end), phase, kind, level)

    def applies(self, phase: Phase) -> bool:
        return self.phase is None or self.phase == phase

    def active(self, t: int) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True, slots=True)
class LoadStep:
    """From ``start`` on, the consumption is ``level_w`` (constant, total over the
    connected phases) or, if ``level_w`` is None, the model's times ``scale``. The next
    step replaces it; ``LoadStep(t)`` returns to the model. PV export is unaffected."""

    start: int
    level_w: int | None = None
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.level_w is not None and self.level_w < 0:
            raise ValueError(f"a load level is not negative, got {self.level_w}")
        if self.scale < 0:
            raise ValueError(f"a load scale is not negative, got {self.scale}")

    @classmethod
    def of(cls, start: Instant, level_w: int | None = None, scale: float = 1.0) -> LoadStep:
        return cls(seconds(start), level_w, scale)


@dataclass(frozen=True, slots=True)
class Ratings:
    """Nameplate ratings (datasheet) and the LED constant."""

    un_v: float = 230.0
    ib_a: float = 5.0
    imax_a: float = 85.0
    fn_hz: float = 50.0
    accuracy_class: int = 1
    imp_per_kwh: int = 1000

    def __post_init__(self) -> None:
        if self.accuracy_class not in (1, 2):
            raise ValueError(f"the MT372 is class 1 or 2, got {self.accuracy_class}")
        if self.un_v <= 0 or self.ib_a <= 0 or self.imp_per_kwh <= 0:
            raise ValueError("ratings are positive")

    @property
    def starting_current_a(self) -> float:
        """IEC 62053-21, direct connected: 0.004 Ib (class 1), 0.005 Ib (class 2)."""
        return (0.004 if self.accuracy_class == 1 else 0.005) * self.ib_a

    @property
    def under_voltage_v(self) -> float:
        return 0.8 * self.un_v

    @property
    def over_voltage_v(self) -> float:
        return 1.15 * self.un_v

    @property
    def loss_voltage_v(self) -> float:
        """Below this a phase counts as lost (decision: 0.5 Un; no public MT372 figure)."""
        return 0.5 * self.un_v


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """The consumer behind the meter."""

    kind: ProfileKind = ProfileKind.RESIDENTIAL
    mean_w: float = 450.0  # yearly mean consumption, total
    pv_peak_w: float = 0.0  # installed PV (kWp x 1000); 0 = none
    connection: int = 3  # phases wired: 1 = L1, 2 = L1 L2, 3 = L1 L2 L3
    split: tuple[float, float, float] = (0.40, 0.35, 0.25)  # consumption share per phase
    power_factor: tuple[float, float, float] = (0.97, 0.95, 0.96)  # of the consumption

    def __post_init__(self) -> None:
        if self.connection not in (1, 2, 3):
            raise ValueError(f"connection is 1, 2 or 3 phases, got {self.connection}")
        if self.mean_w < 0 or self.pv_peak_w < 0 or min(self.split) < 0:
            raise ValueError("powers and shares are not negative")
        if sum(self.split[: self.connection]) <= 0:
            raise ValueError("the connected phases carry no share of the load")
        if not all(0.0 < pf <= 1.0 for pf in self.power_factor):
            raise ValueError(f"power factors are in (0, 1], got {self.power_factor}")

    def load_split(self) -> tuple[float, float, float]:
        """Consumption shares, zero on unconnected phases, summing to 1."""
        wired = [s if i < self.connection else 0.0 for i, s in enumerate(self.split)]
        total = sum(wired)
        return (wired[0] / total, wired[1] / total, wired[2] / total)

    def pv_split(self) -> tuple[float, float, float]:
        """PV shares: the inverter feeds the connected phases equally."""
        n = self.connection
        return (1.0 / n, 1.0 / n if n >= 2 else 0.0, 1.0 / n if n == 3 else 0.0)


@dataclass(frozen=True, slots=True)
class Site:
    """Where the meter is: local time drives the load shape, the sun drives PV."""

    tz: dt.tzinfo = dt.UTC
    latitude_deg: float = 46.05  # Ljubljana, the MT372's home
    longitude_deg: float = 14.51


@dataclass(frozen=True, slots=True)
class MeterModel:
    """One meter's whole model: seed, ratings, load and site."""

    seed: int
    load: LoadConfig = field(default_factory=LoadConfig)
    ratings: Ratings = field(default_factory=Ratings)
    site: Site = field(default_factory=Site)
    summation: Summation = Summation.NET
