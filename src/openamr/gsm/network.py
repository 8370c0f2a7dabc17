"""The simulated GSM network between the head-end's modem and the meters' modems
(issue 16; docs/gsm-meter.md), sans-IO on one clock (``now``).

Subscribers are :class:`~openamr.gsm.modem.MeterModem` objects found by the MSISDN or
IMSI of the card they hold now (a SIM swap moves the meter to its new number);
``resolve`` finds the ones not registered yet (a fleet builds or wakes the twin). The
head-end's side needs no registration: it dials as any caller number.

A CSD call (:class:`Call`) moves through the states a modem reports with its final
result codes (ITU-T V.250 §5.7.1, 3GPP TS 27.007)::

    DIALLING --setup_s--> RINGING --answer_at--> CONNECTED --hang_up / drop--> ENDED
        |                    |-- never answered, no_answer_s --> NO_ANSWER  "NO ANSWER"
        |                    |-- rejected (busy, wake-up call) --> BUSY      "BUSY"
        |-- unknown number, no SIM, no network, weak signal --> NO_CARRIER  "NO CARRIER"
    CONNECTED: "CONNECT 9600" once the carrier is up (handshake_s after the answer);
    the meter's inactivity timeout or its lost network ends it as NO_CARRIER.

An SMS (:class:`Sms`) is delivered ``sms_delay_s`` after it is sent, later when the
recipient's signal is weak (``weak_sms_delay_s``), held while the recipient is not
registered, and expired after ``sms_validity_s``. Delivery happens in :meth:`tick`.

:meth:`GsmNetwork.lookup_address` stands in for the operator's RADIUS accounting
(the Mx372 head-ends polled it for the IP a woken meter got): the endpoint of an
attached meter, else None.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from openamr.gsm.line import CsdLine
from openamr.gsm.modem import RING_S, WEAK_CSQ, CallOffer, CallOutcome, MeterModem, WakeUp
from openamr.gsm.sim import Sim, normalise_number

SETUP_S = 2.0
HANDSHAKE_S = 3.0
NO_ANSWER_S = 60.0  # the caller's wait for an answer (ATS7 on most modems)
SMS_DELAY_S = 3.0
WEAK_SMS_DELAY_S = 120.0
SMS_VALIDITY_S = 86_400.0


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


class Call:
    """One CSD call: ``poll(now)`` moves it on; the two lines carry its data."""

    def __init__(self, network: GsmNetwork, caller: str, callee: str, now: float) -> None:
        self.network = network
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

    def _ring(self) -> None:
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


class SmsState(enum.Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    EXPIRED = "expired"
    FAILED = "failed"  # not a subscriber


@dataclass(slots=True, eq=False)
class Sms:
    reference: int  # the TP-MR the sender's modem reports (+CMGS: <mr>)
    sender: str
    recipient: str
    text: str
    sent_at: float
    state: SmsState = SmsState.PENDING
    delivered_at: float | None = None
    wake_up: WakeUp | None = None
    reason: str = field(default="")


class GsmNetwork:
    """The network: subscribers, calls, SMS, the address lookup."""

    def __init__(
        self,
        *,
        bit_rate: int = 9600,
        setup_s: float = SETUP_S,
        handshake_s: float = HANDSHAKE_S,
        no_answer_s: float = NO_ANSWER_S,
        sms_delay_s: float = SMS_DELAY_S,
        weak_sms_delay_s: float = WEAK_SMS_DELAY_S,
        sms_validity_s: float = SMS_VALIDITY_S,
        resolve: Callable[[str], MeterModem | None] | None = None,
    ) -> None:
        self.bit_rate = bit_rate
        self.setup_s, self.handshake_s, self.no_answer_s = setup_s, handshake_s, no_answer_s
        self.sms_delay_s, self.weak_sms_delay_s = sms_delay_s, weak_sms_delay_s
        self.sms_validity_s = sms_validity_s
        self.resolve = resolve  # a number not registered yet -> its modem (a lazy fleet)
        self.modems: list[MeterModem] = []
        self._by_number: dict[str, MeterModem] = {}
        self.calls: set[Call] = set()
        self.outbox: list[Sms] = []
        self._refs = itertools.count(1)
        self.now = 0.0
        #: a woken meter will connect to the head-end (its adapter opens the socket)
        self.on_dial: Callable[[MeterModem], None] | None = None

    # -- subscribers -----------------------------------------------------------------------

    def register(self, modem: MeterModem) -> None:
        """Make ``modem`` reachable by the MSISDN and IMSI of its card (now and after
        every swap)."""
        if modem.network is not None and modem.network is not self:
            raise ValueError("this modem is on another network")
        modem.network = self
        self.modems.append(modem)
        self.sim_changed(modem, None)

    def dial_planned(self, modem: MeterModem) -> None:
        """``modem`` plans its own connection (:meth:`MeterModem.dial_due`)."""
        if self.on_dial is not None:
            self.on_dial(modem)

    def sim_changed(self, modem: MeterModem, old: Sim | None) -> None:
        """The modem's card changed (called by the modem)."""
        if old is not None:
            for key in (old.msisdn, old.imsi):
                if self._by_number.get(key) is modem:
                    del self._by_number[key]
        if modem.sim is not None:
            self._by_number[modem.sim.msisdn] = modem
            self._by_number[modem.sim.imsi] = modem

    def unregister(self, modem: MeterModem) -> None:
        """Forget ``modem`` (a fleet hibernates its twin; ``resolve`` brings it back)."""
        if modem in self.modems:
            self.modems.remove(modem)
        for key in [k for k, m in self._by_number.items() if m is modem]:
            del self._by_number[key]
        modem.network = None

    def find(self, msisdn_or_imsi: str) -> MeterModem | None:
        """The modem whose card has this MSISDN or IMSI now (``resolve`` asked, and
        what it finds registered, when none is known)."""
        key = normalise_number(msisdn_or_imsi)
        found = self._by_number.get(key)
        if found is None and self.resolve is not None:
            found = self.resolve(key)
            if found is not None and found.network is None:
                self.register(found)
            found = self._by_number.get(key, found)
        return found

    def lookup_address(
        self, msisdn_or_imsi: str, now: float | None = None
    ) -> tuple[str, int] | None:
        """The IP and port where the meter with this MSISDN or IMSI can be reached
        now (None: unknown, or not attached to GPRS). ``now`` defaults to the
        network's last tick."""
        modem = self.find(msisdn_or_imsi)
        if modem is None:
            return None
        at = self.now if now is None else now
        return modem.endpoint if modem.gprs_attached(at) else None

    def set_cell_outage(self, cell: str, down: bool, now: float) -> int:
        """The fault model: no network in ``cell``; the number of meters it touches."""
        touched = [m for m in self.modems if m.cell == cell]
        for m in touched:
            m.set_coverage(not down, now)
        return len(touched)

    # -- calls -------------------------------------------------------------------------

    def dial(self, caller: str, callee: str, now: float) -> Call:
        """Start a CSD call from ``caller`` (any number) to a subscriber."""
        self._advance(now)
        call = Call(self, caller, callee, now)
        self.calls.add(call)
        call.poll(now)
        return call

    def hang_up(self, call: Call, now: float) -> None:
        """The caller hangs up (ATH, or DTR dropped)."""
        if call.poll(now).final:
            return
        call._end(CallState.ENDED, now, "hung up by the caller")

    # -- SMS ---------------------------------------------------------------------------

    def send_sms(self, sender: str, recipient: str, text: str, now: float) -> Sms:
        """Submit an SMS; it is delivered by a later :meth:`tick`."""
        self._advance(now)
        sms = Sms(next(self._refs) % 256, normalise_number(sender),
                  normalise_number(recipient), text, now)  # fmt: skip
        if self.find(recipient) is None:
            sms.state, sms.reason = SmsState.FAILED, f"{sms.recipient} is not a subscriber"
            return sms
        self.outbox.append(sms)
        self.tick(now)
        return sms

    def sms_due(self, sms: Sms, modem: MeterModem) -> float:
        weak = modem.signal_csq < WEAK_CSQ or modem.signal_csq == 99
        return sms.sent_at + (self.weak_sms_delay_s if weak else self.sms_delay_s)

    # -- time --------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Deliver the SMS that are due and move the calls on."""
        self._advance(now)
        keep: list[Sms] = []
        for sms in self.outbox:
            modem = self.find(sms.recipient)
            if modem is None or now >= sms.sent_at + self.sms_validity_s:
                sms.state, sms.reason = SmsState.EXPIRED, "not delivered in its validity"
                continue
            due = self.sms_due(sms, modem)
            modem.tick(now)
            if now >= due and modem.registered:
                at = max(due, modem.registered_since or due)
                sms.state, sms.delivered_at = SmsState.DELIVERED, at
                sms.wake_up = modem.incoming_sms(sms.sender, sms.text, at)
            else:
                keep.append(sms)
        self.outbox = keep
        for call in list(self.calls):
            call.poll(now)

    def next_change(self) -> float | None:
        """The next instant a tick has something to do (SMS due, a call moving)."""
        times = [c.next_change() for c in self.calls]
        for sms in self.outbox:
            modem = self.find(sms.recipient)
            if modem is not None:
                times.append(self.sms_due(sms, modem))
        found = [t for t in times if t is not None]
        return min(found) if found else None

    def _advance(self, now: float) -> None:
        self.now = max(self.now, now)
