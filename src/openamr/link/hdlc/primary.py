"""The primary station: the client (head-end) side of IEC 62056-46 in normal
response mode (Green Book 8.4.5; ISO/IEC 13239 NRM).

States and what moves them::

    DISCONNECTED --connect(): SNRM--> CONNECTING --UA: Connected--> CONNECTED
    CONNECTING   --DM: Disconnected--> DISCONNECTED
    CONNECTED    --disconnect(): DISC--> DISCONNECTING --UA or DM: Disconnected--> DISCONNECTED
    CONNECTED    --DM: Disconnected--> DISCONNECTED;  --FRMR: DISC--> DISCONNECTING
    any waiting state --no answer after max_retries polls: Disconnected--> DISCONNECTED

The primary holds the turn. ``send_data`` segments a request to the negotiated
maximum information length and sends up to a window of I frames, P=1 on the
last; an RR from the server acknowledges them and asks for the rest. Then the
server answers with I frames; an answer with S=1 and F=1 is followed by an RR
poll for the next window, until the frame with S=0 completes ``DataReceived``.

Recovery: when no frame with the final bit arrives in time, the primary polls
with RR(P=1, N(R)=V(R)) (SNRM and DISC are simply repeated). "In time" follows
the line (:class:`Timeouts`): ``response`` plus the transmission time of what was
sent, restarted by whatever arrives (plus one frame's transmission time),
so that a window of long frames on a slow line is never taken for silence (a
poll sent while the server is still sending makes it send the window again).
The server's answer tells by its N(R) which of our frames arrived, and our N(R)
tells it which of its frames to send again: lost, duplicated or corrupted
frames in either direction are recovered this way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from openamr.errors import DecodeError, LocalProtocolError
from openamr.link.hdlc.address import MT372_SERVER, PUBLIC_CLIENT, Address
from openamr.link.hdlc.frame import Frame, Kind
from openamr.link.hdlc.params import HdlcParameters, negotiate
from openamr.link.hdlc.station import (
    FRAME_OVERHEAD,
    LLC_COMMAND,
    Connected,
    Disconnected,
    FrameDiscarded,
    HdlcEvent,
    Timeouts,
    _Station,
)


class PrimaryState(enum.Enum):
    DISCONNECTED = "DISCONNECTED"
    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    DISCONNECTING = "DISCONNECTING"


Handler = Callable[["PrimaryStation", Frame, float], list[HdlcEvent]]


class PrimaryStation(_Station):
    """One client HDLC station talking to one server address."""

    def __init__(
        self,
        client: int = PUBLIC_CLIENT,
        server: Address = MT372_SERVER,
        params: HdlcParameters | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        super().__init__(params or HdlcParameters(), timeouts or Timeouts(), LLC_COMMAND)
        self.client = Address.client(client)
        self.server = server
        self.state = PrimaryState.DISCONNECTED
        self.busy = False  # a request is out and its answer not complete
        self._deadline: float | None = None
        self._retries = 0
        self._disc_reason = "DISC"

    @property
    def _local(self) -> Address:
        return self.client

    @property
    def _remote(self) -> Address:
        return self.server

    # -- commands ---------------------------------------------------------------------

    def connect(self, now: float) -> bytes:
        """SNRM, with our parameters unless they are all defaults."""
        self._require(PrimaryState.DISCONNECTED, "connect")
        self.state = PrimaryState.CONNECTING
        self._send_snrm()
        self._arm(now, fresh=True)
        return self.data_to_send()

    def send_data(self, data: bytes, now: float) -> bytes:
        """Send a request (an APDU; the LLC header is added here)."""
        self._require(PrimaryState.CONNECTED, "send_data")
        if self.busy:
            raise LocalProtocolError("send_data while the previous answer is incomplete")
        self._enqueue(data)
        self.busy = True
        self._transmit()
        self._arm(now, fresh=True)
        return self.data_to_send()

    def disconnect(self, now: float) -> bytes:
        self._require(PrimaryState.CONNECTED, "disconnect")
        self.state, self._disc_reason = PrimaryState.DISCONNECTING, "DISC"
        self._send(Kind.DISC, True)
        self._arm(now, fresh=True)
        return self.data_to_send()

    def _require(self, state: PrimaryState, what: str) -> None:
        if self.state is not state:
            raise LocalProtocolError(f"{what} in state {self.state.value}")

    def _send_snrm(self) -> None:
        info = b"" if self.capability.is_default else self.capability.encode()
        self._send(Kind.SNRM, True, info)

    def _arm(self, now: float, fresh: bool = False) -> None:
        """Wait for the final bit: the turnaround plus the time the line needs to
        carry what waits in the outbox (all of it was sent now)."""
        if fresh:
            self._retries = 0
        sent = self.timeouts.line_time(len(self._outbox))
        self._deadline = now + self.timeouts.response + sent

    def _heard(self, now: float) -> None:
        """Bytes arrived while we wait: the server is sending; the frame they belong
        to may take one frame's transmission time to complete."""
        if self._deadline is not None:
            frame = self.params.max_info_rx + FRAME_OVERHEAD
            self._deadline = max(
                self._deadline, now + self.timeouts.response + self.timeouts.line_time(frame)
            )

    # -- input ------------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[HdlcEvent]:
        """Bytes from the line. While a frame is still arriving the server is
        talking, so the wait is restarted by the bytes, not only by whole frames:
        a 2 kB frame takes 2.1 s at 9600 Bd, longer than the turnaround allowance."""
        if data:
            self._heard(now)
        return super().receive_data(data, now)

    def receive_frame(self, frame: Frame, now: float) -> list[HdlcEvent]:
        if frame.destination != self.client or not frame.source.same_station(self.server):
            return []
        handler = _HANDLERS[self.state].get(frame.kind)
        if handler is None:
            return [FrameDiscarded(f"{frame.kind.value} in state {self.state.value}")]
        return handler(self, frame, now)

    def _on_ua_connecting(self, frame: Frame, now: float) -> list[HdlcEvent]:
        try:
            peer = HdlcParameters.decode(frame.information)
        except DecodeError as e:
            return self._down(f"UA parameters: {e.reason}")
        self.params = negotiate(self.capability, peer)
        self._reset_sequence()
        self.state, self.busy, self._deadline = PrimaryState.CONNECTED, False, None
        return [Connected(self.client.upper, self.params)]

    def _on_dm(self, frame: Frame, now: float) -> list[HdlcEvent]:
        return self._down("DM: the server is disconnected")

    def _on_ua_disconnecting(self, frame: Frame, now: float) -> list[HdlcEvent]:
        return self._down(self._disc_reason)

    def _on_frmr(self, frame: Frame, now: float) -> list[HdlcEvent]:
        self.busy = False
        self._reset_sequence()
        self.state = PrimaryState.DISCONNECTING
        self._disc_reason = f"FRMR {frame.information.hex(' ')}"
        self._send(Kind.DISC, True)
        self._arm(now, fresh=True)
        return [FrameDiscarded(self._disc_reason)]

    def _down(self, reason: str) -> list[HdlcEvent]:
        self.state, self.busy, self._deadline = PrimaryState.DISCONNECTED, False, None
        self._reset_sequence()
        return [Disconnected(self.client.upper, reason)]

    def _on_i(self, frame: Frame, now: float) -> list[HdlcEvent]:
        if not self.busy:
            return [FrameDiscarded("I frame while nothing was asked")]
        if not self._acknowledge(frame.control.nr):
            return [FrameDiscarded(f"invalid N(R) {frame.control.nr}")]
        if frame.control.ns != self.vr:  # a gap or a repeat: poll again for the rest
            if frame.control.pf:  # the server's turn is over: no need to wait for the timer
                self._poll(now)
            return [FrameDiscarded(f"N(S) {frame.control.ns} out of sequence, V(R) {self.vr}")]
        events = self._accept_i(frame, self.client.upper)
        self._retries = 0
        if frame.control.pf:
            if frame.segmented:
                self._poll(now, fresh=True)
            else:
                self.busy, self._deadline = False, None
        return events

    def _on_rr(self, frame: Frame, now: float) -> list[HdlcEvent]:
        if not self.busy or not frame.control.pf:
            return []
        if not self._acknowledge(frame.control.nr):
            return [FrameDiscarded(f"invalid N(R) {frame.control.nr}")]
        if self._has_output():
            self._transmit()
            self._arm(now, fresh=True)
        return []  # else the answer is not ready: the timer polls again

    def _on_rnr(self, frame: Frame, now: float) -> list[HdlcEvent]:
        if self.busy and not self._acknowledge(frame.control.nr):
            return [FrameDiscarded(f"invalid N(R) {frame.control.nr}")]
        return []  # the server is busy: poll again when the timer fires

    def _poll(self, now: float, fresh: bool = False) -> None:
        self._send(Kind.RR, True)
        self._arm(now, fresh)

    # -- timers -----------------------------------------------------------------------

    def get_timer(self) -> float | None:
        deadlines = [d for d in (self._deadline, self._octet_deadline()) if d is not None]
        return min(deadlines, default=None)

    def handle_timer(self, now: float) -> list[HdlcEvent]:
        events = self._octet_timer(now)
        if self._deadline is None or now < self._deadline:
            return events
        self._retries += 1
        if self._retries > self.timeouts.max_retries:
            return [*events, *self._down(f"no answer after {self.timeouts.max_retries} retries")]
        if self.state is PrimaryState.CONNECTING:
            self._send_snrm()
        elif self.state is PrimaryState.DISCONNECTING:
            self._send(Kind.DISC, True)
        else:
            self._send(Kind.RR, True)
        self._arm(now)
        return events


_HANDLERS: dict[PrimaryState, dict[Kind, Handler]] = {
    PrimaryState.DISCONNECTED: {},
    PrimaryState.CONNECTING: {
        Kind.UA: PrimaryStation._on_ua_connecting,
        Kind.DM: PrimaryStation._on_dm,
    },
    PrimaryState.CONNECTED: {
        Kind.I: PrimaryStation._on_i,
        Kind.RR: PrimaryStation._on_rr,
        Kind.RNR: PrimaryStation._on_rnr,
        Kind.DM: PrimaryStation._on_dm,
        Kind.FRMR: PrimaryStation._on_frmr,
    },
    PrimaryState.DISCONNECTING: {
        Kind.UA: PrimaryStation._on_ua_disconnecting,
        Kind.DM: PrimaryStation._on_ua_disconnecting,
    },
}
