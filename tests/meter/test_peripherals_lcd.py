"""The LCD (scrolling, button, indicators, FF) and the GSM modem model, driven by a
stepped clock."""

from __future__ import annotations

import datetime as dt

from openamr.codec.obis import Obis
from openamr.codec.types import DoubleLongUnsigned, Enum
from openamr.cosem import READ_WRITE, AccessPolicy, AssociationView
from openamr.cosem.classes.gsm_diagnostic import GsmStatus
from openamr.meter.assembly import Engine
from openamr.meter.clock import SteppedTime
from openamr.meter.display import DISPLAY_LIST
from openamr.meter.metrology.model import Disturbance, DisturbanceKind, Phase
from openamr.meter.mt372 import build_mt372
from openamr.meter.peripherals import Peripherals
from openamr.meter.twin import Twin

START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
GSM = Obis.parse("0.0.25.6.0.255")


def twin_at(serial: str = "20261234") -> tuple[Twin, SteppedTime, Peripherals]:
    time = SteppedTime(START)
    meter = build_mt372(serial, time_base=time)
    return meter.twin, time, meter.peripherals


def step(twin: Twin, time: SteppedTime, seconds: float) -> None:
    time.step(seconds)
    twin.advance()


def view(twin: Twin) -> AssociationView:
    return AssociationView(twin.device, AccessPolicy(default=READ_WRITE))


def test_auto_scroll_walks_the_display_list_every_period() -> None:
    twin, time, p = twin_at()
    first = p.lcd_state()
    assert first.mode == "auto" and first.pages == len(DISPLAY_LIST)  # the twin has them all
    offset = int(START.timestamp()) // 10 % first.pages  # page floor(t / 10 s) mod pages
    assert first.page == offset
    seen = []
    for _ in range(first.pages):
        seen.append(p.lcd_state().address)
        step(twin, time, 10)
    assert seen == list(DISPLAY_LIST[offset:] + DISPLAY_LIST[:offset])
    assert p.lcd_state().address == DISPLAY_LIST[offset]  # and round again


def test_the_energy_page_shows_the_register() -> None:
    twin, time, p = twin_at()
    step(twin, time, 6 * 3600)
    while p.lcd_state().address != "1.8.0":
        step(twin, time, 10)
    state = p.lcd_state()
    total = twin.a_plus.total
    assert state.unit == "kWh" and state.value == f"{total // 1000:06d}.{total % 1000:03d}"
    assert state.text == f"1.8.0 {state.value} kWh"


def test_manual_scroll_and_the_return_to_auto() -> None:
    twin, time, p = twin_at()
    step(twin, time, 35)
    assert p.lcd_state().page == (int(START.timestamp()) + 35) // 10 % len(DISPLAY_LIST)
    p.press_button()
    assert (p.lcd_state().mode, p.lcd_state().page) == ("manual", 0)
    step(twin, time, 20)
    p.press_button()
    p.press_button()
    assert p.lcd_state().page == 2
    step(twin, time, 59)
    assert p.lcd_state().mode == "manual"
    step(twin, time, 1)  # 60 s after the last press
    state = p.lcd_state()
    auto = (int(START.timestamp()) + 35 + 20 + 60) // 10 % state.pages
    assert state.mode == "auto" and state.page == auto


def test_indicators_follow_the_metrology_and_the_contactor() -> None:
    twin, time, p = twin_at()
    step(twin, time, 1)
    state = p.lcd_state()
    assert state.phases == (True, True, True) and state.sequence_ok and not state.reversal
    assert state.contactor == "connected" and state.rate == 2  # night: T2
    begin = int(twin.true_t.timestamp()) + 60
    twin.inject(Disturbance(begin, begin + 600, Phase.L2, DisturbanceKind.PHASE_LOSS))
    twin.inject(Disturbance(begin, begin + 600, None, DisturbanceKind.PHASE_SEQUENCE))
    step(twin, time, 120)
    state = p.lcd_state()
    assert state.phases == (True, False, True) and not state.sequence_ok
    p.contactor.remote_disconnect()
    assert p.lcd_state().contactor == "disconnected"
    assert p.lcd_state().led in ("steady", "off")
    step(twin, time, 600)
    assert p.lcd_state().phases == (True, True, True)


