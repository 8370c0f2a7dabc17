"""Primary and secondary stations joined in memory: connect, long data both ways
with small windows and information lengths, disconnect, timers, faults."""

from __future__ import annotations

import pytest

from openamr.errors import LocalProtocolError
from openamr.link.hdlc.address import MT372_SERVER, Address
from openamr.link.hdlc.frame import Control, Frame, Kind
from openamr.link.hdlc.params import HdlcParameters
from openamr.link.hdlc.primary import PrimaryState, PrimaryStation
from openamr.link.hdlc.secondary import SecondaryState, SecondaryStation
from openamr.link.hdlc.station import Connected, DataReceived, Disconnected, Timeouts
from tests.link.hdlc.harness import FrameFilter, Link, RandomFaults, answer

REQUEST = bytes(range(256)) * 4  # 1 KiB


def _link(client: HdlcParameters, server: HdlcParameters, **kw: object) -> Link:
    return Link(PrimaryStation(params=client), SecondaryStation(params=server), **kw)  # type: ignore[arg-type]


def test_connect_negotiates_the_minimum() -> None:
    link = _link(HdlcParameters(256, 64, 3, 2), HdlcParameters(128, 2030, 7, 1))
    link.connect()
    assert link.primary.state is PrimaryState.CONNECTED
    assert link.secondary.state is SecondaryState.NRM
    (c,) = [e for e in link.client_events if isinstance(e, Connected)]
    (s,) = [e for e in link.server_events if isinstance(e, Connected)]
    assert c.params == HdlcParameters(max_info_tx=256, max_info_rx=64, window_tx=1, window_rx=2)
    assert s.params == c.params.mirrored()
    assert s.client_address == c.client_address == 16


@pytest.mark.parametrize(
    ("client", "server"),
    [
        pytest.param(HdlcParameters(), HdlcParameters(), id="defaults"),
        pytest.param(HdlcParameters(32, 32, 1, 1), HdlcParameters(32, 32, 1, 1), id="32-w1"),
        pytest.param(HdlcParameters(32, 48, 3, 2), HdlcParameters(40, 32, 2, 3), id="small-w2-3"),
        pytest.param(HdlcParameters(64, 64, 7, 7), HdlcParameters(64, 64, 7, 7), id="w7"),
        pytest.param(HdlcParameters(2030, 2030, 1, 1), HdlcParameters(), id="big-client"),
    ],
)
def test_long_data_both_ways(client: HdlcParameters, server: HdlcParameters) -> None:
    link = _link(client, server)
    link.connect()
    for size in (1, 31, 32, 200, len(REQUEST)):
        assert link.request(REQUEST[:size]) == answer(REQUEST[:size])
    received = [e for e in link.server_events if isinstance(e, DataReceived)]
    assert [len(e.data) for e in received] == [1, 31, 32, 200, len(REQUEST)]
    link.primary._outbox += link.primary.disconnect(link.now)
    link.run(lambda: link.primary.state is PrimaryState.DISCONNECTED)
    assert link.secondary.state is SecondaryState.NDM
    assert isinstance(link.client_events[-1], Disconnected)
    assert isinstance(link.server_events[-1], Disconnected)


def test_segments_respect_the_negotiated_sizes() -> None:
    link = _link(HdlcParameters(40, 32, 2, 3), HdlcParameters(40, 32, 3, 2))
    sizes: list[tuple[str, int]] = []

    def spy(direction: str):  # type: ignore[no-untyped-def]
        def fault(frame: bytes) -> list[bytes]:
            f = Frame.decode(frame)
            if f.kind is Kind.I:
                sizes.append((direction, len(f.information)))
            return [frame]

        return fault

    link.to_server, link.to_client = FrameFilter(spy("up")), FrameFilter(spy("down"))
    link.connect()
    link.request(REQUEST[:300])
    assert max(n for d, n in sizes if d == "up") == 32  # server receives 32
    assert max(n for d, n in sizes if d == "down") == 32  # client receives 32


@pytest.mark.parametrize("seed", range(40))
def test_faults_never_crash_or_stall(seed: int) -> None:
    params = HdlcParameters(32, 32, 1 + seed % 3, 1 + seed % 2)
    timeouts = Timeouts(max_retries=20)
    faults_up, faults_down = RandomFaults(seed), RandomFaults(seed + 100)
    link = Link(
        PrimaryStation(params=params, timeouts=timeouts),
        SecondaryStation(params=params, timeouts=timeouts),
        faults_up,
        faults_down,
    )
    link.connect()
    assert link.primary.state is PrimaryState.CONNECTED
    for size in (10, 100, 400):
        assert link.request(REQUEST[:size]) == answer(REQUEST[:size])
    assert faults_up.count + faults_down.count > 0


