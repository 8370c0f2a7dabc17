"""A CSD call in the simulated GSM network (issue 16; docs/gsm.md), sans-IO: its
states, its two paced lines, and who answers it (:mod:`openamr.gsm.network` places
it).

A CSD call (:class:`Call`) moves through the states a modem reports with its final
result codes (ITU-T V.250 §5.7.1, 3GPP TS 27.007)::

    DIALLING --setup_s--> RINGING --answer_at--> CONNECTED --hang_up / drop--> ENDED
        |                    |-- never answered, no_answer_s --> NO_ANSWER  "NO ANSWER"
        |                    |-- rejected (busy, wake-up call) --> BUSY      "BUSY"
        |-- unknown number, no SIM, no network, weak signal --> NO_CARRIER  "NO CARRIER"
    CONNECTED: "CONNECT 9600" once the carrier is up (handshake_s after the answer);
    the meter's inactivity timeout or its lost network ends it as NO_CARRIER.

A meter may call the head-end too (:meth:`GsmNetwork.call_head_end`): the call rings
at a line of the head-end's modem pool registered for the number (a :class:`Terminal`,
which prints RING) until that line answers it (:meth:`Call.answer`, ATA or S0), the
meter gives up (no_answer_s: NO_ANSWER), or finds every line busy (BUSY). Either way
the head-end's side uses ``send``/``receive`` and the meter's ``meter_send``/
``meter_receive``.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Protocol

from openamr.gsm.line import CsdLine
from openamr.gsm.modem import RING_S, CallOffer, CallOutcome, MeterModem, WakeUp
from openamr.gsm.sim import normalise_number

if TYPE_CHECKING:
    from openamr.gsm.network import GsmNetwork


class CallState(enum.Enum):
    DIALLING = "dialling"
    RINGING = "ringing"
    CONNECTED = "connected"
    BUSY = "busy"
    NO_ANSWER = "no answer"
    NO_CARRIER = "no carrier"
    ENDED = "ended"  # hung up by the caller after CONNECT

    @property
    def final(self) -> bool:
        return self not in (CallState.DIALLING, CallState.RINGING, CallState.CONNECTED)


#: the final result code of each state that has one (V.250 §5.7.1)
RESULT_CODES = {
    CallState.BUSY: "BUSY",
    CallState.NO_ANSWER: "NO ANSWER",
    CallState.NO_CARRIER: "NO CARRIER",
}


class Terminal(Protocol):
    """A line of the head-end's modem pool that calls to its number may ring."""

    def offer(self, call: Call, now: float) -> bool:
        """``call`` rings here from ``now`` (False: this line is busy)."""
        ...


