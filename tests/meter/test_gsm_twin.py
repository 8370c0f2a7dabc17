"""The twin's GSM side on a stepped clock (issue 16): its modem on a simulated network,
the whitelist and rings of its Auto answer object, GSM mode written 0 waking it, an SMS
wake-up and the GPRS window, the LCD's indicators, the SIM hot swap in the log-book and
in the objects a client reads over DLMS (a real socket)."""

from __future__ import annotations

import datetime as dt

from openamr.codec.obis import Obis
from openamr.codec.types import Array, Enum, LongUnsigned, OctetString, Structure, Unsigned
from openamr.cosem import READ_WRITE, AccessPolicy, AssociationView
from openamr.cosem.classes.auto_answer import CallType
from openamr.cosem.classes.gsm_diagnostic import CsAttachment, GsmStatus
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.devices.mt372 import objects as mt372
from openamr.devices.mt372.events import EventCode
from openamr.gsm import CallState, GsmNetwork, Sim, SmsState
from openamr.gsm.modem import ATTACH_S, RING_S
from openamr.meter.assembly import TwinMeter
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import build_mt372

START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
HEAD_END, WAKER = mt372.HEAD_END_CSD_NUMBER, mt372.HEAD_END_WAKE_UP_NUMBER
STRANGER = "+38641999999"
LOG = Obis.parse("1.0.99.98.0.255")


class Bench:
    """One twin, its clock and a network it is registered on."""

    def __init__(self) -> None:
        self.time = SteppedTime(START)
        self.meter: TwinMeter = build_mt372("20261234", time_base=self.time)
        self.modem = self.meter.peripherals.modem
        self.network = GsmNetwork()
        self.network.register(self.modem.gsm)
        self.step(self.modem.search_s)  # registered

    def step(self, seconds: float) -> float:
        self.time.step(seconds)
        self.meter.twin.advance()
        return self.modem.now()

    def view(self) -> AssociationView:
        return AssociationView(self.meter.twin.device, AccessPolicy(default=READ_WRITE))

    @property
    def number(self) -> str:
        sim = self.modem.gsm.sim
        assert sim is not None
        return sim.msisdn

    def log_codes(self) -> list[int]:
        log = self.meter.twin.device.find(LOG)
        assert isinstance(log, ProfileGeneric)
        return [int(row[1]) for row in log.rows]


def test_a_caller_not_on_the_whitelist_is_never_answered() -> None:
    b = Bench()
    call = b.network.dial(STRANGER, b.number, b.modem.now())
    for _ in range(11):  # 55 s of rings
        now = b.step(5)
        assert call.poll(now) in (CallState.DIALLING, CallState.RINGING)
    assert call.poll(b.step(5)) is CallState.NO_ANSWER
    assert call.result_code == "NO ANSWER" and "whitelist" in call.reason


def test_the_head_end_is_answered_after_the_rings_the_object_says() -> None:
    b = Bench()
    t0 = b.modem.now()
    call = b.network.dial(HEAD_END, b.number, t0)
    answer = t0 + b.network.setup_s + 2 * RING_S  # the factory's 2 rings
    assert call.poll(answer + b.network.handshake_s) is CallState.CONNECTED
    assert call.result_code == "CONNECT 9600"
    b.step(answer + b.network.handshake_s - t0)
    assert b.view().get(47, mt372.GSM_DIAGNOSTIC.obis, 4) == Enum(CsAttachment.ACTIVE)
    lcd = b.meter.peripherals.lcd_state()
    assert lcd.communication and lcd.registered and lcd.signal == b.modem.gsm.bars
    b.network.hang_up(call, b.modem.now())
    # five rings now, written over DLMS; the comm speed 2400 baud slows the line
    rings = Structure((Unsigned(5), Unsigned(5)))
    assert b.view().set(28, mt372.AUTO_ANSWER.obis, 6, rings).name == "SUCCESS"
    assert b.view().set(27, mt372.MODEM_CONFIGURATION.obis, 2, Enum(3)).name == "SUCCESS"
    t1 = b.step(60)
    again = b.network.dial(HEAD_END, b.number, t1)
    answer = t1 + b.network.setup_s + 5 * RING_S
    assert again.poll(answer - 0.1) is CallState.RINGING
    assert again.poll(answer + b.network.handshake_s) is CallState.CONNECTED
    assert again.result_code == "CONNECT 2400"


