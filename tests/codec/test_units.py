"""Units and scaler_unit (Blue Book 4.3.2, Register attribute 3)."""

from __future__ import annotations

import pytest

from openamr.codec import (
    DecodeError,
    Enum,
    Integer,
    ScalerUnit,
    Structure,
    Unit,
    Unsigned,
    decode,
    encode,
)


@pytest.mark.parametrize(
    ("code", "symbol"),
    [
        (1, "a"), (2, "mo"), (3, "wk"), (4, "d"), (5, "h"), (6, "min"), (7, "s"),
        (8, "°"), (9, "°C"), (10, "currency"), (11, "m"), (12, "m/s"), (13, "m³"),
        (27, "W"), (28, "VA"), (29, "var"), (30, "Wh"), (31, "VAh"), (32, "varh"),
        (33, "A"), (34, "C"), (35, "V"), (36, "V/m"), (37, "F"), (38, "Ω"),
        (44, "Hz"), (45, "1/(Wh)"), (48, "V²h"), (56, "%"), (57, "Ah"), (62, "Mol %"),
        (254, "other"), (255, ""),
    ],
)  # fmt: skip
def test_symbols(code: int, symbol: str) -> None:
    assert Unit(code).symbol == symbol


def test_every_named_unit_of_the_first_editions_is_present() -> None:
    codes = {u.value for u in Unit}
    assert set(range(1, 58)) | {60, 61, 62, 253, 254, 255} <= codes
    assert 58 not in codes and 0 not in codes
    assert all(u.symbol for u in Unit if u not in (Unit.RESERVED, Unit.COUNT))


def test_unknown_code_is_kept() -> None:
    u = Unit(99)
    assert u == 99 and u.symbol == "" and u.name == "UNIT_99"
    assert Unit(99) is u
    assert 99 not in {m.value for m in Unit}
    with pytest.raises(ValueError):
        Unit(256)


def test_to_and_from_data() -> None:
    su = ScalerUnit(-3, Unit.WATT_HOUR)
    data = bytes.fromhex("02 02 0f fd 16 1e")
    assert su.to_data() == Structure((Integer(-3), Enum(30)))
    assert encode(su.to_data()) == data
    back = ScalerUnit.from_data(decode(data))
    assert back == su and back.unit is Unit.WATT_HOUR
    assert ScalerUnit.from_data(decode(bytes.fromhex("02 02 0f 00 16 63"))).unit == 99


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="null"),
        pytest.param(Structure((Integer(0),)), id="one-element"),
        pytest.param(Structure((Unsigned(0), Enum(30))), id="scaler-not-integer"),
        pytest.param(Structure((Integer(0), Unsigned(30))), id="unit-not-enum"),
    ],
)
def test_from_data_refuses_other_shapes(value: object) -> None:
    with pytest.raises(DecodeError, match="scaler_unit"):
        ScalerUnit.from_data(value)  # type: ignore[arg-type]


def test_scaler_range() -> None:
    with pytest.raises(ValueError):
        ScalerUnit(128, Unit.WATT)


@pytest.mark.parametrize(
    ("scaler", "unit", "raw", "applied", "text"),
    [
        pytest.param(-3, Unit.WATT_HOUR, 1234567, 1234.567, "1234.567 Wh", id="milli"),
        pytest.param(0, Unit.WATT_HOUR, 1234567, 1234567, "1234567 Wh", id="as-is"),
        pytest.param(3, Unit.WATT, 12, 12000, "12000 W", id="kilo"),
        pytest.param(-2, Unit.VOLT, 23012, 230.12, "230.12 V", id="volts"),
        pytest.param(-3, Unit.AMPERE, 1230, 1.23, "1.230 A", id="keeps-decimals"),
        pytest.param(-3, Unit.AMPERE, -5, -0.005, "-0.005 A", id="negative"),
        pytest.param(-1, Unit.HERTZ, 500, 50.0, "50.0 Hz", id="hertz"),
        pytest.param(0, Unit.COUNT, 42, 42, "42", id="count-no-symbol"),
        pytest.param(-1, Unit.DEGREE_CELSIUS, 1.5, 0.15, "0.15 °C", id="float-raw"),
    ],
)
def test_apply_and_format(
    scaler: int, unit: Unit, raw: int | float, applied: int | float, text: str
) -> None:
    su = ScalerUnit(scaler, unit)
    assert su.apply(raw) == pytest.approx(applied)
    assert type(su.apply(raw)) is type(applied)
    assert su.format(raw) == text
