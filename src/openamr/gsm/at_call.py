"""The calls of the head-end's AT modem (:class:`~openamr.gsm.at.AtModem`), sans-IO:
dialling, the online data state with its escape, hanging up, and the calls meters
place to the head-end (ITU-T V.250 §6.3, 3GPP TS 27.007 §6).

Incoming calls (V.250 §6.3.5, §6.3.2; §5.7 for RING): a meter's call offered to an
idle line rings there: ``RING`` (numeric ``2``) once a ring, S1 counting them; ``ATA``
answers it, and S0 > 0 answers it after that many rings; then ``CONNECT 9600`` as for
a dialled call. A line in a call, in the online command state or in an SMS is busy.
With ``AT+CLIP=1`` (TS 27.007 §7.6) each RING is followed by the caller's number,
``+CLIP: "+38640000001",145``: a modem-pool driver knows which meter calls before it
answers (an alarm call-back, a meter off the inventory it would rather refuse).

DTR (&D, V.250 §6.2.9), as far as a byte stream can say it: the DTE going away (the
TCP connection closed) is DTR turned off. &D2 (the default) hangs up; &D1 leaves the
call up in the online command state; &D0 ignores it (the call stays online). With the
DTE gone a call left up is ended by the meter (its inactivity timeout). DCD (&C) is
not a wire on TCP or a pty: the result codes (CONNECT, NO CARRIER) carry it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openamr.gsm.at_state import ENDED, ModemEvent, Offline, Online, State
from openamr.gsm.call import Call, CallState
from openamr.gsm.modem_types import RING_S
from openamr.gsm.v250 import Result

if TYPE_CHECKING:
    from openamr.gsm.at import AtModem


def dial(modem: AtModem, rest: str, now: float) -> list[ModemEvent]:
    """ATD<number> (V.250 §6.3.1); a ``;`` makes it a voice call (TS 27.007 §6.2)."""
    voice = ";" in rest
    number = "".join(ch for ch in rest.split(";")[0] if ch.isdigit() or ch in "+*#")
    if not number or modem.call is not None or (voice and modem.voice is not None):
        modem.result(Result.ERROR)
        return []
    if modem.identity.registered not in (1, 5):
        modem.result(Result.NO_CARRIER)
        return []
    placed = modem.network.dial(modem.identity.msisdn, number, now)
    if voice:
        modem.voice = placed
        modem.result(Result.OK)
        return poll(modem, now)
    modem.call, modem.number = placed, number
    modem.deadline = now + modem.settings.s[7]
    modem.state = State.DIALING
    return poll(modem, now)


def dialing_char(modem: AtModem, char: bytes, now: float, events: list[ModemEvent]) -> None:
    """A character while dialing aborts the call (V.250 §6.3.1); but for the LF (S4)
    that many drivers send after the CR of ATD."""
    if char[0] != modem.settings.s[4]:
        events += end_call(modem, now, Result.NO_CARRIER, "aborted", hang_up=True)


def poll(modem: AtModem, now: float) -> list[ModemEvent]:
    """Follow the calls: a voice call's end, a meter's call ringing, the data call's
    connection or drop, and the data that reached us by ``now``."""
    if modem.voice is not None:
        ended = ENDED.get(modem.voice.poll(now))
        if ended is not None:
            modem.voice = None
            modem.result(ended)
    events = _ringing(modem, now)
    call = modem.call
    if call is None:
        return events
    state = call.poll(now)
    if modem.state is State.DIALING:
        if state is CallState.CONNECTED:
            modem.state, modem.pluses = State.ONLINE, 0
            modem.last_from_dte = now
            modem.result(Result.CONNECT, f"CONNECT {modem.network.bit_rate}")
            return [*events, Online(call, modem.number)]
        if state in ENDED:
            return events + end_call(modem, now, ENDED[state], call.reason, hang_up=False)
        if now >= modem.deadline:
            return events + end_call(modem, now, Result.NO_CARRIER, "S7 elapsed", hang_up=True)
        return events
    data = call.receive(now)
    if modem.state is State.ONLINE:  # lost in the online command state (V.250 §6.3.1)
        modem.out += data
    if state in ENDED:  # the meter hung up (its inactivity timeout)
        return events + end_call(modem, now, Result.NO_CARRIER, call.reason, hang_up=False)
    return events


def online(modem: AtModem, data: bytes, now: float) -> list[ModemEvent]:
    """Data for the line, the escape's three S2 characters held back until it is clear
    whether they are the escape (after a guard time of silence)."""
    plus = bytes([modem.settings.s[2]])
    quiet = now - modem.last_from_dte >= modem.guard
    if data == plus * len(data) and (modem.pluses or quiet) and modem.pluses + len(data) <= 3:
        modem.pluses += len(data)
        return []
    held, modem.pluses = plus * modem.pluses, 0
    if modem.call is not None:
        modem.call.send(held + data, now)
    return []


def end_call(
    modem: AtModem, now: float, result: Result, reason: str, hang_up: bool
) -> list[ModemEvent]:
    call, modem.call = modem.call, None
    was_online = modem.state in (State.ONLINE, State.ONLINE_COMMAND)
    if call is not None and hang_up:
        modem.network.hang_up(call, now)
    modem.state, modem.pluses = State.COMMAND, 0
    modem.result(result)
    return [Offline(reason or result.text)] if was_online else []


def hang_up(modem: AtModem, now: float, events: list[ModemEvent]) -> None:
    """ATH, AT+CHUP: end the data call, the voice call or refuse the one ringing
    (V.250 §6.3.6)."""
    if modem.voice is not None:
        modem.network.hang_up(modem.voice, now)
        modem.voice = None
    if modem.ringing is not None:
        modem.network.hang_up(modem.ringing, now)
        modem.ringing = None
    if modem.call is not None:
        call, modem.call = modem.call, None
        modem.network.hang_up(call, now)
        if modem.state in (State.ONLINE, State.ONLINE_COMMAND):
            events.append(Offline("hung up (ATH)"))
        modem.state = State.COMMAND


def go_online(modem: AtModem) -> bool:
    """ATO: back to the online data state (V.250 §6.3.7); False: no call."""
    if modem.call is None or modem.state is not State.ONLINE_COMMAND:
        return False
    modem.state, modem.pluses = State.ONLINE, 0
    modem.result(Result.CONNECT, f"CONNECT {modem.network.bit_rate}")
    return True


def carrier_lost(modem: AtModem, now: float) -> list[ModemEvent]:
    """The meter's side of the data path broke: the call is over (NO CARRIER)."""
    if modem.call is None:
        return []
    if modem.state is State.ONLINE:  # what had crossed the line still arrives
        modem.out += modem.call.receive(now)
    return end_call(modem, now, Result.NO_CARRIER, "the meter hung up", hang_up=True)


