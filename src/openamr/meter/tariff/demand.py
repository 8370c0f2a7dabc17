"""Demand: current and last average, maximum demand per rate (Blue Book 4.3.4,
Demand register, class 5; 4.3.3, Extended register, class 4).

The MT372 objects this drives (MT372.md section 2)::

    1.0.1.4.0.255       Demand register   current_average_value (W), start_time_current
    1.0.1.5.0.255       Register          last_average_value (W)
    1.0.1.6.0.255       Extended register maximum demand A+, capture_time
    1.0.1.6.1..4.255    Extended register maximum demand A+ in rate T1..T4

Definitions (decisions written down):

* Periods of ``period`` seconds (Ti) are aligned on multiples of Ti since the
  Unix epoch (UTC): with whole-hour (or half-hour) zones, local quarter hours.
* ``number_of_periods`` n = 1 is block demand; n > 1 sliding demand over the
  last n periods, updated every period (class 5's definition).
* last_average_value = energy of the last n periods / (n x Ti); periods before
  the start or a reset count as zero energy. It is captured at the period's end
  (capture_time), and compared with the maxima.
* current_average_value = energy since the window began / the time elapsed in
  it (the running period and the last n - 1 periods; before the first end,
  since the start or the reset): a partial average, steady under steady load.
* Maximum demand per rate: a period's average counts for the total and for the
  rate of the last energy counted in the period, i.e. the rate in force just
  before the period ended (Register activation, class 6: the maximum demand
  register of a rate is enabled while that rate is). capture_time = the end of
  the period. A new maximum needs a strictly higher value.
* Energy: :meth:`DemandEngine.add` takes the energy counted over ``(position,
  at]`` in one rate. A delta spanning period ends is split pro rata to time
  here (constant power within the delta); a caller that wants it exact cuts
  its integration at :meth:`DemandEngine.next_boundary` (the twin does).

Exact integers: :meth:`DemandEngine.add_mj` counts whole millijoules up to the next
boundary. The engine then keeps every energy as an int (mJ) and every average as an
int numerator over 1,000 x n x Ti (the exact Fraction's value), so a twin's period
costs no ``Fraction`` arithmetic; the public attributes (``energy``, ``window``,
``last_average``, :meth:`state`) show the very values, of the very types, that
exact ``Fraction`` energies given to :meth:`add` produce. Any other call first
turns the engine back into Wh values, and the next ``add_mj`` back into integers.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from openamr.meter.tariff.registers import MJ_PER_WH, Wh, exact_mj

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TOTAL = 0  # index of the all-rates maximum


@dataclass(frozen=True, slots=True)
class MaximumDemand:
    """An Extended register's value (W) and capture_time."""

    value: Wh
    captured_at: dt.datetime


@dataclass(frozen=True, slots=True)
class DemandPeriodEnd:
    """A demand period ended: its average counted for ``rate``."""

    start: dt.datetime
    end: dt.datetime
    energy_wh: Wh
    average_w: Wh  # the new last_average_value
    rate: int
    new_maximum: bool  # of the total
    new_rate_maximum: bool


@dataclass(frozen=True, slots=True)
class DemandState:
    """Everything a DemandEngine knows: what the twin commits to its state store
    so that a restart neither loses nor repeats a period."""

    period: int
    number_of_periods: int
    rates: int
    position: dt.datetime
    started: dt.datetime
    period_start: dt.datetime
    energy: Wh
    rate: int | None
    window: tuple[tuple[Wh, float], ...]  # (Wh, seconds covered) of ended periods
    last_average: Wh
    capture_time: dt.datetime | None
    maxima: tuple[MaximumDemand | None, ...]


def align(instant: dt.datetime, period: int) -> dt.datetime:
    """The start of the period containing ``instant``."""
    seconds = (instant - EPOCH) // dt.timedelta(seconds=period) * period
    return EPOCH + dt.timedelta(seconds=seconds)


_MICROSECOND = dt.timedelta(microseconds=1)


