"""The meter side of an HDLC byte stream: one meter, or several on an RS485 bus.

An :class:`HdlcLine` joins the sans-IO secondary stations (``link.hdlc``, routed by
physical address through :class:`~openamr.link.hdlc.multidrop.MultiDrop`) to each
meter's server associations. Bytes from the line go to :meth:`HdlcLine.receive`,
frames go out through ``write``; the loop's monotonic time is the ``now`` of the
HDLC timers (inter-octet time-out, inactivity), armed on the loop. Each station
takes its capability and time-outs from the meter's IEC HDLC setup object
(:func:`link_settings`), and reassembles no request above the largest max receive
PDU size the meter offers: such a request is answered with an EXCEPTION-Response
pdu-too-long, as on the wrapper. Every poll is answered: a request the association
does not answer (an unknown client SAP) gives the turn back with RR. A TCP
connection (HDLC through a terminal server), a serial port, an RS485 bus and the
optical line after mode E all use it.

Frames are split from the bytes as they arrive (the inter-octet time-out is the
arrival's) and queued; :meth:`HdlcLine.turn` answers one. :meth:`HdlcLine.receive`
answers them all at once (a serial line has one peer); a TCP connection takes a
turn per loop iteration instead, so that a flooding peer does not starve the others
(:class:`~openamr.aio.dlms_server.HdlcSession`, issue 11 items 9 and 11).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Callable, Sequence

from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.results import ServiceError, StateError
from openamr.association.server_association import ServerAssociation
from openamr.codec.obis import Obis
from openamr.cosem.classes.iec_hdlc_setup import IecHdlcSetup
from openamr.link.hdlc.address import Address, mt372_server
from openamr.link.hdlc.frame import Frame, Kind
from openamr.link.hdlc.multidrop import MultiDrop
from openamr.link.hdlc.params import HdlcParameters
from openamr.link.hdlc.secondary import SecondaryStation
from openamr.link.hdlc.station import (
    LLC_COMMAND,
    Connected,
    DataReceived,
    Disconnected,
    FrameDiscarded,
    HdlcEvent,
    MessageTooLong,
    Timeouts,
)
from openamr.meter.application import ServerApplication

log = logging.getLogger(__name__)


HDLC_SETUP = Obis(0, 0, 22, 0, 0, 255)
TOO_LONG = ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.PDU_TOO_LONG).to_bytes()


def link_settings(app: ServerApplication) -> tuple[HdlcParameters, Timeouts]:
    """What the meter's IEC HDLC setup object (0.0.22.0.0.255, class 23) allows: the
    station's capability (information field lengths and windows, negotiated down
    with the client's SNRM) and its inter-octet and inactivity time-outs. Without
    the object, the defaults of IEC 62056-46 (128 bytes, window 1)."""
    setup = app.device.find(HDLC_SETUP)
    if not isinstance(setup, IecHdlcSetup):
        return HdlcParameters(), Timeouts()
    params = HdlcParameters(
        max_info_tx=_number(setup.max_info_field_length_transmit),
        max_info_rx=_number(setup.max_info_field_length_receive),
        window_tx=_number(setup.window_size_transmit),
        window_rx=_number(setup.window_size_receive),
    )
    largest = max((c.max_receive_pdu_size for c in app.configs.values()), default=0xFFFF)
    timeouts = Timeouts(
        inter_octet=_number(setup.inter_octet_time_out) / 1000,
        inactivity=float(_number(setup.inactivity_time_out)),
        max_message=len(LLC_COMMAND) + largest,
    )
    return params, timeouts


def _number(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"HDLC setup attribute is {value!r}, not a number")
    return int(value)


class _Drop:
    """One meter on the line: its HDLC secondary station and its association."""

    def __init__(self, app: ServerApplication, clock: Callable[[], float]) -> None:
        self.app, self.clock = app, clock
        params, self.timeouts = link_settings(app)
        address = mt372_server(app.physical_address, app.logical_address)
        self.station = SecondaryStation(address, params, self.timeouts)
        self.association: ServerAssociation | None = None

    def handle(self, event: HdlcEvent) -> bytes | None:
        """Follow the link's event; the APDU to answer with, if any."""
        if isinstance(event, Connected):
            self.association = ServerAssociation(
                self.app.configs,
                event.client_address,
                os.urandom,
                self.app.outgoing,
                self.app.received,
            )
        elif isinstance(event, Disconnected):
            self.association = None
        elif isinstance(event, DataReceived) and self.association is not None:
            self.app.refresh()  # the twin brings itself up to now before it answers
            return self.association.receive(event.data, self.clock())
        elif isinstance(event, MessageTooLong) and event.client_address in self.app.configs:
            return TOO_LONG  # Green Book 9.5: above the max receive PDU size
        elif isinstance(event, FrameDiscarded):
            log.debug("HDLC %d: %s", self.app.physical_address, event.reason)
        return None