def test_a_power_failure_turns_the_display_off() -> None:
    twin, time, p = twin_at()
    begin = int(twin.true_t.timestamp()) + 60
    twin.inject(Disturbance(begin, begin + 600, None, DisturbanceKind.POWER_FAILURE))
    step(twin, time, 120)
    state = p.lcd_state()
    assert (state.mode, state.page, state.registered) == ("off", -1, False)


def test_ff_lights_and_auto_scroll_holds_the_error_page() -> None:
    twin, time, p = twin_at()
    error = Obis.parse("0.0.97.97.0.255")
    assert view(twin).set(1, error, 2, DoubleLongUnsigned(0x02000000)) == 0
    for _ in range(3):
        step(twin, time, 10)
        state = p.lcd_state()
        assert state.ff and state.error == 0x02000000
        assert (state.address, state.value) == ("F.F", "02000000")
    p.press_button()
    assert p.lcd_state().address == DISPLAY_LIST[0]  # the button still scrolls


def test_the_communication_cursor_lights_after_a_request() -> None:
    twin, time, p = twin_at()
    assert not p.lcd_state().communication
    Engine(twin, p).refresh()  # what the server does before each answer
    assert p.lcd_state().communication
    step(twin, time, 10)
    assert not p.lcd_state().communication


# -- modem -------------------------------------------------------------------------------


def test_the_modem_searches_then_registers_and_fills_gsm_diagnostic() -> None:
    twin, time, p = twin_at()
    assert view(twin).get(47, GSM, 3) == Enum(GsmStatus.SEARCHING)
    assert not p.lcd_state().registered and p.lcd_state().signal == 0
    step(twin, time, p.modem.search_s)
    assert view(twin).get(47, GSM, 3) == Enum(GsmStatus.REGISTERED_HOME)
    state = p.lcd_state()
    csq = p.modem.quality(int(twin.true_t.timestamp()))
    assert state.registered and 8 - 3 <= csq <= 28 + 3
    assert view(twin).get(47, GSM, 2) == p.modem.operator[0]
    cell = view(twin).get(47, GSM, 6)
    assert isinstance(cell, tuple) and cell[2] == csq and cell[4] == 293
    assert view(twin).get(47, GSM, 5) == Enum(1)  # GPRS (GSM mode 2)


def test_the_signal_is_deterministic_per_serial_and_changes_only_on_the_hour() -> None:
    one, t1, p1 = twin_at("111")
    two, t2, p2 = twin_at("111")
    levels = []
    for _ in range(24):
        step(one, t1, 1800)
        step(two, t2, 1800)
        assert p1.lcd_state().signal == p2.lcd_state().signal
        levels.append(p1.modem.state_at(one.true_t).signal_quality)
    # samples 1, 2 are 01:00 and 01:30 (one hour), 3, 4 are 02:00 and 02:30, ...
    assert all(a == b for a, b in zip(levels[1::2], levels[2::2], strict=False))
    assert len(set(levels)) > 1  # it does move from hour to hour
    cell = view(one).get(47, GSM, 6)
    assert isinstance(cell, tuple) and cell[2] == levels[-1]
    hour = int(one.true_t.timestamp()) // 3600 * 3600
    assert p1.modem.quality(hour) == p1.modem.quality(hour + 3599)
    other = twin_at("222")[2]
    assert (other.modem.base, other.modem.search_s) != (p1.modem.base, p1.modem.search_s)


def test_after_a_power_failure_the_modem_searches_again() -> None:
    twin, time, p = twin_at()
    step(twin, time, 600)
    begin = int(twin.true_t.timestamp()) + 60
    twin.inject(Disturbance(begin, begin + 300, None, DisturbanceKind.POWER_FAILURE))
    step(twin, time, 120)
    assert view(twin).get(47, GSM, 3) == Enum(GsmStatus.NOT_REGISTERED)
    step(twin, time, 300)  # returned 60 s ago
    expected = GsmStatus.SEARCHING if p.modem.search_s > 60 else GsmStatus.REGISTERED_HOME
    assert view(twin).get(47, GSM, 3) == Enum(expected)
    step(twin, time, 90)
    assert view(twin).get(47, GSM, 3) == Enum(GsmStatus.REGISTERED_HOME)
