"""The meter's modem and the network on a stepped clock (issue 16's proofs, sans-IO):
the whitelist, the rings and CONNECT, the inactivity timeout, SMS wake-up and the GPRS
window, SIM hot swap, faults."""

from __future__ import annotations

import pytest

from openamr.cosem.classes.auto_answer import CallType
from openamr.cosem.classes.gsm_diagnostic import GsmStatus
from openamr.gsm import (
    AutoAnswerSettings,
    CallOutcome,
    CallState,
    GsmMode,
    GsmNetwork,
    MeterModem,
    ModemEventKind,
    Sim,
    SmsState,
)
from openamr.gsm.modem import ATTACH_S, RING_S

HEAD_END = "+38640100200"
WAKER = "+38640100201"
STRANGER = "+38641999999"


def modem(now: float = 0.0) -> MeterModem:
    m = MeterModem(Sim.derive(1), now, registered=True, cell="c1", endpoint=("10.0.0.7", 4059))
    m.auto_answer = AutoAnswerSettings(
        rings_in_window=3,
        allowed_callers=((HEAD_END, CallType.NORMAL_CSD), (WAKER, CallType.WAKE_UP)),
    )
    m.gsm_mode = GsmMode.GSM
    m.session_timeout_s = 60.0
    m.tick(now)
    m.drain_events()
    return m


@pytest.fixture
def net() -> tuple[GsmNetwork, MeterModem]:
    network = GsmNetwork()
    m = modem()
    network.register(m)
    return network, m


def test_a_caller_not_on_the_whitelist_is_never_answered(
    net: tuple[GsmNetwork, MeterModem],
) -> None:
    network, m = net
    call = network.dial(STRANGER, m.sim.msisdn if m.sim else "", 0.0)
    for t in range(0, 59):
        assert call.poll(float(t)) in (CallState.DIALLING, CallState.RINGING)
        assert call.result_code is None
    assert call.rings(50.0) > 3  # it rings on
    assert call.poll(60.0) is CallState.NO_ANSWER and call.result_code == "NO ANSWER"
    assert "not on the whitelist" in call.reason
    assert m.cs_attachment() == 0


def test_rings_then_connect_then_9600_bits(net: tuple[GsmNetwork, MeterModem]) -> None:
    network, m = net
    assert m.sim is not None
    call = network.dial(HEAD_END, m.sim.msisdn, 100.0)
    ring_at = 100.0 + network.setup_s
    answer_at = ring_at + 3 * RING_S
    assert call.poll(ring_at) is CallState.RINGING
    assert call.rings(ring_at + RING_S) == 2
    assert call.poll(answer_at - 0.01) is CallState.RINGING
    connect = answer_at + network.handshake_s
    assert call.poll(connect - 0.01) is CallState.RINGING
    assert call.poll(connect) is CallState.CONNECTED
    assert call.result_code == "CONNECT 9600"
    assert m.communicating(connect)
    # 96 octets each way take 0.1 s
    arrive = call.send(bytes(range(96)), connect)
    assert arrive == pytest.approx(connect + 0.1)
    assert call.meter_receive(connect + 0.05) == bytes(range(48))
    assert call.meter_receive(arrive) == bytes(range(48, 96))
    back = call.meter_send(b"\x7e" * 9, arrive)
    assert call.receive(back - 0.001) == b"\x7e" * 8
    assert call.receive(back) == b"\x7e"


def test_the_inactivity_timeout_drops_the_call(net: tuple[GsmNetwork, MeterModem]) -> None:
    network, m = net
    m.inactivity_timeout_s = 30.0
    assert m.sim is not None
    call = network.dial(HEAD_END, m.sim.msisdn, 0.0)
    connected = 0.0 + network.setup_s + 3 * RING_S + network.handshake_s
    assert call.poll(connected) is CallState.CONNECTED
    call.send(b"x", connected + 10)
    assert call.meter_receive(connected + 11) == b"x"  # data: the timeout restarts
    assert call.poll(connected + 40.9) is CallState.CONNECTED
    assert call.poll(connected + 41.0) is CallState.NO_CARRIER
    assert call.result_code == "NO CARRIER" and call.ended_at == pytest.approx(connected + 41)
    assert not m.communicating(connected + 60)


def test_sms_wake_up_attaches_within_the_window_and_not_after(
    net: tuple[GsmNetwork, MeterModem],
) -> None:
    network, m = net
    assert m.sim is not None
    assert network.lookup_address(m.sim.msisdn, 0.0) is None  # GSM mode 0: detached
    sms = network.send_sms(WAKER, m.sim.msisdn, "wake up", 1000.0)
    network.tick(1000.0 + network.sms_delay_s - 0.1)
    assert sms.state is SmsState.PENDING
    network.tick(1000.0 + network.sms_delay_s)
    assert sms.state is SmsState.DELIVERED and sms.wake_up is not None
    woke = sms.wake_up.attach_at
    assert woke == pytest.approx(1000.0 + network.sms_delay_s + ATTACH_S)
    assert network.lookup_address(m.sim.imsi, woke - 0.1) is None
    assert network.lookup_address(m.sim.msisdn, woke) == ("10.0.0.7", 4059)
    m.data_activity(woke + 50)  # the head-end reads: the session goes on
    assert network.lookup_address(m.sim.msisdn, woke + 109.9) == ("10.0.0.7", 4059)
    assert network.lookup_address(m.sim.msisdn, woke + 110.0) is None
    assert network.lookup_address(m.sim.msisdn, woke + 1000) is None
    kinds = [e.kind for e in m.drain_events()]
    assert kinds.count(ModemEventKind.GPRS_ATTACHED) == 1
    assert kinds.count(ModemEventKind.GPRS_DETACHED) == 1


