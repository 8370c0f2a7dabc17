"""Energy rate registers: a total and T1..T4 that sum to it exactly.

For one quantity (A+ 1.0.1.8.e.255 or A- 1.0.2.8.e.255, e = 0 total, 1..4 the
rates). The registers hold whole watt-hours (the double-long-unsigned values
the MT372 serves with scaler 0, unit Wh). Energy comes in as any real number of
Wh (a float, or an exact Fraction: then nothing is ever rounded); the fraction
below one Wh is carried over (one carry for the quantity, not
per rate), and each whole Wh is counted in the rate in force when it completes.
So at any time::

    total == T1 + T2 + T3 + T4            (exactly, integers)
    0 <= energy given - total < 1 Wh      (nothing lost, nothing counted twice)

The twin counts integer millijoules (:meth:`RateRegisters.add_mj`): while the carry
is a whole number of mJ it is kept as an int (no ``Fraction`` arithmetic), and
:attr:`RateRegisters.carry` shows it as the same exact Fraction of a Wh.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate

#: Energy in Wh: a float, or an exact Fraction (the twin gives mJ / 3,600,000).
Wh = float | Fraction
MJ_PER_WH = 3_600_000


def exact_mj(value: Wh) -> int | None:
    """``value`` Wh as whole millijoules if it is an exact Fraction (or int) that is
    one, else None (a float stays a float)."""
    if isinstance(value, int):
        return value * MJ_PER_WH
    if isinstance(value, Fraction) and MJ_PER_WH % value.denominator == 0:
        return value.numerator * (MJ_PER_WH // value.denominator)
    return None


@dataclass(frozen=True, slots=True)
class RateSnapshot:
    """The registers at one instant: total and per rate (index 0 is T1)."""

    total: int
    rates: tuple[int, ...]


class RateRegisters:
    """Total and per-rate energy registers (Wh) of one quantity."""

    __slots__ = ("_carry", "_carry_mj", "rates")

    def __init__(
        self, rates: int = 4, initial: tuple[int, ...] | None = None, carry: Wh = 0.0
    ) -> None:
        """``initial`` and ``carry`` restore a committed state."""
        self.rates = list(initial) if initial is not None else [0] * rates
        if len(self.rates) != rates or any(r < 0 for r in self.rates):
            raise ValueError(f"need {rates} non-negative initial rate registers")
        if not 0 <= carry < 1:
            raise ValueError("the carry is a fraction of a Wh")
        self.carry = carry

    @property
    def carry(self) -> Wh:
        """Wh counted but not yet a whole Wh."""
        if self._carry_mj is not None:
            return Fraction(self._carry_mj, MJ_PER_WH)
        return self._carry

    @carry.setter
    def carry(self, value: Wh) -> None:
        self._carry = value
        self._carry_mj = exact_mj(value) if isinstance(value, Fraction) else None

    @property
    def total(self) -> int:
        return sum(self.rates)

    def rate(self, rate: int) -> int:
        """The register of rate 1..N."""
        return self.rates[rate - 1]

    def add(self, energy_wh: Wh, rate: int) -> int:
        """Count ``energy_wh`` (>= 0) in ``rate``; the whole Wh counted come back."""
        if energy_wh < 0 or not 1 <= rate <= len(self.rates):
            raise ValueError(f"energy must be >= 0 and rate in 1..{len(self.rates)}")
        carry = self.carry + energy_wh
        whole = math.floor(carry)
        self.carry = carry - whole
        self.rates[rate - 1] += whole
        return whole

    def add_mj(self, energy_mj: int, rate: int) -> int:
        """:meth:`add` of ``energy_mj`` / 3,600,000 Wh, exact, in integers."""
        carry = self._carry_mj
        if carry is None:
            return self.add(Fraction(energy_mj, MJ_PER_WH), rate)
        if energy_mj < 0 or not 1 <= rate <= len(self.rates):
            raise ValueError(f"energy must be >= 0 and rate in 1..{len(self.rates)}")
        whole, self._carry_mj = divmod(carry + energy_mj, MJ_PER_WH)
        self.rates[rate - 1] += whole
        return whole

    def add_run_mj(self, energies: Sequence[int], rate: int) -> list[int]:
        """:meth:`add_mj` of each of ``energies`` in turn, all in ``rate``; the total
        after each comes back (the twin's LP1 rows of a run of periods). The carry
        after the k-th is (carry + the first k energies) mod 1 Wh, so the whole Wh
        counted up to there are the floor of that sum: one division per energy."""
        carry = self._carry_mj
        if carry is None or not 1 <= rate <= len(self.rates) or (energies and min(energies) < 0):
            totals = []
            for energy in energies:
                self.add_mj(energy, rate)
                totals.append(self.total)
            return totals
        base, cumulative = sum(self.rates), list(accumulate(energies, initial=carry))
        whole, self._carry_mj = divmod(cumulative[-1], MJ_PER_WH)
        self.rates[rate - 1] += whole
        return [base + c // MJ_PER_WH for c in cumulative[1:]]

    def snapshot(self) -> RateSnapshot:
        return RateSnapshot(self.total, tuple(self.rates))
