"""Physical units and the scaler_unit of Register-like objects.

Blue Book (DLMS UA 1000-1) 4.3.2, Register (class_id 3), attribute 3 ``scaler_unit``::

    scal_unit_type ::= structure { scaler: integer, unit: enum }

    02 02  0f fd  16 1e          scaler -3, unit 30 (Wh): raw 1234567 reads 1234.567 Wh

The value of the register is ``raw * 10 ** scaler`` in ``unit``. The unit
enumeration is the table of 4.3.2 ("unit ::= enum"): codes 1..57 and 60..62 of
the Blue Book up to edition 12, 63..72 added by later editions, and 253 reserved,
254 other unit, 255 no unit (a count). A code this table does not name still
decodes (as a pseudo-member such as ``Unit(99)``) and re-encodes unchanged.
"""

from __future__ import annotations

import enum

from openamr.codec.record import record
from openamr.codec.types import Data, Enum, Integer, Structure
from openamr.errors import DecodeError


class Unit(enum.IntEnum):
    """The unit enumeration of the Blue Book (4.3.2, scaler_unit)."""

    YEAR = 1
    MONTH = 2
    WEEK = 3
    DAY = 4
    HOUR = 5
    MINUTE = 6
    SECOND = 7
    DEGREE = 8  # (phase) angle
    DEGREE_CELSIUS = 9
    CURRENCY = 10  # (local) currency
    METRE = 11
    METRE_PER_SECOND = 12
    CUBIC_METRE = 13
    CORRECTED_CUBIC_METRE = 14
    CUBIC_METRE_PER_HOUR = 15
    CORRECTED_CUBIC_METRE_PER_HOUR = 16
    CUBIC_METRE_PER_DAY = 17
    CORRECTED_CUBIC_METRE_PER_DAY = 18
    LITRE = 19
    KILOGRAM = 20
    NEWTON = 21
    NEWTON_METRE = 22
    PASCAL = 23
    BAR = 24
    JOULE = 25
    JOULE_PER_HOUR = 26  # thermal power
    WATT = 27  # active power
    VOLT_AMPERE = 28  # apparent power
    VAR = 29  # reactive power
    WATT_HOUR = 30  # active energy
    VOLT_AMPERE_HOUR = 31  # apparent energy
    VAR_HOUR = 32  # reactive energy
    AMPERE = 33
    COULOMB = 34
    VOLT = 35
    VOLT_PER_METRE = 36
    FARAD = 37
    OHM = 38
    OHM_METRE = 39  # resistivity
    WEBER = 40
    TESLA = 41
    AMPERE_PER_METRE = 42
    HENRY = 43
    HERTZ = 44
    PER_WATT_HOUR = 45  # R_W, active energy meter constant or pulse value
    PER_VAR_HOUR = 46  # R_B, reactive energy meter constant or pulse value
    PER_VOLT_AMPERE_HOUR = 47  # R_S, apparent energy meter constant or pulse value
    VOLT_SQUARED_HOUR = 48
    AMPERE_SQUARED_HOUR = 49
    KILOGRAM_PER_SECOND = 50  # mass flux
    SIEMENS = 51  # conductance
    KELVIN = 52
    PER_VOLT_SQUARED_HOUR = 53  # R_U2h, meter constant or pulse value
    PER_AMPERE_SQUARED_HOUR = 54  # R_I2h, meter constant or pulse value
    PER_CUBIC_METRE = 55  # R_V, meter constant or pulse value (volume)
    PERCENT = 56
    AMPERE_HOUR = 57
    WATT_HOUR_PER_CUBIC_METRE = 60  # energy per volume
    JOULE_PER_CUBIC_METRE = 61  # calorific value, Wobbe
    MOLE_PERCENT = 62  # molar fraction of gas composition
    GRAM_PER_CUBIC_METRE = 63  # mass density
    PASCAL_SECOND = 64  # dynamic viscosity
    JOULE_PER_KILOGRAM = 65  # specific energy
    GRAM_PER_SQUARE_CENTIMETRE = 66  # pressure
    ATMOSPHERE = 67  # pressure
    DECIBEL_MILLIWATT = 70  # signal strength
    DECIBEL_MICROVOLT = 71  # signal strength
    DECIBEL = 72  # logarithmic unit
    RESERVED = 253
    OTHER = 254  # other unit
    COUNT = 255  # no unit, unitless, count

    @classmethod
    def _missing_(cls, value: object) -> Unit | None:
        """A code the table does not name (still one octet) is kept as-is."""
        if not isinstance(value, int) or not 0 <= value <= 255:
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNIT_{value}"
        member._value_ = value
        cls._value2member_map_[value] = member  # one object per code, like a member
        return member

    @property
    def symbol(self) -> str:
        """The symbol of the Blue Book table ("" for a count or an unknown code)."""
        return _SYMBOLS.get(self.value, "")


