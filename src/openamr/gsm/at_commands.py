"""The command set of the head-end's modem (:mod:`openamr.gsm.at`), as two tables.

Basic commands (ITU-T V.250 §6): ``E`` echo, ``V`` verbose, ``Q`` quiet, ``Z`` and
``&F`` defaults, ``H`` hang up, ``O`` back online, ``A`` answer (a meter's call
ringing here; else NO CARRIER), ``I`` identification, ``&D`` (DTR) and ``&C`` (DCD)
kept for :mod:`openamr.gsm.at_call`, and the ones a driver sends that change nothing
on a virtual line (``X``, ``L``, ``M``, ``T``, ``P``, ``&K``, ``&W``). Extended
commands: V.250 §6.1.4 (+GMI ...), 3GPP TS 27.007 §5 (+CGMI, +CGMM, +CGMR, +CGSN,
+CIMI, +CNUM), §6.7 (+CBST), §6.5 (+CHUP), §7 (+CREG, +COPS), §8 (+CPIN, +CSQ), §9.1
(+CMEE), and TS 27.005 §3.2.3/§3.5.1 (+CMGF, +CMGS in text and PDU mode).

A basic action answers True (carry on), False (ERROR) or a result code that ends the
line; an extended one True, False (it answered the error itself) or None (unknown
here: ``+CME ERROR: 4``, operation not supported).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from openamr.gsm.v250 import Result

if TYPE_CHECKING:
    from openamr.gsm.at import AtModem, ModemEvent

Basic = Callable[["AtModem", int, float, "list[ModemEvent]"], "bool | Result"]
Extended = Callable[["AtModem", str, str, float, "list[ModemEvent]"], "bool | None"]


def _flag(name: str, highest: int = 1) -> Basic:
    def set_flag(modem: AtModem, value: int, now: float, events: list[ModemEvent]) -> bool:
        if value > highest:
            return False
        setattr(modem.settings, name, bool(value))
        return True

    return set_flag


def _number(name: str, highest: int) -> Basic:
    def set_number(modem: AtModem, value: int, now: float, events: list[ModemEvent]) -> bool:
        if value > highest:
            return False
        setattr(modem.settings, name, value)
        return True

    return set_number


def _accepted(highest: int) -> Basic:
    def accept(modem: AtModem, value: int, now: float, events: list[ModemEvent]) -> bool:
        return value <= highest

    return accept


def _reset(modem: AtModem, value: int, now: float, events: list[ModemEvent]) -> bool:
    modem.reset()
    return value == 0


def _hang_up(modem: AtModem, value: int, now: float, events: list[ModemEvent]) -> bool:
    modem.hang_up(now, events)
    return value == 0


def _online(modem: AtModem, value: int, now: float, events: list[ModemEvent]) -> bool | Result:
    return True if modem.go_online() else Result.NO_CARRIER


def _answer(modem: AtModem, value: int, now: float, events: list[ModemEvent]) -> bool | Result:
    return modem.answer(now)


def _identify(modem: AtModem, value: int, now: float, events: list[ModemEvent]) -> bool:
    who = modem.identity
    modem.info(f"{who.manufacturer} {who.model} {who.revision}")
    return True


BASIC: dict[str, Basic] = {
    "E": _flag("echo"),
    "V": _flag("verbose"),
    "Q": _flag("quiet"),
    "Z": _reset,
    "&F": _reset,
    "H": _hang_up,
    "O": _online,
    "A": _answer,
    "I": _identify,
    "X": _accepted(4),
    "L": _accepted(3),
    "M": _accepted(3),
    "T": _accepted(0),
    "P": _accepted(0),
    "&C": _number("dcd", 1),
    "&D": _number("dtr", 2),
    "&K": _accepted(6),
    "&W": _accepted(0),
}


def _text(get: Callable[[AtModem], str]) -> Extended:
    """A read-only identification command (+CGMI ...): its text, or OK to ``=?``."""

    def read(modem: AtModem, kind: str, args: str, now: float, events: list[ModemEvent]) -> bool:
        if kind == "=?":
            return True
        if kind:
            return _fail(modem, 4)
        modem.info(get(modem))
        return True

    return read


def _fail(modem: AtModem, code: int) -> bool:
    modem.error(code)
    return False


def _fail_sms(modem: AtModem, code: int) -> bool:
    """+CMS ERROR: n (TS 27.005 §3.2.5), or ERROR under AT+CMEE=0."""
    modem.error(code, sms=True)
    return False


def _cpin(modem: AtModem, kind: str, args: str, now: float, events: list[ModemEvent]) -> bool:
    if kind == "?":
        modem.info("+CPIN: READY")
        return True
    return kind == "=?" or _fail(modem, 3)  # no PIN to enter: operation not allowed


def _csq(modem: AtModem, kind: str, args: str, now: float, events: list[ModemEvent]) -> bool:
    if kind == "=?":
        modem.info("+CSQ: (0-31,99),(0-7,99)")
    elif kind:
        return _fail(modem, 4)
    else:
        modem.info(f"+CSQ: {modem.identity.rssi},99")
    return True


def _number_setting(name: str, choices: range, label: str) -> Extended:
    """A ``+Cxxx=n`` setting: set, read (``+Cxxx: n``) and test (its range)."""

    def setting(modem: AtModem, kind: str, args: str, now: float, ev: list[ModemEvent]) -> bool:
        if kind == "=?":
            modem.info(f"{label}: ({choices.start}-{choices.stop - 1})")
        elif kind == "?":
            modem.info(f"{label}: {_read(modem, name)}")
        elif kind == "=" and args.isdigit() and int(args) in choices:
            setattr(modem.settings, name, int(args))
        else:
            return _fail(modem, 3 if kind == "=" else 4)
        return True

    return setting


def _read(modem: AtModem, name: str) -> str:
    if name == "creg":
        return f"{modem.settings.creg},{modem.identity.registered}"
    if name == "clip":  # <n>,<m>: m 1, the network provides CLIP (TS 27.007 §7.6)
        return f"{modem.settings.clip},1"
    return str(getattr(modem.settings, name))


def _cbst(modem: AtModem, kind: str, args: str, now: float, events: list[ModemEvent]) -> bool:
    """Bearer service type (TS 27.007 §6.7): 7 (9600 bit/s V.32) or 71 (9600 V.110),
    0 (autobauding name), 1 (non-transparent); the line is 9600 bit/s whatever asked."""
    if kind == "=?":
        modem.info("+CBST: (0,7,71),(0),(0-1)")
    elif kind == "?":
        modem.info("+CBST: " + ",".join(str(v) for v in modem.settings.cbst))
    elif kind == "=":
        parts = [p.strip() for p in args.split(",")]
        if not all(p.isdigit() for p in parts) or len(parts) > 3 or int(parts[0]) not in (0, 7, 71):
            return _fail(modem, 3)
        values = [*map(int, parts), *modem.settings.cbst[len(parts) :]]
        modem.settings.cbst = (values[0], values[1], values[2])
    else:
        return _fail(modem, 4)
    return True


_CMGF = _number_setting("cmgf", range(0, 2), "+CMGF")


def _cmgf(modem: AtModem, kind: str, args: str, now: float, events: list[ModemEvent]) -> bool:
    """Message format (TS 27.005 §3.2.3): 0 PDU mode (the default), 1 text mode."""
    if kind == "=" and args not in ("0", "1"):
        return _fail_sms(modem, 304)
    return bool(_CMGF(modem, kind, args, now, events))


def _cmgs(modem: AtModem, kind: str, args: str, now: float, events: list[ModemEvent]) -> bool:
    """Send a message (TS 27.005 §3.5.1): ``AT+CMGS="<da>"[,<toda>]`` in text mode,
    ``AT+CMGS=<length>`` in PDU mode (the TPDU's octets, 7..164)."""
    if kind == "=?":
        return True
    first = args.split(",")[0].strip()
    if modem.settings.cmgf == 0:
        if kind != "=" or not first.isdigit() or not 7 <= int(first) <= 164:
            return _fail_sms(modem, 304)  # invalid PDU mode parameter
        modem.start_sms(length=int(first))
        return True
    recipient = first.strip('"')
    if kind != "=" or not recipient.lstrip("+").isdigit():
        return _fail_sms(modem, 305)  # invalid text mode parameter
    modem.start_sms(recipient)
    return True


def _chup(modem: AtModem, kind: str, args: str, now: float, events: list[ModemEvent]) -> bool:
    if kind == "=?":
        return True
    modem.hang_up(now, events)
    return not kind or _fail(modem, 4)


def _cops(modem: AtModem, kind: str, args: str, now: float, events: list[ModemEvent]) -> bool:
    if kind == "?":
        registered = modem.identity.registered in (1, 5)
        modem.info('+COPS: 0,0,"openamr GSM"' if registered else "+COPS: 0")
        return True
    return kind in ("=?", "=") or _fail(modem, 4)


def _cnum(modem: AtModem, kind: str, args: str, now: float, events: list[ModemEvent]) -> bool:
    number = modem.identity.msisdn
    if not kind:
        modem.info(f'+CNUM: "","{number}",{145 if number.startswith("+") else 129}')
    return kind in ("", "=?") or _fail(modem, 4)


def _ident(attribute: str) -> Extended:
    return _text(lambda m: str(getattr(m.identity, attribute)))


EXTENDED: dict[str, Extended] = {
    "+CPIN": _cpin,
    "+CSQ": _csq,
    "+CREG": _number_setting("creg", range(0, 3), "+CREG"),
    "+CMEE": _number_setting("cmee", range(0, 3), "+CMEE"),
    "+CLIP": _number_setting("clip", range(0, 2), "+CLIP"),
    "+CMGF": _cmgf,
    "+CMGS": _cmgs,
    "+CBST": _cbst,
    "+CHUP": _chup,
    "+COPS": _cops,
    "+CNUM": _cnum,
    "+CGMI": _ident("manufacturer"),
    "+GMI": _ident("manufacturer"),
    "+CGMM": _ident("model"),
    "+GMM": _ident("model"),
    "+CGMR": _ident("revision"),
    "+GMR": _ident("revision"),
    "+CGSN": _ident("imei"),
    "+GSN": _ident("imei"),
    "+CIMI": _ident("imsi"),
}
