"""Twins the year reference (:mod:`tests.meter.twin_reference`) does not cover,
digested: clock errors off the whole second, LP1 capture periods of 30 minutes, an
hour and a day (so the flow's runs of whole periods and its period-by-period cuts
both count), the field's seeded outages, sags and swells, PV export, and uneven
steps, each of 12 meters drawn from its index.

The fixture ``fixtures/twin_variants.json`` was produced once by the engine of commit
197f446 (before the fleet-day work of issue 9 section 6) with::

    PYTHONPATH=<that commit's src>:. python -m tests.meter.twin_variants --write
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from pathlib import Path

from openamr.meter.clock import SteppedTime
from openamr.meter.metrology import seeded_load
from openamr.meter.metrology.disturbances import FIELD_RATES
from openamr.meter.metrology.model import ProfileKind
from openamr.meter.mt372 import FleetSite, build_mt372, seed_of
from tests.meter.twin_reference import PROFILES, fixture_main, profile_digest, values

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "twin_variants.json"
START = dt.datetime(2026, 3, 20, 5, 7, 11, 250000, tzinfo=dt.UTC)
METERS = 12


def variant(n: int) -> dict[str, object]:
    """Meter ``n``: its setting, a digest of its values after each of 40 steps, and
    of its profiles at the end."""
    rng = random.Random(n)
    serial = f"{7000 + n:08d}"
    time = SteppedTime(START)
    error = dt.timedelta(seconds=rng.choice([0, 7.3, -123.456, 3600, 0.5]))
    kind = rng.choice(list(ProfileKind))
    load = seeded_load(seed_of(serial), kind=kind, pv=rng.random() < 0.5, connection=3)
    meter = build_mt372(
        serial, time_base=time, history_days=rng.choice([0, 2, 9]), load=load,
        fleet=FleetSite(clock_error=error), disturbances=FIELD_RATES if n % 2 else None,
    )  # fmt: skip
    app, twin = meter.app, meter.twin
    period = rng.choice([900, 900, 1800, 3600, 86400])
    twin.objects.lp1.period = period  # as a client's write of capture_period would
    steps = []
    for _ in range(40):
        choices = [1, 59, 450, 900, 901, 3599, 86_400, 3 * 86_400, rng.randint(1, 200_000)]
        time.step(rng.choice(choices) + rng.random())
        app.refresh()
        steps.append(hashlib.sha256(values(app).encode()).hexdigest()[:12])
    return {
        "period": period,
        "steps": steps,
        "profiles": {k: profile_digest(app, v) for k, v in PROFILES.items()},
    }


def digest() -> dict[str, object]:
    return {f"{7000 + n:08d}": variant(n) for n in range(METERS)}


def main() -> None:
    fixture_main(FIXTURE, digest, __doc__)


if __name__ == "__main__":
    main()
