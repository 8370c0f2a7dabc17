"""Properties over the stations: random bytes give only events; every state of
each station against every kind of frame (the h2-style state x event table);
FRMR, DM and multi-drop behaviour."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.link.hdlc.address import MT372_SERVER, Address, mt372_server
from openamr.link.hdlc.frame import Control, Frame, FrameSplitter, Kind
from openamr.link.hdlc.multidrop import MultiDrop
from openamr.link.hdlc.params import HdlcParameters
from openamr.link.hdlc.primary import PrimaryState, PrimaryStation
from openamr.link.hdlc.secondary import SecondaryState, SecondaryStation
from openamr.link.hdlc.station import (
    Connected,
    DataReceived,
    Disconnected,
    FrameDiscarded,
    HdlcEvent,
)

EVENTS = (Connected, DataReceived, Disconnected, FrameDiscarded)
CLIENT = Address.client(16)


def _secondary(state: str) -> SecondaryStation:
    s = SecondaryStation(params=HdlcParameters(32, 32, 2, 2))
    if state != "NDM":
        s.receive_data(Frame(MT372_SERVER, CLIENT, Control(Kind.SNRM, True)).encode(), 0.0)
    if state == "FRMR":
        rej = Control(Kind.UNKNOWN, True, raw=0x09)
        s.receive_data(Frame(MT372_SERVER, CLIENT, rej).encode(), 0.0)
    if state == "POLLED":
        info = b"\xe6\xe6\x00\xc0\x01"
        s.receive_data(Frame(MT372_SERVER, CLIENT, Control(Kind.I, True), info).encode(), 0.0)
    s.data_to_send()
    return s


def _primary(state: str) -> PrimaryStation:
    p = PrimaryStation(params=HdlcParameters(32, 32, 2, 2))
    if state == "DISCONNECTED":
        return p
    p.connect(0.0)
    if state != "CONNECTING":
        p.receive_data(Frame(CLIENT, MT372_SERVER, Control(Kind.UA, True)).encode(), 0.0)
    if state == "BUSY":
        p.send_data(bytes(100), 0.0)
    if state == "DISCONNECTING":
        p.disconnect(0.0)
    p.data_to_send()
    return p


def _check_output(data: bytes) -> list[Frame]:
    items = FrameSplitter().feed(data)
    assert all(isinstance(i, Frame) for i in items), items
    return items  # type: ignore[return-value]


SECONDARY_STATES = ["NDM", "NRM", "FRMR", "POLLED"]
PRIMARY_STATES = ["DISCONNECTED", "CONNECTING", "CONNECTED", "BUSY", "DISCONNECTING"]
KINDS = [k for k in Kind if k is not Kind.UNKNOWN]

# Where a secondary may go from each state on each kind of frame (h2 style).
SECONDARY_NEXT = {
    ("NDM", Kind.SNRM): {SecondaryState.NRM},
    ("NRM", Kind.DISC): {SecondaryState.NDM},
    ("FRMR", Kind.DISC): {SecondaryState.NDM},
    ("POLLED", Kind.DISC): {SecondaryState.NDM},
}
PRIMARY_NEXT = {
    ("CONNECTING", Kind.UA): {PrimaryState.CONNECTED},
    ("CONNECTING", Kind.DM): {PrimaryState.DISCONNECTED},
    ("CONNECTED", Kind.DM): {PrimaryState.DISCONNECTED},
    ("BUSY", Kind.DM): {PrimaryState.DISCONNECTED},
    ("CONNECTED", Kind.FRMR): {PrimaryState.DISCONNECTING},
    ("BUSY", Kind.FRMR): {PrimaryState.DISCONNECTING},
    ("DISCONNECTING", Kind.UA): {PrimaryState.DISCONNECTED},
    ("DISCONNECTING", Kind.DM): {PrimaryState.DISCONNECTED},
}


@pytest.mark.parametrize("state", SECONDARY_STATES)
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.value)
@pytest.mark.parametrize("pf", [False, True], ids=["nopoll", "poll"])
def test_secondary_state_table(state: str, kind: Kind, pf: bool) -> None:
    station = _secondary(state)
    before = station.state
    frame = Frame(MT372_SERVER, CLIENT, Control(kind, pf, ns=0, nr=0))
    events = station.receive_data(frame.encode(), 1.0)
    assert all(isinstance(e, EVENTS) for e in events)
    allowed = SECONDARY_NEXT.get((state, kind), {before})
    if kind is Kind.SNRM:
        allowed = {SecondaryState.NRM}
    assert station.state in allowed
    replies = _check_output(station.data_to_send())
    if not pf:
        assert replies == []  # a secondary speaks only when polled
    for reply in replies:
        assert reply.destination == CLIENT and reply.control.pf


@pytest.mark.parametrize("state", PRIMARY_STATES)
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.value)
def test_primary_state_table(state: str, kind: Kind) -> None:
    station = _primary(state)
    before = station.state
    frame = Frame(CLIENT, MT372_SERVER, Control(kind, True, ns=0, nr=1))
    events = station.receive_data(frame.encode(), 1.0)
    assert all(isinstance(e, EVENTS) for e in events)
    assert station.state in PRIMARY_NEXT.get((state, kind), {before})
    for reply in _check_output(station.data_to_send()):
        assert reply.destination == MT372_SERVER


def _stations() -> list[SecondaryStation | PrimaryStation]:
    return [_secondary(s) for s in SECONDARY_STATES] + [_primary(s) for s in PRIMARY_STATES]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=4), st.floats(0, 1000))
def test_random_bytes_give_only_events(chunks: list[bytes], now: float) -> None:
    for station in _stations():
        events: list[HdlcEvent] = []
        for chunk in chunks:
            events += station.receive_data(b"\x7e\xa0" + chunk, now)
        events += station.handle_timer(now + 1000)
        assert all(isinstance(e, EVENTS) for e in events)
        _check_output(station.data_to_send())


frame_strategy = st.builds(
    Frame,
    destination=st.sampled_from([MT372_SERVER, CLIENT, mt372_server(18)]),
    source=st.sampled_from([CLIENT, MT372_SERVER, Address.client(1)]),
    control=st.builds(
        Control,
        kind=st.sampled_from(KINDS),
        pf=st.booleans(),
        ns=st.integers(0, 7),
        nr=st.integers(0, 7),
    ),
    information=st.binary(max_size=40),
    segmented=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(frame_strategy, max_size=8))
def test_random_frames_give_only_events(frames: list[Frame]) -> None:
    for station in _stations():
        for frame in frames:
            events = station.receive_data(frame.encode(), 1.0)
            assert all(isinstance(e, EVENTS) for e in events)
        _check_output(station.data_to_send())


def test_unknown_control_gets_frmr_until_snrm() -> None:
    station = _secondary("NRM")
    rej = Frame(MT372_SERVER, CLIENT, Control(Kind.UNKNOWN, True, raw=0x19))  # REJ, P
    station.receive_data(rej.encode(), 0.0)
    (frmr,) = _check_output(station.data_to_send())
    assert frmr.kind is Kind.FRMR
    assert frmr.information == bytes([0x19, 0x00, 0x01])  # control, V(R)/V(S), W
    rr = Frame(MT372_SERVER, CLIENT, Control(Kind.RR, True))
    station.receive_data(rr.encode(), 0.0)
    assert _check_output(station.data_to_send()) == [frmr]  # FRMR condition persists
    station.receive_data(Frame(MT372_SERVER, CLIENT, Control(Kind.SNRM, True)).encode(), 0)
    assert _check_output(station.data_to_send())[0].kind is Kind.UA


def test_too_long_information_gets_frmr_y() -> None:
    station = _secondary("NRM")
    big = Frame(MT372_SERVER, CLIENT, Control(Kind.I, True), bytes(33))
    station.receive_data(big.encode(), 0.0)
    (frmr,) = _check_output(station.data_to_send())
    assert frmr.kind is Kind.FRMR and frmr.information[2] == 0x04


def test_other_client_and_ndm_get_dm() -> None:
    station = _secondary("NRM")
    other = Frame(MT372_SERVER, Address.client(1), Control(Kind.SNRM, True))
    station.receive_data(other.encode(), 0.0)
    (dm,) = _check_output(station.data_to_send())
    assert dm.kind is Kind.DM and dm.destination == Address.client(1)
    assert station.state is SecondaryState.NRM and station.client == CLIENT
    idle = _secondary("NDM")
    idle.receive_data(Frame(MT372_SERVER, CLIENT, Control(Kind.DISC, True)).encode(), 0.0)
    assert _check_output(idle.data_to_send())[0].kind is Kind.DM


def test_multidrop_routes_by_physical_address() -> None:
    meters = [SecondaryStation(mt372_server(p)) for p in (17, 18, 19)]
    bus = MultiDrop(meters)
    snrm = Frame(mt372_server(18), CLIENT, Control(Kind.SNRM, True)).encode()
    noise = Frame(mt372_server(42), CLIENT, Control(Kind.SNRM, True)).encode()
    routed = bus.receive_data(noise + snrm, 0.0)
    assert [(s.address.lower, type(e)) for s, e in routed] == [(18, Connected)]
    (ua,) = _check_output(bus.data_to_send())
    assert ua.kind is Kind.UA and ua.source == mt372_server(18)
    assert [m.state for m in meters] == [SecondaryState.NDM, SecondaryState.NRM, SecondaryState.NDM]
    request = Frame(mt372_server(18), CLIENT, Control(Kind.I, True), b"\xe6\xe6\x00\x01")
    ((station, event),) = bus.receive_data(request.encode(), 1.0)
    assert station is meters[1] and event == DataReceived(16, b"\x01")
    assert bus.get_timer() == pytest.approx(121.0)  # meter 18's inactivity timer
    timed = bus.handle_timer(121.0)
    assert [(s.address.lower, type(e)) for s, e in timed] == [(18, Disconnected)]


def test_multidrop_primary_talks_to_each_meter() -> None:
    meters = [SecondaryStation(mt372_server(p)) for p in (17, 18)]
    bus = MultiDrop(meters)
    for meter in meters:
        primary = PrimaryStation(server=meter.address)
        bus.receive_data(primary.connect(0.0), 0.0)
        primary.receive_data(bus.data_to_send(), 0.0)
        routed = bus.receive_data(primary.send_data(b"\x05", 0.0), 0.0)
        ((station, _),) = [(s, e) for s, e in routed if isinstance(e, DataReceived)]
        answer = station.send_data(bytes([meter.address.lower or 0]) * 50, 0.0)
        (event,) = primary.receive_data(answer, 0.0)
        assert event == DataReceived(16, bytes([meter.address.lower or 0]) * 50)
