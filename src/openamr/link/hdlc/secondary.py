"""The secondary station: the server (meter) side of IEC 62056-46 in normal
response mode (Green Book 8.4.5; ISO/IEC 13239 NRM).

States: NDM (normal disconnected mode) and NRM (normal response mode)::

    NDM --SNRM / UA, Connected--> NRM --DISC / UA, Disconnected--> NDM
    NDM: DISC or any polled command -> DM          NRM: SNRM again -> re-initialise
    NRM --no frame for `inactivity` seconds--> NDM (Disconnected, nothing sent)

The secondary speaks only when polled (P=1), and answers every poll. A complete
request gives ``DataReceived``; the server answers with ``send_data`` (sent at
once if the poll is still owed, else at the next poll) or, having no answer,
:meth:`~SecondaryStation.decline` (RR); a message that is discarded (wrong LLC
header) is answered with RR at once; one too long for ``max_message`` is a
:class:`~openamr.link.hdlc.station.MessageTooLong` for the application to answer.
Answers are segmented to the negotiated maximum information length and window:
I frames with S=1 until the last, F=1 on the last of each window; the client's RR
asks for the next window.

Frames not addressed to this station are ignored silently (multi-drop);
frames from another client while connected get DM. A frame the standard says
to reject gets FRMR (Green Book 8.4.5.4; ISO/IEC 13239 5.5.3.4.2): W undefined
control field, X information not allowed, Y information too long, Z invalid
N(R) in an in-sequence I frame. (An RR or RNR whose N(R) is outside the window
is taken for a late repeat and ignored: a frame reordered or repeated by a
TCP bridge must not tear the link down.) The station then stays in the FRMR
condition, answering every poll with the same FRMR, until SNRM or DISC.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from openamr.errors import DecodeError, LocalProtocolError
from openamr.link.hdlc.address import MT372_SERVER, Address
from openamr.link.hdlc.frame import Control, Frame, Kind
from openamr.link.hdlc.params import HdlcParameters, negotiate
from openamr.link.hdlc.station import (
    LLC_RESPONSE,
    Connected,
    DataReceived,
    Disconnected,
    FrameDiscarded,
    HdlcEvent,
    MessageTooLong,
    Timeouts,
    _Station,
)

FRMR_W, FRMR_X, FRMR_Y, FRMR_Z = 0x01, 0x02, 0x04, 0x08


class SecondaryState(enum.Enum):
    NDM = "NDM"
    NRM = "NRM"


Handler = Callable[["SecondaryStation", Frame], list[HdlcEvent]]


class SecondaryStation(_Station):
    """One server HDLC station (one logical device at one physical address)."""

    def __init__(
        self,
        address: Address = MT372_SERVER,
        params: HdlcParameters | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        super().__init__(params or HdlcParameters(), timeouts or Timeouts(), LLC_RESPONSE)
        self.address = address
        self.state = SecondaryState.NDM
        self.client: Address | None = None
        self._form = address.size
        self._polled = False
        self._frmr: bytes | None = None
        self._last_rx: float | None = None

    @property
    def _local(self) -> Address:
        return self.address.in_form(self._form)

    @property
    def _remote(self) -> Address:
        return self.client or Address.client(0)

    @property
    def client_address(self) -> int:
        return self.client.upper if self.client else 0

    def accepts(self, destination: Address) -> bool:
        """Addressed to this station, or to all stations."""
        return destination.same_station(self.address) or destination.is_broadcast

    # -- input ------------------------------------------------------------------------

    def receive_frame(self, frame: Frame, now: float) -> list[HdlcEvent]:
        """Handle one frame (the Bus hands frames in directly)."""
        if not self.accepts(frame.destination) or frame.destination.is_broadcast:
            return []  # not ours; broadcasts are never answered
        self._last_rx = now
        if self.state is SecondaryState.NRM and frame.source != self.client:
            self._reply_other(frame)
            return [FrameDiscarded(f"frame from client {frame.source.upper} while connected")]
        if self._frmr is not None and frame.kind not in (Kind.SNRM, Kind.DISC):
            if frame.control.pf:
                self._send(Kind.FRMR, True, self._frmr)
            return []
        handler = _HANDLERS[self.state].get(frame.kind, _HANDLERS[self.state][Kind.UNKNOWN])
        return handler(self, frame)

    def _reply_other(self, frame: Frame) -> None:
        if frame.control.pf:
            local = self.address.in_form(frame.destination.size)
            self._outbox += Frame(frame.source, local, _dm()).encode()

    def _dm_if_polled(self, frame: Frame) -> list[HdlcEvent]:
        if frame.control.pf:
            self._reply_other(frame)
        return []

    def _on_snrm(self, frame: Frame) -> list[HdlcEvent]:
        try:
            peer = HdlcParameters.decode(frame.information)
        except DecodeError as e:
            self._reply_other(frame)
            return [FrameDiscarded(f"SNRM parameters: {e.reason}")]
        events: list[HdlcEvent] = []
        if self.state is SecondaryState.NRM:
            events.append(Disconnected(self.client_address, "SNRM re-initialised the link"))
        self.params = negotiate(self.capability, peer)
        self._reset_sequence()
        self._frmr, self._polled = None, False
        self.state, self.client = SecondaryState.NRM, frame.source
        self._form = frame.destination.size
        if frame.control.pf:  # a secondary speaks only when polled
            self._send(Kind.UA, True, self.params.encode())
        return [*events, Connected(self.client_address, self.params)]

    def _on_disc(self, frame: Frame) -> list[HdlcEvent]:
        if frame.control.pf:
            self._send(Kind.UA, True)
        return self._drop("DISC")

    def _drop(self, reason: str) -> list[HdlcEvent]:
        event = Disconnected(self.client_address, reason)
        self.state, self.client, self._frmr, self._polled = SecondaryState.NDM, None, None, False
        self._reset_sequence()
        return [event]

    def _on_i(self, frame: Frame) -> list[HdlcEvent]:
        if len(frame.information) > self.params.max_info_rx:
            return self._reject(frame, FRMR_Y)
        if frame.control.ns != self.vr:  # a repeat or a gap: drop it, say where we are
            if self._acknowledge(frame.control.nr) and frame.control.pf:
                self._answer_poll()
            return [FrameDiscarded(f"N(S) {frame.control.ns} out of sequence, V(R) {self.vr}")]
        if not self._acknowledge(frame.control.nr):
            return self._reject(frame, FRMR_Z)
        events = self._accept_i(frame, self.client_address)
        if frame.control.pf:
            request = any(isinstance(e, DataReceived | MessageTooLong) for e in events)
            if frame.segmented or self._has_output() or not request:
                self._answer_poll()  # a discarded message (LLC, size) is answered too
            else:
                self._polled = True
        return events

    def _on_rr(self, frame: Frame) -> list[HdlcEvent]:
        if frame.information:
            return self._reject(frame, FRMR_X)
        if not self._acknowledge(frame.control.nr):
            return [_stale(frame)]
        if frame.control.pf:
            self._answer_poll()
        return []

    def _on_rnr(self, frame: Frame) -> list[HdlcEvent]:
        if frame.information:
            return self._reject(frame, FRMR_X)
        if not self._acknowledge(frame.control.nr):
            return [_stale(frame)]
        if frame.control.pf:
            self._send(Kind.RR, True)  # the client is busy: hold our I frames
        return []

    def _on_ui(self, frame: Frame) -> list[HdlcEvent]:
        if frame.information.startswith(self._llc_in):
            return [DataReceived(self.client_address, frame.information[3:])]
        return [FrameDiscarded("UI frame without the LLC header")]

    def _on_unknown(self, frame: Frame) -> list[HdlcEvent]:
        return self._reject(frame, FRMR_W | (FRMR_X if frame.information else 0))

    def _reject(self, frame: Frame, bits: int) -> list[HdlcEvent]:
        """FRMR info (modulo 8): rejected control | V(R) C/R V(S) 0 | 000 V Z Y X W."""
        raw = frame.control.encode()
        self._frmr = bytes([raw, (self.vr << 5) | (self.vs << 1), bits])
        if frame.control.pf:
            self._send(Kind.FRMR, True, self._frmr)
        return [FrameDiscarded(f"FRMR {self._frmr.hex(' ')} for control 0x{raw:02x}")]

    def _answer_poll(self) -> None:
        self._polled = False
        if self._has_output():
            self._transmit()
        else:
            self._send(Kind.RR, True)

    # -- output -----------------------------------------------------------------------

    def decline(self) -> bytes:
        """The application has no answer to the last request (an unknown client SAP,
        an unconfirmed service): a poll still owed is answered with RR, so the client
        gets the turn back (IEC 62056-46 6.4.4.4.2: every P=1 gets an F=1)."""
        if self._polled:
            self._answer_poll()
        return self.data_to_send()

    def send_data(self, data: bytes, now: float) -> bytes:
        """Answer with ``data`` (an APDU; the LLC header is added here)."""
        if self.state is not SecondaryState.NRM:
            raise LocalProtocolError("send_data on a disconnected HDLC link")
        self._enqueue(data)
        if self._polled:
            self._answer_poll()
        return self.data_to_send()

    # -- timers -----------------------------------------------------------------------

    @property
    def _watching_inactivity(self) -> bool:
        """Connected, with an inactivity time-out (0 means none: HDLC setup attr 8)."""
        return (
            self.state is SecondaryState.NRM
            and self._last_rx is not None
            and self.timeouts.inactivity > 0
        )

    def get_timer(self) -> float | None:
        deadlines = [self._octet_deadline()]
        if self._watching_inactivity:
            assert self._last_rx is not None
            deadlines.append(self._last_rx + self.timeouts.inactivity)
        return min((d for d in deadlines if d is not None), default=None)

    def handle_timer(self, now: float) -> list[HdlcEvent]:
        events = self._octet_timer(now)
        if self._watching_inactivity and now >= (self._last_rx or 0.0) + self.timeouts.inactivity:
            events += self._drop("inactivity time-out")
        return events


def _stale(frame: Frame) -> FrameDiscarded:
    return FrameDiscarded(f"{frame.kind.value} with a stale N(R) {frame.control.nr}: ignored")


def _dm() -> Control:
    return Control(Kind.DM, True)


_NDM: dict[Kind, Handler] = {
    Kind.SNRM: SecondaryStation._on_snrm,
    Kind.UNKNOWN: SecondaryStation._dm_if_polled,
}
_NRM: dict[Kind, Handler] = {
    Kind.SNRM: SecondaryStation._on_snrm,
    Kind.DISC: SecondaryStation._on_disc,
    Kind.I: SecondaryStation._on_i,
    Kind.RR: SecondaryStation._on_rr,
    Kind.RNR: SecondaryStation._on_rnr,
    Kind.UI: SecondaryStation._on_ui,
    Kind.UNKNOWN: SecondaryStation._on_unknown,
}
_HANDLERS: dict[SecondaryState, dict[Kind, Handler]] = {
    SecondaryState.NDM: _NDM,
    SecondaryState.NRM: _NRM,
}