def test_a_written_whitelist_and_the_call_restriction_govern_calls() -> None:
    b = Bench()
    only = Array([Structure((OctetString(STRANGER.encode()), Enum(CallType.NORMAL_CSD)))])
    assert b.view().set(28, mt372.AUTO_ANSWER.obis, 7, only).name == "SUCCESS"
    assert b.modem.gsm.incoming_call(HEAD_END, b.modem.now()).answer_at is None
    # the Mx372 way: destination 0 of the auto-connect list, flagged for CSD
    dests = Array([OctetString(b"+38640555000")])
    assert b.view().set(29, mt372.AUTO_CONNECT.obis, 6, dests).name == "SUCCESS"
    assert b.modem.gsm.incoming_call("+38640555000", b.modem.now()).answer_at is None
    assert b.view().set(1, mt372.CSD_FLAGS.obis, 2, Unsigned(1)).name == "SUCCESS"
    assert b.modem.gsm.incoming_call("+38640555000", b.modem.now()).answer_at is not None


def test_gsm_mode_written_0_wakes_it_for_the_session() -> None:
    b = Bench()
    assert b.network.lookup_address(b.number, b.modem.now()) == ("127.0.0.1", 4059)  # GPRS
    assert b.view().set(41, mt372.TCP_UDP.obis, 6, LongUnsigned(60)).name == "SUCCESS"
    assert b.view().set(1, mt372.GSM_MODE.obis, 2, Enum(0)).name == "SUCCESS"
    assert b.view().get(1, mt372.GSM_MODE.obis, 2) == Enum(0)
    now = b.modem.now()
    assert b.network.lookup_address(b.number, now) is None  # attaching
    assert b.network.lookup_address(b.number, now + ATTACH_S) == ("127.0.0.1", 4059)
    assert b.network.lookup_address(b.number, now + ATTACH_S + 60) is None
    assert b.view().set(1, mt372.GSM_MODE.obis, 2, Enum(3)).name == "OTHER_REASON"


def test_an_sms_wakes_it_within_the_window_and_not_after() -> None:
    b = Bench()
    assert b.view().set(41, mt372.TCP_UDP.obis, 6, LongUnsigned(120)).name == "SUCCESS"
    b.modem.gsm.gsm_mode = 0  # CSD and wake-up only (a fleet's "wakeup" meters)
    t0 = b.step(1)
    assert b.network.lookup_address(b.number, t0) is None
    sms = b.network.send_sms(HEAD_END, b.number, "wake", t0)
    b.network.tick(b.step(b.network.sms_delay_s))
    assert sms.state is SmsState.DELIVERED and sms.wake_up is not None
    up = sms.wake_up.attach_at
    b.step(up - b.modem.now())
    assert b.network.lookup_address(b.number) == ("127.0.0.1", 4059)
    assert b.view().get(47, mt372.GSM_DIAGNOSTIC.obis, 5) == Enum(1)  # PS: GPRS
    b.step(120)
    assert b.network.lookup_address(b.number) is None
    assert b.view().get(47, mt372.GSM_DIAGNOSTIC.obis, 5) == Enum(0)


def test_a_sim_swap_is_logged_and_changes_the_identity() -> None:
    b = Bench()
    old = b.modem.gsm.sim
    new = Sim.derive(4242, generation=1)
    assert b.meter.peripherals.insert_sim(new) == old
    assert b.view().get(1, mt372.ICCID.obis, 2) == OctetString(new.iccid.encode())
    assert b.view().get(47, mt372.GSM_DIAGNOSTIC.obis, 3) == Enum(GsmStatus.SEARCHING)
    assert b.log_codes()[-2:] == [EventCode.SIM_REMOVED, EventCode.SIM_INSERTED]
    assert b.network.find(new.msisdn) is b.modem.gsm and old is not None
    assert b.network.find(old.msisdn) is None
    b.step(b.modem.search_s)
    assert b.view().get(47, mt372.GSM_DIAGNOSTIC.obis, 3) == Enum(GsmStatus.REGISTERED_HOME)
    assert b.meter.peripherals.remove_sim() == new
    assert b.view().get(1, mt372.MSISDN.obis, 2) == OctetString(b"")
    assert not b.meter.peripherals.lcd_state().registered


async def test_the_identity_read_over_dlms_changes_with_the_card() -> None:
    from openamr.aio.serve import Listeners, serve_twin
    from openamr.client.meter import connect

    b = Bench()
    served = await serve_twin(b.meter, Listeners(port=0, transport="wrapper"))
    assert served.dlms is not None
    port = served.dlms.sockets[0].getsockname()[1]
    card = Sim.derive(77, generation=2)
    lls = {"client": 32, "auth": "low", "password": "12345678", "environ": {}}
    try:
        async with connect(f"tcp://127.0.0.1:{port}", timeout=3, **lls) as meter:
            before = await meter.get(str(mt372.ICCID.obis))
            b.meter.peripherals.insert_sim(card)
            after = await meter.get(str(mt372.ICCID.obis))
            imsi = await meter.get(str(mt372.IMSI.obis))
            msisdn = await meter.get(str(mt372.MSISDN.obis))
    finally:
        await served.close()
    assert before != after == card.iccid.encode()
    assert (imsi, msisdn) == (card.imsi.encode(), card.msisdn.encode())


