"""The head-end's GSM modem, sans-IO: the AT command interpreter of a modem pool's
modem (the DCE), between the head-end's serial line (the DTE) and the simulated GSM
network (:class:`Network`).

ITU-T V.250 for the command line and the data call: §5.2.1 (``AT`` prefix, S3
terminator, S5 editing, ``A/`` repeat), §5.7 (result codes), §6.2 (E, V, Q, Z, &F,
S registers), §6.3 (D, A, H, O; the escape to the online command state with the
guard time S12 around three S2 characters, "+++"). 3GPP TS 27.007 for the GSM
commands (+CPIN, +CSQ, +CREG, +CGMI/+CGMM/+CGMR/+CGSN, +CIMI, +CMEE, +CBST, +CHUP,
+CNUM, +COPS) and TS 27.005 §3.5.1 for text-mode SMS (+CMGF=1, +CMGS).

States (V.250 §5.1: command, online data, online command; plus waiting for a data
call and for the text of an SMS)::

    COMMAND  --ATD<n>-->  DIALING  --connected-->  ONLINE  (CONNECT 9600)
                          DIALING  --busy / no answer / no carrier / S7 / a key-->
                                    COMMAND  (BUSY, NO ANSWER, NO CARRIER)
    ONLINE   --guard, "+++", guard-->  ONLINE_COMMAND (OK)  --ATO-->  ONLINE
    ONLINE, ONLINE_COMMAND  --ATH / call dropped-->  COMMAND  (OK / NO CARRIER)
    COMMAND  --AT+CMGS="n"-->  SMS_TEXT ("> ")  --text ^Z-->  COMMAND (+CMGS: mr, OK)

``ATD<n>;`` places a voice call (the wake-up call: it rings the meter and is hung up
with ``ATH``); the modem stays in command mode. Bytes from the DTE go in through
:meth:`AtModem.receive_data`, bytes to the DTE come out of :meth:`data_to_send`,
and online the DTE's bytes go onto the call's paced line (:class:`~openamr.gsm.line.
CsdLine`, 9600 bit/s) and the meter's come off it as they arrive. The adapter
(:mod:`openamr.aio.modem`) carries the meter's end of the call to the meter.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from openamr.gsm.at_commands import BASIC as _BASIC
from openamr.gsm.at_commands import EXTENDED as _EXTENDED
from openamr.gsm.line import CsdLine
from openamr.gsm.network import Call, CallState, GsmNetwork, SmsState
from openamr.gsm.v250 import CTRL_Z, ESC, Result, frame

#: Default S registers (V.250 §6.2/§6.3): S0 rings to answer (0: never), S2 escape
#: character, S3/S4/S5 CR/LF/BS, S7 seconds to wait for the connection, S12 the escape
#: guard time in 1/50 s.
S_DEFAULTS = {0: 0, 2: 43, 3: 13, 4: 10, 5: 8, 7: 60, 12: 50}
MAX_LINE = 256  # characters of a command line (V.250 §5.2.1: at least 40)
#: octets from the line handed on together (a UART's receive FIFO trigger level)
FIFO = 8


def fifo_due(line: CsdLine) -> float | None:
    """When the next :data:`FIFO` octets (or all that is on the line, if fewer) have
    arrived on ``line``."""
    first = line.next_arrival()
    if first is None:
        return None
    return first + (min(line.pending(), FIFO) - 1) * line.octet_s


#: the result code of a call that ended before or during the connection
_ENDED = {
    CallState.BUSY: Result.BUSY,
    CallState.NO_ANSWER: Result.NO_ANSWER,
    CallState.NO_CARRIER: Result.NO_CARRIER,
    CallState.ENDED: Result.NO_CARRIER,
}


class State(enum.Enum):
    COMMAND = "command"
    DIALING = "dialing"
    ONLINE = "online data"
    ONLINE_COMMAND = "online command"
    SMS_TEXT = "sms text"


@dataclass(frozen=True, slots=True)
class Online:
    """The data call is up: start carrying bytes to and from the meter."""

    call: Call
    number: str


@dataclass(frozen=True, slots=True)
class Offline:
    """The data call is over (``reason``: hung up, NO CARRIER)."""

    reason: str


ModemEvent = Online | Offline


@dataclass(frozen=True, slots=True)
class ModemIdentity:
    """Who the modem is: its SIM's number and IMSI, its IMEI, and its radio."""

    msisdn: str
    imsi: str = "293400000000001"
    imei: str = "356938035643809"
    manufacturer: str = "openamr"
    model: str = "virtual GSM modem"
    revision: str = "1.0"
    rssi: int = 20  # +CSQ: 0..31 (-113 + 2 rssi dBm), 99 unknown
    registered: int = 1  # +CREG stat: 0 not, 1 home, 2 searching, 3 denied, 5 roaming


