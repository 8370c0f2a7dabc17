"""The optical port's data, derived from the logical device: the data readout (mode C),
programming-mode reads (R1) and writes (W1) of IEC 62056-21 clause 6.3.

Nothing here is written by hand per register: the readout is the display list
(:data:`openamr.meter.display.DISPLAY_LIST`) resolved against the device, each value
taken from its object and printed the way Iskraemeco meters print it::

    C.1.0(12345678)            Data, visible-string            0.0.96.1.0.255
    0.9.1(102030)              clock time, hhmmss              0.0.1.0.0.255 attr 2
    0.9.2(0240115)             clock date, 0yymmdd             0.0.1.0.0.255 attr 2
    1.8.0(001234.567*kWh)      Register: raw 1234567, scaler 0, Wh -> kWh
    32.7.0(230.0*V)            Register: raw 2300, scaler -1, V
    F.F(00000000)              Data, double-long-unsigned, as hex bit flags

Addresses resolve to logical names the IEC 62056-61 way (:func:`logical_name`)::

    1.8.0           -> 1.0.1.8.0.255    A=1, B=0 for C < 96; E=0 and F=255 when absent
    C.1.0, 96.1.0   -> 0.0.96.1.0.255   A=0, B=0 for the abstract groups C >= 96
    F.F             -> 0.0.97.97.0.255  letters C F L P stand for 96 97 98 99
    1-0:1.8.0*255   -> 1.0.1.8.0.255    and the dotted form 1.0.1.8.0.255

0.9.1 and 0.9.2 (1.0.0.9.1.255 and 1.0.0.9.2.255, local time and date) are views of
the Clock object; they are also the only writable addresses (W1 sets the clock).
Everything else is read-only on the optical port; refusals are values (:class:`Refused`).

Decisions where the sources differ: energy with six integer digits and three decimals
(``001234.567``, MT372.md section 6; the MT174 prints seven, the MT382 five); the date
as ``0yymmdd``, the seven digits every Iskraemeco capture under tests/vectors/iec21/
shows (W1 also takes ``yymmdd``); energy is truncated, never rounded up (a register
never shows energy it has not counted), other values are rounded half up.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from openamr.apdu.results import DataAccessResult
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.types import Data, FixedInt, OctetString
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem import LogicalDevice
from openamr.cosem.base import CosemObject
from openamr.cosem.classes.clock import Clock
from openamr.cosem.scaling import SCALING, scaler_attribute
from openamr.devices.mt372 import objects as mt372
from openamr.errors import DecodeError
from openamr.meter.display import DISPLAY_LIST

CLOCK = mt372.CLOCK.obis
LOCAL_TIME = Obis(1, 0, 0, 9, 1, 255)  # 0.9.1
LOCAL_DATE = Obis(1, 0, 0, 9, 2, 255)  # 0.9.2
FIRMWARE = mt372.FIRMWARE_ID.obis
SERIAL_NUMBER = mt372.SERIAL_NUMBER.obis

#: What the HHU sees when a request is refused (the error message text, 6.3.10).
UNKNOWN_ADDRESS = "ERROR: unknown address"
READ_ONLY = "ERROR: read-only"
BAD_VALUE = "ERROR: bad value"
NO_CLOCK = "ERROR: no clock"
CLOCK_REFUSED = "ERROR: clock refused"


@dataclass(frozen=True, slots=True)
class Reading:
    """One data set as printed: ``address(value*unit)``."""

    address: str
    value: str
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Refused:
    """A refused R1 or W1; ``text`` starts with ``ERR`` as HHUs expect."""

    text: str


@dataclass(frozen=True, slots=True)
class Nameplate:
    """What the identification message says: ``/ISK5\\2<model>-<version>``."""

    model: str = "MT372"
    version: str = "1004"
    serial: str = ""


# -- addresses -------------------------------------------------------------------------

LETTERS = {"C": 96, "F": 97, "L": 98, "P": 99}
_G = r"(\d{1,3}|[CFLP])"
_REDUCED = re.compile(rf"(?:(\d{{1,3}})-(\d{{1,3}}):)?{_G}\.{_G}(?:\.{_G})?(?:[*&](\d{{1,3}}))?")


def _group(text: str | None, default: int) -> int:
    if text is None:
        return default
    return LETTERS.get(text) or int(text)


@functools.lru_cache(maxsize=1024)
def logical_name(address: str) -> Obis | None:
    """The logical name an IEC 62056-21 address names; None if it names none
    (remembered: every twin's display list names the same objects)."""
    text = address.strip()
    match = _REDUCED.fullmatch(text)
    try:
        if match is None:
            return Obis.parse(text)
        a, b, c, d, e, f = match.groups()
        cv = _group(c, 0)
        implied = 0 if cv >= 96 else 1
        return Obis(
            _group(a, implied), _group(b, 0), cv, _group(d, 0), _group(e, 0), _group(f, 255)
        )
    except ValueError:
        return None


# -- values ------------------------------------------------------------------------------

#: A value as printed: (value, unit).
Printed = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Presentation:
    """How a unit is shown: ``symbol``, the decimal ``shift`` into it (3: Wh -> kWh),
    ``decimals``, zero-padded ``width`` (0: none) and the rounding."""

    symbol: str
    shift: int = 0
    decimals: int = 0
    width: int = 0
    rounding: str = ROUND_HALF_UP


def _energy(symbol: str) -> Presentation:
    """Energy: kilo, 3 decimals, 6 integer digits, truncated."""
    return Presentation(symbol, shift=3, decimals=3, width=10, rounding=ROUND_DOWN)


_PRESENTATION: dict[Unit, Presentation] = {
    Unit.WATT_HOUR: _energy("kWh"),
    Unit.VAR_HOUR: _energy("kVArh"),
    Unit.VOLT_AMPERE_HOUR: _energy("kVAh"),
    Unit.WATT: Presentation("kW", 3, 3),
    Unit.VAR: Presentation("kVAr", 3, 3),
    Unit.VOLT_AMPERE: Presentation("kVA", 3, 3),
    Unit.VOLT: Presentation("V", 0, 1),
    Unit.AMPERE: Presentation("A", 0, 2),
    Unit.HERTZ: Presentation("Hz", 0, 2),
}
_ASCII_SYMBOL = str.maketrans({"³": "3", "²": "2", "°": "deg", "Ω": "Ohm", "µ": "u"})
_ALLOWED = frozenset(chr(c) for c in range(0x20, 0x7F)) - set("()*/!")


def _plain(scaler_unit: ScalerUnit) -> Presentation:
    symbol = scaler_unit.unit.symbol.translate(_ASCII_SYMBOL)
    return Presentation(_clean(symbol), 0, max(0, -scaler_unit.scaler))


def present(raw: int | float, scaler_unit: ScalerUnit) -> Printed | None:
    """``raw * 10**scaler`` in the unit Iskraemeco meters print; None if not finite."""
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    shown = _PRESENTATION.get(scaler_unit.unit) or _plain(scaler_unit)
    number = Decimal(raw).scaleb(scaler_unit.scaler - shown.shift)
    number = number.quantize(Decimal(1).scaleb(-shown.decimals), rounding=shown.rounding)
    spec = f"0{shown.width}.{shown.decimals}f" if shown.width else f".{shown.decimals}f"
    return format(number, spec), shown.symbol


def _clean(text: str) -> str:
    """Drop what a data set's value cannot carry (6.3.x: printable, no ``( ) * / !``)."""
    return "".join(c for c in text if c in _ALLOWED)


def _number(value: Data) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _scaled(obj: CosemObject) -> Printed | None:
    """A register's value (attribute 2) with the scaler_unit its class declares for
    it (:mod:`openamr.cosem.scaling`: attribute 3, or 4 for a Demand register)."""
    value_index = 2
    unit_index = scaler_attribute(obj.CLASS_ID, value_index)
    raw = _number(obj.get(value_index))
    if raw is None or unit_index is None:
        return None
    try:
        scaler_unit = ScalerUnit.from_data(obj.get(unit_index))
    except (DecodeError, ValueError):
        scaler_unit = ScalerUnit(0, Unit.COUNT)
    return present(raw, scaler_unit)


def _data(obj: CosemObject) -> Printed | None:
    """Data (1): text as text, octets as text when printable else hex, numbers in
    decimal; error registers (C = 97, F.F) as hex bit flags, two digits an octet."""
    value = obj.get(2)
    if isinstance(value, bool):
        return ("1" if value else "0"), ""
    if isinstance(value, int) and obj.logical_name.c == LETTERS["F"]:
        digits = 2 * type(value).fmt.size if isinstance(value, FixedInt) else 8
        return format(value % (1 << (4 * digits)), f"0{digits}X"), ""
    if isinstance(value, (int, float)):
        return present(value, ScalerUnit(0, Unit.COUNT))
    if isinstance(value, str):
        return _clean(value), ""
    if isinstance(value, bytes):
        text = value.decode("latin-1")
        return (text if set(text) <= _ALLOWED else value.hex().upper()), ""
    return None


#: How each class prints: Data, and every class with a scaler_unit (cosem.scaling).
_BY_CLASS: dict[int, Callable[[CosemObject], Printed | None]] = {
    1: _data,
    **dict.fromkeys(SCALING, _scaled),
}


# -- the clock ------------------------------------------------------------------------------


def _clock(device: LogicalDevice) -> Clock | None:
    clock = device.find(CLOCK)
    return clock if isinstance(clock, Clock) else None


def _time_view(local: dt.datetime) -> str:
    return local.strftime("%H%M%S")


def _date_view(local: dt.datetime) -> str:
    """0yymmdd: the leading digit is 0 for the years 2000..2099 in the captures."""
    return f"0{local.year % 100:02d}{local:%m%d}"


def _with_time(local: dt.datetime, text: str) -> dt.datetime | None:
    """W1 0.9.1(hhmmss): the same date, this local time."""
    if not re.fullmatch(r"\d{6}", text):
        return None
    try:
        return local.replace(hour=int(text[:2]), minute=int(text[2:4]), second=int(text[4:]))
    except ValueError:
        return None


def _with_date(local: dt.datetime, text: str) -> dt.datetime | None:
    """W1 0.9.2(0yymmdd) or (yymmdd): this date (20yy), the same local time."""
    if not re.fullmatch(r"0?\d{6}", text):
        return None
    digits = text[-6:]
    try:
        return local.replace(
            year=2000 + int(digits[:2]), month=int(digits[2:4]), day=int(digits[4:])
        )
    except ValueError:
        return None


def _instant(clock: Clock, local: dt.datetime) -> dt.datetime:
    """The instant a naive local time names at the meter: in the zone in force then
    (standard or summer time), not in the zone of the clock's current time."""
    standard = local.replace(tzinfo=dt.timezone(clock.standard_offset()))
    return local.replace(tzinfo=clock.zone(standard))


_VIEWS: dict[Obis, Callable[[dt.datetime], str]] = {
    LOCAL_TIME: _time_view,
    LOCAL_DATE: _date_view,
}
_WRITERS: dict[Obis, Callable[[dt.datetime, str], dt.datetime | None]] = {
    LOCAL_TIME: _with_time,
    LOCAL_DATE: _with_date,
}


def value_at(device: LogicalDevice, name: Obis) -> Printed | None:
    """The value ``name`` reads on the optical port; None when there is none."""
    view = _VIEWS.get(name)
    if view is not None:
        clock = _clock(device)
        return None if clock is None else (view(clock.local_now()), "")
    obj = device.find(name)
    printer = _BY_CLASS.get(obj.CLASS_ID) if obj is not None else None
    return printer(obj) if obj is not None and printer is not None else None


def nameplate(device: LogicalDevice) -> Nameplate:
    """Model and version from the firmware identifier (``MT372-1004``), and the
    serial number, for the identification message and the device address."""
    firmware = value_at(device, FIRMWARE)
    serial = value_at(device, SERIAL_NUMBER)
    model, _, version = firmware[0].partition("-") if firmware else ("", "", "")
    default = Nameplate()
    return Nameplate(
        model or default.model, version or default.version, serial[0] if serial else ""
    )


# -- the source -------------------------------------------------------------------------------


class DeviceReadout:
    """The optical port's view of a logical device (readout, R1, W1).

    The aio adapter turns :class:`Reading` and :class:`Refused` into the link's
    data sets and refusals (the meter layer does not know the link layer).
    """

    def __init__(self, device: LogicalDevice, display_list: Sequence[str] = DISPLAY_LIST):
        names = [(address, logical_name(address)) for address in display_list]
        bad = [address for address, name in names if name is None]
        if bad:
            raise ValueError(f"display list entries that name no object: {bad}")
        self.device = device
        self.display: tuple[tuple[str, Obis], ...] = tuple(
            (address, name) for address, name in names if name is not None
        )

    def readout(self) -> list[Reading]:
        """The display list's values, in order; entries the device lacks are skipped."""
        readings = []
        for address, name in self.display:
            printed = value_at(self.device, name)
            if printed is not None:
                readings.append(Reading(address, *printed))
        return readings

    def read(self, address: str) -> Reading | Refused:
        """R1: the value at ``address``, answered under the address asked."""
        name = logical_name(address)
        printed = value_at(self.device, name) if name is not None else None
        if printed is None:
            return Refused(UNKNOWN_ADDRESS)
        return Reading(address.strip(), *printed)

    def write(self, address: str, value: str) -> Refused | None:
        """W1: set the clock's time (0.9.1) or date (0.9.2); nothing else is writable."""
        name = logical_name(address)
        writer = _WRITERS.get(name) if name is not None else None
        if writer is None:
            readable = name is not None and value_at(self.device, name) is not None
            return Refused(READ_ONLY if readable else UNKNOWN_ADDRESS)
        clock = _clock(self.device)
        if clock is None:
            return Refused(NO_CLOCK)
        local = writer(clock.local_now().replace(tzinfo=None), value.strip())
        if local is None:
            return Refused(BAD_VALUE)
        stamp = CosemDateTime.from_datetime(_instant(clock, local))
        result = clock.set(2, OctetString(stamp.to_bytes()))
        return None if result is DataAccessResult.SUCCESS else Refused(CLOCK_REFUSED)
