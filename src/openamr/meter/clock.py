"""The twin's one clock (ARCHITECTURE.md, "One simulated clock").

It reads no wall clock: the time base is injected (the CLI passes the system's UTC
clock; tests pass a stepped one). ``speed`` runs the meter N times faster than the
base; ``set()`` (a DLMS clock set) moves the meter's time without touching the base.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

TimeBase = Callable[[], dt.datetime]


class MeterClock:
    """Meter time = start + speed x (base elapsed) + adjustments."""

    def __init__(
        self, base: TimeBase, start: dt.datetime | None = None, speed: float = 1.0
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.base, self.speed = base, speed
        self._base0 = base()
        self._start = start if start is not None else self._base0
        if self._start.tzinfo is None:
            raise ValueError("the meter clock needs an aware start time (give a UTC offset)")

    def now(self) -> dt.datetime:
        return self._start + (self.base() - self._base0) * self.speed

    def set(self, instant: dt.datetime) -> None:
        """Move the meter's time to ``instant`` (aware)."""
        self._base0 = self.base()
        self._start = instant


class SteppedTime:
    """A time base for tests and simulations: it moves only when stepped."""

    def __init__(self, start: dt.datetime) -> None:
        self.current = start

    def __call__(self) -> dt.datetime:
        return self.current

    def step(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)
