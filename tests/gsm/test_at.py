"""The head-end's AT modem on a stepped clock, against the real simulated network:
the command set (V.250, TS 27.007, TS 27.005), dialling with its result codes, the
9600 bit/s data path, the +++ escape with its guard times, ATH, SMS wake-up."""

from __future__ import annotations

import pytest

from openamr.cosem.classes.auto_answer import CallType
from openamr.gsm import AutoAnswerSettings, GsmMode, GsmNetwork, MeterModem, Sim, SmsState
from openamr.gsm.at import AtModem, ModemIdentity, Offline, Online, State
from openamr.gsm.v250 import Reply, ReplyReader, Result

HEAD_END = "+38640100200"
STRANGER = "+38641999999"


class Dte:
    """The head-end's side of the serial line, on a stepped clock."""

    def __init__(self, modem: AtModem) -> None:
        self.modem, self.now = modem, 0.0
        self.events: list[object] = []

    def send(self, text: str | bytes) -> bytes:
        data = text.encode() if isinstance(text, str) else text
        self.events += self.modem.receive_data(data, self.now)
        return self.modem.data_to_send()

    def at(self, command: str) -> Reply:
        """One command line; its reply (complete at once unless it dials)."""
        reply = ReplyReader(prompt=True).feed(self.send(command + "\r"))
        assert reply is not None, f"no final result to {command!r}"
        return reply

    def run_until(self, until: float) -> bytes:
        """Let time pass, firing the modem's timers; what it sent meanwhile."""
        out = bytearray()
        while (timer := self.modem.get_timer()) is not None and timer <= until:
            self.now = max(self.now, timer)
            self.events += self.modem.handle_timer(self.now)
            out += self.modem.data_to_send()
        self.now = until
        self.events += self.modem.handle_timer(self.now)
        return bytes(out + self.modem.data_to_send())


def meter(network: GsmNetwork, n: int = 1, rings: int = 2) -> MeterModem:
    m = MeterModem(Sim.derive(n), 0.0, registered=True, endpoint=("127.0.0.1", 4059))
    m.auto_answer = AutoAnswerSettings(
        rings_in_window=rings, allowed_callers=((HEAD_END, CallType.NORMAL_CSD),)
    )
    m.gsm_mode = GsmMode.GSM
    network.register(m)
    return m


@pytest.fixture
def net() -> GsmNetwork:
    return GsmNetwork()


@pytest.fixture
def dte(net: GsmNetwork) -> Dte:
    return Dte(AtModem(net, ModemIdentity(HEAD_END)))


def state_of(dte: Dte) -> State:
    return dte.modem.state


def number(m: MeterModem) -> str:
    assert m.sim is not None
    return m.sim.msisdn


def test_the_init_commands_of_a_modem_driver(dte: Dte) -> None:
    assert dte.send("AT\r") == b"AT\r\r\nOK\r\n"  # echo on by default (ATE1)
    assert dte.send("ATE0\r") == b"ATE0\r\r\nOK\r\n"
    assert dte.send("AT\r") == b"\r\nOK\r\n"
    assert dte.at("AT+CPIN?").lines == ("+CPIN: READY",)
    assert dte.at("AT+CSQ").lines == ("+CSQ: 20,99",)
    assert dte.at("AT+CREG?").lines == ("+CREG: 0,1",)
    assert dte.at("AT+CREG=2;+CREG?").lines == ("+CREG: 2,1",)
    assert dte.at("AT+CGMI").lines == ("openamr",)
    assert dte.at("AT+CGSN").lines == ("356938035643809",)
    assert dte.at("AT+CBST=7,0,1;+CBST?").lines == ("+CBST: 7,0,1",)
    assert dte.at("ATS7=30S7?").lines == ("030",)
    assert dte.at("ATZ").result is Result.OK
    assert dte.send("AT\r") == b"AT\r\r\nOK\r\n"  # ATZ: echo back on


