"""The meter connects to the head-end after a wake-up (Auto connect mode and
destination list, Blue Book 4.7.5; openamr.gsm.gprs), sans-IO on a stepped clock:
the attempts fall inside the GPRS window and none after it."""

from __future__ import annotations

import pytest

from openamr.cosem.classes.auto_answer import CallType
from openamr.cosem.classes.auto_connect import AutoConnectMode
from openamr.gsm import AutoAnswerSettings, AutoConnectSettings, GsmMode, GsmNetwork, MeterModem
from openamr.gsm.gprs import DialPlan, dial_at, dial_due, dial_result, ip_destination
from openamr.gsm.modem import ATTACH_S, ModemEventKind
from openamr.gsm.sim import Sim

WAKER = "+38640100201"
HEAD_END = ("10.1.2.3", 4100)


def woken(mode: int, destinations: tuple[str, ...], repetitions: int = 2) -> tuple[
    GsmNetwork, MeterModem, list[MeterModem]
]:  # fmt: skip
    network, planned = GsmNetwork(), []
    network.on_dial = planned.append
    m = MeterModem(Sim.derive(3), 0.0, registered=True, gsm_mode=GsmMode.GSM)
    m.auto_answer = AutoAnswerSettings(allowed_callers=((WAKER, CallType.WAKE_UP),))
    m.auto_connect = AutoConnectSettings(
        mode=mode, repetitions=repetitions, repetition_delay_s=20.0, destinations=destinations
    )
    m.session_timeout_s = 60.0
    network.register(m)
    assert m.sim is not None
    network.send_sms(WAKER, m.sim.msisdn, "wake up", 100.0)
    network.tick(100.0 + network.sms_delay_s)
    return network, m, planned


def test_ip_destinations_only() -> None:
    assert ip_destination("10.1.2.3:4100") == HEAD_END
    assert ip_destination("[::1]:4100") == ("::1", 4100)
    assert ip_destination("headend.example:4100") == ("headend.example", 4100)
    for not_ip in ("+38640100200", "10.1.2.3", "10.1.2.3:0", "10.1.2.3:70000", ":4100", ""):
        assert ip_destination(not_ip) is None, not_ip


def test_mode_104_connects_once_attached() -> None:
    network, m, planned = woken(
        AutoConnectMode.CONNECTED_ON_CONNECT, ("+38640100200", "10.1.2.3:4100")
    )
    assert planned == [m]  # the adapter is told once
    attach = 100.0 + network.sms_delay_s + ATTACH_S
    assert dial_at(m) == attach
    assert dial_due(m, attach - 0.1) is None  # not attached yet
    out = dial_due(m, attach)
    assert out is not None and out.destination == HEAD_END and out.round == 1
    assert dial_due(m, attach + 1) is None  # under way
    dial_result(m, True, attach + 0.5)
    assert dial_at(m) is None and dial_due(m, attach + 2) is None
    kinds = [e.kind for e in m.drain_events()]
    assert ModemEventKind.DIALLING in kinds and ModemEventKind.DIAL_FAILED not in kinds


@pytest.mark.parametrize(
    "mode", [AutoConnectMode.NO_AUTO_DIALLING, AutoConnectMode.PERMANENTLY_CONNECTED,
             AutoConnectMode.CONNECTED_IN_WINDOW],
)  # fmt: skip
def test_other_modes_wait_for_the_head_end(mode: int) -> None:
    _, m, planned = woken(mode, ("10.1.2.3:4100",))
    assert planned == [] and dial_at(m) is None
    assert dial_due(m, 200.0) is None


def test_phone_numbers_alone_are_not_dialled() -> None:
    _, m, planned = woken(AutoConnectMode.CONNECTED_ON_CONNECT, ("+38640100200",))
    assert planned == [] and m.dial_plan is None


def test_failures_are_repeated_inside_the_window_and_never_after_it() -> None:
    network, m, _ = woken(AutoConnectMode.CONNECTED_ON_CONNECT, ("10.1.2.3:4100",), repetitions=5)
    attach = 100.0 + network.sms_delay_s + ATTACH_S
    times = []
    t = attach
    while t < attach + 200:
        out = dial_due(m, t)
        if out is not None:
            times.append((t, out.round))
            dial_result(m, False, t)
        t += 1.0
    # the session (60 s without data) ends at attach + 60: rounds at 0, 20, 40 only
    assert times == [(attach, 1), (attach + 20, 2), (attach + 40, 3)]
    assert m.dial_plan is None and not m.gprs_attached(attach + 61)


def test_repetitions_bound_the_rounds() -> None:
    plan = DialPlan((HEAD_END, ("10.1.2.4", 4100)), 0.0, 1, 10.0)
    tried = []
    for t in range(0, 100):
        while (out := plan.due(float(t))) is not None:  # the next destination at once
            tried.append((t, out.destination[0], out.round))
            plan.result(False, float(t))
    assert tried == [(0, "10.1.2.3", 1), (0, "10.1.2.4", 1), (10, "10.1.2.3", 2),
                     (10, "10.1.2.4", 2)]  # fmt: skip
    assert plan.pending_at() is None


async def test_the_dialler_waits_for_registration_without_spinning() -> None:
    """Due while still registering: the adapter looks again each NOT_ATTACHED_S of the
    network's clock (not every few ms), and connects once the modem is attached."""
    import asyncio

    from openamr.aio.dial_out import NOT_ATTACHED_S, Dialler

    loop = asyncio.get_running_loop()
    speed, start = 20.0, loop.time()  # 30 s of registration: 1.5 s

    def now() -> float:
        return (loop.time() - start) * speed

    connected: list[float] = []

    async def connect(modem: MeterModem, destination: tuple[str, int]) -> bool:
        connected.append(now())
        return True

    class Counting(Dialler):
        fired = 0

        def _fire(self, modem: MeterModem) -> None:
            self.fired += 1
            super()._fire(modem)

    dialler = Counting(now, lambda at: start + at / speed, connect)
    m = MeterModem(Sim.derive(4), now(), registration_s=30.0, gsm_mode=GsmMode.GSM)
    m.auto_connect = AutoConnectSettings(mode=AutoConnectMode.CONNECTED_ON_CONNECT,
                                         destinations=("10.1.2.3:4100",))  # fmt: skip
    network = GsmNetwork()
    network.on_dial = dialler.schedule
    network.register(m)
    assert m.wake(now()) is not None and not m.registered
    while not connected and now() < 60:
        await asyncio.sleep(0.01)
    await dialler.close()
    assert connected and 30.0 <= connected[0] < 30.0 + ATTACH_S + 2 * NOT_ATTACHED_S
    assert dialler.fired <= 30 / NOT_ATTACHED_S + 3, dialler.fired
