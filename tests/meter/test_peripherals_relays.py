"""The contactor (two views), the limiter with code red, and R1/R2 by the calendar,
driven by a stepped clock."""

from __future__ import annotations

import datetime as dt

import pytest

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.datetime import CosemDateTime, CosemTime
from openamr.codec.obis import Obis
from openamr.codec.types import (
    Array,
    DoubleLongUnsigned,
    Enum,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
    Unsigned,
)
from openamr.cosem import READ_WRITE, AccessPolicy, AssociationView
from openamr.cosem.classes.disconnect_control import ControlState
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.meter.clock import SteppedTime
from openamr.meter.events import EventCode
from openamr.meter.metrology.instant import instantaneous
from openamr.meter.metrology.model import LoadStep, seconds
from openamr.meter.mt372 import build_mt372
from openamr.meter.peripherals import Output, PeripheralEvent, Peripherals
from openamr.meter.peripherals.limiter import import_power
from openamr.meter.tariff import CalendarPlan
from openamr.meter.tariff.defaults import (
    CalendarData,
    day,
    season,
    special_day,
    week,
)
from openamr.meter.tariff.model import TARIFF_SCRIPT
from openamr.meter.twin import Twin

START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)  # a Monday, a winter night: no PV
DC = Obis.parse("0.0.96.3.10.255")
MX_STATE, MX_MODE = Obis.parse("0.0.128.30.21.255"), Obis.parse("0.0.128.30.22.255")
LOG = Obis.parse("1.0.99.98.0.255")


def twin_at(start: dt.datetime = START) -> tuple[Twin, SteppedTime, Peripherals]:
    time = SteppedTime(start)
    meter = build_mt372("20261234", time_base=time)
    return meter.twin, time, meter.peripherals


def step(twin: Twin, time: SteppedTime, seconds_: float) -> None:
    time.step(seconds_)
    twin.advance()


def view(twin: Twin) -> AssociationView:
    return AssociationView(twin.device, AccessPolicy(default=READ_WRITE))


def log(twin: Twin) -> list[tuple[dt.datetime, int]]:
    p = twin.device.find(LOG)
    assert isinstance(p, ProfileGeneric)
    return [(CosemDateTime.from_bytes(r[0]).to_datetime(), int(r[1])) for r in p.rows]


def power(twin: Twin) -> float:
    return instantaneous(twin.metrology, twin.true_t).import_w


# -- contactor -----------------------------------------------------------------------------


def test_remote_disconnect_by_dlms_cuts_the_load_and_is_logged() -> None:
    twin, time, _ = twin_at()
    step(twin, time, 600)
    assert power(twin) > 0
    result = view(twin).action(70, DC, 1, Integer(0))
    assert result == (ActionResult.SUCCESS, None)
    at = twin.position
    assert view(twin).get(70, DC, 2) is False
    assert view(twin).get(70, DC, 3) == Enum(ControlState.DISCONNECTED)
    assert view(twin).get(1, MX_STATE, 2) == Unsigned(0)  # the Mx372 view agrees
    assert log(twin)[-1] == (at, PeripheralEvent.CONTACTOR_DISCONNECTED)
    before = twin.a_plus.total
    step(twin, time, 3600)
    assert twin.a_plus.total == before  # no load, no energy
    assert power(twin) == 0


def test_reconnection_in_mode_1_needs_the_button_then_restores_the_model() -> None:
    twin, time, p = twin_at()
    v = view(twin)
    v.action(70, DC, 1, Integer(0))
    step(twin, time, 60)
    assert v.action(70, DC, 2, Integer(0)) == (ActionResult.SUCCESS, None)
    assert p.contactor.state is ControlState.READY_FOR_RECONNECTION  # mode 1: transition d
    step(twin, time, 60)
    assert power(twin) == 0
    p.press_button(long=True)  # transition e
    pressed = twin.position
    assert p.contactor.connected
    step(twin, time, 60)
    assert power(twin) > 0
    codes = [c for _, c in log(twin)][-3:]
    assert codes == [
        PeripheralEvent.CONTACTOR_DISCONNECTED,
        PeripheralEvent.CONTACTOR_READY_FOR_RECONNECTION,
        PeripheralEvent.CONTACTOR_CONNECTED,
    ]
    assert log(twin)[-1][0] == pressed
    # the model again: the same power as a twin that never disconnected
    other, other_time, _ = twin_at()
    step(other, other_time, 180)
    assert power(twin) == power(other)