_SYMBOLS: dict[int, str] = {
    1: "a", 2: "mo", 3: "wk", 4: "d", 5: "h", 6: "min", 7: "s", 8: "°", 9: "°C",
    10: "currency", 11: "m", 12: "m/s", 13: "m³", 14: "m³", 15: "m³/h", 16: "m³/h",
    17: "m³/d", 18: "m³/d", 19: "l", 20: "kg", 21: "N", 22: "Nm", 23: "Pa", 24: "bar",
    25: "J", 26: "J/h", 27: "W", 28: "VA", 29: "var", 30: "Wh", 31: "VAh", 32: "varh",
    33: "A", 34: "C", 35: "V", 36: "V/m", 37: "F", 38: "Ω", 39: "Ωm", 40: "Wb",
    41: "T", 42: "A/m", 43: "H", 44: "Hz", 45: "1/(Wh)", 46: "1/(varh)", 47: "1/(VAh)",
    48: "V²h", 49: "A²h", 50: "kg/s", 51: "S", 52: "K", 53: "1/(V²h)", 54: "1/(A²h)",
    55: "1/m³", 56: "%", 57: "Ah", 60: "Wh/m³", 61: "J/m³", 62: "Mol %", 63: "g/m³",
    64: "Pa s", 65: "J/kg", 66: "g/cm²", 67: "atm", 70: "dBm", 71: "dBµV", 72: "dB",
    254: "other",
}  # fmt: skip


@record
class ScalerUnit:
    """scal_unit_type: the value is ``raw * 10 ** scaler`` in ``unit``."""

    scaler: int
    unit: Unit

    def __post_init__(self) -> None:
        if not -128 <= self.scaler <= 127:
            raise ValueError(f"scaler must be an integer (int8), got {self.scaler}")

    def to_data(self) -> Structure:
        """``structure { integer, enum }`` as carried in attribute 3 (one immutable
        value per scaler and unit, shared: every register of every twin holds one)."""
        data = _SCALER_UNITS.get(self)
        if data is None:
            if len(_SCALER_UNITS) >= 1024:
                _SCALER_UNITS.clear()
            data = _SCALER_UNITS[self] = Structure((Integer(self.scaler), Enum(self.unit)))
        return data

    @classmethod
    def from_data(cls, value: Data) -> ScalerUnit:
        """From a decoded ``structure { integer, enum }``; DecodeError otherwise."""
        if not isinstance(value, tuple) or len(value) != 2:
            raise DecodeError(0, f"scaler_unit is a structure of 2 elements, not {value!r}")
        scaler, unit = value
        if not isinstance(scaler, Integer) or not isinstance(unit, Enum):
            raise DecodeError(0, f"scaler_unit is {{integer, enum}}, not {value!r}")
        return cls(int(scaler), Unit(int(unit)))

    def apply(self, raw: int | float) -> int | float:
        """``raw * 10 ** scaler``: an int for a scaler >= 0 and an int raw."""
        factor = int(10 ** abs(self.scaler))
        return raw * factor if self.scaler >= 0 else raw / factor

    def format(self, raw: int | float) -> str:
        """``"1234.567 Wh"`` for raw 1234567, scaler -3, unit Wh: exact decimal
        digits for an integer raw value, no unit conversion."""
        if isinstance(raw, int):
            from decimal import Decimal  # loaded when a value is shown (~4 M instructions)

            text = format(Decimal(raw).scaleb(self.scaler), "f")
        else:
            text = repr(float(self.apply(raw)))
        symbol = self.unit.symbol
        return f"{text} {symbol}" if symbol else text

    def __str__(self) -> str:
        return f"10^{self.scaler} {self.unit.symbol or self.unit.name}"


__all__ = ["ScalerUnit", "Unit"]


_SCALER_UNITS: dict[ScalerUnit, Structure] = {}