def test_numeric_results_quiet_errors_and_repeat(dte: Dte) -> None:
    dte.send("ATE0\r")
    assert dte.send("ATV0\r") == b"0\r"
    assert dte.send("ATX9\r") == b"4\r"  # out of range: ERROR
    assert dte.send("AT+NOPE\r") == b"4\r"
    assert dte.send("ATV1+CMEE=2\r") == b"\r\nOK\r\n"
    assert dte.at("AT+NOPE").error == "+CME ERROR: 4"
    assert dte.send("A/") == b"\r\n+CME ERROR: 4\r\n"  # repeats the last line
    assert dte.send("ATQ1\r") == b""
    assert dte.send("hello\r") == b""  # no AT: ignored
    assert dte.send("ATQ0\r") == b"\r\nOK\r\n"


def test_a_data_call_rings_connects_and_hangs_up(net: GsmNetwork, dte: Dte) -> None:
    m = meter(net, rings=2)
    dte.send("ATE0\r")
    assert dte.send(f"ATD{number(m)}\r") == b""
    assert state_of(dte) is State.DIALING
    # set-up, two rings of 5 s, the carrier handshake
    connect_at = net.setup_s + 2 * 5.0 + net.handshake_s
    assert dte.run_until(connect_at - 0.01) == b""
    assert dte.run_until(connect_at) == b"\r\nCONNECT 9600\r\n"
    assert isinstance(dte.events[-1], Online)
    # the DTE's bytes reach the meter at 9600 bit/s, 10 bits an octet
    call = dte.modem.call
    assert call is not None
    dte.now += 2.0
    dte.send(bytes(960))
    assert len(call.meter_receive(dte.now + 0.5)) == 480
    assert len(call.meter_receive(dte.now + 1.0)) == 480
    # and the meter's reach the DTE as they arrive, FIFO by FIFO
    call.meter_send(b"x" * 96, dte.now + 1.0)
    assert dte.run_until(dte.now + 1.05) == b"x" * 48
    assert dte.run_until(dte.now + 0.05) == b"x" * 48
    # +++ with the guard times, then ATH
    dte.now += 1.0
    assert dte.send("+++") == b""
    assert dte.run_until(dte.now + 0.99) == b""
    assert dte.run_until(dte.now + 0.01) == b"\r\nOK\r\n"
    assert state_of(dte) is State.ONLINE_COMMAND
    assert dte.send("ATH\r") == b"\r\nOK\r\n"
    assert isinstance(dte.events[-1], Offline) and state_of(dte) is State.COMMAND
    assert call.poll(dte.now).final


def test_plus_signs_inside_data_are_data(net: GsmNetwork, dte: Dte) -> None:
    m = meter(net, rings=1)
    dte.send("ATE0\r")
    dte.send(f"ATD{number(m)}\r")
    dte.run_until(30.0)
    call = dte.modem.call
    assert call is not None and state_of(dte) is State.ONLINE
    dte.send("a+++")  # no guard before: data
    dte.run_until(dte.now + 2.0)
    dte.send("+++")
    dte.now += 0.5
    dte.send("b")  # no guard after: data, the held +++ with it
    assert dte.run_until(dte.now + 2.0) == b""
    assert call.meter_receive(dte.now) == b"a++++++b"
    assert state_of(dte) is State.ONLINE


def test_ato_goes_back_online(net: GsmNetwork, dte: Dte) -> None:
    m = meter(net, rings=1)
    dte.send("ATE0\r")
    dte.send(f"ATD{number(m)}\r")
    dte.run_until(30.0)
    dte.run_until(dte.now + 1.0)
    dte.send("+++")
    assert dte.run_until(dte.now + 1.0) == b"\r\nOK\r\n"
    assert dte.at("ATO").detail == "9600"
    assert state_of(dte) is State.ONLINE


def test_a_caller_not_on_the_whitelist_gets_no_answer(net: GsmNetwork) -> None:
    m = meter(net)
    dte = Dte(AtModem(net, ModemIdentity(STRANGER)))
    dte.send("ATE0\r")
    dte.send(f"ATD{number(m)}\r")
    assert dte.run_until(net.no_answer_s - 0.1) == b""
    assert dte.run_until(net.no_answer_s + 0.1) == b"\r\nNO ANSWER\r\n"
    assert state_of(dte) is State.COMMAND


