"""The instantaneous values are published lazily (issue 9, "publish lazily"): an
advance marks them due and the first read computes them, exactly as an eager
publish would have written them."""

from __future__ import annotations

import datetime as dt

from openamr.codec.types import LongUnsigned
from openamr.meter.clock import SteppedTime
from openamr.meter.metrology.instant import instantaneous
from openamr.meter.metrology.model import LoadStep
from openamr.meter.mt372 import build_mt372
from openamr.meter.twin import Twin
from openamr.meter.twin_objects import INSTANTANEOUS, LiveRegister

START = dt.datetime(2026, 1, 12, 9, 30, tzinfo=dt.UTC)


def readings(twin: Twin) -> list[object]:
    return [twin.device.find(d.obis).get(2) for d in INSTANTANEOUS]  # type: ignore[union-attr]


def eager(twin: Twin, at: dt.datetime) -> list[object]:
    """What an eager publish at ``at`` writes: the same registers, set at once."""
    values = instantaneous(twin.metrology, at)
    o = twin.objects
    scaled = [*o.voltage, *o.current, *o.phase_pf, o.power_import, o.power_export,
              o.power_factor, o.frequency]  # fmt: skip
    raw = [*(v.voltage_v for v in values.phases), *(v.current_a for v in values.phases),
           *(v.power_factor for v in values.phases), values.import_w, values.export_w,
           values.power_factor, values.frequency_hz]  # fmt: skip
    out = []
    for s, v in zip(scaled, raw, strict=True):
        r = round(v * s.factor)
        out.append(s.kind(min(max(r, s.kind.lo), s.kind.hi)))
    return out


def twin_at() -> tuple[Twin, SteppedTime]:
    time = SteppedTime(START)
    return build_mt372("20261234", time_base=time, history_days=2).twin, time


def test_an_advance_marks_them_due_and_a_read_computes_them() -> None:
    twin, time = twin_at()
    assert all(isinstance(twin.device.find(d.obis), LiveRegister) for d in INSTANTANEOUS)
    time.step(4 * 3_600 + 17)
    twin.advance()
    assert twin.instant_due == twin.true_t  # nothing computed yet
    got = readings(twin)
    assert twin.instant_due is None
    assert got == eager(twin, twin.true_t)
    assert readings(twin) == got  # read again: the same, nothing recomputed


def test_values_nobody_read_are_those_of_the_last_advance() -> None:
    twin, time = twin_at()
    for _ in range(3):  # advances without a read in between
        time.step(1_234)
        twin.advance()
    assert readings(twin) == eager(twin, twin.true_t)


def test_a_load_change_from_the_present_second_leaves_the_due_values_as_they_were() -> None:
    twin, time = twin_at()
    time.step(600.5)
    twin.advance()
    due = eager(twin, twin.true_t)
    twin.add_load_step(LoadStep(int(twin.true_t.timestamp()), level_w=9_000))
    assert readings(twin) == due  # published before the change, as an eager publish


def test_a_write_stands_until_the_next_publish() -> None:
    twin, time = twin_at()
    time.step(900)
    twin.advance()
    voltage = twin.objects.voltage[0].register
    voltage.value = LongUnsigned(1)  # a write while the values are due
    others = readings(twin)[1:]
    assert voltage.value == 1 and others == eager(twin, twin.true_t)[1:]
    time.step(900)
    twin.advance()
    assert readings(twin) == eager(twin, twin.true_t)
