"""The MT372's logical device: its object list (../shared/MT372.md section 2) with
the values of a meter fresh from the factory. Values are static here; the twin's
behaviour (issue 4) drives them from the simulated grid and clock.
"""

from __future__ import annotations

from collections.abc import Iterator

from openamr.codec.obis import Obis
from openamr.codec.types import (
    DoubleLong,
    DoubleLongUnsigned,
    Long,
    LongUnsigned,
    OctetString,
    Unsigned,
    VisibleString,
)
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem import LogicalDevice
from openamr.cosem.base import CosemObject
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.register import Register
from openamr.meter.associations import (
    HDLC_PHYSICAL_ADDRESS,
    SERVER_LOGICAL_ADDRESS,
    Credentials,
    install,
)
from openamr.meter.server import ServerApplication

FIRMWARE = "MT372-1004"
ENERGY = ScalerUnit(0, Unit.WATT_HOUR)  # registers count Wh; the LCD shows kWh


def _energy_registers() -> Iterator[CosemObject]:
    for c in (1, 2):  # A+, A-
        for rate in range(5):  # total, T1..T4
            yield Register(Obis(1, 0, c, 8, rate, 255), DoubleLongUnsigned(0), ENERGY)
    yield Register("1.0.15.8.0.255", DoubleLongUnsigned(0), ENERGY)  # |A|


def _instantaneous() -> Iterator[CosemObject]:
    volts, amps = ScalerUnit(-1, Unit.VOLT), ScalerUnit(-2, Unit.AMPERE)
    for c in (32, 52, 72):
        yield Register(Obis(1, 0, c, 7, 0, 255), LongUnsigned(2300), volts)
    for c in (31, 51, 71):
        yield Register(Obis(1, 0, c, 7, 0, 255), LongUnsigned(0), amps)
    watts = ScalerUnit(0, Unit.WATT)
    yield Register("1.0.1.7.0.255", DoubleLongUnsigned(0), watts)
    yield Register("1.0.2.7.0.255", DoubleLongUnsigned(0), watts)
    pf = ScalerUnit(-3, Unit.COUNT)
    for c in (13, 33, 53, 73):
        yield Register(Obis(1, 0, c, 7, 0, 255), Long(1000), pf)
    yield Register("1.0.14.7.0.255", LongUnsigned(5000), ScalerUnit(-2, Unit.HERTZ))


def _identification(serial: str) -> Iterator[CosemObject]:
    yield Data("0.0.42.0.0.255", OctetString(f"ISK{serial:0>13}".encode()))
    yield Data("0.0.96.1.0.255", VisibleString(serial))
    yield Data("0.0.96.2.0.255", LongUnsigned(0))  # configuration change counter
    yield Data("1.0.0.2.0.255", OctetString(FIRMWARE.encode()))
    yield Data("0.0.97.97.0.255", DoubleLongUnsigned(0))  # error register FF
    yield Data("1.0.96.240.0.255", Unsigned(0))  # LP status byte
    yield Data("0.0.96.11.0.255", LongUnsigned(0))  # last event code
    yield Data("0.0.96.14.0.255", Unsigned(1))  # active tariff
    yield Data("0.0.128.30.21.255", Unsigned(1))  # disconnector state: connected
    yield Data("0.0.128.30.22.255", Unsigned(1))  # disconnector control mode
    yield Data("0.0.43.1.0.255", DoubleLongUnsigned(0))  # invocation counter, client 1
    yield Data("0.0.128.61.1.255", DoubleLong(0))  # contract power limit


def build_mt372(
    serial: str = "12345678", credentials: Credentials | None = None
) -> ServerApplication:
    """The MT372 with its three associations, ready to be served."""
    device = LogicalDevice()
    for group in (_identification(serial), _energy_registers(), _instantaneous()):
        device.add(*group)
    configs = install(device, credentials or Credentials())
    return ServerApplication(device, configs, SERVER_LOGICAL_ADDRESS, HDLC_PHYSICAL_ADDRESS)
