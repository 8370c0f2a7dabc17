"""The control endpoint's peripheral routes: what the customer and the field do to the
meter (covers, S0 pulses, the alarm input, the button) and what the LCD shows.

They call the verbs of :class:`openamr.meter.peripherals.Peripherals` at the twin's
present (``at=None``: meter time, the twin brought up to date first); each answers
the peripherals' state afterwards and the clock. A twin without peripherals answers
501 on these routes.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from openamr.gsm.sim import Sim
from openamr.meter.control.schema import Args, ControlError, Controlled, Field, Json, Route, is_int
from openamr.meter.control.views import card_json, clock, lcd, peripherals
from openamr.meter.peripherals import Cover, Peripherals

MAX_PULSES = 1_000_000
MAX_WATTS = 0xFFFF_FFFF  # the limiter's thresholds are double-long-unsigned

#: the brief's and the datasheet's words for the main cover
COVERS = {"main": Cover.MAIN, "meter": Cover.MAIN, "terminal": Cover.TERMINAL}
WHICH = Field('"main" (or "meter") or "terminal"', lambda v: v in COVERS)
ACTION = Field('"open" (the default) or "close"', lambda v: v in ("open", "close"), required=False)
INPUT = Field("1 (P1, water) or 2 (P2, gas)", lambda v: is_int(v) and v in (1, 2))
COUNT = Field(f"pulses, an integer 1..{MAX_PULSES}", lambda v: is_int(v) and 1 <= v <= MAX_PULSES)
LONG = Field(
    "true: a long press (reconnects a contactor ready for reconnection); default false",
    lambda v: isinstance(v, bool),
    required=False,
)
SIM_ACTION = Field(
    '"remove", "insert" or "swap" (remove and insert)', lambda v: v in ("remove", "insert", "swap")
)
CARD = ("iccid", "imsi", "msisdn")
ICCID = Field(
    "the card's ICCID, 19 or 20 digits (insert, swap; default: the next card)",
    lambda v: isinstance(v, str),
    required=False,
)
IMSI = Field(
    "the card's IMSI, 15 digits (with iccid and msisdn)",
    lambda v: isinstance(v, str),
    required=False,
)
MSISDN_FIELD = Field(
    'the card\'s number, international form "+386..." (with iccid and imsi)',
    lambda v: isinstance(v, str),
    required=False,
)
WATTS = Field(f"watts, an integer 0..{MAX_WATTS} (0: no limit)",
              lambda v: is_int(v) and 0 <= v <= MAX_WATTS)  # fmt: skip


def _of(m: Controlled) -> Peripherals:
    if m.peripherals is None:
        raise ControlError(HTTPStatus.NOT_IMPLEMENTED, "this twin has no peripherals")
    return m.peripherals


def _done(m: Controlled) -> Json:
    return {"peripherals": peripherals(m.peripherals), "clock": clock(m.twin)}


def _cover(m: Controlled, args: Args) -> Json:
    p, cover = _of(m), COVERS[str(args["which"])]
    (p.close_cover if args.get("action") == "close" else p.open_cover)(cover)
    return _done(m)


def _pulses(m: Controlled, args: Args) -> Json:
    number, count = args["input"], args["count"]
    assert is_int(number) and is_int(count)
    _of(m).pulses(number, count)
    return _done(m)


def _alarm_input(m: Controlled, args: Args) -> Json:
    _of(m).alarm_input()
    return _done(m)


def _button(m: Controlled, args: Args) -> Json:
    _of(m).press_button(long=args.get("long") is True)
    return {"lcd": lcd(m.peripherals), **_done(m)}


def _load_limit(m: Controlled, args: Args) -> Json:
    watts = args["watts"]
    assert is_int(watts)
    _of(m).set_load_limit(watts)
    return _done(m)


def _card(args: Args, current: Sim | None) -> Sim:
    """The card a body gives (all of iccid, imsi, msisdn), else the next one."""
    given = {k: args.get(k) for k in CARD}
    if all(v is None for v in given.values()):
        return current.next() if current is not None else Sim.derive(1)
    if any(v is None for v in given.values()):
        raise ControlError(HTTPStatus.BAD_REQUEST, "give all of iccid, imsi and msisdn, or none")
    try:
        return Sim(str(given["iccid"]), str(given["imsi"]), str(given["msisdn"]))
    except ValueError as e:
        raise ControlError(HTTPStatus.BAD_REQUEST, str(e)) from None


def _sim(m: Controlled, args: Args) -> Json:
    p, action = _of(m), args["action"]
    modem = p.modem.gsm
    before = modem.sim
    if action == "remove":
        if before is None:
            raise ValueError("there is no SIM card in the meter: insert one")
        p.remove_sim()
    elif action == "insert" and before is not None:
        raise ValueError('a SIM card is in the meter: remove it first, or use "swap"')
    else:  # insert, swap
        p.insert_sim(_card(args, before))
    return {"removed": card_json(before) if before != modem.sim else None, **_done(m)}


def _lcd(m: Controlled, args: Args) -> Json:
    _of(m)
    return {"lcd": lcd(m.peripherals), "clock": clock(m.twin)}


Handler = Callable[[Controlled, Args], Json]

PERIPHERAL_ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/lcd"): Route("what the LCD shows", _lcd),
    ("POST", "/cover"): Route("a cover opens (or closes): logs 0x8010 / 0x8011", _cover,
                              {"which": WHICH, "action": ACTION}),
    ("POST", "/pulses"): Route("S0 pulses on P1 or P2", _pulses, {"input": INPUT, "count": COUNT}),
    ("POST", "/alarm-input"): Route("the alarm input P3 becomes active: logs 0x8034",
                                    _alarm_input),
    ("POST", "/button"): Route("the customer presses the button", _button, {"long": LONG}),
    ("POST", "/load-limit"): Route("the limiter's normal threshold", _load_limit,
                                   {"watts": WATTS}),
    ("POST", "/sim"): Route("SIM hot swap: remove (0x8050), insert (0x8051) or swap a card; "
                            "the modem registers with the new identity after its search",
                            _sim, {"action": SIM_ACTION, "iccid": ICCID, "imsi": IMSI,
                                   "msisdn": MSISDN_FIELD}),
}  # fmt: skip
