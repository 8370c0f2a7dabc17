"""The head-end's AT modem takes a meter's call, sends SMS in PDU mode and honours
&D, on a stepped clock against the simulated network (ITU-T V.250 §6.3.5 ATA, §6.3.8
S0, §5.7 RING, §6.2.9 &D; 3GPP TS 27.005 §3.5.1 PDU mode)."""

from __future__ import annotations

import pytest

from openamr.cosem.classes.auto_answer import CallType
from openamr.cosem.classes.gsm_diagnostic import CsAttachment
from openamr.gsm import AutoAnswerSettings, GsmMode, GsmNetwork, MeterModem, Sim, SmsState
from openamr.gsm.at import AtModem, ModemIdentity, Offline, Online, State
from openamr.gsm.call import CallState
from openamr.gsm.modem import RING_S
from openamr.gsm.network import NO_ANSWER_S, SETUP_S
from openamr.gsm.v250 import Result
from tests.gsm.test_at import HEAD_END, Dte, meter, number
from tests.vector_files import Vectors


def advance(net: GsmNetwork, dte: Dte, until: float, step: float = 0.5) -> bytes:
    """The network's sweep (the adapter's ticker) and the modem's timers, to ``until``."""
    out = bytearray()
    t = dte.now
    while t < until:
        t = min(until, t + step)
        net.tick(t)
        out += dte.run_until(t)
    return bytes(out)


@pytest.fixture
def net() -> GsmNetwork:
    return GsmNetwork()


@pytest.fixture
def dte(net: GsmNetwork) -> Dte:
    d = Dte(AtModem(net, ModemIdentity(HEAD_END)))
    net.terminals[HEAD_END] = [d.modem]
    d.at("ATE0")
    return d


def test_a_meters_call_rings_until_ata_then_connects(net: GsmNetwork, dte: Dte) -> None:
    m = meter(net)
    call = net.call_head_end(m, HEAD_END, 0.0)
    assert advance(net, dte, SETUP_S - 0.1, 0.1) == b""
    assert advance(net, dte, SETUP_S) == b"\r\nRING\r\n"
    assert advance(net, dte, SETUP_S + 2 * RING_S) == b"\r\nRING\r\n" * 2
    assert dte.at("ATS1?").lines == ("003",)  # three rings heard
    dte.now = SETUP_S + 2 * RING_S + 1
    assert dte.send("ATA\r") == b""  # waiting for the carrier
    out = dte.run_until(dte.now + net.handshake_s)
    assert out == b"\r\nCONNECT 9600\r\n" and dte.modem.state is State.ONLINE
    assert call.poll(dte.now) is CallState.CONNECTED and m.cs_attachment() is CsAttachment.ACTIVE
    online = [e for e in dte.events if isinstance(e, Online)]
    assert len(online) == 1 and online[0].number == number(m)
    call.meter_send(b"\x7e\xa0", dte.now)  # the meter's bytes reach the head-end
    assert dte.run_until(dte.now + 1) == b"\x7e\xa0"


def test_s0_answers_after_its_rings(net: GsmNetwork, dte: Dte) -> None:
    dte.at("ATS0=2")
    net.call_head_end(meter(net), HEAD_END, 0.0)
    out = advance(net, dte, SETUP_S + RING_S + net.handshake_s)
    assert out == b"\r\nRING\r\n\r\nRING\r\n\r\nCONNECT 9600\r\n"


def test_ata_without_a_call_and_a_busy_line(net: GsmNetwork, dte: Dte) -> None:
    assert dte.at("ATA").result is Result.NO_CARRIER
    m1, m2 = meter(net, 1), meter(net, 2)
    first = net.call_head_end(m1, HEAD_END, 0.0)
    second = net.call_head_end(m2, HEAD_END, 0.0)
    advance(net, dte, SETUP_S)
    states = {first.poll(SETUP_S), second.poll(SETUP_S)}
    assert states == {CallState.RINGING, CallState.BUSY}  # one line: the other finds it busy


def test_the_meter_gives_up_and_nothing_answers(net: GsmNetwork, dte: Dte) -> None:
    call = net.call_head_end(meter(net), HEAD_END, 0.0)
    advance(net, dte, NO_ANSWER_S + 1, 5.0)
    assert call.poll(NO_ANSWER_S + 1) is CallState.NO_ANSWER
    assert dte.modem.ringing is None and dte.at("ATA").result is Result.NO_CARRIER
    nobody = net.call_head_end(meter(net, 3), "+38640999999", 0.0)
    assert nobody.poll(SETUP_S) is CallState.NO_CARRIER  # no line for that number


