"""A load-profile register column split by rate (sans-IO): each interval's advance
goes to the rates :meth:`TariffPlan.shares <openamr.headend.tariff.TariffPlan.shares>`
gives (the meter's calendar, Blue Book 4.5.5); what the web page's profile draws per
rate (:mod:`openamr.headend.webui_meter`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openamr.headend.tariff import Split, TariffPlan


@dataclass(frozen=True, slots=True)
class ByRate:
    """A register column of the load profile split by rate: per rate, the energy of
    each interval at that rate (aligned on the interval ends; None where the rate was
    not in force, or there is no interval or no calendar: a plot's line of a rate
    breaks where another is in force); ``estimated`` intervals were cut by a switch."""

    energy: dict[int, list[float | None]]
    estimated: int


def by_rate(
    times: list[int], values: list[float | None], plan_at: Callable[[int], TariffPlan | str]
) -> ByRate:
    """Interval ``i`` is ``[times[i-1], times[i])`` with the register's advance
    ``values[i] - values[i-1]`` (a cumulative register: none for the first, or where
    either is missing or the register went back); ``plan_at(ts)``: the meter's plan."""
    splits: dict[int, tuple[float, Split]] = {}
    for i in range(1, len(times)):
        a, b = values[i - 1], values[i]
        if a is None or b is None or b < a:
            continue
        plan = plan_at(times[i - 1])
        if not isinstance(plan, str):
            splits[i] = (b - a, plan.shares(times[i - 1], times[i]))
    rates = sorted({rate for _, split in splits.values() for rate, _ in split.shares})
    energy: dict[int, list[float | None]] = {r: [None] * len(times) for r in rates}
    for i, (advance, split) in splits.items():
        for rate, share in split.shares:
            energy[rate][i] = advance * share
    return ByRate(energy, sum(1 for _, split in splits.values() if split.estimated))