def test_the_mx372_view_writes_connect_and_disconnect_and_the_mode() -> None:
    twin, time, p = twin_at()
    v = view(twin)
    assert v.set(1, MX_MODE, 2, Unsigned(4)) is DataAccessResult.SUCCESS
    assert v.get(70, DC, 4) == Enum(4)  # one contactor, two views
    assert v.set(1, MX_STATE, 2, Unsigned(0)) is DataAccessResult.SUCCESS
    assert not p.contactor.connected
    step(twin, time, 30)
    assert v.set(1, MX_STATE, 2, Unsigned(1)) is DataAccessResult.SUCCESS
    assert v.get(1, MX_STATE, 2) == Unsigned(1)  # mode 4: direct reconnection
    assert v.set(1, MX_STATE, 2, Unsigned(7)) is DataAccessResult.OTHER_REASON
    assert v.set(1, MX_MODE, 2, Unsigned(9)) is DataAccessResult.OTHER_REASON
    assert v.set(1, MX_MODE, 2, Unsigned(0)) is DataAccessResult.SUCCESS
    assert v.set(1, MX_STATE, 2, Unsigned(0)) is DataAccessResult.OTHER_REASON  # mode 0


def test_a_scheduled_disconnection_happens_at_its_instant() -> None:
    twin, time, p = twin_at()
    at = twin.position + dt.timedelta(minutes=20)
    p.contactor.remote_disconnect(at)
    assert p.contactor.connected
    step(twin, time, 3600)
    assert not p.contactor.connected
    assert (at, PeripheralEvent.CONTACTOR_DISCONNECTED) in log(twin)
    assert twin.metrology.energy_between(seconds(at), seconds(at) + 2400).a_plus_mj == 0
    with pytest.raises(ValueError, match="before the twin's present"):
        p.contactor.remote_reconnect(at)


def test_a_customer_load_step_while_open_is_applied_at_reconnection() -> None:
    twin, time, p = twin_at()
    p.contactor.remote_disconnect()
    step(twin, time, 60)
    p.contactor.load_step(LoadStep(seconds(twin.true_t), 2000))
    step(twin, time, 60)
    assert power(twin) == 0  # held while open
    p.contactor.remote_reconnect()
    p.contactor.manual_reconnect()
    step(twin, time, 60)
    assert 2000 * 0.85 <= power(twin) <= 2000 * 1.15


# -- limiter -------------------------------------------------------------------------------


def test_the_limiter_disconnects_after_the_over_duration_and_reconnects_in_mode_6() -> None:
    twin, time, p = twin_at()
    p.contactor.control.set_control_mode(Enum(6))  # local reconnection allowed
    p.limiter.set_durations(over_s=120, under_s=60)
    p.contactor.load_step(LoadStep(seconds(twin.true_t) + 300, 5000))  # from minute 5
    p.set_load_limit(3000)
    step(twin, time, 300 + 119)
    assert p.contactor.connected  # 119 s over: not yet
    step(twin, time, 1)
    assert p.contactor.state is ControlState.READY_FOR_RECONNECTION  # g, at 5 + 2 minutes
    over = START + dt.timedelta(minutes=7)
    assert (over, PeripheralEvent.LIMITER_OVER_THRESHOLD) in log(twin)
    assert (over, PeripheralEvent.CONTACTOR_READY_FOR_RECONNECTION) in log(twin)
    step(twin, time, 60)  # 0 W for 60 s: h in mode 6
    assert p.contactor.connected
    assert (over + dt.timedelta(minutes=1), PeripheralEvent.LIMITER_UNDER_THRESHOLD) in log(twin)
    assert p.limiter.threshold == 3000


def test_in_mode_1_the_limiter_leaves_the_contactor_ready_for_the_button() -> None:
    twin, time, p = twin_at()
    p.limiter.set_durations(over_s=60, under_s=60)
    p.contactor.load_step(LoadStep(seconds(twin.true_t), 5000))
    p.set_load_limit(3000)
    step(twin, time, 600)
    assert p.contactor.state is ControlState.READY_FOR_RECONNECTION
    assert power(twin) == 0


def test_a_limit_of_zero_never_disconnects() -> None:
    twin, time, p = twin_at()
    p.contactor.load_step(LoadStep(seconds(twin.true_t), 20_000))
    step(twin, time, 3600)
    assert p.contactor.connected


def test_code_red_by_the_mx372_objects_uses_the_emergency_threshold() -> None:
    twin, time, p = twin_at()
    v = view(twin)
    p.limiter.set_durations(over_s=60, under_s=60)
    p.contactor.load_step(LoadStep(seconds(twin.true_t), 3000))
    assert v.set(1, Obis.parse("0.0.128.61.1.255"), 2, DoubleLongUnsigned(8000)) == 0
    begin = START + dt.timedelta(hours=1)
    start = OctetString(CosemDateTime.from_datetime(begin).to_bytes())
    assert v.set(1, Obis.parse("0.0.128.62.1.255"), 2, start) is DataAccessResult.SUCCESS
    assert v.set(1, Obis.parse("0.0.128.62.2.255"), 2, DoubleLongUnsigned(1800)) == 0
    assert v.set(1, Obis.parse("0.0.128.62.3.255"), 2, DoubleLongUnsigned(1000)) == 0
    limiter = twin.device.find(Obis.parse("0.0.17.0.0.255"))
    assert limiter is not None and limiter.get(4) == DoubleLongUnsigned(8000)
    assert limiter.get(5) == DoubleLongUnsigned(1000)
    step(twin, time, 3599)
    assert p.contactor.connected  # 3 kW under the 8 kW contract
    step(twin, time, 121)
    assert not p.contactor.connected  # over the 1 kW code red for 60 s
    assert (begin, PeripheralEvent.EMERGENCY_BEGINS) in log(twin)
    assert (begin + dt.timedelta(minutes=1), PeripheralEvent.LIMITER_OVER_THRESHOLD) in log(twin)
    step(twin, time, 3600)
    assert (begin + dt.timedelta(minutes=30), PeripheralEvent.EMERGENCY_ENDS) in log(twin)
    assert limiter.get(3) == DoubleLongUnsigned(8000)  # back to the normal threshold


