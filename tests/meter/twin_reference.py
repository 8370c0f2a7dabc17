"""A year of one twin's output, digested: the reference that a faster engine must
reproduce bit for bit (issue 9, section 6).

The fixture ``fixtures/twin_year.json`` was produced once by the engine of commit
ee8800e (exact ``Fraction`` arithmetic) with::

    .venv/bin/python -m tests.meter.twin_reference --write

Each scenario is a meter simulated for its history, then driven in uneven steps
through a power failure, a sag, a wiring fault, a load step, a clock set and an end
of billing by command. The digest holds, per profile (LP1, LP2, monthly, daily
billing, log-book), the row count, a SHA-256 per 96 rows and the first and last
rows in full; and after every step the registers, demand, instantaneous values,
counters and status the twin publishes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from openamr.codec.obis import Obis
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.meter.application import ServerApplication
from openamr.meter.clock import SteppedTime
from openamr.meter.metrology import Disturbance, DisturbanceKind, LoadStep, Phase, seeded_load
from openamr.meter.metrology.model import ProfileKind
from openamr.meter.mt372 import build_mt372, seed_of

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "twin_year.json"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CHUNK = 96

PROFILES = {
    "lp1": "1.0.99.1.0.255",
    "lp2": "1.0.99.2.0.255",
    "monthly": "1.0.98.1.0.255",
    "daily": "1.0.98.2.0.255",
    "log": "1.0.99.98.0.255",
}
#: The objects the engine publishes into, and the attributes it writes.
VALUES: tuple[tuple[str, tuple[int, ...]], ...] = (
    *((f"1.0.{c}.8.{r}.255", (2,)) for c in (1, 2) for r in range(5)),
    ("1.0.15.8.0.255", (2,)),
    ("1.0.1.4.0.255", (2, 6)),  # current average, start_time_current
    ("1.0.1.5.0.255", (2,)),
    *((f"1.0.1.6.{r}.255", (2, 5)) for r in range(5)),
    *((f"1.0.{c}.7.0.255", (2,)) for c in (32, 52, 72, 31, 51, 71, 33, 53, 73, 1, 2, 13, 14)),
    *((f"1.0.{c}.{k}.0.255", (2,)) for c in (32, 52, 72) for k in (32, 36)),
    ("0.0.96.7.21.255", (2,)),
    ("0.0.96.14.0.255", (2,)),
    ("1.0.96.240.0.255", (2,)),
    ("0.0.96.11.0.255", (2,)),
    ("0.0.0.1.0.255", (2,)),
    ("0.0.97.97.0.255", (2,)),
    ("0.0.96.3.10.255", (2, 3)),
    ("0.0.96.3.1.255", (2,)),
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def profile_digest(app: ServerApplication, name: str) -> dict[str, object]:
    p = app.device.find(Obis.parse(name))
    assert isinstance(p, ProfileGeneric)
    rows = list(p.rows)
    chunks = [_sha(repr(rows[i : i + CHUNK])) for i in range(0, len(rows), CHUNK)]
    first = repr(rows[0]) if rows else ""
    last = repr(rows[-1]) if rows else ""
    return {"rows": len(rows), "chunks": chunks, "first": first, "last": last}


def values(app: ServerApplication) -> str:
    out: list[str] = []
    for name, attributes in VALUES:
        obj = app.device.find(Obis.parse(name))
        assert obj is not None, name
        out.extend(repr(obj.get(a)) for a in attributes)
    return "|".join(out)


def scenario(serial: str, kind: ProfileKind, pv: bool, days: int) -> dict[str, object]:
    time = SteppedTime(START)
    load = seeded_load(seed_of(serial), kind=kind, pv=pv, connection=3)
    meter = build_mt372(serial, time_base=time, history_days=days, load=load)
    app, twin = meter.app, meter.twin
    steps: list[str] = [values(app)]
    now = int(twin.true_t.timestamp())
    twin.inject(Disturbance(now + 5_000, now + 12_200, None, DisturbanceKind.POWER_FAILURE))
    twin.inject(Disturbance(now + 20_000, now + 20_700, Phase.L2, DisturbanceKind.SAG, 0.7))
    twin.inject(Disturbance(now + 30_000, now + 33_600, Phase.L1, DisturbanceKind.CURRENT_REVERSAL))
    twin.add_load_step(LoadStep(now + 40_000, level_w=6_000))
    twin.add_load_step(LoadStep(now + 50_000))
    pattern = [1, 3, 899, 901, 7, 3_600, 14_400, 59, 86_400, 61, 5_000, 17, 450]
    for i, seconds in enumerate(pattern * 3):
        time.step(seconds)
        twin.advance()
        if i == 9:
            twin.set_time(twin.source.now() + dt.timedelta(minutes=47))
        if i == 20:
            twin.end_of_billing()
        steps.append(values(app))
    return {
        "profiles": {k: profile_digest(app, v) for k, v in PROFILES.items()},
        "steps": [_sha(s) for s in steps],
        "final": steps[-1],
    }


SCENARIOS: dict[str, tuple[str, ProfileKind, bool, int]] = {
    "residential-pv-year": ("20260001", ProfileKind.RESIDENTIAL, True, 365),
    "commercial-60-days": ("20260002", ProfileKind.COMMERCIAL, False, 60),
}


def digest() -> dict[str, object]:
    return {name: scenario(*args) for name, args in SCENARIOS.items()}


def fixture_main(fixture: Path, make: Callable[[], dict[str, object]], doc: str | None) -> None:
    """A reference module's command line: print its digest, or ``--write`` it."""
    p = argparse.ArgumentParser(description=doc)
    p.add_argument("--write", action="store_true", help=f"write {fixture.name}")
    args = p.parse_args()
    text = json.dumps(make(), indent=1, sort_keys=True) + "\n"
    if args.write:
        fixture.write_text(text, encoding="utf-8")
    else:
        print(text)


def main() -> None:
    fixture_main(FIXTURE, digest, __doc__)


if __name__ == "__main__":
    main()