class HdlcLine:
    """The secondary stations of one or several meters on one byte stream.

    ``on_release`` is called when a link goes down (DISC, inactivity): the optical
    port takes its line back then. Physical addresses must differ.

    ``resolve`` finds the meter at an address no meter of ``apps`` has, when a frame
    first names it (a fleet's bus: :mod:`openamr.fleet.serve`); None: nobody there."""

    def __init__(
        self,
        apps: ServerApplication | Sequence[ServerApplication],
        write: Callable[[bytes], object],
        on_release: Callable[[], object] | None = None,
        resolve: Callable[[Address], ServerApplication | None] | None = None,
    ) -> None:
        apps = [apps] if isinstance(apps, ServerApplication) else list(apps)
        addresses = [(a.physical_address, a.logical_address) for a in apps]
        if (not apps and resolve is None) or len(set(addresses)) != len(addresses):
            raise ValueError(f"a line needs meters with distinct HDLC addresses, not {addresses}")
        self.loop = asyncio.get_running_loop()
        self.drops = [_Drop(app, self.loop.time) for app in apps]
        self._by_station = {id(d.station): d for d in self.drops}
        self.resolve = resolve
        inter_octet = min((d.timeouts.inter_octet for d in self.drops), default=None)
        self.multidrop = MultiDrop(
            (d.station for d in self.drops),
            Timeouts() if inter_octet is None else Timeouts(inter_octet=inter_octet),
            factory=None if resolve is None else self._station_at,
        )
        self.write, self.on_release = write, on_release
        self.timer: asyncio.TimerHandle | None = None
        self.queue: deque[Frame] = deque()  # split, not yet answered

    def _station_at(self, address: Address) -> SecondaryStation | None:
        assert self.resolve is not None
        app = self.resolve(address)
        if app is None or (app.logical_address, app.physical_address) != (
            address.upper,
            address.lower,
        ):
            return None
        drop = _Drop(app, self.loop.time)
        self.drops.append(drop)
        self._by_station[id(drop.station)] = drop
        return drop.station

    @property
    def connected(self) -> bool:
        """Some meter on the line has an association in progress."""
        return any(d.association is not None for d in self.drops)

    def receive(self, data: bytes) -> None:
        """Take ``data`` and answer every frame it completes."""
        self.take(data)
        while self.queue:
            self.turn()

    def take(self, data: bytes) -> None:
        """Split ``data`` into frames, queued for :meth:`turn`."""
        self.queue.extend(self.multidrop.split(data, self.loop.time()))
        self._arm()  # the inter-octet time-out of a partial frame

    def turn(self) -> None:
        """Answer the oldest queued frame."""
        if self.queue:
            now = self.loop.time()
            self._handle(self.multidrop.route(self.queue.popleft(), now), now)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _on_timer(self) -> None:
        now = self.loop.time()
        self._handle(self.multidrop.handle_timer(now), now)

    def _handle(self, events: list[tuple[SecondaryStation, HdlcEvent]], now: float) -> None:
        released = False
        for i, (station, event) in enumerate(events):
            answer = self._by_station[id(station)].handle(event)
            if not _link_kept(station, events[i + 1 :], self.queue):
                pass
            elif answer is not None:
                self._write(station.send_data(answer, now))
            elif isinstance(event, DataReceived | MessageTooLong):  # no answer: RR
                self._write(station.decline())
            released = released or isinstance(event, Disconnected)
        self._write(self.multidrop.data_to_send())
        self._arm()
        if released and self.on_release is not None:
            self.on_release()

    def _write(self, data: bytes) -> None:
        if data:
            self.write(data)

    def _arm(self) -> None:
        self.close()
        deadline = self.multidrop.get_timer()
        if deadline is not None:
            self.timer = self.loop.call_at(deadline, self._on_timer)


def _link_kept(
    station: SecondaryStation,
    later: list[tuple[SecondaryStation, HdlcEvent]],
    queued: deque[Frame],
) -> bool:
    """The station's link that carried a request is still up: no DISC, DM or SNRM for
    it came later, in the same frame's events or among the frames already received
    (the answer must not go out on a dead or new link)."""
    if any(s is station and isinstance(e, (Connected, Disconnected)) for s, e in later):
        return False
    return not any(
        f.kind in (Kind.DISC, Kind.SNRM) and f.destination.same_station(station.address)
        for f in queued
    )


def whole_frames(data: bytes | bytearray, limit: int) -> int:
    """How many leading bytes of ``data`` to frame now: all of it when it is at most
    ``limit`` bytes, else up to the closing flag of the last whole frame within
    ``limit`` (IEC 62056-46 frame format: the length sub-field counts the octets
    between the flags), or ``limit`` when the bytes are not frames (the splitter
    drops them)."""
    if len(data) <= limit:
        return len(data)
    i, cut = 0, 0
    while i + 2 < len(data) and data[i] == 0x7E:
        while i + 1 < len(data) and data[i + 1] == 0x7E:
            i += 1  # idle or shared flags
        if i + 2 >= len(data):
            break
        end = i + 1 + (((data[i + 1] & 0x07) << 8) | data[i + 2])  # the closing flag
        if end >= len(data) or end + 1 > limit or data[end] != 0x7E or end <= i + 2:
            break
        cut, i = end + 1, end  # the closing flag may open the next frame
    return cut or limit