@dataclass
class Settings:
    """What ATZ / AT&F bring back (V.250 §6.1.1, §6.1.2)."""

    echo: bool = True
    verbose: bool = True
    quiet: bool = False
    s: dict[int, int] = field(default_factory=lambda: dict(S_DEFAULTS))
    creg: int = 0
    cmee: int = 0
    cmgf: int = 0  # TS 27.005 §3.2.3: 0 PDU mode (the default), 1 text mode
    cbst: tuple[int, int, int] = (7, 0, 1)


class AtModem:
    """One modem: its command interpreter, its call and its escape detector."""

    def __init__(self, network: GsmNetwork, identity: ModemIdentity) -> None:
        self.network, self.identity = network, identity
        self.settings = Settings()
        self.state = State.COMMAND
        self.line = bytearray()
        self.last_line = ""
        self.out = bytearray()
        self.call: Call | None = None
        self.voice: Call | None = None
        self.number = ""
        self.deadline = 0.0  # S7 while dialing
        self.last_from_dte = 0.0  # for the escape's guard times
        self.pluses = 0
        self.sms_to = ""
        self.sms_reference = 0

    # -- the adapter's interface --------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[ModemEvent]:
        """Bytes from the DTE (the head-end's serial line)."""
        events: list[ModemEvent] = []
        for i in range(len(data)):
            if self.state is State.ONLINE:  # the rest of the chunk is data (or +++)
                events += self._online(data[i:], now)
                break
            _HANDLERS[self.state](self, data[i : i + 1], now, events)
        if data:
            self.last_from_dte = now
        return events

    def data_to_send(self) -> bytes:
        """Bytes for the DTE: echo, results, and the call's data that has arrived."""
        out, self.out = bytes(self.out), bytearray()
        return out

    def get_timer(self) -> float | None:
        """The next instant :meth:`handle_timer` has work: the call moves on (rings,
        connects, drops), S7 runs out, the escape's guard time ends, or the next
        :data:`FIFO` octets from the meter are complete."""
        timers: list[float | None] = []
        for call in (self.call, self.voice):
            if call is not None:
                timers.append(call.next_change())
        if self.state is State.DIALING:
            timers.append(self.deadline)
        if self.state is State.ONLINE and self.pluses:
            timers.append(self.last_from_dte + self.guard)
        if self.call is not None and self.state in (State.ONLINE, State.ONLINE_COMMAND):
            timers.append(fifo_due(self.call.to_caller))
        found = [t for t in timers if t is not None]
        return min(found) if found else None

    def handle_timer(self, now: float) -> list[ModemEvent]:
        events: list[ModemEvent] = []
        if self.state is State.ONLINE and self.pluses and now >= self.last_from_dte + self.guard:
            if self.pluses == 3:  # guard, +++, guard: the escape (V.250 §6.3)
                self.state = State.ONLINE_COMMAND
                self._result(Result.OK)
            elif self.call is not None:  # one or two: they were data after all
                self.call.send(bytes([self.settings.s[2]]) * self.pluses, now)
            self.pluses = 0
        events += self._poll(now)
        return events

    def carrier_lost(self, now: float) -> list[ModemEvent]:
        """The meter's side of the data path broke: the call is over (NO CARRIER)."""
        if self.call is None:
            return []
        if self.state is State.ONLINE:  # what had crossed the line still arrives
            self.out += self.call.receive(now)
        return self._end_call(now, Result.NO_CARRIER, "the meter hung up", hang_up=True)

    @property
    def guard(self) -> float:
        return self.settings.s[12] / 50

    # -- command state: characters, lines ------------------------------------------------

    def _command_char(self, char: bytes, now: float, events: list[ModemEvent]) -> None:
        s = self.settings.s
        code = char[0]
        if self.settings.echo:
            self.out += char
        if code == s[3]:
            line, self.line = self.line.decode("latin-1"), bytearray()
            events += self._command_line(line, now)
        elif code == s[5]:
            del self.line[-1:]
        elif code != s[4]:
            self.line += char
            if self.line.upper() == b"A/":  # repeat the last line (V.250 §5.2.4)
                self.line = bytearray()
                events += self._execute(self.last_line, now)
            elif len(self.line) > MAX_LINE:
                self.line = bytearray()
                self._result(Result.ERROR)

    def _command_line(self, line: str, now: float) -> list[ModemEvent]:
        start = line.upper().find("AT")
        if start < 0:
            return []  # not a command line: ignored (V.250 §5.2.1)
        self.last_line = line[start + 2 :]
        return self._execute(self.last_line, now)

    def _execute(self, body: str, now: float) -> list[ModemEvent]:
        """Run one command line's commands in order; the first failure ends it with
        ERROR (V.250 §5.2.1). A dial ends the line and answers later."""
        events: list[ModemEvent] = []
        i = 0
        while i < len(body):
            c = body[i].upper()
            if c == " ":
                i += 1
                continue
            if c == "D":
                events += self._dial(body[i + 1 :], now)
                return events
            if c == "+":
                end = _extended_end(body, i)
                ok = self._extended(body[i:end].strip(), now, events)
                i = end + 1
            else:
                ok, i = self._basic(body, i, now, events)
            if not ok:
                return events
        if self.state is State.SMS_TEXT or (self.state is State.ONLINE and self.call):
            return events  # AT+CMGS waits for the text; ATO said CONNECT
        self._result(Result.OK)
        return events

    def _basic(self, body: str, i: int, now: float, events: list[ModemEvent]) -> tuple[bool, int]:
        """One basic command at ``i`` (E0, V1, &D2, S7=30, S0?); (ok, next index)."""
        c = body[i].upper()
        j = i + 1
        if c == "&" and j < len(body):
            c, j = "&" + body[j].upper(), j + 1
        if c == "S":
            return self._register(body, j)
        k = j
        while k < len(body) and body[k].isdigit():
            k += 1
        value = int(body[j:k]) if k > j else 0
        action = _BASIC.get(c)
        done = False if action is None else action(self, value, now, events)
        if done is True:
            return True, k
        self._result(Result.ERROR if done is False else done)
        return False, k

    def _register(self, body: str, j: int) -> tuple[bool, int]:
        k = j
        while k < len(body) and body[k].isdigit():
            k += 1
        if k == j or int(body[j:k]) not in self.settings.s:
            self._result(Result.ERROR)
            return False, k
        n = int(body[j:k])
        if body[k : k + 1] == "?":
            self._info(f"{self.settings.s[n]:03d}")
            return True, k + 1
        if body[k : k + 1] == "=":
            m = k + 1
            while m < len(body) and body[m].isdigit():
                m += 1
            if m == k + 1 or int(body[k + 1 : m]) > 255:
                self._result(Result.ERROR)
                return False, m
            self.settings.s[n] = int(body[k + 1 : m])
            return True, m
        self._result(Result.ERROR)
        return False, k

    def _extended(self, command: str, now: float, events: list[ModemEvent]) -> bool:
        """One +C command: name, then ``?`` (read), ``=?`` (test), ``=args`` or none."""
        name, kind, args = _split_extended(command)
        handler = _EXTENDED.get(name)
        answer = None if handler is None else handler(self, kind, args, now, events)
        if answer is None:
            self._error(4)  # +CME ERROR: 4, operation not supported
            return False
        return answer

    # -- dialing, online -------------------------------------------------------------------

    def _dial(self, rest: str, now: float) -> list[ModemEvent]:
        """ATD<number> (V.250 §6.3.1); a ``;`` makes it a voice call (TS 27.007 §6.2)."""
        voice = ";" in rest
        number = "".join(ch for ch in rest.split(";")[0] if ch.isdigit() or ch in "+*#")
        if not number or self.call is not None or (voice and self.voice is not None):
            self._result(Result.ERROR)
            return []
        if self.identity.registered not in (1, 5):
            self._result(Result.NO_CARRIER)
            return []
        placed = self.network.dial(self.identity.msisdn, number, now)
        if voice:
            self.voice = placed
            self._result(Result.OK)
            return self._poll(now)
        self.call, self.number = placed, number
        self.deadline = now + self.settings.s[7]
        self.state = State.DIALING
        return self._poll(now)

    def _dialing_char(self, char: bytes, now: float, events: list[ModemEvent]) -> None:
        """A character while dialing aborts the call (V.250 §6.3.1); but for the LF
        (S4) that many drivers send after the CR of ATD."""
        if char[0] != self.settings.s[4]:
            events += self._end_call(now, Result.NO_CARRIER, "aborted", hang_up=True)

    def _poll(self, now: float) -> list[ModemEvent]:
        """Follow the calls: a voice call's end, the data call's connection or drop,
        and the data that reached us by ``now``."""
        if self.voice is not None:
            ended = _ENDED.get(self.voice.poll(now))
            if ended is not None:
                self.voice = None
                self._result(ended)
        if self.call is None:
            return []
        state = self.call.poll(now)
        if self.state is State.DIALING:
            if state is CallState.CONNECTED:
                self.state, self.pluses = State.ONLINE, 0
                self.last_from_dte = now
                self._result(Result.CONNECT, f"CONNECT {self.network.bit_rate}")
                return [Online(self.call, self.number)]
            if state in _ENDED:
                return self._end_call(now, _ENDED[state], self.call.reason, hang_up=False)
            if now >= self.deadline:
                return self._end_call(now, Result.NO_CARRIER, "S7 elapsed", hang_up=True)
            return []
        data = self.call.receive(now)
        if self.state is State.ONLINE:  # lost in the online command state (V.250 §6.3.1)
            self.out += data
        if state in _ENDED:  # the meter hung up (its inactivity timeout)
            return self._end_call(now, Result.NO_CARRIER, self.call.reason, hang_up=False)
        return []

    def _online(self, data: bytes, now: float) -> list[ModemEvent]:
        """Data for the line, the escape's three S2 characters held back until it is
        clear whether they are the escape (after a guard time of silence)."""
        plus = bytes([self.settings.s[2]])
        quiet = now - self.last_from_dte >= self.guard
        if data == plus * len(data) and (self.pluses or quiet) and self.pluses + len(data) <= 3:
            self.pluses += len(data)
            return []
        held, self.pluses = plus * self.pluses, 0
        if self.call is not None:
            self.call.send(held + data, now)
        return []

    def _end_call(self, now: float, result: Result, reason: str, hang_up: bool) -> list[ModemEvent]:
        call, self.call = self.call, None
        was_online = self.state in (State.ONLINE, State.ONLINE_COMMAND)
        if call is not None and hang_up:
            self.network.hang_up(call, now)
        self.state, self.pluses = State.COMMAND, 0
        self._result(result)
        return [Offline(reason or result.text)] if was_online else []

    # -- what the command table calls -------------------------------------------------------

    def hang_up(self, now: float, events: list[ModemEvent]) -> None:
        """ATH, AT+CHUP: end the data call or the voice call (V.250 §6.3.6)."""
        if self.voice is not None:
            self.network.hang_up(self.voice, now)
            self.voice = None
        if self.call is not None:
            call, self.call = self.call, None
            self.network.hang_up(call, now)
            if self.state in (State.ONLINE, State.ONLINE_COMMAND):
                events.append(Offline("hung up (ATH)"))
            self.state = State.COMMAND

    def go_online(self) -> bool:
        """ATO: back to the online data state (V.250 §6.3.7); False: no call."""
        if self.call is None or self.state is not State.ONLINE_COMMAND:
            return False
        self.state, self.pluses = State.ONLINE, 0
        self._result(Result.CONNECT, f"CONNECT {self.network.bit_rate}")
        return True

    def start_sms(self, recipient: str) -> None:
        """AT+CMGS: the prompt; the text follows, ended by Ctrl-Z."""
        self.sms_to, self.line = recipient, bytearray()
        self.state = State.SMS_TEXT
        self.out += b"\r\n> "

    def reset(self) -> None:
        """ATZ, AT&F: the default settings."""
        self.settings = Settings()

    def info(self, text: str) -> None:
        self._info(text)

    def error(self, code: int, sms: bool = False) -> None:
        (self._cms_error if sms else self._error)(code)

    # -- SMS text ---------------------------------------------------------------------------

    def _sms_char(self, char: bytes, now: float, events: list[ModemEvent]) -> None:
        if char == CTRL_Z:
            text, self.line = self.line.decode("latin-1"), bytearray()
            self.state = State.COMMAND
            self._send_sms(text, now)
        elif char == ESC:  # abort, nothing sent (TS 27.005 §3.5.1)
            self.line = bytearray()
            self.state = State.COMMAND
            self._result(Result.OK)
        else:
            if self.settings.echo:
                self.out += char
            if char[0] == self.settings.s[5]:
                del self.line[-1:]
            elif len(self.line) < 160:
                self.line += char

    def _send_sms(self, text: str, now: float) -> None:
        if self.identity.registered not in (1, 5):
            self._cms_error(331)  # no network service
            return
        sms = self.network.send_sms(self.identity.msisdn, self.sms_to, text, now)
        if sms.state is SmsState.FAILED:
            self._cms_error(500)  # unknown error: no such subscriber
            return
        self.sms_reference = sms.reference
        self._info(f"+CMGS: {self.sms_reference}")
        self._result(Result.OK)

    # -- output --------------------------------------------------------------------------

    def _result(self, result: Result, text: str = "") -> None:
        if not self.settings.quiet:
            self.out += frame(text or result.text, self.settings.verbose, result.code)

    def _info(self, text: str) -> None:
        self.out += frame(text, self.settings.verbose)

    def _error(self, code: int) -> None:
        """ERROR, or +CME ERROR: n (TS 27.007 §9.2) as AT+CMEE asks."""
        if self.settings.cmee == 0:
            self._result(Result.ERROR)
        else:
            self._info(f"+CME ERROR: {code}")

    def _cms_error(self, code: int) -> None:
        if self.settings.cmee == 0:
            self._result(Result.ERROR)
        else:
            self._info(f"+CMS ERROR: {code}")


def _ignored_online(modem: AtModem, char: bytes, now: float, events: list[ModemEvent]) -> None:
    """Not reached: receive_data hands online bytes to _online as a whole."""


_HANDLERS: dict[State, Callable[[AtModem, bytes, float, list[ModemEvent]], None]] = {
    State.COMMAND: AtModem._command_char,
    State.ONLINE_COMMAND: AtModem._command_char,
    State.DIALING: AtModem._dialing_char,
    State.ONLINE: _ignored_online,
    State.SMS_TEXT: AtModem._sms_char,
}


def _extended_end(body: str, i: int) -> int:
    """The end of the extended command at ``i``: the next ``;`` outside quotes."""
    quoted = False
    for j in range(i, len(body)):
        if body[j] == '"':
            quoted = not quoted
        elif body[j] == ";" and not quoted:
            return j
    return len(body)


def _split_extended(command: str) -> tuple[str, str, str]:
    """``+CREG=1`` -> ("+CREG", "=", "1"); kinds: "" action, "?" read, "=?" test, "="."""
    upper = command.upper()
    for kind in ("=?", "?", "="):
        at = upper.find(kind)
        if at >= 0:
            return upper[:at].strip(), kind, command[at + len(kind) :].strip()
    return upper.strip(), "", ""