def test_ath_refuses_a_ringing_call(net: GsmNetwork, dte: Dte) -> None:
    call = net.call_head_end(meter(net), HEAD_END, 0.0)
    advance(net, dte, SETUP_S)
    assert dte.modem.ringing is call
    assert dte.at("ATH").result is Result.OK
    assert call.poll(SETUP_S + 1).final


def test_pdu_mode_sms_wakes_the_meter(net: GsmNetwork, dte: Dte) -> None:
    m = MeterModem(Sim.derive(7), 0.0, registered=True)
    m.auto_answer = AutoAnswerSettings(allowed_callers=((HEAD_END, CallType.WAKE_UP),))
    m.gsm_mode = GsmMode.GSM
    net.register(m)
    v = Vectors("gsm").named("sms_submit.txt")["hellohello"]
    assert m.sim is not None
    digits = m.sim.msisdn.lstrip("+")  # the published PDU, sent to our meter instead
    assert len(digits) == 11  # as the published number: TP-DA's length stays 0x0B
    digits += "F"
    semi = "".join(digits[i + 1] + digits[i] for i in range(0, len(digits), 2))
    pdu = v.data.hex().upper().replace("0B916407281553F8", f"0B91{semi.upper()}")
    assert dte.at("AT+CMGF?").lines == ("+CMGF: 0",)  # PDU mode, the default
    assert dte.at(f"AT+CMGS={v.int('length')}").detail == "prompt"
    reply = dte.send(pdu.encode() + b"\x1a")
    assert reply.startswith(b"\r\n+CMGS: ") and reply.endswith(b"\r\nOK\r\n")
    (sms,) = net.outbox
    assert (sms.recipient, sms.text) == (m.sim.msisdn, "hellohello")
    net.tick(net.sms_delay_s)
    assert sms.state is SmsState.DELIVERED and sms.wake_up is not None


def test_a_bad_pdu_is_refused_and_nothing_sent(net: GsmNetwork, dte: Dte) -> None:
    dte.at("AT+CMEE=1")
    v = Vectors("gsm").named("sms_submit.txt")["hellohello"]
    assert dte.at(f"AT+CMGS={v.int('length') + 1}").detail == "prompt"  # a wrong length
    assert dte.send(v.data.hex().encode() + b"\x1a") == b"\r\n+CMS ERROR: 304\r\n"
    assert dte.at('AT+CMGS="+38640000001"').error == "+CMS ERROR: 304"  # text mode's form
    assert dte.at("AT+CMGS=3").error == "+CMS ERROR: 304"  # shorter than any SUBMIT
    assert not net.outbox


@pytest.mark.parametrize(("dtr", "stays"), [(2, False), (1, True), (0, True)])
def test_dtr_off_as_and_d_says(net: GsmNetwork, dte: Dte, dtr: int, stays: bool) -> None:
    m = meter(net, rings=1)
    m.inactivity_timeout_s = 30.0
    dte.at(f"AT&D{dtr}")
    dte.send(f"ATD{number(m)}\r")
    dte.run_until(20.0)
    assert dte.modem.state is State.ONLINE
    dte.events.clear()
    dte.events += dte.modem.dtr_off(dte.now)
    assert (dte.modem.call is not None) is stays
    if dtr == 1:
        assert dte.modem.state is State.ONLINE_COMMAND
    if stays:  # nobody is there: the meter's inactivity timeout ends the call
        dte.run_until(dte.now + 31.0)
        assert dte.modem.call is None
    assert any(isinstance(e, Offline) for e in dte.events)


def test_clip_names_the_calling_meter_after_each_ring(net: GsmNetwork, dte: Dte) -> None:
    """AT+CLIP=1 (TS 27.007 §7.6): +CLIP with the number and its type after RING."""
    assert dte.at("AT+CLIP?").lines == ("+CLIP: 0,1",)
    assert dte.at("AT+CLIP=?").lines == ("+CLIP: (0-1)",)
    assert dte.at("AT+CLIP=2").result is Result.ERROR
    dte.at("AT+CLIP=1")
    assert dte.at("AT+CLIP?").lines == ("+CLIP: 1,1",)
    m = meter(net)
    net.call_head_end(m, HEAD_END, 0.0)
    shown = f'\r\nRING\r\n\r\n+CLIP: "{number(m)}",145\r\n'.encode()
    assert advance(net, dte, SETUP_S + RING_S) == shown * 2
    dte.at("AT+CLIP=0")
    assert advance(net, dte, SETUP_S + 2 * RING_S) == b"\r\nRING\r\n"
    dte.at("AT+CLIP=1")
    dte.at("ATZ")  # the defaults: CLIP off (and echo on)
    dte.at("ATE0")
    assert dte.at("AT+CLIP?").lines == ("+CLIP: 0,1",)