def test_an_sms_from_a_stranger_wakes_nothing(net: tuple[GsmNetwork, MeterModem]) -> None:
    network, m = net
    assert m.sim is not None
    sms = network.send_sms(STRANGER, m.sim.msisdn, "wake up", 0.0)
    network.tick(10.0)
    assert sms.state is SmsState.DELIVERED and sms.wake_up is None
    assert not m.gprs_attached(10.0 + ATTACH_S)


def test_a_wake_up_call_is_rejected_and_wakes(net: tuple[GsmNetwork, MeterModem]) -> None:
    network, m = net
    assert m.sim is not None
    call = network.dial(WAKER, m.sim.msisdn, 0.0)
    assert call.poll(network.setup_s + RING_S) is CallState.BUSY
    assert call.wake_up is not None
    assert m.gprs_attached(call.wake_up.attach_at)


def test_gprs_mode_is_always_attached(net: tuple[GsmNetwork, MeterModem]) -> None:
    network, m = net
    m.gsm_mode = GsmMode.GPRS
    assert m.sim is not None
    assert network.lookup_address(m.sim.msisdn, 5.0) == ("10.0.0.7", 4059)


def test_busy_weak_and_no_network(net: tuple[GsmNetwork, MeterModem]) -> None:
    network, m = net
    assert m.sim is not None
    number = m.sim.msisdn
    m.line_busy = True
    assert network.dial(HEAD_END, number, 0.0).poll(network.setup_s) is CallState.BUSY
    m.line_busy = False
    m.signal_csq = 3
    weak = network.dial(HEAD_END, number, 10.0)
    assert weak.poll(20.0) is CallState.NO_CARRIER and "weak" in weak.reason
    sms = network.send_sms(WAKER, number, "", 20.0)
    network.tick(20.0 + network.sms_delay_s)
    assert sms.state is SmsState.PENDING  # late with a weak signal
    network.tick(20.0 + network.weak_sms_delay_s)
    assert sms.state is SmsState.DELIVERED
    m.signal_csq = 20
    assert network.set_cell_outage("c1", True, 200.0) == 1
    assert m.status is GsmStatus.SEARCHING and not m.registered
    assert network.dial(HEAD_END, number, 200.0).poll(210.0) is CallState.NO_CARRIER
    network.set_cell_outage("c1", False, 300.0)
    m.tick(300.0 + m.registration_s)
    assert m.registered


def test_sim_swap_moves_the_meter_to_its_new_number(net: tuple[GsmNetwork, MeterModem]) -> None:
    network, m = net
    old, new = Sim.derive(1), Sim.derive(1, generation=1)
    m.insert_sim(new, 100.0)
    assert network.find(old.msisdn) is None and network.find(new.imsi) is m
    assert not m.registered and m.status is GsmStatus.SEARCHING
    offer = m.incoming_call(HEAD_END, 101.0)
    assert offer.outcome is CallOutcome.UNREACHABLE and offer.answer_at is None
    m.tick(100.0 + m.registration_s)
    assert m.registered and m.sim == new
    kinds = [e.kind for e in m.drain_events()]
    assert kinds == [ModemEventKind.DEREGISTERED, ModemEventKind.SIM_REMOVED,
                     ModemEventKind.SIM_INSERTED, ModemEventKind.REGISTERED]  # fmt: skip
    assert m.remove_sim(200.0) == new and m.status is GsmStatus.NOT_REGISTERED
    assert network.find(new.msisdn) is None


def test_out_of_window_rings(net: tuple[GsmNetwork, MeterModem]) -> None:
    _, m = net
    m.auto_answer = AutoAnswerSettings(
        rings_in_window=2, rings_out_of_window=6, in_window=lambda now: now < 100
    )
    assert m.incoming_call(STRANGER, 50.0).answer_at == pytest.approx(50 + 2 * RING_S)
    assert m.incoming_call(STRANGER, 150.0).answer_at == pytest.approx(150 + 6 * RING_S)


def test_a_lazy_directory_resolves_numbers() -> None:
    built: list[str] = []

    def resolve(number: str) -> MeterModem | None:
        if number != Sim.derive(1).msisdn:
            return None
        built.append(number)
        return modem()

    network = GsmNetwork(resolve=resolve)
    assert network.find("+38600000000") is None
    found = network.find(Sim.derive(1).msisdn)
    assert found is not None and found.network is network
    assert network.find(Sim.derive(1).imsi) is found and built == [Sim.derive(1).msisdn]
    network.unregister(found)
    assert found.network is None and found not in network.modems
