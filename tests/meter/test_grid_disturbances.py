"""Seeded grid disturbances (openamr.meter.metrology.disturbances): realistic rates,
the same grid for the same meter, none when turned off; a year of the twin logs them."""

from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path

from click.testing import CliRunner

from openamr.cli.main import cli
from openamr.codec.obis import Obis
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.meter.clock import SteppedTime
from openamr.meter.metrology.disturbances import FIELD_RATES, year_disturbances
from openamr.meter.metrology.model import DisturbanceKind
from openamr.meter.mt372 import build_mt372, seed_of
from openamr.meter.state import StateStore

LONG = 180


def test_the_rates_are_the_fields() -> None:
    years = [year_disturbances(seed, 2026) for seed in range(400)]
    failures = [[d for d in y if d.kind is DisturbanceKind.POWER_FAILURE] for y in years]
    long = statistics.mean(sum(d.end - d.start > LONG for d in y) for y in failures)
    short = statistics.mean(sum(d.end - d.start <= LONG for d in y) for y in failures)
    sags = statistics.mean(sum(d.kind is DisturbanceKind.SAG for d in y) for y in years)
    assert 1.0 <= long <= 2.0  # one to two long interruptions a year per customer
    assert 2.5 <= short <= 5.5 and 8 <= sags <= 16
    assert all(d.end - d.start <= 4 * 3600 for y in failures for d in y)


def test_the_same_meter_sees_the_same_grid() -> None:
    assert year_disturbances(seed_of("7"), 2026) == year_disturbances(seed_of("7"), 2026)
    assert year_disturbances(seed_of("7"), 2026) != year_disturbances(seed_of("8"), 2026)


def test_a_year_of_the_field_is_logged_and_a_quiet_grid_stays_quiet() -> None:
    start = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    field = build_mt372("12345678", time_base=SteppedTime(start), history_days=365,
                        disturbances=FIELD_RATES)  # fmt: skip
    quiet = build_mt372("12345678", time_base=SteppedTime(start), history_days=365)
    seeded = field.twin.metrology.disturbances
    assert seeded and not quiet.twin.metrology.disturbances
    log = field.twin.device.find(Obis.parse("1.0.99.98.0.255"))
    quiet_log = quiet.twin.device.find(Obis.parse("1.0.99.98.0.255"))
    assert isinstance(log, ProfileGeneric) and isinstance(quiet_log, ProfileGeneric)
    assert len(log.rows) > len(quiet_log.rows)


def test_meter_serve_offers_the_switch() -> None:
    help_text = CliRunner().invoke(cli, ["meter", "serve", "--help"]).output
    assert "--disturbances / --no-disturbances" in help_text


def test_a_restarted_twin_has_its_seeded_grid_once(tmp_path: Path) -> None:
    base = SteppedTime(dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    with StateStore.open(tmp_path / "m.db") as store:
        first = build_mt372("12345678", time_base=base, state=store, disturbances=FIELD_RATES)
        before = first.twin.metrology.disturbances
    base.step(3600)
    with StateStore.open(tmp_path / "m.db") as store:
        again = build_mt372("12345678", time_base=base, state=store, disturbances=FIELD_RATES)
        after = again.twin.metrology.disturbances
    assert len(after) == len(set(after))  # nothing twice
    assert set(before) - set(after) <= {d for d in before if d.end < base().timestamp()}


def test_the_api_is_quiet_and_meter_serve_runs_the_field_grid(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """build_mt372() used as an API seeds no disturbance unless asked (tests and
    scripts get a quiet grid); `meter serve` asks for the field's rates unless
    --no-disturbances."""
    import openamr.cli.meter_serve as meter_serve

    assert not build_mt372("12345678").twin.metrology.disturbances
    seen: list[bool] = []

    async def serve(host, port, transport, twin, optical, control_port):  # type: ignore[no-untyped-def]
        seen.append(twin.disturbances)

    monkeypatch.setattr(meter_serve, "_serve", serve)
    for args in ([], ["--no-disturbances"]):
        result = CliRunner().invoke(cli, ["meter", "serve", "--port", "0", *args])
        assert result.exit_code == 0, result.output
    assert seen == [True, False]