# -- R1/R2 ------------------------------------------------------------------------------------


def _actions(switches: list[tuple[dt.time, int]], script: Obis) -> list[Structure]:
    return [
        Structure((OctetString(CosemTime.from_time(t).to_bytes()),
                   OctetString(script.to_bytes()), LongUnsigned(selector)))
        for t, selector in switches
    ]  # fmt: skip


def _boiler_calendar() -> CalendarData:
    """The factory tariff, plus R1 closed 22:00-06:00 on working days (script 103)."""
    out = Obis.parse("0.0.10.0.103.255")
    tariff = _actions([(dt.time(0), 2), (dt.time(6), 1), (dt.time(22), 2)], TARIFF_SCRIPT)
    boiler = _actions([(dt.time(6), 2), (dt.time(22), 1)], out)
    return CalendarData(
        Array([season(b"winter", 10, 1, b"workweek"), season(b"summer", 4, 1, b"workweek")]),
        Array([week(b"workweek", [1, 1, 1, 1, 1, 2, 2])]),
        Array([Structure((Unsigned(1), Array([*tariff, *boiler]))), day(2, [(dt.time(0), 2)])]),
        Array([special_day(1, 1, 1, 2)]),
    )


def test_r1_follows_the_calendar_and_a_command_holds_until_the_next_action() -> None:
    twin, time, p = twin_at()
    twin.plan = CalendarPlan(_boiler_calendar().parse())
    step(twin, time, 3600)  # Monday 00:00-01:00 UTC = 01:00-02:00 CET: no action yet
    assert not p.outputs.closed(Output.R1)
    step(twin, time, 5 * 3600)  # 06:00 UTC = 07:00 local: R1 off (already)
    p.outputs.switch(Output.R1, True)  # command
    assert view(twin).get(1, Obis.parse("0.0.96.3.1.255"), 2) == Unsigned(1)
    step(twin, time, 14 * 3600)  # 20:00 UTC = 21:00 local (CET)
    assert p.outputs.closed(Output.R1)
    step(twin, time, 3600)  # 22:00 local: R1 on by the calendar (on already)
    assert p.outputs.closed(Output.R1)
    step(twin, time, 9 * 3600)  # Tuesday 06:00 UTC, 07:00 local: off since 06:00 local
    assert not p.outputs.closed(Output.R1)
    step(twin, time, 15 * 3600 - 1)  # Tuesday 21:59:59 local
    assert not p.outputs.closed(Output.R1)
    step(twin, time, 1)
    assert p.outputs.closed(Output.R1)


def test_output_scripts_by_dlms() -> None:
    twin, _, p = twin_at()
    v = view(twin)
    scripts = Obis.parse("0.0.10.0.103.255")
    assert v.action(9, scripts, 1, LongUnsigned(3)) == (ActionResult.SUCCESS, None)
    assert p.outputs.closed(Output.R2) and not p.outputs.closed(Output.R1)
    assert v.action(9, scripts, 1, LongUnsigned(9))[0] is ActionResult.OTHER_REASON
    assert v.set(1, Obis.parse("0.0.96.3.1.255"), 2, Unsigned(1)) is DataAccessResult.SUCCESS
    assert p.outputs.closed(Output.R1) and not p.outputs.closed(Output.R2)
    assert v.get(9, scripts, 2) == Array(Structure((LongUnsigned(s), Array())) for s in range(1, 5))


def test_the_event_codes_are_one_table_without_collisions() -> None:
    # an Enum turns a second name for a value into an alias: the only one allowed is
    # CLOCK_CHANGED (MT372.md calls 0x0020 "device clock changed")
    aliases = set(EventCode.__members__) - {c.name for c in EventCode}
    assert aliases == {"CLOCK_CHANGED"}
    contactor = [EventCode.CONTACTOR_DISCONNECTED, EventCode.EMERGENCY_ENDS]
    assert [int(c) for c in contactor] == [0x8040, 0x8046]
    assert PeripheralEvent is EventCode


def test_the_limiters_power_is_the_registers_value() -> None:
    twin, _, _ = twin_at()
    twin.add_load_step(LoadStep(seconds(twin.true_t) + 7200, 4321))
    t0 = seconds(twin.true_t)
    for s in range(t0, t0 + 3 * 86_400, 997):  # across slots, minutes, days, the step
        assert import_power(twin.metrology, s) == instantaneous(twin.metrology, s).import_w
