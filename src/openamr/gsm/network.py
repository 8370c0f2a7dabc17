"""The simulated GSM network between the head-end's modem and the meters' modems
(issue 16; docs/gsm-meter.md), sans-IO on one clock (``now``).

Subscribers are :class:`~openamr.gsm.modem.MeterModem` objects found by the MSISDN or
IMSI of the card they hold now (a SIM swap moves the meter to its new number);
``resolve`` finds the ones not registered yet (a fleet builds or wakes the twin). The
head-end's side needs no registration: it dials as any caller number.

Calls are :class:`~openamr.gsm.call.Call` (their states are drawn there). An SMS
(:class:`Sms`) is delivered ``sms_delay_s`` after it is sent, later when the
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

from openamr.gsm.call import RESULT_CODES, Call, CallState, Terminal
from openamr.gsm.modem import WEAK_CSQ, MeterModem, WakeUp
from openamr.gsm.sim import Sim, normalise_number

SETUP_S = 2.0
HANDSHAKE_S = 3.0
NO_ANSWER_S = 60.0  # the caller's wait for an answer (ATS7 on most modems)
SMS_DELAY_S = 3.0
WEAK_SMS_DELAY_S = 120.0
SMS_VALIDITY_S = 86_400.0


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
        #: the head-end's number -> the lines of its modem pool a meter's call rings
        self.terminals: dict[str, list[Terminal]] = {}

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

    def call_head_end(self, modem: MeterModem, number: str, now: float) -> Call:
        """The meter with ``modem`` places a CSD call to the head-end's ``number``
        (an alarm call-back): it rings at a :class:`Terminal` of that number."""
        self._advance(now)
        caller = modem.sim.msisdn if modem.sim is not None else ""
        call = Call(self, caller, number, now, origin=modem)
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


__all__ = [
    "HANDSHAKE_S", "NO_ANSWER_S", "RESULT_CODES", "SETUP_S", "SMS_DELAY_S", "SMS_VALIDITY_S",
    "WEAK_SMS_DELAY_S", "Call", "CallState", "GsmNetwork", "Sms", "SmsState", "Terminal",
]  # fmt: skip
