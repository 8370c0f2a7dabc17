"""Several secondary stations on one HDLC line (IEC 62056-46 multi-drop; the
MT372 on RS485, up to 32 meters on one bus).

One byte stream comes in; :class:`MultiDrop` finds the frames once and hands
each to the stations whose address it names (:meth:`SecondaryStation.accepts`);
the others never see it. Only the polled station answers, so the replies,
collected by :meth:`data_to_send`, do not collide on a half-duplex line::

    line --> MultiDrop --frame for 1/17--> station 17 --> outbox \
                       --frame for 1/18--> station 18 --> outbox  +--> line
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from openamr.link.hdlc.address import Address
from openamr.link.hdlc.frame import Frame, FrameSplitter, InvalidFrame
from openamr.link.hdlc.secondary import SecondaryStation
from openamr.link.hdlc.station import FrameDiscarded, HdlcEvent, Timeouts

#: Makes the station of an address the line has not seen yet (None: nobody there).
StationFactory = Callable[[Address], SecondaryStation | None]


class MultiDrop:
    """Routes one line's frames to several secondary stations by address.

    A frame goes to the one station its destination names, found by address (the
    cost of a frame does not grow with the stations on the line); broadcasts are
    never answered (IEC 62056-46 6.4.2.3), so no station needs them. ``factory``
    makes a station when a frame first names its address (a fleet's bus wakes a
    meter only when it is addressed)."""

    def __init__(
        self,
        stations: Iterable[SecondaryStation],
        timeouts: Timeouts | None = None,
        factory: StationFactory | None = None,
    ):
        self.stations: list[SecondaryStation] = []
        self._by_address: dict[tuple[int, int | None], SecondaryStation | None] = {}
        for station in stations:
            self._add(station)
        self.timeouts = timeouts or Timeouts()
        self.factory = factory
        self._splitter = FrameSplitter()
        self._byte_at: float | None = None

    def _add(self, station: SecondaryStation) -> None:
        self.stations.append(station)
        self._by_address[(station.address.upper, station.address.lower)] = station

    def station_for(self, destination: Address) -> SecondaryStation | None:
        """The station ``destination`` names (made by the factory the first time)."""
        key = (destination.upper, destination.lower)
        if key in self._by_address:
            return self._by_address[key]
        station = None if self.factory is None else self.factory(destination)
        self._by_address[key] = station
        if station is not None:
            self.stations.append(station)
        return station

    def receive_data(self, data: bytes, now: float) -> list[tuple[SecondaryStation, HdlcEvent]]:
        """Feed bytes from the line; events tagged with the station they belong to."""
        return [pair for frame in self.split(data, now) for pair in self.route(frame, now)]

    def split(self, data: bytes, now: float) -> list[Frame]:
        """The first half of :meth:`receive_data`: the frames completed by ``data``
        (invalid ones are nobody's, broadcasts unanswered: dropped), timed for the
        inter-octet time-out at ``now``. A server that answers frames one at a time
        (fair service) splits at once and routes each frame at its turn."""
        frames = [
            item
            for item in self._splitter.feed(data)
            if not isinstance(item, InvalidFrame) and not item.destination.is_broadcast
        ]
        self._byte_at = now if self._splitter.pending else None
        return frames

    def route(self, frame: Frame, now: float) -> list[tuple[SecondaryStation, HdlcEvent]]:
        """The second half: one frame to the station it names, its events."""
        station = self.station_for(frame.destination)
        if station is None:
            return []
        return [(station, e) for e in station.receive_frame(frame, now)]

    def data_to_send(self) -> bytes:
        return b"".join(station.data_to_send() for station in self.stations)

    def get_timer(self) -> float | None:
        deadlines = [s.get_timer() for s in self.stations]
        if self._byte_at is not None:
            deadlines.append(self._byte_at + self.timeouts.inter_octet)
        return min((d for d in deadlines if d is not None), default=None)

    def handle_timer(self, now: float) -> list[tuple[SecondaryStation, HdlcEvent]]:
        out: list[tuple[SecondaryStation, HdlcEvent]] = []
        if self._byte_at is not None and now >= self._byte_at + self.timeouts.inter_octet:
            self._byte_at = None
            if (invalid := self._splitter.discard_partial()) is not None:
                out += [(s, FrameDiscarded(invalid.reason)) for s in self.stations[:1]]
        for station in self.stations:
            out += [(station, e) for e in station.handle_timer(now)]
        return out