def test_the_card_stays_in_the_meter_over_a_restart(tmp_path: object) -> None:
    from pathlib import Path

    from openamr.meter.state import StateStore

    path = Path(str(tmp_path)) / "meter.db"
    time = SteppedTime(START)
    store = StateStore.open(path)
    meter = build_mt372("20261234", time_base=time, state=store)
    card = Sim.derive(99, generation=3)
    meter.peripherals.insert_sim(card)
    meter.twin.checkpoint()
    store.close()
    store = StateStore.open(path)
    again = build_mt372("20261234", time_base=time, state=store)
    assert again.peripherals.modem.gsm.sim == card
    store.close()


def test_the_reach_settings_of_a_csd_meter_and_a_wake_up_meter() -> None:
    from openamr.meter.mt372 import FleetSite
    from openamr.meter.peripherals import ModemSite, Reach

    def built(reach: Reach) -> Bench:
        b = Bench.__new__(Bench)
        b.time = SteppedTime(START)
        site = FleetSite(modem=ModemSite(reach=reach))
        b.meter = build_mt372("20261234", time_base=b.time, fleet=site)
        b.modem = b.meter.peripherals.modem
        b.network = GsmNetwork()
        b.network.register(b.modem.gsm)
        b.step(b.modem.search_s)
        return b

    csd = built(Reach.CSD)
    assert csd.view().get(29, mt372.AUTO_CONNECT.obis, 2) == Enum(0)
    assert csd.network.lookup_address(csd.number, csd.modem.now()) is None
    sms = csd.network.send_sms(HEAD_END, csd.number, "", csd.modem.now())
    csd.network.tick(csd.step(10))
    assert sms.state is SmsState.DELIVERED and sms.wake_up is None  # no auto connect
    call = csd.network.dial(HEAD_END, csd.number, csd.modem.now())
    assert call.poll(csd.modem.now() + 30) is CallState.CONNECTED
    wake = built(Reach.WAKE_UP)
    call = wake.network.dial(HEAD_END, wake.number, wake.modem.now())
    assert call.poll(wake.modem.now() + 30) is CallState.BUSY and call.wake_up is not None
    assert wake.network.lookup_address(wake.number, call.wake_up.attach_at) is not None


def test_the_control_endpoint_swaps_the_card() -> None:
    import json

    from openamr.meter.control import Control

    b = Bench()
    control = Control.of(b.meter)
    before = b.modem.gsm.sim
    assert before is not None
    status, body, _ = control.answer("POST", "/sim", b'{"action": "swap"}')
    assert status == 200, body
    assert isinstance(body, dict) and body["removed"]["iccid"] == before.iccid
    gsm = body["peripherals"]["gsm"]
    assert gsm["sim"]["iccid"] == before.next().iccid and gsm["status"] == "searching"
    status, body, _ = control.answer("POST", "/sim", b'{"action": "insert"}')
    assert status == 409 and "remove it first" in str(body)
    status, body, _ = control.answer("POST", "/sim", b'{"action": "remove"}')
    assert status == 200 and body["peripherals"]["gsm"]["sim"] is None  # type: ignore[index]
    card = Sim.derive(5, generation=4)
    given = {"action": "insert", "iccid": card.iccid, "imsi": card.imsi, "msisdn": card.msisdn}
    status, body, _ = control.answer("POST", "/sim", json.dumps(given).encode())
    assert status == 200 and body["peripherals"]["gsm"]["sim"]["imsi"] == card.imsi  # type: ignore[index]
    bad = {**given, "action": "swap", "iccid": "1234"}
    status, body, _ = control.answer("POST", "/sim", json.dumps(bad).encode())
    assert status == 400 and "19 or 20 digits" in str(body)
    status, body, _ = control.answer("POST", "/sim", b'{"action": "eject"}')
    assert status == 400 and "swap" in str(body)
    status, body, _ = control.answer("GET", "/events")
    names = [e["name"] for e in body["events"]]  # type: ignore[index]
    assert names[-4:] == ["SIM card removed", "SIM card inserted", "SIM card removed",
                          "SIM card inserted"]  # fmt: skip


def test_the_adapters_clock_runs_ahead_of_a_lazy_twin() -> None:
    b = Bench()
    b.time.step(30)  # the twin has not advanced
    assert b.modem.true_now() == b.modem.now() + 30
    call = b.network.dial(HEAD_END, b.number, b.modem.true_now())
    assert call.poll(b.modem.true_now() + 20) is CallState.CONNECTED
    b.meter.twin.advance()  # the twin catches up: its publish does not move the modem back
    assert b.modem.gsm.cs_attachment() == CsAttachment.ACTIVE
