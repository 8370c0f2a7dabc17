"""A fleet's wake-up meters call the head-end back (issue 16): ``[network] call_back``
puts the head-end's listener in their Auto connect destination list (mode 104), so
after the SMS each connects there once attached, and the head-end collects it over
that connection (end to end: tests/headend/test_gsm_fleet_call_back.py)."""

from __future__ import annotations

import pytest

from openamr.codec.types import Array
from openamr.devices.mt372 import objects as mt372
from openamr.fleet.config import ConfigError, Network, parse
from openamr.gsm.gprs import dial_at
from openamr.meter.clock import SteppedTime
from tests.fleet.conftest import START, fleet_on, small

KEK = bytes(range(32))
SPEED = 10.0


def test_call_back_is_a_host_and_port() -> None:
    assert parse('[network]\nwakeup = 1.0\ncall_back = "127.0.0.1:4100"\n').network.call_back
    with pytest.raises(ConfigError, match="call_back"):
        parse('[network]\ncall_back = "+38640100200"\n')


def test_a_wake_up_meter_plans_its_call_back() -> None:
    base = SteppedTime(START)
    net = Network(wakeup=1.0, call_back="127.0.0.1:4100")
    fleet = fleet_on(small(1, network=net), base)
    connect = fleet.app(0).device.find(mt372.AUTO_CONNECT.obis)
    assert connect is not None and connect.get(6) == Array([b"127.0.0.1:4100"])
    planned: list[object] = []
    fleet.network.on_dial = planned.append
    base.step(200)
    fleet.network.send_sms(mt372.HEAD_END_CSD_NUMBER, fleet.meter(0).msisdn, "wake",
                           fleet.gsm_now())  # fmt: skip
    base.step(3)
    fleet.network.tick(fleet.gsm_now())
    modem = fleet.reach(0).peripherals.modem.gsm
    assert planned == [modem] and dial_at(modem) is not None
