"""The network file of ``openamr gsm modem``: the head-end's modem, and the meters it
can reach with where their twins are served (docs/gsm.md)::

    [modem]                          # the head-end's modem (a modem pool's line)
    msisdn = "+38640100200"          # its SIM's number: the caller ID meters see
    bit_rate = 9600                  # of every CSD call

    [network]                        # optional
    setup_s = 2.0                    # from ATD to the first ring
    handshake_s = 3.0                # from the answer to CONNECT
    no_answer_s = 60.0               # ringing unanswered until NO ANSWER
    speed = 1.0                      # the network's clock against true time (tests)

    [[meter]]
    sim = 1                          # Sim.derive(1): +38640000001; or iccid, imsi, msisdn
    csd = "127.0.0.1:4061"           # the twin's HDLC port: a CSD call is carried there
    gprs = "127.0.0.1:4059"          # the twin's wrapper port, reached after a wake-up
    whitelist = ["+38640100200"]     # answered by CSD (empty: everyone, Blue Book 4.8.2)
    wake_up = ["+38640100200"]       # an SMS or call from these wakes the meter
    rings = 2                        # rings before the answer
    gsm_mode = 0                     # 0: GSM, GPRS only after a wake-up; 2: always GPRS
    session_s = 300                  # GPRS session without data (TCP-UDP inactivity)
    inactivity_s = 120               # CSD call without data (HDLC inactivity)
    signal = 20                      # +CSQ of the meter's modem
    auto_connect = 104               # Auto connect mode (class 29): 103/104 and an IP
    destinations = ["127.0.0.1:4100"]  # destination: after a wake-up the meter connects
    repetitions = 3                  # rounds after a failed one, repetition_delay_s apart
    repetition_delay_s = 60

A whitelisted number may also send wake-ups (Blue Book 4.8.2: an SMS from an allowed
caller wakes the meter). Errors name the meter and the field, and say what to write.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openamr.cosem.classes.auto_answer import CallType
from openamr.cosem.classes.auto_connect import AutoConnectMode
from openamr.gsm.gprs import ip_destination
from openamr.gsm.modem import AutoAnswerSettings, AutoConnectSettings, GsmMode, MeterModem
from openamr.gsm.network import HANDSHAKE_S, NO_ANSWER_S, SETUP_S
from openamr.gsm.sim import Sim, normalise_number

Endpoint = tuple[str, int]


class NetworkFileError(ValueError):
    """A network file we cannot use; the message says where and what to write."""


@dataclass(frozen=True, slots=True)
class MeterLine:
    """One meter of the network file: its SIM and settings, and where its twin is."""

    sim: Sim
    csd: Endpoint | None = None
    gprs: Endpoint | None = None
    whitelist: tuple[str, ...] = ()
    wake_up: tuple[str, ...] = ()
    rings: int = 2
    gsm_mode: int = GsmMode.GSM
    session_s: float = 300.0
    inactivity_s: float = 120.0
    signal: int = 20
    auto_connect: int = AutoConnectMode.CONNECTED_ON_CONNECT
    destinations: tuple[str, ...] = ()
    repetitions: int = 3
    repetition_delay_s: float = 60.0

    def modem(self, now: float, gate: Endpoint | None = None) -> MeterModem:
        """The meter's modem, registered, its GPRS address ``gate`` (the GPRS gate
        that relays to ``gprs`` while the meter is attached)."""
        m = MeterModem(self.sim, now, registered=True, signal_csq=self.signal,
                       endpoint=gate or self.gprs or ("0.0.0.0", 0))  # fmt: skip
        callers = [(n, CallType.NORMAL_CSD) for n in self.whitelist]
        callers += [(n, CallType.WAKE_UP) for n in self.wake_up if n not in self.whitelist]
        m.auto_answer = AutoAnswerSettings(rings_in_window=self.rings,
                                           allowed_callers=tuple(callers))  # fmt: skip
        m.auto_connect = AutoConnectSettings(self.auto_connect, self.repetitions,
                                             self.repetition_delay_s,
                                             destinations=self.destinations)  # fmt: skip
        m.gsm_mode = GsmMode(self.gsm_mode)
        m.session_timeout_s = self.session_s
        m.inactivity_timeout_s = self.inactivity_s
        return m


HEAD_END_MSISDN = "+38640100200"


@dataclass(frozen=True, slots=True)
class NetworkFile:
    msisdn: str = HEAD_END_MSISDN
    bit_rate: int = 9600
    meters: tuple[MeterLine, ...] = field(default_factory=tuple)
    speed: float = 1.0  # [network]: the network's clock against true time
    setup_s: float = SETUP_S  # from ATD to the first ring
    handshake_s: float = HANDSHAKE_S  # from the answer to CONNECT
    no_answer_s: float = NO_ANSWER_S  # the caller's wait for an answer


def parse_endpoint(text: str, where: str) -> Endpoint:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise NetworkFileError(f"{where}: {text!r}; write HOST:PORT, e.g. 127.0.0.1:4061")
    return host.strip("[]"), int(port)


def read_network_file(path: str | Path) -> NetworkFile:
    try:
        raw = tomllib.loads(Path(path).read_text())
    except OSError as e:
        raise NetworkFileError(f"{path}: {e.strerror or e}; give the network file") from None
    except tomllib.TOMLDecodeError as e:
        raise NetworkFileError(f"{path}: not TOML ({e})") from None
    return parse_network(raw, str(path))


def parse_network(raw: dict[str, Any], name: str = "network") -> NetworkFile:
    modem = raw.get("modem", {})
    meters = raw.get("meter", [])
    if not isinstance(modem, dict) or not isinstance(meters, list):
        raise NetworkFileError(f"{name}: write one [modem] table and [[meter]] tables")
    msisdn = normalise_number(str(modem.get("msisdn", HEAD_END_MSISDN)))
    bit_rate = modem.get("bit_rate", 9600)
    if not isinstance(bit_rate, int) or bit_rate <= 0:
        raise NetworkFileError(f"{name}: [modem] bit_rate {bit_rate!r}; a positive number")
    net = raw.get("network", {})
    try:
        speed = float(net.get("speed", 1.0))
        setup_s = float(net.get("setup_s", SETUP_S))
        handshake_s = float(net.get("handshake_s", HANDSHAKE_S))
        no_answer_s = float(net.get("no_answer_s", NO_ANSWER_S))
    except (TypeError, ValueError, AttributeError) as e:
        raise NetworkFileError(f"{name}: [network] {e}; numbers of seconds") from None
    if speed <= 0 or min(setup_s, handshake_s, no_answer_s) < 0:
        raise NetworkFileError(
            f"{name}: [network] speed > 0; setup_s, handshake_s, no_answer_s >= 0"
        )
    lines = tuple(_meter(m, f"{name}: meter {i + 1}") for i, m in enumerate(meters))
    numbers = [line.sim.msisdn for line in lines]
    twice = {n for n in numbers if numbers.count(n) > 1}
    if twice:
        raise NetworkFileError(f"{name}: MSISDN {', '.join(sorted(twice))} given twice")
    return NetworkFile(msisdn, bit_rate, lines, speed, setup_s, handshake_s, no_answer_s)


def _meter(raw: object, where: str) -> MeterLine:
    if not isinstance(raw, dict):
        raise NetworkFileError(f"{where}: write it as a [[meter]] table")
    try:
        if "sim" in raw:
            sim = Sim.derive(int(raw["sim"]))
        else:
            sim = Sim(str(raw["iccid"]), str(raw["imsi"]), str(raw["msisdn"]))
    except KeyError as e:
        raise NetworkFileError(f"{where}: give sim = N, or iccid, imsi and msisdn ({e})") from None
    except (ValueError, TypeError) as e:
        raise NetworkFileError(f"{where}: {e}") from None
    csd = parse_endpoint(str(raw["csd"]), f"{where} csd") if "csd" in raw else None
    gprs = parse_endpoint(str(raw["gprs"]), f"{where} gprs") if "gprs" in raw else None
    destinations = raw.get("destinations", [])
    if not isinstance(destinations, list) or not all(
        ip_destination(str(d)) or normalise_number(str(d)).lstrip("+").isdigit()
        for d in destinations
    ):
        raise NetworkFileError(
            f"{where}: destinations {destinations!r}; a list of HOST:PORT (the head-end's "
            "listener) or phone numbers"
        )
    try:
        return MeterLine(
            sim, csd, gprs,
            tuple(normalise_number(str(n)) for n in raw.get("whitelist", ())),
            tuple(normalise_number(str(n)) for n in raw.get("wake_up", ())),
            int(raw.get("rings", 2)), int(GsmMode(int(raw.get("gsm_mode", 0)))),
            float(raw.get("session_s", 300)), float(raw.get("inactivity_s", 120)),
            int(raw.get("signal", 20)), int(AutoConnectMode(int(raw.get("auto_connect", 104)))),
            tuple(str(d) for d in destinations), int(raw.get("repetitions", 3)),
            float(raw.get("repetition_delay_s", 60)),
        )  # fmt: skip
    except (ValueError, TypeError) as e:
        raise NetworkFileError(f"{where}: {e}; see docs/gsm.md for the fields") from None