class Call:
    """One CSD call: ``poll(now)`` moves it on; the two lines carry its data.
    ``origin``: the meter's modem that placed it (None: the head-end called)."""

    def __init__(
        self, network: GsmNetwork, caller: str, callee: str, now: float,
        origin: MeterModem | None = None,
    ) -> None:  # fmt: skip
        self.network, self.origin = network, origin
        self.caller, self.callee = normalise_number(caller), normalise_number(callee)
        self.dialled_at = now
        self.ring_at = now + network.setup_s
        self.no_answer_at = now + network.no_answer_s
        self._answered = False
        self.state = CallState.DIALLING
        self.offer: CallOffer | None = None
        self.modem: MeterModem | None = None
        self.connected_at: float | None = None
        self.ended_at: float | None = None
        self.reason = ""
        self.bit_rate = network.bit_rate  # the lower of the bearer's and the meter's
        self.to_callee = CsdLine(self.bit_rate)
        self.to_caller = CsdLine(self.bit_rate)

    @property
    def result_code(self) -> str | None:
        """What the caller's modem prints: "CONNECT 9600", "BUSY", ... (None while
        dialling and ringing, and after a hang-up)."""
        if self.state is CallState.CONNECTED:
            return f"CONNECT {self.bit_rate}"
        return RESULT_CODES.get(self.state)

    @property
    def wake_up(self) -> WakeUp | None:
        return None if self.offer is None else self.offer.wake_up

    def next_change(self) -> float | None:
        """The next instant :meth:`poll` may change the state (for an adapter's timer)."""
        if self.state is CallState.DIALLING:
            return self.ring_at
        if self.state is CallState.RINGING and self.offer is not None:
            o = self.offer
            if o.answer_at is not None:
                return o.answer_at + self.network.handshake_s
            return o.reject_at if o.reject_at is not None else self.no_answer_at
        if self.state is CallState.CONNECTED and self.modem is not None:
            return self.modem.call_drop_at()
        return None

    def poll(self, now: float) -> CallState:
        """The state at ``now``."""
        if self.state is CallState.DIALLING and now >= self.ring_at:
            self._ring()
        if self.state is CallState.RINGING:
            self._ringing(now)
        if self.state is CallState.CONNECTED and self.modem is not None:
            drop_at = self.modem.call_drop_at()
            if self.modem.call_should_drop(now):
                at = drop_at if drop_at is not None and drop_at <= now else now
                self._end(CallState.NO_CARRIER, at, "the meter dropped the line")
        return self.state

    def rings(self, now: float) -> int:
        """Rings heard by ``now``."""
        if now < self.ring_at or self.offer is None:
            return 0
        heard = int((now - self.ring_at) // RING_S) + 1
        return min(heard, self.offer.rings) if self.offer.rings else heard

    # -- data (the caller's side and the meter's side) ---------------------------------

    def send(self, data: bytes, now: float) -> float:
        """The caller sends; the instant the last octet reaches the meter."""
        if self.poll(now) is not CallState.CONNECTED:
            return now
        return self.to_callee.send(data, now)

    def receive(self, now: float) -> bytes:
        """What reached the caller by ``now``."""
        self.poll(now)
        return self.to_caller.receivable(now)

    def meter_send(self, data: bytes, now: float) -> float:
        if self.poll(now) is not CallState.CONNECTED or self.modem is None:
            return now
        self.modem.data_activity(now)
        return self.to_caller.send(data, now)

    def meter_receive(self, now: float) -> bytes:
        self.poll(now)
        data = self.to_callee.receivable(now)
        if data and self.modem is not None:
            self.modem.data_activity(now)
        return data

    # -- inside --------------------------------------------------------------------------

    def answer(self, now: float) -> bool:
        """The head-end's line answers a meter's call ringing at it (ATA, S0)."""
        if self.origin is None or self.poll(now) is not CallState.RINGING:
            return False
        rings = self.rings(now)
        self.offer = CallOffer(CallOutcome.ANSWER, "answered by the head-end", rings, now)
        self.poll(now)
        return True

    def _ring_head_end(self, origin: MeterModem) -> None:
        self.modem = origin
        why = origin.unreachable()
        lines = self.network.terminals.get(self.callee, [])
        if why or not lines:
            self._end(CallState.NO_CARRIER, self.ring_at, why or f"{self.callee} does not answer")
            return
        if not any(line.offer(self, self.ring_at) for line in lines):
            self._end(CallState.BUSY, self.ring_at, "every line of the head-end is busy")
            return
        self.offer = CallOffer(CallOutcome.NO_ANSWER, "ringing at the head-end")
        self.state = CallState.RINGING

    def _ring(self) -> None:
        if self.origin is not None:
            self._ring_head_end(self.origin)
            return
        modem = self.network.find(self.callee)
        if modem is None:
            self._end(CallState.NO_CARRIER, self.ring_at, f"{self.callee} is not a subscriber")
            return
        self.modem = modem
        if modem.dte_bit_rate < self.bit_rate:
            self.bit_rate = modem.dte_bit_rate
            self.to_callee, self.to_caller = CsdLine(self.bit_rate), CsdLine(self.bit_rate)
        self.offer = offer = modem.incoming_call(self.caller, self.ring_at)
        self.reason = offer.reason
        if offer.outcome is CallOutcome.UNREACHABLE:
            self._end(CallState.NO_CARRIER, self.ring_at, offer.reason)
        else:
            self.state = CallState.RINGING

    def _ringing(self, now: float) -> None:
        o = self.offer
        assert o is not None and self.modem is not None
        if o.answer_at is not None and now >= o.answer_at:
            if not self._answered:
                self._answered = True
                self.modem.call_connected(o.answer_at)
            if now >= o.answer_at + self.network.handshake_s:
                self.state = CallState.CONNECTED
                self.connected_at = o.answer_at + self.network.handshake_s
                self.modem.data_activity(self.connected_at)
            return
        if o.reject_at is not None and now >= o.reject_at:
            self._end(CallState.BUSY, o.reject_at, o.reason)
        elif o.answer_at is None and now >= self.no_answer_at:
            self._end(CallState.NO_ANSWER, self.no_answer_at, o.reason)

    def _end(self, state: CallState, at: float, reason: str) -> None:
        if self.modem is not None and self._answered:
            self.modem.call_ended(at, reason)
        self.state, self.ended_at, self.reason = state, at, reason
        self.to_callee.clear()
        self.to_caller.clear()
        self.network.calls.discard(self)
