"""The GSM side of the MT372, sans-IO (issue 16; datasheet: "AMR communication -
GSM/GPRS", "SIM card exchange", "Modem comm. statuses"; docs/gsm-meter.md).

Four pieces, each driven by times passed in (``now``: float seconds on one clock
shared by everything that talks to the same network; the live adapters use true
time as POSIX seconds, tests a stepped clock). Nothing here does I/O or reads a
clock::

    sim.Sim              the identity on the card: ICCID, IMSI, MSISDN
    modem.MeterModem     the meter's modem: registration, signal, cell, auto answer
                         (class 28), auto connect (class 29), the Mx372 GSM mode and
                         call restriction, the inactivity timeouts, SIM hot swap
    network.GsmNetwork   the simulated network: subscribers by MSISDN/IMSI, CSD
                         calls with the modem result codes, SMS with delivery delay,
                         the address lookup standing in for RADIUS, faults by cell
    line.CsdLine         a paced byte pipe: 9600 bit/s, 10 bits per octet

The meter side (:mod:`openamr.meter.peripherals.modem`) maps the COSEM objects to
and from a :class:`MeterModem`; the head-end's side (a virtual AT modem) dials
through a :class:`GsmNetwork`.
"""

from __future__ import annotations

from openamr.gsm.line import CsdLine
from openamr.gsm.modem import (
    AutoAnswerSettings,
    AutoConnectSettings,
    CallOffer,
    CallOutcome,
    GsmMode,
    MeterModem,
    ModemEvent,
    ModemEventKind,
    WakeUp,
)
from openamr.gsm.network import Call, CallState, GsmNetwork, Sms, SmsState
from openamr.gsm.sim import Sim

__all__ = [
    "AutoAnswerSettings",
    "AutoConnectSettings",
    "Call",
    "CallOffer",
    "CallOutcome",
    "CallState",
    "CsdLine",
    "GsmMode",
    "GsmNetwork",
    "MeterModem",
    "ModemEvent",
    "ModemEventKind",
    "Sim",
    "Sms",
    "SmsState",
    "WakeUp",
]
