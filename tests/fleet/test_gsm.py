"""The fleet's GSM side (issue 16) on a stepped clock: each meter's card and reach,
its network that wakes a hibernated twin for a call, CSD-only and wake-up-only meters
(refused on TCP until woken), the SIM swap on the control endpoint, the faults (no
network, busy lines) as the modem sees them."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from openamr.codec.types import OctetString
from openamr.devices.mt372 import objects as mt372
from openamr.fleet.config import ConfigError, Network, parse
from openamr.fleet.control import FleetControl
from openamr.fleet.faults import FaultModel, FaultRates
from openamr.gsm import CallState, SmsState
from openamr.meter.clock import SteppedTime
from tests.fleet.conftest import START, fleet_on, small

HEAD_END = mt372.HEAD_END_CSD_NUMBER


def test_each_meter_has_its_card_its_cell_and_its_reach() -> None:
    config = small(40, network=Network(meters_per_cell=10, csd=0.25, wakeup=0.25))
    fleet = fleet_on(config, SteppedTime(START))
    reaches = [fleet.meter(i).reach for i in range(40)]
    assert {"tcp", "csd", "wakeup"} == set(reaches)
    assert reaches == [fleet_on(config, SteppedTime(START)).meter(i).reach for i in range(40)]
    modem = fleet.reach(3).peripherals.modem
    card = fleet.meter(3).sim
    assert modem.gsm.sim == card and modem.gsm.cell == str(fleet.meter(3).cell)
    obj = fleet.app(3).device.find(mt372.MSISDN.obis)
    assert obj is not None and obj.get(2) == OctetString(card.msisdn.encode())


def test_config_takes_the_reach_shares() -> None:
    net = parse("[network]\ncsd = 0.1\nwakeup = 0.2\n").network
    assert (net.csd, net.wakeup) == (0.1, 0.2)
    with pytest.raises(ConfigError, match="at most 1 together"):
        parse("[network]\ncsd = 0.7\nwakeup = 0.5\n")


def test_a_call_wakes_a_hibernated_twin_and_connects() -> None:
    base = SteppedTime(START)
    fleet = fleet_on(small(3, network=Network(csd=1.0)), base)
    number = fleet.meter(1).msisdn
    assert fleet.awake == {}
    base.step(120)
    now = fleet.gsm_now()
    call = fleet.network.dial(HEAD_END, number, now)
    assert call.poll(now + 30) is CallState.CONNECTED and fleet.condition(1) == "awake"
    assert fleet.refusal(1) is not None and "CSD only" in str(fleet.refusal(1))
    fleet.network.hang_up(call, now + 31)
    assert fleet.hibernate(1) and fleet.network.find(number) is not None  # resolved again


def test_a_wake_up_meter_accepts_tcp_only_in_its_session() -> None:
    base = SteppedTime(START)
    fleet = fleet_on(small(2, network=Network(wakeup=1.0)), base)
    base.step(200)
    assert "wake it up" in str(fleet.refusal(0))
    sms = fleet.network.send_sms(HEAD_END, fleet.meter(0).msisdn, "wake", fleet.gsm_now())
    base.step(3)
    fleet.network.tick(fleet.gsm_now())
    assert sms.state is SmsState.DELIVERED and sms.wake_up is not None
    base.step(10)
    assert fleet.refusal(0) is None
    fleet.reach(1)
    assert not fleet.hibernate(0) and fleet.hibernate_idle(1e9, 0.0) == 1  # meter 1 sleeps
    assert fleet.condition(0) == "awake"  # its session is not in its memory: kept awake
    assert fleet.network.lookup_address(fleet.meter(0).imsi) == (fleet.meter(0).host, 4059)
    base.step(400)  # the TCP-UDP inactivity timeout (180 s) ran out
    assert "wake it up" in str(fleet.refusal(0))


def test_the_control_endpoint_swaps_a_meters_card() -> None:
    base = SteppedTime(START)
    fleet = fleet_on(small(2), base)
    control = FleetControl(fleet)
    serial, card = fleet.meter(1).serial, fleet.meter(1).sim
    status, body, _ = control.answer("POST", f"/meters/{serial}/sim", b'{"action": "swap"}')
    assert status == 200, body
    assert isinstance(body, dict) and body["removed"]["msisdn"] == card.msisdn
    new = card.next()
    assert body["peripherals"]["gsm"]["sim"]["iccid"] == new.iccid
    assert fleet.network.find(new.msisdn) is fleet.reach(1).peripherals.modem.gsm
    assert fleet.network.find(card.msisdn) is None  # the old number is out of service
    iccid = fleet.app(1).device.find(mt372.ICCID.obis)
    assert iccid is not None and iccid.get(2) == OctetString(new.iccid.encode())
    status, body, _ = control.answer("GET", f"/meters/{serial}/events")
    assert [e["name"] for e in body["events"]][-2:] == [  # type: ignore[index]
        "SIM card removed", "SIM card inserted",
    ]  # fmt: skip
    status, body, _ = control.answer("POST", "/meters/nope/sim", b'{"action": "swap"}')
    assert status == 404
    status, body, _ = control.answer("POST", f"/meters/{serial}/sim", b'{"what": 1}')
    assert status == 400
    _, listed, _ = control.answer("GET", "/meters")
    first = listed["meters"][0]  # type: ignore[index]
    assert (first["msisdn"], first["reach"]) == (fleet.meter(0).msisdn, "tcp")
    assert json.dumps(listed)


def test_the_card_survives_hibernation() -> None:
    base = SteppedTime(START)
    fleet = fleet_on(small(2), base)
    FleetControl(fleet).answer("POST", f"/meters/{fleet.meter(0).serial}/sim",
                               b'{"action": "swap"}')  # fmt: skip
    assert fleet.hibernate(0)
    base.step(60)
    assert fleet.reach(0).peripherals.modem.gsm.sim == fleet.meter(0).sim.next()
    assert fleet.network.find(fleet.meter(0).sim.next().msisdn) is not None


def test_faults_no_network_and_busy_lines() -> None:
    rates = replace(FaultRates.none(), offline=0.5, offline_hours=1.0, busy=0.5, busy_minutes=5)
    faults = FaultModel(rates, seed=3)
    t = START.timestamp()
    samples = [t + m * 600 for m in range(6 * 48)]
    offline = [faults.offline(0, x) for x in samples]
    assert any(offline) and not all(offline)
    for x, off in zip(samples, offline, strict=True):
        up = faults.network_up(0, x)
        if off:
            assert up is None
            continue
        assert up is not None and up <= x  # online since up, offline just before it
        assert up == -math.inf or faults.offline(0, up - 1)
        assert not any(faults.offline(0, y) for y in samples if up <= y <= x)
    busy = [faults.busy(0, t + m * 300) for m in range(48)]
    assert any(busy) and not all(busy)
    base = SteppedTime(START)
    fleet = fleet_on(small(1, faults=rates, history_days=0.0), base)
    seen: set[CallState] = set()
    for _ in range(48):
        base.step(300)
        now = fleet.gsm_now()
        call = fleet.network.dial(HEAD_END, fleet.meter(0).msisdn, now)
        state = call.poll(now + 30)
        seen.add(state)
        ring_at = now + fleet.network.setup_s
        if fleet.network_up(0, ring_at) is None:
            assert state is CallState.NO_CARRIER, call.reason
        elif fleet.faults.busy(0, ring_at) and fleet.reach(0).peripherals.modem.gsm.registered:
            assert state is CallState.BUSY, call.reason
        fleet.network.hang_up(call, now + 31)
    assert {CallState.NO_CARRIER, CallState.BUSY, CallState.CONNECTED} <= seen
    assert FaultRates.none().busy == 0.0
