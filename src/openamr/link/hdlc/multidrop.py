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

from collections.abc import Iterable

from openamr.link.hdlc.frame import FrameSplitter, InvalidFrame
from openamr.link.hdlc.secondary import SecondaryStation
from openamr.link.hdlc.station import FrameDiscarded, HdlcEvent, Timeouts


class MultiDrop:
    """Routes one line's frames to several secondary stations by address."""

    def __init__(self, stations: Iterable[SecondaryStation], timeouts: Timeouts | None = None):
        self.stations = list(stations)
        self.timeouts = timeouts or Timeouts()
        self._splitter = FrameSplitter()
        self._byte_at: float | None = None

    def receive_data(self, data: bytes, now: float) -> list[tuple[SecondaryStation, HdlcEvent]]:
        """Feed bytes from the line; events tagged with the station they belong to."""
        out: list[tuple[SecondaryStation, HdlcEvent]] = []
        for item in self._splitter.feed(data):
            if isinstance(item, InvalidFrame):
                continue  # invalid frames are nobody's: dropped silently
            for station in self.stations:
                out += [(station, e) for e in station.receive_frame(item, now)]
        self._byte_at = now if self._splitter.pending else None
        return out

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
