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
    COMMAND  --AT+CMGS=len-->  SMS_PDU ("> ")   --hex ^Z-->   COMMAND (+CMGS: mr, OK)
    COMMAND  --a meter calls: RING ... ATA (or S0 rings)-->  DIALING  --> ONLINE

``ATD<n>;`` places a voice call (the wake-up call: it rings the meter and is hung up
with ``ATH``); the modem stays in command mode. Bytes from the DTE go in through
:meth:`AtModem.receive_data`, bytes to the DTE come out of :meth:`data_to_send`,
and online the DTE's bytes go onto the call's paced line (:class:`~openamr.gsm.line.
CsdLine`, 9600 bit/s) and the meter's come off it as they arrive. The adapter
(:mod:`openamr.aio.modem`) carries the meter's end of the call to the meter.
"""

from __future__ import annotations

from collections.abc import Callable

from openamr.gsm import at_call, at_sms
from openamr.gsm.at_commands import BASIC as _BASIC
from openamr.gsm.at_commands import EXTENDED as _EXTENDED
from openamr.gsm.at_state import (
    FIFO,
    MAX_LINE,
    S_DEFAULTS,
    ModemEvent,
    ModemIdentity,
    Offline,
    Online,
    Settings,
    State,
    fifo_due,
)
from openamr.gsm.call import Call
from openamr.gsm.network import GsmNetwork
from openamr.gsm.v250 import Result, frame


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
        self.sms_length = 0  # PDU mode: the TPDU's octets AT+CMGS announced
        self.sms_reference = 0
        self.ringing: Call | None = None  # a meter's call ringing at this line
        self.dte_ready = True  # DTR on (the DTE is there)

    # -- the adapter's interface --------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[ModemEvent]:
        """Bytes from the DTE (the head-end's serial line)."""
        events: list[ModemEvent] = []
        for i in range(len(data)):
            if self.state is State.ONLINE:  # the rest of the chunk is data (or +++)
                events += at_call.online(self, data[i:], now)
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
        if self.ringing is not None:
            timers += [at_call.ring_at(self), self.ringing.next_change()]
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
        events += at_call.poll(self, now)
        return events

    def carrier_lost(self, now: float) -> list[ModemEvent]:
        """The meter's side of the data path broke: the call is over (NO CARRIER)."""
        return at_call.carrier_lost(self, now)

    def offer(self, call: Call, now: float) -> bool:
        """A meter's call rings at this line (a :class:`~openamr.gsm.call.Terminal`
        of the pool); False: busy."""
        return at_call.offer(self, call, now)

    def dtr_off(self, now: float) -> list[ModemEvent]:
        """The DTE went away (DTR off): as &D says."""
        return at_call.dtr_off(self, now)

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
                events += at_call.dial(self, body[i + 1 :], now)
                return events
            if c == "+":
                end = _extended_end(body, i)
                ok = self._extended(body[i:end].strip(), now, events)
                i = end + 1
            else:
                ok, i = self._basic(body, i, now, events)
            if not ok:
                return events
        if self.state in (State.SMS_TEXT, State.SMS_PDU, State.DIALING) or (
            self.state is State.ONLINE and self.call
        ):
            return events  # AT+CMGS waits for the text; ATO said CONNECT; ATA waits
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

    # -- what the command table calls -------------------------------------------------------

    def hang_up(self, now: float, events: list[ModemEvent]) -> None:
        """ATH, AT+CHUP: end the call (V.250 §6.3.6)."""
        at_call.hang_up(self, now, events)

    def go_online(self) -> bool:
        """ATO: back to the online data state (V.250 §6.3.7); False: no call."""
        return at_call.go_online(self)

    def answer(self, now: float) -> bool | Result:
        """ATA: answer the meter's call ringing here (V.250 §6.3.5)."""
        return at_call.answer(self, now)

    def start_sms(self, recipient: str = "", length: int = 0) -> None:
        """AT+CMGS: the prompt; the text or the PDU follows, ended by Ctrl-Z."""
        at_sms.start(self, recipient, length)

    def reset(self) -> None:
        """ATZ, AT&F: the default settings."""
        self.settings = Settings()

    def info(self, text: str) -> None:
        self._info(text)

    def error(self, code: int, sms: bool = False) -> None:
        (self._cms_error if sms else self._error)(code)

    # -- output --------------------------------------------------------------------------

    def result(self, result: Result, text: str = "") -> None:
        self._result(result, text)

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
    State.DIALING: at_call.dialing_char,
    State.ONLINE: _ignored_online,
    State.SMS_TEXT: at_sms.sms_char,
    State.SMS_PDU: at_sms.sms_char,
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


__all__ = [
    "FIFO", "MAX_LINE", "S_DEFAULTS", "AtModem", "ModemEvent", "ModemIdentity", "Offline",
    "Online", "Settings", "State", "fifo_due",
]  # fmt: skip
