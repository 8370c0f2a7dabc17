"""The fleet's fault model (issue 12, "The network and the meters misbehave, on
purpose and reproducibly"): a pure function of the fleet's seed, the meter's index,
the time and the session number, so that the same seed gives the same faults.

=================  ==============================================================
rate (share)       what it does
=================  ==============================================================
offline            share of meter-time the modem is not registered: time is cut in
                   ``offline_hours`` slots (a phase per meter); a slot is offline
                   with this probability. Connections are refused (RST) meanwhile.
poor_signal        share of meters with a poor signal: the modem's +CSQ swings around
                   3..8 instead of 12..28 (GSM diagnostic 0.0.25.6.0.255); below +CSQ
                   5 CSD calls fail (NO CARRIER), below 10 SMS arrive late
busy               share of ``busy_minutes`` slots in which a meter's line is busy:
                   a CSD call to it gets BUSY (a phase per meter)
slow               share of meters that answer slowly: each answer waits a round
                   trip drawn per session from ``slow_rtt_s`` (GPRS: 0.5 to 3 s)
drop               probability that a session is dropped mid-transfer (after its
                   1st to 4th answer)
no_answer          probability that a session is accepted but never answered
rotated_keys       share of meters whose keys were rotated (generation 1): the
                   commissioning file's keys no longer open an HLS association
drift_ppm          each meter's crystal runs -d..+d ppm off: its clock is that far
                   ahead (or behind) after the fleet's history days (a clock error
                   fixed while serving; a running drift needs the engine)
invalid_clock      share of meters whose super-cap ran down: an 11-day power
                   failure from commissioning leaves the clock invalid (clock
                   status, FF bits, LP status) until a head-end sets it
=================  ==============================================================

An offline slot is also no network for the GSM modem (:meth:`FaultModel.network_up`):
calls find NO CARRIER, SMS wait, and the modem searches again when the slot ends.

Cells (``[network] cell_capacity``) refuse connections beyond their capacity; the
serving adapter counts them (:mod:`openamr.fleet.serve`). The defaults are a
realistic GPRS fleet (README, "A fleet"): every rate is on; ``FaultRates.none()``
(``--no-faults``) turns them all off.

Nothing here reads a clock or a random source: ``t`` (true time, seconds) and the
seed are arguments; draws are BLAKE2b of (seed, what, meter, ...).
"""

from __future__ import annotations

import functools
import hashlib
import math
import struct
from dataclasses import dataclass
from typing import ClassVar

_SCALE = float(1 << 64)


def unit(seed: int, what: str, *parts: int) -> float:
    """A reproducible draw in [0, 1) for (seed, what, parts)."""
    key = struct.pack(f">q{len(parts)}q", seed, *parts) + what.encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / _SCALE


@dataclass(frozen=True)
class FaultRates:
    """The rates of the fault model (see the module docstring)."""

    offline: float = 0.02
    offline_hours: float = 4.0
    poor_signal: float = 0.05
    slow: float = 0.10
    slow_rtt_s: tuple[float, float] = (0.5, 3.0)
    drop: float = 0.01
    no_answer: float = 0.01
    rotated_keys: float = 0.01
    drift_ppm: float = 20.0
    invalid_clock: float = 0.002
    busy: float = 0.02
    busy_minutes: float = 15.0

    SHARES: ClassVar[frozenset[str]] = frozenset(
        {"offline", "poor_signal", "slow", "drop", "no_answer", "rotated_keys", "invalid_clock",
         "busy"}
    )  # fmt: skip

    @classmethod
    def none(cls) -> FaultRates:
        """A fleet that never misbehaves (benchmarks, protocol tests)."""
        off = dict.fromkeys(cls.SHARES | {"drift_ppm"}, 0.0)
        return cls(**off)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class SessionFate:
    """What the network does to one connection."""

    refused: str | None = None  # why the connection is refused, or None
    silent: bool = False  # accepted, never answered
    rtt_s: float = 0.0  # each answer goes out this long after its request
    drop_after: int | None = None  # the connection is cut after this many answers