def test_busy_unknown_number_and_s7(net: GsmNetwork, dte: Dte) -> None:
    m = meter(net)
    dte.send("ATE0\r")
    m.line_busy = True
    dte.send(f"ATD{number(m)}\r")
    assert dte.run_until(10.0) == b"\r\nBUSY\r\n"
    dte.send("ATD+38649000000\r")
    assert dte.run_until(20.0) == b"\r\nNO CARRIER\r\n"
    m.line_busy = False
    m.auto_answer = AutoAnswerSettings(rings_in_window=9, allowed_callers=())
    dte.send(f"ATS7=10D{number(m)}\r")
    assert dte.run_until(dte.now + 10.0) == b"\r\nNO CARRIER\r\n"


def test_a_key_while_dialling_aborts(net: GsmNetwork, dte: Dte) -> None:
    m = meter(net)
    dte.send("ATE0\r")
    dte.send(f"ATD{number(m)}\r")
    dte.run_until(3.0)
    assert dte.send("x") == b"\r\nNO CARRIER\r\n"
    assert dte.modem.call is None


def test_the_meter_drops_an_idle_call(net: GsmNetwork, dte: Dte) -> None:
    m = meter(net, rings=1)
    m.inactivity_timeout_s = 20.0
    dte.send("ATE0\r")
    dte.send(f"ATD{number(m)}\r")
    assert dte.run_until(12.0) == b"\r\nCONNECT 9600\r\n"  # at 10 s
    assert dte.run_until(29.9) == b""
    assert dte.run_until(30.1) == b"\r\nNO CARRIER\r\n"  # 20 s without data
    assert isinstance(dte.events[-1], Offline)


def test_sms_wakes_the_meter_to_gprs(net: GsmNetwork, dte: Dte) -> None:
    m = meter(net)
    dte.send("ATE0\r")
    assert dte.at('AT+CMGS="+1"').result is Result.ERROR  # PDU mode by default
    assert dte.at("AT+CMGF=1").result is Result.OK
    prompt = dte.at(f'AT+CMGS="{number(m)}"')
    assert prompt.detail == "prompt"
    reply = ReplyReader().feed(dte.send("wake up\x1a"))
    assert reply is not None and reply.result is Result.OK
    assert reply.lines[0].startswith("+CMGS: ")
    assert net.lookup_address(number(m), 1.0) is None
    net.tick(60.0)
    assert net.lookup_address(number(m), 60.0) == ("127.0.0.1", 4059)
    assert net.outbox == [] and state_of(dte) is State.COMMAND


def test_sms_escape_and_unknown_recipient(net: GsmNetwork, dte: Dte) -> None:
    dte.send("ATE0\r")
    dte.at("AT+CMGF=1;+CMEE=1")
    dte.at('AT+CMGS="+38649000000"')
    assert ReplyReader().feed(dte.send("x\x1b")) == Reply(Result.OK)  # ESC: not sent
    dte.at('AT+CMGS="+38649000000"')
    reply = ReplyReader().feed(dte.send("x\x1a"))
    assert reply is not None and reply.error == "+CMS ERROR: 500"
    assert all(s.state is not SmsState.PENDING for s in net.outbox)


def test_a_wake_up_call_rings_once_and_is_refused(net: GsmNetwork, dte: Dte) -> None:
    m = meter(net)
    m.auto_answer = AutoAnswerSettings(allowed_callers=((HEAD_END, CallType.WAKE_UP),))
    dte.send("ATE0\r")
    assert dte.at(f"ATD{number(m)};").result is Result.OK  # a voice call
    assert dte.run_until(20.0) == b"\r\nBUSY\r\n"
    net.tick(40.0)
    assert net.lookup_address(number(m), 40.0) is not None


def test_no_network_no_call(net: GsmNetwork) -> None:
    dte = Dte(AtModem(net, ModemIdentity(HEAD_END, registered=0)))
    dte.send("ATE0\r")
    assert dte.at("AT+CREG?").lines == ("+CREG: 0,0",)
    assert dte.at("ATD+38640000000").result is Result.NO_CARRIER
