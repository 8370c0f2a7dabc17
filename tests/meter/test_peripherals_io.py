"""S0 inputs P1/P2, alarm input P3, cover switches and the alarm push, driven by a
stepped clock; the pushed bytes decode as DATA-NOTIFICATION (ours and dlms-cosem's)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from dlms_cosem.protocol.xdlms import DataNotification as PeerNotification

from openamr.apdu.notification import DataNotification
from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import decode, encode
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.types import (
    DoubleLongUnsigned,
    Enum,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
)
from openamr.cosem import READ_WRITE, AccessPolicy, AssociationView
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.meter.clock import SteppedTime
from openamr.meter.events import EventCode
from openamr.meter.metrology.model import Disturbance, DisturbanceKind
from openamr.meter.mt372 import build_mt372
from openamr.meter.peripherals import Cover, Peripherals, PushMessage
from openamr.meter.twin import Twin

START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
WATER, GAS = Obis.parse("8.0.1.0.0.255"), Obis.parse("7.0.3.0.0.255")
LOG, LP2 = Obis.parse("1.0.99.98.0.255"), Obis.parse("1.0.99.2.0.255")
PUSH = Obis.parse("0.0.25.9.0.255")
DESTINATION = b"192.0.2.10:4059"


def twin_at(sent: list[PushMessage] | None = None) -> tuple[Twin, SteppedTime, Peripherals]:
    time = SteppedTime(START)
    meter = build_mt372("20261234", time_base=time)
    p = meter.peripherals
    if sent is not None:
        p.push.send = sent.append
    return meter.twin, time, p


def step(twin: Twin, time: SteppedTime, seconds: float) -> None:
    time.step(seconds)
    twin.advance()


def view(twin: Twin) -> AssociationView:
    return AssociationView(twin.device, AccessPolicy(default=READ_WRITE))


def log(twin: Twin) -> list[tuple[dt.datetime, int]]:
    p = twin.device.find(LOG)
    assert isinstance(p, ProfileGeneric)
    return [(CosemDateTime.from_bytes(r[0]).to_datetime(), int(r[1])) for r in p.rows]


def value(twin: Twin, name: Obis) -> object:
    return view(twin).get(3, name, 2)


def with_destination(twin: Twin) -> None:
    destination = Structure((Enum(0), OctetString(DESTINATION), Enum(0)))
    assert view(twin).set(40, PUSH, 3, destination) is DataAccessResult.SUCCESS


# -- impulse inputs ------------------------------------------------------------------------


def test_pulses_count_into_water_and_gas_with_their_constants() -> None:
    twin, _, p = twin_at()
    p.pulses(1, 250)  # 1000 pulses/m3: 250 litres
    assert value(twin, WATER) == DoubleLongUnsigned(250)
    constant = Obis.parse("0.0.128.40.2.255")
    assert view(twin).set(3, constant, 2, DoubleLongUnsigned(3)) is DataAccessResult.SUCCESS
    p.pulses(2, 1)  # 3 pulses/m3: 333.3 litres per pulse
    assert value(twin, GAS) == DoubleLongUnsigned(333)
    p.pulses(2, 2)
    assert value(twin, GAS) == DoubleLongUnsigned(1000)  # exact: no rounding carried
    assert p.inputs.litres(2) == Fraction(1000)
    assert value(twin, WATER) == DoubleLongUnsigned(250)


def test_pulses_at_a_later_instant_count_then_and_lp2_captures_them() -> None:
    twin, time, p = twin_at()
    p.pulses(1, 40, START + dt.timedelta(hours=5))
    p.pulses(2, 7, START + dt.timedelta(days=1, hours=5))
    assert value(twin, WATER) == DoubleLongUnsigned(0)
    step(twin, time, 6 * 3600)
    assert value(twin, WATER) == DoubleLongUnsigned(40)
    step(twin, time, 2 * 86_400)
    lp2 = twin.device.find(LP2)
    assert isinstance(lp2, ProfileGeneric)
    assert [(r[4], r[5]) for r in lp2.rows][-2:] == [(40, 0), (40, 7)]


def test_a_dlms_reset_of_the_register_is_respected() -> None:
    twin, _, p = twin_at()
    p.pulses(1, 90)
    assert view(twin).action(3, WATER, 1, Integer(0)) == (ActionResult.SUCCESS, None)
    p.pulses(1, 10)
    assert value(twin, WATER) == DoubleLongUnsigned(10)


def test_bad_inputs_are_refused() -> None:
    _, _, p = twin_at()
    with pytest.raises(ValueError, match="P1 and P2"):
        p.pulses(3, 1)
    with pytest.raises(ValueError, match="not negative"):
        p.pulses(1, -1)


# -- tamper and P3 -------------------------------------------------------------------------


def test_cover_openings_and_the_alarm_input_are_logged_at_their_instants() -> None:
    twin, time, p = twin_at()
    main, terminal = START + dt.timedelta(minutes=10), START + dt.timedelta(minutes=25)
    p.open_cover("main", main)
    p.open_cover("terminal", terminal)
    p.alarm_input(START + dt.timedelta(minutes=40))
    step(twin, time, 3600)
    found = [e for e in log(twin) if e[1] in (0x8010, 0x8011, 0x8034)]
    assert found == [
        (main, EventCode.METER_COVER_OPENED),
        (terminal, EventCode.TERMINAL_COVER_OPENED),
        (START + dt.timedelta(minutes=40), EventCode.ALARM_INPUT),
    ]
    assert p.covers.open[Cover.MAIN] and p.covers.open[Cover.TERMINAL]
    assert p.lcd_state().covers_open == (True, True)
    p.open_cover("main")  # already open: no second event
    p.close_cover("main")
    p.open_cover("main")
    assert [c for _, c in log(twin)].count(EventCode.METER_COVER_OPENED) == 2
    assert view(twin).get(1, Obis.parse("0.0.96.11.0.255"), 2) == LongUnsigned(0x8010)


# -- push ----------------------------------------------------------------------------------


def test_no_destination_no_push() -> None:
    sent: list[PushMessage] = []
    twin, time, p = twin_at(sent)
    p.open_cover("terminal")
    step(twin, time, 60)
    assert sent == [] and p.push.drain() == []


def test_a_cover_opening_is_pushed_as_a_data_notification() -> None:
    sent: list[PushMessage] = []
    twin, time, p = twin_at(sent)
    with_destination(twin)
    at = START + dt.timedelta(minutes=3)
    p.open_cover("main", at)
    step(twin, time, 600)
    assert len(sent) == 1 and p.push.drain() == sent
    message = sent[0]
    assert (message.destination, message.client_sap, message.event) == (DESTINATION, 1, 0x8010)
    apdu = DataNotification.from_bytes(message.apdu)
    assert apdu.to_bytes() == message.apdu
    assert apdu.cosem_date_time is not None and apdu.cosem_date_time.to_datetime() == at
    assert apdu.long_invoke_id_and_priority.long_invoke_id == 1
    name = twin.device.find(Obis.parse("0.0.42.0.0.255"))
    assert name is not None
    assert apdu.notification_body == Structure((
        OctetString(PUSH.to_bytes()), name.get(2), OctetString(apdu.date_time or b""),
        LongUnsigned(0x8010),
    ))  # fmt: skip
    peer = PeerNotification.from_bytes(message.apdu)  # an independent decoder agrees
    assert peer.long_invoke_id_and_priority.long_invoke_id == 1
    assert peer.body == encode(apdu.notification_body)
    assert decode(peer.body) == apdu.notification_body


def test_power_failure_and_return_are_pushed_once_each() -> None:
    sent: list[PushMessage] = []
    twin, time, _ = twin_at(sent)
    with_destination(twin)
    begin = int(twin.true_t.timestamp()) + 120
    twin.inject(Disturbance(begin, begin + 600, None, DisturbanceKind.POWER_FAILURE))
    step(twin, time, 300)
    step(twin, time, 900)
    assert [m.event for m in sent] == [EventCode.POWER_FAILURE, EventCode.POWER_RETURNED]
    assert [m.apdu[1:5] for m in sent] == [
        bytes.fromhex("00 00 00 01"),
        bytes.fromhex("00 00 00 02"),
    ]


def test_the_push_method_sends_the_list_now() -> None:
    twin, _, p = twin_at()
    assert view(twin).action(40, PUSH, 1, Integer(0))[0] is ActionResult.OTHER_REASON  # no dest.
    with_destination(twin)
    assert view(twin).action(40, PUSH, 1, Integer(0)) == (ActionResult.SUCCESS, None)
    (message,) = p.push.drain()
    assert message.event is None
    apdu = DataNotification.from_bytes(message.apdu)
    body = apdu.notification_body
    assert isinstance(body, tuple) and body[3] == LongUnsigned(0)  # no event logged yet