class FaultModel:
    """The faults of one fleet: ``FaultModel(rates, seed)``."""

    def __init__(self, rates: FaultRates, seed: int) -> None:
        self.rates, self.seed = rates, seed

    def offline(self, meter: int, t: float) -> bool:
        """The meter's modem is not registered at true second ``t``."""
        rate = self.rates.offline
        if rate <= 0:
            return False
        slot_s = self.rates.offline_hours * 3600
        phase = unit(self.seed, "offline-phase", meter) * slot_s
        slot = math.floor((t + phase) / slot_s)
        return unit(self.seed, "offline", meter, slot) < rate

    def network_up(self, meter: int, t: float) -> float | None:
        """When the network came back at the meter, as of true second ``t`` (None:
        offline now; -inf: not offline in the last 24 slots)."""
        if self.offline(meter, t):
            return None
        if self.rates.offline <= 0:
            return -math.inf
        slot_s = self.rates.offline_hours * 3600
        phase = unit(self.seed, "offline-phase", meter) * slot_s
        return self._online_since(meter, math.floor((t + phase) / slot_s), slot_s, phase)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 (a model lives as long as its fleet)
    def _online_since(self, meter: int, slot: int, slot_s: float, phase: float) -> float:
        start = slot * slot_s - phase
        for _ in range(24):
            if self.offline(meter, start - slot_s / 2):
                return start
            start -= slot_s
        return -math.inf

    def busy(self, meter: int, t: float) -> bool:
        """The meter's line is busy at true second ``t`` (a CSD call gets BUSY)."""
        rate = self.rates.busy
        if rate <= 0:
            return False
        slot_s = max(self.rates.busy_minutes, 1.0) * 60
        phase = unit(self.seed, "busy-phase", meter) * slot_s
        return unit(self.seed, "busy", meter, math.floor((t + phase) / slot_s)) < rate

    def signal_base(self, meter: int) -> int:
        """The +CSQ the meter's signal swings around (the modem moves it by -3..+3
        each hour): 3..8 for a poor signal, 12..28 otherwise."""
        poor = unit(self.seed, "poor", meter) < self.rates.poor_signal
        low, span = (3, 6) if poor else (12, 17)
        return low + math.floor(unit(self.seed, "csq", meter) * span)

    def slow(self, meter: int) -> bool:
        return unit(self.seed, "slow", meter) < self.rates.slow

    def rotated(self, meter: int) -> bool:
        """The meter's keys were rotated: it serves key generation 1."""
        return unit(self.seed, "rotated", meter) < self.rates.rotated_keys

    def drift(self, meter: int) -> float:
        """The meter's crystal error in ppm (-drift_ppm..+drift_ppm)."""
        d = self.rates.drift_ppm
        return 0.0 if d <= 0 else d * (2 * unit(self.seed, "drift", meter) - 1)

    def invalid_clock(self, meter: int) -> bool:
        """The meter's super-cap ran down (its clock is invalid until set)."""
        rate = self.rates.invalid_clock
        return rate > 0 and unit(self.seed, "invalid-clock", meter) < rate

    def session(self, meter: int, number: int, t: float) -> SessionFate:
        """The fate of the meter's ``number``-th connection, made at true second ``t``."""
        r = self.rates
        if self.offline(meter, t):
            return SessionFate(refused="modem not registered")
        if r.no_answer and unit(self.seed, "no-answer", meter, number) < r.no_answer:
            return SessionFate(silent=True)
        rtt = 0.0
        if r.slow and self.slow(meter):
            low, high = r.slow_rtt_s
            rtt = low + (high - low) * unit(self.seed, "rtt", meter, number)
        drop = None
        if r.drop and unit(self.seed, "drop", meter, number) < r.drop:
            drop = 1 + math.floor(unit(self.seed, "drop-at", meter, number) * 4)
        return SessionFate(rtt_s=rtt, drop_after=drop)