def test_lost_answer_is_sent_again_after_a_poll() -> None:
    dropped: list[bytes] = []

    def drop_first_answer(frame: bytes) -> list[bytes]:
        if Frame.decode(frame).kind is Kind.I and not dropped:
            dropped.append(frame)
            return []
        return [frame]

    link = _link(HdlcParameters(), HdlcParameters(), to_client=FrameFilter(drop_first_answer))
    link.connect()
    assert link.request(b"\xc0\x01") == answer(b"\xc0\x01")
    assert link.now == pytest.approx(2.0)  # one response time-out, then RR poll


def test_no_answer_gives_up_after_the_retries() -> None:
    link = _link(HdlcParameters(), HdlcParameters(), to_server=FrameFilter(lambda f: []))
    link.primary._outbox += link.primary.connect(0.0)
    link.run(lambda: link.primary.state is PrimaryState.DISCONNECTED)
    (event,) = link.client_events
    assert isinstance(event, Disconnected) and "retries" in event.reason
    assert link.now == pytest.approx(8.0)  # (1 + 3 retries) x 2 s


def test_inactivity_drops_the_link() -> None:
    link = Link(PrimaryStation(), SecondaryStation(timeouts=Timeouts(inactivity=60.0)))
    link.connect()
    assert link.secondary.get_timer() == pytest.approx(60.0)
    assert link.secondary.handle_timer(59.0) == []
    (event,) = link.secondary.handle_timer(60.0)
    assert isinstance(event, Disconnected) and "inactivity" in event.reason
    assert link.secondary.state is SecondaryState.NDM
    assert link.secondary.data_to_send() == b""


def test_inter_octet_timeout_discards_a_partial_frame() -> None:
    server = SecondaryStation()
    snrm = Frame(MT372_SERVER, Address.client(16), Control(Kind.SNRM, True)).encode()
    assert server.receive_data(snrm[:5], 10.0) == []
    assert server.get_timer() == pytest.approx(10.5)
    (event,) = server.handle_timer(10.5)
    assert "inter-octet" in event.reason  # type: ignore[union-attr]
    (connected,) = server.receive_data(snrm, 11.0)
    assert isinstance(connected, Connected)


def test_local_misuse_raises() -> None:
    primary = PrimaryStation()
    with pytest.raises(LocalProtocolError):
        primary.send_data(b"x", 0.0)
    with pytest.raises(LocalProtocolError):
        SecondaryStation().send_data(b"x", 0.0)
    primary.connect(0.0)
    with pytest.raises(LocalProtocolError):
        primary.connect(0.0)


def test_a_long_window_on_a_slow_line_is_not_polled_while_it_arrives() -> None:
    """Issue 10: at 9600 Bd a 2030-byte frame takes 2.1 s, more than the 2 s response
    allowance; a window of seven takes 15 s. Fed at the line's pace, the primary must
    not poll (a poll makes the server send the whole window again)."""
    big = HdlcParameters(2030, 2030, 7, 7)
    slow = Timeouts(baud=9600)
    primary = PrimaryStation(params=big, timeouts=slow)
    secondary = SecondaryStation(params=big, timeouts=slow)
    now = 0.0
    secondary.receive_data(primary.connect(now), now)
    primary.receive_data(secondary.data_to_send(), now)
    request = primary.send_data(b"\xc0\x01", now)
    assert primary.get_timer() == pytest.approx(now + 2.0 + len(request) * 10 / 9600)
    (received,) = secondary.receive_data(request, now)
    assert isinstance(received, DataReceived)
    window = secondary.send_data(bytes(7 * 2030), now)
    events = []
    for i in range(0, len(window), 8):  # 8 octets every 8.3 ms, as the line brings them
        now += 8 * 10 / 9600
        timer = primary.get_timer()
        assert timer is not None and timer > now, f"would poll at {timer} during the window"
        events += primary.receive_data(window[i : i + 8], now)
    assert now > 14.0
    assert (
        primary.data_to_send()
        == Frame(MT372_SERVER, Address.client(16), Control(Kind.RR, True, nr=7)).encode()
    )  # the window's F bit: RR for the rest, nothing sent before it
    assert not any(isinstance(e, DataReceived) for e in events)  # segmented: more to come