# -- a meter calls the head-end -----------------------------------------------------------


def offer(modem: AtModem, call: Call, now: float) -> bool:
    """A meter's call rings at this line (False: the line is busy)."""
    busy = modem.call is not None or modem.voice is not None or modem.ringing is not None
    if busy or modem.state is not State.COMMAND or not modem.dte_ready:
        return False
    modem.ringing, modem.settings.s[1] = call, 0
    return True


def answer(modem: AtModem, now: float) -> bool | Result:
    """ATA (V.250 §6.3.5): answer the call ringing here; NO CARRIER if none is."""
    call = modem.ringing
    if call is None or not call.answer(now):
        modem.ringing = None
        return Result.NO_CARRIER
    modem.ringing, modem.call, modem.number = None, call, call.caller
    modem.deadline = now + modem.settings.s[7]
    modem.state = State.DIALING  # waiting for the carrier, as after ATD
    return True


def ring_at(modem: AtModem) -> float | None:
    """When the next RING is due (None: nothing rings here)."""
    call = modem.ringing
    if call is None:
        return None
    return call.ring_at + modem.settings.s[1] * RING_S


def _ringing(modem: AtModem, now: float) -> list[ModemEvent]:
    """RING for each ring heard by ``now``; S0's answer; the caller giving up."""
    call = modem.ringing
    if call is None:
        return []
    if call.poll(now) is not CallState.RINGING:
        modem.ringing = None  # the meter gave up, or the network ended it
        return []
    s = modem.settings.s
    heard = int((now - call.ring_at) // RING_S) + 1
    while s[1] < heard:
        s[1] += 1
        modem.result(Result.RING)
        if modem.settings.clip and not modem.settings.quiet:
            modem.info(clip(call.caller))
        if 0 < s[0] <= s[1]:  # auto answer (V.250 §6.3.8: S0)
            answer(modem, now)
            return poll(modem, now)
    return []


def clip(number: str) -> str:
    """The calling line identity after RING (TS 27.007 §7.6): the number and its type
    of address (TS 24.008 §10.5.4.7: 145 international, with its ``+``; 129 else)."""
    return f'+CLIP: "{number}",{145 if number.startswith("+") else 129}'


def dtr_off(modem: AtModem, now: float) -> list[ModemEvent]:
    """The DTE dropped DTR (it went away): as &D says (see the module docstring)."""
    modem.dte_ready = False
    if modem.settings.dtr == 2 or modem.call is None:
        events: list[ModemEvent] = []
        hang_up(modem, now, events)
        return events
    if modem.settings.dtr == 1 and modem.state is State.ONLINE:
        modem.state, modem.pluses = State.ONLINE_COMMAND, 0
        modem.result(Result.OK)
    return []
