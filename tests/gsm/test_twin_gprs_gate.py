"""A single twin's TCP port is its GPRS address (issue 16; docs/gsm-meter.md): it
answers only while the twin's own modem is attached to GPRS, as its objects decide
(the Mx372 GSM mode 0.0.128.20.10.255, Auto connect class 29), and while a SIM card
is in. Real sockets, the twin in process on a stepped clock:

* a wake-up meter (``meter serve --reach wakeup``) refuses TCP until an SMS from a
  whitelisted number wakes it, answers inside the GPRS session, refuses after it;
* a meter on the default (GSM mode 2, always attached) answers at once, refuses with
  its card pulled and answers again once one is in;
* GSM mode written 0 over DLMS: the wake-up's session, then no more TCP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from openamr.aio.serve import Listeners, ServedTwin, serve_twin
from openamr.client.errors import MeterError
from openamr.client.meter import connect
from openamr.codec.types import Enum
from openamr.devices.mt372.objects import GSM_MODE, HEAD_END_CSD_NUMBER
from openamr.gsm.modem_types import ATTACH_S, DEFAULT_SESSION_S
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import FleetSite, build_mt372
from openamr.meter.peripherals import ModemSite, Reach
from openamr.security.keys import KeySet

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
SERIAL_OBIS = "0.0.96.1.0.255"


@dataclass
class Gated:
    served: ServedTwin
    time: SteppedTime

    @property
    def url(self) -> str:
        address = self.served.dlms_address
        assert address is not None
        return "tcp://{}:{}".format(*address)

    async def answers(self) -> bool:
        try:
            async with connect(self.url, 32, "low", password=b"12345678", environ={},
                               timeout=5, retries=0) as meter:  # fmt: skip
                assert await meter.get(SERIAL_OBIS, 2, class_id=1) is not None
                return True
        except MeterError:
            return False


async def _gated(reach: Reach) -> AsyncIterator[Gated]:
    time = SteppedTime(START)
    meter = build_mt372("30000077", time_base=time, history_days=1,
                        fleet=FleetSite(modem=ModemSite(reach=reach)))  # fmt: skip
    served = await serve_twin(meter, Listeners(port=0, gprs_gate=True))
    try:
        yield Gated(served, time)
    finally:
        await served.close()


@pytest.fixture
async def wakeup_twin() -> AsyncIterator[Gated]:
    async for gated in _gated(Reach.WAKE_UP):
        yield gated


@pytest.fixture
async def tcp_twin() -> AsyncIterator[Gated]:
    async for gated in _gated(Reach.TCP):
        yield gated


async def test_a_wakeup_meter_answers_tcp_only_inside_the_session_an_sms_opened(
    wakeup_twin: Gated,
) -> None:
    twin, modem = wakeup_twin, wakeup_twin.served.meter.peripherals.modem
    assert not await twin.answers()
    assert modem.gprs_refusal() == "not attached to GPRS (wake it up first: SMS or call)"
    assert modem.gsm.incoming_sms("+38699999999", "wake up", modem.true_now()) is None
    assert not await twin.answers()  # a sender not on the whitelist wakes nothing
    wake = modem.gsm.incoming_sms(HEAD_END_CSD_NUMBER, "wake up", modem.true_now())
    assert wake is not None
    twin.time.step(ATTACH_S)
    assert await twin.answers()
    twin.time.step(DEFAULT_SESSION_S + 1)
    assert not await twin.answers()


async def test_a_meter_always_attached_is_refused_with_its_card_pulled(tcp_twin: Gated) -> None:
    twin, modem = tcp_twin, tcp_twin.served.meter.peripherals.modem
    assert await twin.answers()
    card = modem.gsm.remove_sim(modem.true_now())
    assert card is not None
    assert modem.gprs_refusal() == "no SIM card"
    assert not await twin.answers()
    modem.gsm.insert_sim(card, modem.true_now())
    assert await twin.answers()


async def test_gsm_mode_written_0_leaves_gprs_after_the_wake_ups_session(tcp_twin: Gated) -> None:
    twin = tcp_twin
    keys = KeySet(DEFAULT_EK, DEFAULT_AK)  # the settings are written by the HLS client
    async with connect(twin.url, 1, "high", keys=keys, environ={}, timeout=5) as meter:
        await meter.set(GSM_MODE.obis, Enum(0), 2, class_id=1)
    twin.time.step(ATTACH_S)
    assert await twin.answers()  # writing 0 wakes it: the session of a wake-up
    twin.time.step(DEFAULT_SESSION_S + 1)
    assert not await twin.answers()