def _fraction_mj(value: Wh) -> int | bool:
    """An exact Fraction of a Wh as whole mJ; False if it is not one."""
    if not isinstance(value, Fraction):
        return False
    mj = exact_mj(value)
    return False if mj is None else mj


def _share(energy_wh: Wh, part: dt.timedelta, whole: dt.timedelta) -> Wh:
    """The energy of ``part`` of ``whole``, pro rata: exact when the energy is (a
    Fraction stays a Fraction, and all of it is all of it)."""
    if part == whole:
        return energy_wh
    return energy_wh * Fraction(part // _MICROSECOND, whole // _MICROSECOND)


class DemandEngine:
    """Block or sliding demand over energy deltas given at instants."""

    def __init__(
        self, start: dt.datetime, period: int = 900, number_of_periods: int = 1, rates: int = 4
    ) -> None:
        if period < 1 or number_of_periods < 1 or rates < 1:
            raise ValueError("period, number_of_periods and rates must be at least 1")
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self.period, self.number_of_periods, self.rates = period, number_of_periods, rates
        self._span = dt.timedelta(seconds=period)
        #: an average is a Fraction over this denominator: mJ x 3600 / (3.6e6 n Ti)
        self._per = 1000 * number_of_periods * period
        self._exact = False  # the integer representation is in force (add_mj)
        self._e: int | None = None  # mJ of the running period (None: the int 0)
        self._w: deque[tuple[int | None, float]] = deque(maxlen=number_of_periods)
        self._l: int | None = None  # last_average x _per (None: the float 0.0)
        self._m: list[int | None] = []  # the maxima x _per (None: no maximum)
        self.maxima: list[MaximumDemand | None] = [None] * (rates + 1)
        self.last_average: Wh = 0.0
        self.capture_time: dt.datetime | None = None
        self._restart(start.astimezone(dt.UTC))

    def _restart(self, at: dt.datetime) -> None:
        self.position = self.started = at
        self.period_start = align(at, self.period)
        self.energy = 0  # an exact zero: exact energies (Fractions) stay exact
        self.rate: int | None = None
        self.window = deque(maxlen=self.number_of_periods)

    # -- the two representations ----------------------------------------------------------

    @property
    def energy(self) -> Wh:
        """The energy of the running period (Wh)."""
        if self._exact:
            return 0 if self._e is None else Fraction(self._e, MJ_PER_WH)
        return self._energy

    @energy.setter
    def energy(self, value: Wh) -> None:
        self._to_wh()
        self._energy = value

    @property
    def window(self) -> deque[tuple[Wh, float]]:
        """(Wh, seconds covered) of the ended periods of the sliding window."""
        if self._exact:
            n = self.number_of_periods
            return deque(((0 if e is None else Fraction(e, MJ_PER_WH), s) for e, s in self._w), n)
        return self._window

    @window.setter
    def window(self, value: deque[tuple[Wh, float]]) -> None:
        self._to_wh()
        self._window = value

    @property
    def last_average(self) -> Wh:
        if self._exact:
            return 0.0 if self._l is None else Fraction(self._l, self._per)
        return self._last_average

    @last_average.setter
    def last_average(self, value: Wh) -> None:
        self._to_wh()
        self._last_average = value

    @property
    def maxima(self) -> list[MaximumDemand | None]:
        return self._maxima

    @maxima.setter
    def maxima(self, value: list[MaximumDemand | None]) -> None:
        self._to_wh()
        self._maxima = value

    def _to_wh(self) -> None:
        """Leave the integer representation (its values become Wh again)."""
        if self._exact:
            energy, window, last = self.energy, self.window, self.last_average
            self._exact = False
            self._energy, self._window, self._last_average = energy, window, last

    def _numerator(self, value: Wh) -> int | None:
        """``value`` (W) x _per as an int, if it is one (None otherwise)."""
        if isinstance(value, float):
            return 0 if value == 0.0 else None
        x = Fraction(value) * self._per
        return x.numerator if x.denominator == 1 else None

    def _to_exact(self) -> bool:
        """Enter the integer representation, if every value has one."""
        if self._exact:
            return True
        last = self._last_average
        last_n = None if isinstance(last, float) and last == 0.0 else self._numerator(last)
        if last_n is None and not (isinstance(last, float) and last == 0.0):
            return False
        if last_n is not None and not isinstance(last, Fraction):
            return False
        energies = [self._energy, *(e for e, _ in self._window)]
        mjs = [None if type(e) is int and e == 0 else _fraction_mj(e) for e in energies]
        if any(m is False for m in mjs):
            return False
        maxima = [None if m is None else self._numerator(m.value) for m in self._maxima]
        if any(m is not None and n is None for m, n in zip(self._maxima, maxima, strict=True)):
            return False
        window = [(m if not isinstance(m, bool) else None, s)
                  for m, (_, s) in zip(mjs[1:], self._window, strict=True)]  # fmt: skip
        e0 = mjs[0]
        self._e = e0 if not isinstance(e0, bool) else None
        self._w = deque(window, self.number_of_periods)
        self._l, self._m, self._exact = last_n, maxima, True
        return True

    # -- state ------------------------------------------------------------------------------

    def state(self) -> DemandState:
        return DemandState(
            self.period, self.number_of_periods, self.rates, self.position, self.started,
            self.period_start, self.energy, self.rate, tuple(self.window), self.last_average,
            self.capture_time, tuple(self.maxima),
        )  # fmt: skip

    @classmethod
    def from_state(cls, state: DemandState) -> DemandEngine:
        engine = cls(state.position, state.period, state.number_of_periods, state.rates)
        engine.started, engine.period_start = state.started, state.period_start
        engine.energy, engine.rate = state.energy, state.rate
        engine.window.extend(state.window)
        engine.last_average, engine.capture_time = state.last_average, state.capture_time
        engine.maxima = list(state.maxima)
        return engine

    # -- reading ---------------------------------------------------------------------------

    @property
    def start_time_current(self) -> dt.datetime:
        return max(self.period_start, self.started)

    def next_boundary(self) -> dt.datetime:
        """The end of the running period."""
        return self.period_start + self._span

    @property
    def current_average(self) -> Wh:
        """current_average_value (W) at :attr:`position`."""
        if self._exact:  # in integers: the Fraction's quotient, rounded once, as float()
            w = self._w
            ended = list(w)[len(w) - self.number_of_periods + 1 :]
            mj = (self._e or 0) + sum(e for e, _ in ended if e is not None)
            elapsed = (self.position - self.start_time_current).total_seconds()
            elapsed += sum(s for _, s in ended)
            return mj * 3600 / MJ_PER_WH / elapsed if elapsed > 0 else 0.0
        recent = list(self.window)[len(self.window) - self.number_of_periods + 1 :]
        energy = self.energy + sum(e for e, _ in recent)
        seconds = (self.position - self.start_time_current).total_seconds()
        seconds += sum(s for _, s in recent)
        return energy * 3600 / seconds if seconds > 0 else 0.0

    def maximum(self, rate: int = TOTAL) -> MaximumDemand | None:
        """The maximum demand of ``rate`` (1..rates), or of all rates (0)."""
        return self.maxima[rate]

    # -- energy ------------------------------------------------------------------------------

    def add(self, energy_wh: Wh, rate: int, at: dt.datetime) -> list[DemandPeriodEnd]:
        """Count ``energy_wh`` over ``(position, at]`` in ``rate``; the periods that
        ended (at ``at`` included) come back in order."""
        self._to_wh()
        if not 1 <= rate <= self.rates:
            raise ValueError(f"rate {rate} is not in 1..{self.rates}")
        if energy_wh < 0 or at < self.position:
            raise ValueError("energy must be >= 0 and time must not go back (use clock_set)")
        at = at.astimezone(dt.UTC)
        ended = []
        while at >= self.next_boundary():
            boundary = self.next_boundary()
            share = _share(energy_wh, boundary - self.position, at - self.position)
            self._count(share, rate, boundary)
            energy_wh -= share
            ended.append(self._close(boundary))
        self._count(energy_wh, rate, at)
        return ended

    def add_mj(self, energy_mj: int, rate: int, at: dt.datetime) -> None:
        """:meth:`add` of ``energy_mj`` / 3,600,000 Wh, exact, in integers, when ``at``
        is not past the next boundary (the twin cuts there; otherwise it is
        :meth:`add`). The ended period is not returned."""
        if at.tzinfo is not dt.UTC:
            at = at.astimezone(dt.UTC)
        end = self.period_start + self._span
        if at > end or not (self._exact or self._to_exact()):
            self.add(Fraction(energy_mj, MJ_PER_WH), rate, at)
            return
        if energy_mj < 0 or at < self.position or not 1 <= rate <= self.rates:
            if not 1 <= rate <= self.rates:
                raise ValueError(f"rate {rate} is not in 1..{self.rates}")
            raise ValueError("energy must be >= 0 and time must not go back (use clock_set)")
        e = self._e
        self._e = energy_mj if e is None else e + energy_mj
        self.position = at
        if at == end:
            self.rate = rate
            self._close_exact(at, aligned=True)
            self._e = 0  # what add counts after the end: an exact 0
        self.rate = rate

    def add_periods_mj(self, energies: Sequence[int], rate: int, first_end: dt.datetime) -> None:
        """:meth:`add_mj` of ``energies[k]`` at ``first_end + k`` periods, in ``rate``,
        where ``first_end`` is the end of the running period: a run of whole periods
        (the twin's day), each closed as :meth:`add_mj` closes it, in one loop."""
        span = self._span
        if (
            first_end.tzinfo is not dt.UTC
            or first_end != self.period_start + span
            or first_end < self.position
            or not 1 <= rate <= self.rates
            or (energies and min(energies) < 0)
            or not (self._exact or self._to_exact())
        ):
            end = first_end
            for energy in energies:
                self.add_mj(energy, rate, end)
                end += span
            return
        if not energies:
            return
        w, m, maxima, n, per = self._w, self._m, self._maxima, self.number_of_periods, self._per
        started, running = self.started, self._e
        start = max(self.period_start, started)  # of the period's energy
        if n == 1 and started < first_end:
            self._block_periods(energies, rate, first_end, start)
            return
        end, last = first_end, self._l
        for energy in energies:
            if running is not None:
                energy, running = running + energy, None  # what the period had already
            w.append((energy, (end - start).total_seconds()))
            if n == 1:
                last = energy
            else:
                touched = [e for e, _ in w if e is not None]
                last = sum(touched) if touched else None
            value = 0 if last is None else last
            for index in (TOTAL, rate):
                best = m[index]
                if best is None or value > best:
                    m[index] = value
                    maxima[index] = MaximumDemand(0.0 if last is None else Fraction(last, per), end)
            if end > started:
                started = end
            start, end = started, end + span
        end -= span  # the last period's end
        self._l, self.capture_time, self.position = last, end, end
        self.period_start, self.started = end, started
        self._e, self.rate = 0, rate  # what add_mj leaves after an end: an exact 0

    def _block_periods(
        self, energies: Sequence[int], rate: int, first_end: dt.datetime, start: dt.datetime
    ) -> None:
        """:meth:`add_periods_mj` of block demand (n = 1) from a start before
        ``first_end``: each period's average is its own energy, so the window ends
        with the last period (covering a whole period unless it is the first), and a
        maximum that the run beats is the run's largest, first reached where it is
        largest (a new maximum needs a strictly higher value)."""
        span, m, maxima = self._span, self._m, self._maxima
        whole = list(energies)
        if self._e is not None:
            whole[0] += self._e  # what the running period had already
        peak = max(whole)
        at = first_end + whole.index(peak) * span
        for index in (TOTAL, rate):
            best = m[index]
            if best is None or peak > best:
                m[index] = peak
                maxima[index] = MaximumDemand(Fraction(peak, self._per), at)
        end = first_end + (len(whole) - 1) * span
        covered = (end - start if len(whole) == 1 else span).total_seconds()
        self._w.append((whole[-1], covered))
        self._l, self.capture_time, self.position = whole[-1], end, end
        self.period_start, self.started = end, end  # started < first_end <= end
        self._e, self.rate = 0, rate  # what add_mj leaves after an end: an exact 0

    def _close_exact(self, end: dt.datetime, aligned: bool | None = None) -> None:
        """:meth:`_close` in integers; ``aligned``: ``end`` is known to be the running
        period's end."""
        started, period_start = self.started, self.period_start
        covered = (
            self.position - (period_start if period_start >= started else started)
        ).total_seconds()
        w = self._w
        w.append((self._e, covered))
        if self.number_of_periods == 1:
            self._l = last = self._e
        else:
            touched = [e for e, _ in w if e is not None]
            self._l = last = sum(touched) if touched else None
        self.capture_time = end
        rate = self.rate if self.rate is not None else 1
        value = 0 if last is None else last
        m = self._m
        best = m[TOTAL]
        if best is None or value > best:
            m[TOTAL] = value
            self._maxima[TOTAL] = MaximumDemand(self.last_average, end)
        best = m[rate]
        if best is None or value > best:
            m[rate] = value
            self._maxima[rate] = MaximumDemand(self.last_average, end)
        if aligned is None:
            aligned = end == period_start + self._span  # the usual end: no align needed
        self.period_start = period_start = end if aligned else align(end, self.period)
        self._e, self.rate = None, None
        if period_start > started:
            self.started = period_start

    def _count(self, energy_wh: Wh, rate: int, at: dt.datetime) -> None:
        self.energy += energy_wh
        self.rate = rate
        self.position = at

    def _close(self, end: dt.datetime) -> DemandPeriodEnd:
        """End the running period at ``end`` and start the next one there."""
        self._to_wh()
        covered = (self.position - self.start_time_current).total_seconds()
        self.window.append((self.energy, covered))
        self.last_average = (
            sum(e for e, _ in self.window) * 3600 / (self.number_of_periods * self.period)
        )
        self.capture_time = end
        rate = self.rate if self.rate is not None else 1
        event = DemandPeriodEnd(
            self.start_time_current, end, self.energy, self.last_average, rate,
            self._record(TOTAL, end), self._record(rate, end),
        )  # fmt: skip
        self.period_start, self.energy, self.rate = align(end, self.period), 0, None
        self.started = max(self.started, self.period_start)
        return event

    def _record(self, index: int, end: dt.datetime) -> bool:
        best = self.maxima[index]
        if best is not None and self.last_average <= best.value:
            return False
        self.maxima[index] = MaximumDemand(self.last_average, end)
        return True

    # -- methods and resets ---------------------------------------------------------------

    def next_period(self, at: dt.datetime) -> DemandPeriodEnd:
        """Method 2 of class 5: the running period ends now (energy must have been
        added up to ``at``); the next one runs to the next aligned boundary."""
        self._to_wh()
        if at != self.position:
            raise ValueError("add the energy up to the end of the period first")
        event = self._close(at.astimezone(dt.UTC))
        window = self.window
        self._restart(at.astimezone(dt.UTC))
        self.window = window
        return event

    def reset(self, at: dt.datetime) -> None:
        """Method 1 of class 5: the running period ends without capture, the
        averages go to zero and a new period starts at ``at``."""
        self._to_wh()
        self._restart(at.astimezone(dt.UTC))
        self.last_average, self.capture_time = 0.0, at.astimezone(dt.UTC)

    def clock_set(self, at: dt.datetime) -> DemandPeriodEnd:
        """The clock was set to ``at`` (either way): the running period ends where
        the energy was last counted, and a new one starts at ``at``."""
        self._to_wh()
        event = self._close(self.position)
        window = self.window
        self._restart(at.astimezone(dt.UTC))
        self.window = window
        return event

    def reset_maxima(self, at: dt.datetime) -> tuple[MaximumDemand | None, ...]:
        """End of billing: every maximum goes to 0 W captured at ``at`` (Extended
        register reset); the maxima before the reset come back."""
        self._to_wh()
        before = tuple(self.maxima)
        self.maxima = [MaximumDemand(0.0, at.astimezone(dt.UTC))] * (self.rates + 1)
        return before
