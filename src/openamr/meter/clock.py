"""The twin's one clock (ARCHITECTURE.md, "One simulated clock").

Two times, one source. *True time* is the physical time of the simulated grid:
the injected time base, run ``speed`` times faster from ``start``; energy flows in
true time. *Meter time* is what the meter's clock shows: true time plus an offset
that a DLMS clock set (or a drifting crystal) changes; time stamps, the calendar
and billing follow meter time. A clock set therefore never counts energy twice
nor loses any.

Nothing here reads the wall clock: the CLI passes the system's UTC clock as the
base; tests pass a :class:`SteppedTime`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

TimeBase = Callable[[], dt.datetime]


class MeterClock:
    """true time = start + speed x (base elapsed); meter time = true time + offset.

    ``drift`` is the crystal's rate error (20e-6: 20 ppm fast): the offset then grows
    by that share of the true time that passes, from wherever it was last set."""

    def __init__(
        self,
        base: TimeBase,
        start: dt.datetime | None = None,
        speed: float = 1.0,
        drift: float = 0.0,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.base, self.speed, self.drift = base, speed, drift
        self._base0 = base()
        self._start = start if start is not None else self._base0
        if self._start.tzinfo is None:
            raise ValueError("the meter clock needs an aware start time (give a UTC offset)")
        self._offset = dt.timedelta(0)
        self._offset_at = self._start  # true time the offset was last set at

    @property
    def offset(self) -> dt.timedelta:
        """Meter time minus true time, now."""
        if not self.drift:
            return self._offset
        return self._offset + (self.true_now() - self._offset_at) * self.drift

    @offset.setter
    def offset(self, value: dt.timedelta) -> None:
        self.set_offset(value, self.true_now())

    def set_offset(self, value: dt.timedelta, at: dt.datetime) -> None:
        """The offset was ``value`` at true time ``at`` (a snapshot's): it drifted since."""
        self._offset, self._offset_at = value, at

    def true_now(self) -> dt.datetime:
        return self._start + (self.base() - self._base0) * self.speed

    def now(self) -> dt.datetime:
        """Meter time."""
        return self.true_now() + self.offset

    def set(self, instant: dt.datetime) -> None:
        """Set meter time to ``instant`` (aware); true time goes on unchanged."""
        self.offset = instant - self.true_now()

    def to_true(self, meter_time: dt.datetime) -> dt.datetime:
        return meter_time - self.offset

    def to_meter(self, true_time: dt.datetime) -> dt.datetime:
        return true_time + self.offset


class SteppedTime:
    """A time base for tests and simulations: it moves only when stepped."""

    def __init__(self, start: dt.datetime) -> None:
        self.current = start

    def __call__(self) -> dt.datetime:
        return self.current

    def step(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)
