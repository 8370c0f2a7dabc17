"""A meter's GPRS session after a wake-up, and the connection the meter opens itself
to the head-end in it (issue 16; docs/gsm-meter.md "Wake-up and GPRS"), sans-IO.

Auto connect (class 29, Blue Book 4.7.5) decides, with its ``mode`` (attribute 2),
``repetitions`` (3), ``repetition_delay`` (4) and ``destination_list`` (6)::

    mode                       a wake-up            the meter connects to the head-end
    -------------------------  -------------------  -----------------------------------
    0 (no auto dialling),      ignored              never
    1..6 (dialling, SMS, mail)
    101 permanently connected  opens a session      never: it is attached, waiting
    102 connected in window    ignored              never
    103 in window, else on     opens a session      yes, to its IP destinations
        connect
    104 connected on connect   opens a session      yes, to its IP destinations

Decisions ([I], the MT372's rules are not public): an IP destination is an entry
``host:port`` (``[v6]:port``) of the destination list; entries that are phone numbers
are not dialled (they are the callers the Mx372 call restriction may admit). Once
attached the meter tries the destinations in order; a round in which none answers is
repeated after ``repetition_delay`` seconds, ``repetitions`` times at most, always
inside the session: when the session ends the plan ends with it (no connection after
the window). One connection is made per wake-up; the meter then answers whatever the
head-end asks over it, the requests keeping the session open as any others do.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openamr.cosem.classes.auto_connect import AutoConnectMode
from openamr.gsm.modem_types import ModemEventKind

if TYPE_CHECKING:
    from openamr.gsm.modem import MeterModem

#: the modes in which a wake-up opens a GPRS session
WAKE_MODES = (
    AutoConnectMode.PERMANENTLY_CONNECTED,
    AutoConnectMode.CONNECTED_IN_WINDOW_ELSE_ON_CONNECT,
    AutoConnectMode.CONNECTED_ON_CONNECT,
)
#: the modes in which the meter connects to its destinations once woken
DIAL_MODES = (
    AutoConnectMode.CONNECTED_IN_WINDOW_ELSE_ON_CONNECT,
    AutoConnectMode.CONNECTED_ON_CONNECT,
)

Endpoint = tuple[str, int]


def ip_destination(text: str) -> Endpoint | None:
    """``host:port`` (or ``[v6]:port``) as an endpoint; None for a phone number or
    anything else that is not one."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or host.lstrip("+").isdigit():
        return None
    return host, int(port)


@dataclass(slots=True)
class Session:
    """A GPRS session opened by a wake-up: attached from ``attach_at`` until no data
    flowed for ``timeout_s``."""

    attach_at: float
    last_data: float
    timeout_s: float

    def end(self) -> float:
        return max(self.attach_at, self.last_data) + self.timeout_s


@dataclass(frozen=True, slots=True)
class DialOut:
    """One attempt of the meter to connect: to ``destination`` at ``at``; ``round``
    counts from 1 (the repetitions after it)."""

    at: float
    destination: Endpoint
    round: int


class DialState(enum.Enum):
    WAITING = "waiting"  # the next attempt is due at ``next_at``
    CONNECTING = "connecting"  # an attempt is under way (the adapter reports back)
    DONE = "done"  # connected, or given up


class DialPlan:
    """The attempts of one wake-up (see the module docstring)."""

    def __init__(
        self, destinations: tuple[Endpoint, ...], start_at: float, repetitions: int,
        delay_s: float,
    ) -> None:  # fmt: skip
        assert destinations
        self.destinations, self.repetitions = destinations, max(0, repetitions)
        self.delay_s = max(0.0, delay_s)
        self.next_at, self.round, self.index = start_at, 1, 0
        self.state = DialState.WAITING
        self.connected: Endpoint | None = None

    def due(self, now: float) -> DialOut | None:
        """The attempt to make at ``now`` (it is then under way), or None."""
        if self.state is not DialState.WAITING or now < self.next_at:
            return None
        self.state = DialState.CONNECTING
        return DialOut(now, self.destinations[self.index], self.round)

    def result(self, ok: bool, now: float) -> None:
        """The attempt under way connected (``ok``) or failed at ``now``."""
        if self.state is not DialState.CONNECTING:
            return
        if ok:
            self.state, self.connected = DialState.DONE, self.destinations[self.index]
            return
        self.index += 1
        self.state, self.next_at = DialState.WAITING, now
        if self.index == len(self.destinations):
            self.index, self.round = 0, self.round + 1
            self.next_at = now + self.delay_s
            if self.round > 1 + self.repetitions:
                self.state = DialState.DONE

    def pending_at(self) -> float | None:
        """When the next attempt is due (None: none is)."""
        return self.next_at if self.state is DialState.WAITING else None


def plan(
    mode: int, destinations: tuple[str, ...], attach_at: float, repetitions: int,
    delay_s: float,
) -> DialPlan | None:  # fmt: skip
    """The dial plan of a wake-up whose session attaches at ``attach_at`` (None: the
    meter waits for the head-end)."""
    if mode not in DIAL_MODES:
        return None
    ips = tuple(e for e in (ip_destination(d) for d in destinations) if e is not None)
    return DialPlan(ips, attach_at, repetitions, delay_s) if ips else None


# -- a modem's plan, as its adapter drives it ------------------------------------------


def dial_due(modem: MeterModem, now: float) -> DialOut | None:
    """The connection ``modem`` opens at ``now`` (once attached after a wake-up), or
    None; report how it went with :func:`dial_result`."""
    attached = modem.gprs_attached(now)  # ticks: a session that ended takes its plan
    p = modem.dial_plan
    if p is None or not attached:
        return None
    out = p.due(now)
    if out is not None:
        modem.note(now, ModemEventKind.DIALLING, "{}:{}".format(*out.destination))
    return out


def dial_result(modem: MeterModem, ok: bool, now: float) -> None:
    """The connection :func:`dial_due` gave connected (``ok``) or failed."""
    modem.tick(now)
    if modem.dial_plan is not None:
        modem.dial_plan.result(ok, now)
        if not ok:
            modem.note(now, ModemEventKind.DIAL_FAILED)


def dial_at(modem: MeterModem) -> float | None:
    """When ``modem``'s next connection attempt is due (None: none is planned)."""
    return None if modem.dial_plan is None else modem.dial_plan.pending_at()
