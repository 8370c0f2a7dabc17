"""The meter's GSM modem, sans-IO: what it is registered with, and what it does with a
call, an SMS and a wake-up (issue 16; docs/gsm-meter.md).

Settings come from the COSEM objects (the meter side maps them, Blue Book §4.8):

* Auto answer 0.0.2.2.0.255 (class 28, :class:`AutoAnswerSettings`): mode, listening
  window, rings in and out of the window, the allowed callers with their call type
  (normal CSD call, or wake-up request).
* Auto connect 0.0.2.1.0.255 (class 29, :class:`AutoConnectSettings`): mode, calling
  window, destinations; with the Mx372 call restriction 0.0.128.20.20.255 (bit ``i``
  set: destination ``i`` may also call in by CSD).
* The Mx372 GSM mode 0.0.128.20.10.255 (:class:`GsmMode`) and the inactivity timeouts
  (the HDLC setup's for a CSD call, the TCP-UDP setup's for a GPRS session).

Decisions ([I], the MT372's own rules are not public): incoming calls in
:mod:`openamr.gsm.answer`, the meter's own connection after a wake-up in
:mod:`openamr.gsm.gprs`, and::

    GPRS attached when       GSM mode 2 (GPRS): whenever registered (the factory
                             default: always reachable by TCP)
                             GSM mode 0/1: auto connect 101 whenever registered;
                             102/103 inside the calling window; and for 103/104 a
                             wake-up session, from wake + ATTACH_S until no data
                             for the session timeout (TCP-UDP inactivity, or
                             DEFAULT_SESSION_S when that is 0)

A wake-up is an SMS from a whitelisted number (any text), a wake-up call, a write of
0 to the GSM mode, or auto connect's ``connect()``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from openamr.cosem.classes.auto_answer import CallType
from openamr.cosem.classes.auto_connect import AutoConnectMode
from openamr.cosem.classes.gsm_diagnostic import (
    NOT_KNOWN,
    CsAttachment,
    GsmStatus,
    PsStatus,
    signal_bars,
)
from openamr.gsm import answer
from openamr.gsm.gprs import WAKE_MODES, DialPlan, Session, plan
from openamr.gsm.modem_types import (
    ATTACH_S,
    CSD_INACTIVITY_S,
    CURSOR_S,
    DEFAULT_SESSION_S,
    MIN_CALL_CSQ,
    REGISTRATION_S,
    RING_S,
    WEAK_CSQ,
    AutoAnswerSettings,
    AutoConnectSettings,
    CallOffer,
    CallOutcome,
    GsmMode,
    ModemEvent,
    ModemEventKind,
    WakeUp,
    WindowTest,
    always,
    never,
)
from openamr.gsm.sim import Sim

if TYPE_CHECKING:
    from openamr.gsm.network import GsmNetwork


#: true second -> the last power-up at or before it (None: powered down)
PowerUp = Callable[[float], "float | None"]
#: true second -> +CSQ
Signal = Callable[[float], int]


def _always_powered(now: float) -> float | None:
    return -math.inf


class MeterModem:
    """The modem of one meter (see the module docstring for the rules).

    Registration is a function of time: the modem registers ``registration_s``
    after the latest of its power-up (``power_up``, given by the meter: none while
    powered down), the card's insertion and the network's return; without a card it
    is not registered, without coverage it searches. ``signal`` gives the +CSQ at a
    time (or set ``signal_csq``). ``configure`` is called before each decision to
    bring the settings up to date (the meter side maps its COSEM objects; None:
    the attributes as set). The fault model's collaborators: ``network_up`` gives
    when the network came back at this meter (None: no network now; it counts as
    a return of coverage), ``busy`` whether the line is busy at a time.

    ``now`` only moves forward; every method first brings the state up to ``now``
    (:meth:`tick`). ``registered`` and ``status`` are as of the last call."""

    def __init__(
        self,
        sim: Sim | None,
        now: float = 0.0,
        *,
        cell: str = "",
        signal_csq: int = 20,
        registered: bool = False,
        registration_s: float = REGISTRATION_S,
        endpoint: tuple[str, int] = ("127.0.0.1", 4059),
        power_up: PowerUp = _always_powered,
        signal: Signal | None = None,
        configure: Callable[[MeterModem], None] | None = None,
        network_up: PowerUp = _always_powered,
        busy: Callable[[float], bool] | None = None,
        gsm_mode: GsmMode = GsmMode.GPRS,
    ) -> None:
        self.sim = sim
        self.cell = cell
        self._csq, self._signal = signal_csq, signal
        self.registration_s = registration_s
        self.endpoint = endpoint  # where the meter is served while attached
        self.power_up, self.configure = power_up, configure
        self.network_up, self.busy = network_up, busy
        self.auto_answer = AutoAnswerSettings()
        self.auto_connect = AutoConnectSettings()
        self.gsm_mode = gsm_mode
        self.inactivity_timeout_s = CSD_INACTIVITY_S  # CSD call (HDLC setup)
        self.session_timeout_s = 0.0  # GPRS session (TCP-UDP setup; 0: DEFAULT_SESSION_S)
        self.dte_bit_rate = 9600  # meter to modem (class 27): a CSD call is no faster
        self.coverage = True  # the network reaches this meter (fault: no network)
        self.line_busy = False  # fault: every call finds the line busy
        self.network: GsmNetwork | None = None
        self.events: list[ModemEvent] = []
        self._search_from = -math.inf if registered else now
        self.registered = False
        self.registered_since: float | None = None
        self.status = GsmStatus.NOT_REGISTERED
        self._in_call = False
        self._call_data = now
        self._session: Session | None = None
        self.dial_plan: DialPlan | None = None  # the meter's own connection, once woken
        self._attached = False
        self._last_data: float | None = None
        self._now = now
        self.tick(now)
        self.events.clear()  # the state it starts in is no event

    @property
    def signal_csq(self) -> int:
        """+CSQ now (0..31, 99 not known)."""
        return self._csq if self._signal is None else self._signal(self._now)

    @signal_csq.setter
    def signal_csq(self, value: int) -> None:
        self._csq, self._signal = value, None

    # -- time ---------------------------------------------------------------------------

    def registers_at(self, now: float) -> float | None:
        """When the modem is (or will be) registered, as things stand at ``now``
        (None: no card, no coverage or no power)."""
        up, net = self.power_up(now), self.network_up(now)
        if self.sim is None or not self.coverage or up is None or net is None:
            return None
        return max(up, net, self._search_from) + self.registration_s

    def tick(self, now: float) -> None:
        """Bring registration, the GPRS session and the events up to ``now``."""
        now = max(now, self._now)
        self._now = now
        if self.configure is not None:
            self.configure(self)
        at = self.registers_at(now)
        registered = at is not None and now >= at
        if self.registered and (not registered or at != self.registered_since):
            self._deregister(now, self._why_not(now) if not registered else "restarted")
        if registered and not self.registered:
            assert at is not None and self.sim is not None
            self.registered, self.registered_since = True, at
            self._event(at, ModemEventKind.REGISTERED, self.sim.msisdn)
        self.status = self._status(now, registered)
        self._session_tick(now)

    def _status(self, now: float, registered: bool) -> GsmStatus:
        if registered:
            return GsmStatus.REGISTERED_HOME
        if self.sim is None or self.power_up(now) is None:
            return GsmStatus.NOT_REGISTERED
        return GsmStatus.SEARCHING

    def _why_not(self, now: float) -> str:
        if self.sim is None:
            return "no SIM"
        if self.power_up(now) is None:
            return "power down"
        if not self.coverage or self.network_up(now) is None:
            return "no network"
        return "searching"

    def _session_tick(self, now: float) -> None:
        at, detail = now, ""
        if self._session is not None and now >= self._session.end():
            at, detail = self._session.end(), "session timed out"
            self._session = self.dial_plan = None
        attached = self._attached_at(now)
        if attached != self._attached:
            self._attached = attached
            if attached and self._session is not None and self._session.attach_at <= now:
                at = self._session.attach_at
            kind = ModemEventKind.GPRS_ATTACHED if attached else ModemEventKind.GPRS_DETACHED
            self._event(at, kind, detail)

    def set_coverage(self, on: bool, now: float) -> None:
        """The fault model: the network is there (True) or not at this meter; when it
        comes back the modem searches again."""
        self.tick(now)
        if on and not self.coverage:
            self._search_from = now
        self.coverage = on
        self.tick(now)

    # -- what the network and the head-end see ----------------------------------------

    @property
    def bars(self) -> int:
        """The LCD's signal level, 0..3 (0 when not registered)."""
        return signal_bars(self.signal_csq) if self.registered else 0

    @property
    def address(self) -> tuple[str, int] | None:
        """Where the meter can be reached by TCP, as of the last tick (None: detached)."""
        return self.endpoint if self._attached else None

    def gprs_attached(self, now: float) -> bool:
        self.tick(now)
        return self._attached

    def ps_status(self, now: float) -> PsStatus:
        return PsStatus.GPRS if self.gprs_attached(now) else PsStatus.INACTIVE

    def cs_attachment(self) -> CsAttachment:
        return CsAttachment.ACTIVE if self._in_call else CsAttachment.INACTIVE

    def communicating(self, now: float) -> bool:
        """The LCD's "communication in progress": a CSD call, or data lately."""
        last = self._last_data
        return self._in_call or (last is not None and 0 <= now - last < CURSOR_S)

    def session_end(self, now: float) -> float | None:
        """When the current GPRS session ends if no data flows (None: no session)."""
        self.tick(now)
        return None if self._session is None else self._session.end()

    # -- calls ----------------------------------------------------------------------------

    def caller_type(self, caller: str) -> CallType | None:
        """How a caller is treated: None if not on the whitelist."""
        return answer.caller_type(self.auto_answer, self.auto_connect, caller)

    def incoming_call(self, caller: str, now: float) -> CallOffer:
        """A call rings at ``now``: what the modem will do with it (:mod:`.answer`)."""
        self.tick(now)
        busy = self._in_call or self.line_busy or (self.busy is not None and self.busy(now))
        why = self._unreachable()
        return answer.offer(self.auto_answer, self.auto_connect, caller, now,
                            unreachable=why, busy=busy, wake=self._wake)  # fmt: skip

    def call_connected(self, now: float) -> None:
        """The modem went off hook (the network calls it at ``answer_at``)."""
        self.tick(now)
        self._in_call, self._call_data = True, now
        self._last_data = now
        self._event(now, ModemEventKind.CALL_CONNECTED)

    def call_ended(self, now: float, reason: str = "") -> None:
        self.tick(now)
        if self._in_call:
            self._in_call = False
            self._event(now, ModemEventKind.CALL_ENDED, reason)

    def data_activity(self, now: float) -> None:
        """Octets flowed (a CSD call or the GPRS session): restarts the timeouts."""
        self.tick(now)
        self._last_data = now
        if self._in_call:
            self._call_data = now
        if self._session is not None:
            self._session.last_data = max(self._session.last_data, now)

    def call_drop_at(self) -> float | None:
        """When the inactivity timeout will cut the current call (None: no call)."""
        if not self._in_call or self.inactivity_timeout_s <= 0:
            return None
        return self._call_data + self.inactivity_timeout_s

    def call_should_drop(self, now: float) -> bool:
        """The call is cut: no data for the inactivity timeout, or the modem lost the
        network or its SIM."""
        self.tick(now)
        if not self._in_call:
            return False
        drop_at = self.call_drop_at()
        return bool(self._unreachable()) or (drop_at is not None and now >= drop_at)

    # -- SMS and wake-up ----------------------------------------------------------------

    def incoming_sms(self, sender: str, text: str, now: float) -> WakeUp | None:
        """An SMS delivered at ``now``: a wake-up if the sender is whitelisted."""
        self.tick(now)
        if self._unreachable() or self.caller_type(sender) is None:
            return None
        return self._wake(now, "sms", sender)

    def wake(self, now: float, source: str = "connect") -> WakeUp | None:
        """A wake-up from the meter itself: GSM mode written 0, or auto connect's
        connect(). None when the auto connect mode does not connect on a wake-up."""
        self.tick(now)
        return self._wake(now, source, "")

    def _wake(self, now: float, source: str, caller: str) -> WakeUp | None:
        ac = self.auto_connect
        if ac.mode not in WAKE_MODES:
            return None
        timeout = self.session_timeout_s or DEFAULT_SESSION_S
        attach_at = now + ATTACH_S
        session = self._session
        if session is None or session.end() < attach_at:
            session = self._session = Session(attach_at, attach_at, timeout)
        else:
            session.last_data = max(session.last_data, attach_at)
        wake = WakeUp(now, source, caller, session.attach_at, session.end())
        self._event(now, ModemEventKind.WAKE_UP, f"{source} {caller}".strip())
        if self.dial_plan is None or self.dial_plan.pending_at() is None:
            self.dial_plan = plan(ac.mode, ac.destinations, session.attach_at, ac.repetitions,
                                  ac.repetition_delay_s)  # fmt: skip
            if self.dial_plan is not None and self.network is not None:
                self.network.dial_planned(self)
        return wake

    # -- SIM hot swap --------------------------------------------------------------------

    def remove_sim(self, now: float) -> Sim | None:
        """The card is pulled: deregistered at once, calls and session cut."""
        self.tick(now)
        old = self.sim
        if old is None:
            return None
        self.sim = None
        self.tick(now)
        self._event(now, ModemEventKind.SIM_REMOVED, old.iccid)
        if self.network is not None:
            self.network.sim_changed(self, old)
        return old

    def insert_sim(self, sim: Sim, now: float) -> Sim | None:
        """A card goes in (a hot swap, if one was there): the modem deregisters,
        searches and registers with the new identity after ``registration_s``."""
        old = self.remove_sim(now) if self.sim is not None else None
        self.sim, self._search_from = sim, now
        self._event(now, ModemEventKind.SIM_INSERTED, sim.iccid)
        if self.network is not None:
            self.network.sim_changed(self, old)
        self.tick(now)
        return old

    # -- the events -----------------------------------------------------------------------

    def drain_events(self) -> list[ModemEvent]:
        """The events since the last drain, in order."""
        out, self.events = self.events, []
        return out

    # -- inside -------------------------------------------------------------------------

    def unreachable(self) -> str:
        """Why the modem cannot make or take a call now ("": it can)."""
        return self._unreachable()

    def _unreachable(self) -> str:
        if self.sim is None:
            return "no SIM card"
        if not self.coverage or self.network_up(self._now) is None:
            return "no network"
        if not self.registered:
            return "not registered"
        if self.signal_csq != NOT_KNOWN and self.signal_csq < MIN_CALL_CSQ:
            return f"signal too weak (+CSQ {self.signal_csq})"
        return ""

    def _attached_at(self, now: float) -> bool:
        if not self.registered or self._unreachable():
            return False
        return self.wants_gprs(now)

    def wants_gprs(self, now: float) -> bool:
        """Whether the modem's settings keep it attached to GPRS at ``now`` once it is
        registered: GSM mode 2, Auto connect permanently connected or inside its
        calling window, or the GPRS session of a wake-up."""
        mode, ac = self.gsm_mode, self.auto_connect.mode
        if mode == GsmMode.GPRS or ac == AutoConnectMode.PERMANENTLY_CONNECTED:
            return True
        if ac in (AutoConnectMode.CONNECTED_IN_WINDOW,
                  AutoConnectMode.CONNECTED_IN_WINDOW_ELSE_ON_CONNECT) and \
                self.auto_connect.in_window(now):  # fmt: skip
            return True
        s = self._session
        return s is not None and s.attach_at <= now < s.end()

    def _deregister(self, now: float, reason: str) -> None:
        self.registered, self.registered_since = False, None
        if self._in_call:
            self._in_call = False
            self._event(now, ModemEventKind.CALL_ENDED, reason)
        self._session = self.dial_plan = None
        if self._attached:
            self._attached = False
            self._event(now, ModemEventKind.GPRS_DETACHED, reason)
        self._event(now, ModemEventKind.DEREGISTERED, reason)

    def _event(self, at: float, kind: ModemEventKind, detail: str = "") -> None:
        self.events.append(ModemEvent(at, kind, detail))

    note = _event  # for the modem's helpers (gsm.gprs)


__all__ = [
    "ATTACH_S", "CSD_INACTIVITY_S", "CURSOR_S", "DEFAULT_SESSION_S", "MIN_CALL_CSQ",
    "REGISTRATION_S", "RING_S", "WEAK_CSQ", "AutoAnswerSettings", "AutoConnectSettings",
    "CallOffer", "CallOutcome", "GsmMode", "MeterModem", "ModemEvent", "ModemEventKind",
    "WakeUp", "WindowTest", "always", "never",
]  # fmt: skip
