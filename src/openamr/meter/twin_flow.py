"""Energy through time, and the load profile rows (issues 4 and 9): the hot loop of
an advance.

Between two boundaries of its timeline (:mod:`openamr.meter.twin_boundaries`) the
twin does the same few things over and over: energy from its position to the next
cut, cut exactly at every rate switch and demand period end, counted in integer
millijoules into the rate registers and demand, and at the end of every LP1 capture
period (Profile generic, class 7, Blue Book 4.3.6) a row {clock, status, A+, A-}.
:func:`flow` does it in one loop, in that order, the day's energy read straight from
the day table (:meth:`openamr.meter.metrology.energy.Metrology.day_start`): the
very integers :meth:`~openamr.meter.metrology.energy.Metrology.energy_mj` gives.

LP1 rows are captured at the period ends *before* the instant flowed to, or at it
too when ``inclusive``: the boundaries of the timeline at one instant (events,
billing, daily capture) come before the row of the period ending there, so a row
carries what happened at its end.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import TYPE_CHECKING

from openamr.codec.datetime import ClockStatus
from openamr.devices.mt372.events import LpStatus
from openamr.meter.metrology.daytable import SLOT_STARTS, DayTable
from openamr.meter.metrology.load import PATTERN_MINUTES, PATTERN_PREFIX
from openamr.meter.metrology.model import DAY, EPOCH, SLOT
from openamr.meter.stamps import LpStamps
from openamr.meter.twin_publish import WRAP

if TYPE_CHECKING:
    from openamr.meter.twin import Twin

_SECOND = dt.timedelta(seconds=1)
_NO_STATUS = LpStatus(0)
_LP_DST, _LP_CLOCK_INVALID = int(LpStatus.DST_ACTIVE), int(LpStatus.CLOCK_INVALID)
_CLOCK_INVALID = int(ClockStatus.INVALID_VALUE)
_LAST_SLOT = DAY // SLOT - 1


def first_capture(m0: dt.datetime, period: dt.timedelta) -> dt.datetime:
    """The first LP1 period end after ``m0`` (periods aligned on the epoch)."""
    return m0 - (m0 - EPOCH) % period + period


def flow(twin: Twin, to: dt.datetime, inclusive: bool = False) -> None:
    """Energy from the twin's position to ``to`` (meter time), cut exactly at every
    rate switch and demand period end, integer millijoules throughout; the LP1 rows
    of the period ends before ``to`` (and at ``to`` when ``inclusive``) on the way."""
    offset, rates, demand = twin.source.offset, twin.rates_ahead, twin.demand
    metrology, a_plus, a_minus = twin.metrology, twin.a_plus, twin.a_minus
    commissioned = metrology.commissioned
    cap, step = twin.next_lp1, twin.lp1_step
    true_t = twin.true_t
    position = true_t + offset
    if position >= to and not (inclusive and cap <= to):
        return
    plus0, minus0 = metrology.energy_mj(true_t)
    day, base_plus, base_minus, table = -1, 0, 0, None
    rate = twin.rate
    clock, rows = twin.objects.clock, twin.lp1_rows
    stamps, dst_active = LpStamps(clock), clock.dst_active
    plus_rates, minus_rates = a_plus.rates, a_minus.rates
    status, captured = int(twin.status), False
    step_s, powered = step // _SECOND, twin.powered
    while True:
        capture = cap < to or (inclusive and cap == to)
        target = cap if capture else to
        if (
            capture
            and powered
            and position < cap
            and demand.period == step_s
            and demand.next_boundary() == cap
        ):  # a run of whole periods, each a demand period and an LP1 row (the usual day)
            while rates[0].end <= position:
                rates.popleft()
            segment = rates[0]
            s = (cap - offset - EPOCH) // _SECOND
            if s > commissioned and segment.end >= cap:
                if s // DAY != day:
                    day = s // DAY
                    base_plus, base_minus, table = metrology.day_start(day)
                assert table is not None
                count = min(
                    _caps_until(cap, to, step, inclusive),
                    (segment.end - cap) // step + 1,  # in the segment's rate
                    -((s - (day + 1) * DAY) // step_s),  # in the day's table
                )
                plus, minus = _run_energies(table, s - day * DAY, step_s, count)
                plus = [base_plus + e for e in plus]
                minus = [base_minus + e for e in minus]
                rate = segment.rate
                plus_mj = [b - a for a, b in pairwise([plus0, *plus])]
                plus_totals = a_plus.add_run_mj(plus_mj, rate)
                if minus[-1] != minus0:
                    minus_mj = [b - a for a, b in pairwise([minus0, *minus])]
                    minus_totals = a_minus.add_run_mj(minus_mj, rate)
                else:
                    minus_totals = [sum(minus_rates)] * count
                demand.add_periods_mj(plus_mj, rate, cap)
                flags, ends = clock.flags, [cap + k * step for k in range(count)]
                invalid = _LP_CLOCK_INVALID if flags & _CLOCK_INVALID else 0
                dsts = [dst_active(end) for end in ends]
                statuses = [invalid | (_LP_DST if dst else 0) for dst in dsts]
                statuses[0] |= status
                rows.extend(zip(stamps.run(cap, step_s, dsts, flags), statuses,
                                [t % WRAP for t in plus_totals], [t % WRAP for t in minus_totals],
                                strict=True))  # fmt: skip
                status, captured, position, cap = 0, True, ends[-1], ends[-1] + step
                true_t, plus0, minus0 = position - offset, plus[-1], minus[-1]
                continue
        while position < target:
            while rates[0].end <= position:
                rates.popleft()  # the advance's rate segments, walked once
            segment = rates[0]
            stop, end = target, demand.next_boundary()
            if end < stop:
                stop = end
            if segment.end < stop:
                stop = segment.end
            true_stop = stop - offset
            s = (true_stop - EPOCH) // _SECOND  # whole seconds, floored
            if s <= commissioned:
                plus1 = minus1 = 0
            else:
                if s // DAY != day:
                    day = s // DAY
                    base_plus, base_minus, table = metrology.day_start(day)
                assert table is not None
                x = s - day * DAY
                if table.starts is SLOT_STARTS:  # the usual day (DayTable.energy, inline)
                    i = x // SLOT
                    m, r = divmod(x - i * SLOT, 60)
                    p = table.pattern[i]
                    d = PATTERN_PREFIX[p][m] + PATTERN_MINUTES[p][m] * r
                    plus1 = base_plus + table.cum_plus[i] + table.pos_w[i] * d
                    minus1 = base_minus + table.cum_minus[i] + table.neg_w[i] * d
                else:
                    dp, dm = table.energy(x)
                    plus1, minus1 = base_plus + dp, base_minus + dm
            rate = segment.rate
            a_plus.add_mj(plus1 - plus0, rate)
            if minus1 != minus0:  # most meters export nothing: adding 0 would change nothing
                a_minus.add_mj(minus1 - minus0, rate)
            demand.add_mj(plus1 - plus0, rate, stop)  # exact
            plus0, minus0 = plus1, minus1
            true_t, position = true_stop, stop
        if not capture:
            break
        # The LP1 row of the period ending at cap. Periods ending while the supply is
        # off (from the power failure up to, not including, the return) get no row: the
        # first row after the return carries power down | power up (0x80 | 0x40,
        # MT372.md 4), so a reader sees the gap and why.
        if twin.powered:
            dst, flags = dst_active(cap), clock.flags
            row_status = status | (_LP_DST if dst else 0)
            if flags & _CLOCK_INVALID:
                row_status |= _LP_CLOCK_INVALID
            rows.append((stamps(cap, dst, flags), row_status, sum(plus_rates) % WRAP,
                         sum(minus_rates) % WRAP))  # fmt: skip
            status, captured = 0, True
        cap += step
    twin.true_t, twin.rate, twin.next_lp1 = true_t, rate, cap
    if captured:
        twin.status = _NO_STATUS  # the rows carried the running period's bits


def _caps_until(cap: dt.datetime, to: dt.datetime, step: dt.timedelta, inclusive: bool) -> int:
    """How many of the period ends ``cap``, ``cap + step``, ... lie before ``to`` (or
    at it, when ``inclusive``); ``cap`` is one of them."""
    q = (to - cap) // step
    return q + 1 if inclusive or cap + q * step < to else q


def _run_energies(table: DayTable, x: int, step: int, count: int) -> tuple[list[int], list[int]]:
    """(A+, A-) mJ from the day's start to seconds ``x``, ``x + step``, ... (``count``
    of them) of the day: :meth:`DayTable.energy` of each; at slot starts of the usual
    day that is the prefix sums themselves (a pattern integrates to 0 at its start)."""
    if table.starts is SLOT_STARTS and x % SLOT == 0 and step % SLOT == 0:
        i, di = x // SLOT, step // SLOT
        cut = slice(i, i + count * di, di)
        return list(table.cum_plus[cut]), list(table.cum_minus[cut])
    pairs = [table.energy(x + k * step) for k in range(count)]
    return [p for p, _ in pairs], [m for _, m in pairs]


__all__ = ["first_capture", "flow"]
