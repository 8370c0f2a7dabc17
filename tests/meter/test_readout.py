"""The optical port's data derived from the MT372 object model: the readout list,
scaling and units, addresses, R1 and W1 (meter/readout.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.types import DoubleLongUnsigned, Long, LongUnsigned, OctetString
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem import LogicalDevice
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.register import Register
from openamr.link.iec21 import DataSet
from openamr.meter.application import ServerApplication
from openamr.meter.clock import SteppedTime
from openamr.meter.display import DISPLAY_LIST
from openamr.meter.mt372 import build_mt372
from openamr.meter.readout import (
    BAD_VALUE,
    NO_CLOCK,
    READ_ONLY,
    UNKNOWN_ADDRESS,
    DeviceReadout,
    Nameplate,
    Reading,
    Refused,
    logical_name,
    nameplate,
    present,
)
from tests.vector_files import Vectors

IEC21 = Vectors("iec21")

# 2024-06-15 08:30:45 UTC is 10:30:45 CEST at the MT372's default time zone.
START = dt.datetime(2024, 6, 15, 8, 30, 45, tzinfo=dt.UTC)


@pytest.fixture
def time() -> SteppedTime:
    return SteppedTime(START)


@pytest.fixture
def app(time: SteppedTime) -> ServerApplication:
    return build_mt372("87654321", time_base=time).app


def register(app: ServerApplication, obis: str) -> Register:
    obj = app.device.find(Obis.parse(obis))
    assert isinstance(obj, Register)
    return obj


def raw(app: ServerApplication, obis: str) -> int:
    """The twin's own value of ``obis`` (attribute 2) at this instant: the stepped clock
    does not move, so the readout and the test see the same state."""
    obj = app.device.find(Obis.parse(obis))
    assert obj is not None
    value = obj.get(2)
    assert isinstance(value, int)
    return value


def fixed(value: int, decimals: int) -> str:
    """``value`` * 10**-decimals printed with exactly ``decimals`` decimals."""
    return str(Decimal(value).scaleb(-decimals))


def local_time(app: ServerApplication) -> dt.datetime:
    clock = app.device.find(Obis(0, 0, 1, 0, 0, 255))
    assert clock is not None
    raw = clock.get(2)
    assert isinstance(raw, bytes)
    return CosemDateTime.from_bytes(raw).to_datetime()


# -- the readout list -----------------------------------------------------------------------


def test_readout_is_the_display_list_resolved_against_the_device(
    app: ServerApplication,
) -> None:
    readout = DeviceReadout(app.device).readout()
    clock_views = {"0.9.1", "0.9.2"}
    declared = [a for a in DISPLAY_LIST if a in clock_views or app.device.find(name(a))]
    assert [r.address for r in readout] == declared
    assert {"C.1.0", "0.9.1", "0.9.2", "1.8.0", "2.8.4", "15.8.0", "72.7.0", "F.F"} <= set(declared)


def name(address: str) -> Obis:
    found = logical_name(address)
    assert found is not None
    return found


def test_objects_the_device_lacks_are_skipped(app: ServerApplication) -> None:
    for obis in ("1.0.1.8.2.255", "1.0.1.6.0.255", "0.0.1.0.0.255"):
        app.device.objects.pop(Obis.parse(obis), None)
    addresses = [r.address for r in DeviceReadout(app.device).readout()]
    assert addresses == [a for a in DISPLAY_LIST if a not in {"1.8.2", "1.6.0", "0.9.1", "0.9.2"}]


def test_readout_values_come_from_the_objects(app: ServerApplication) -> None:
    register(app, "1.0.1.8.0.255").value = DoubleLongUnsigned(1_234_567)
    register(app, "1.0.2.8.3.255").value = DoubleLongUnsigned(12_345)
    register(app, "1.0.32.7.0.255").value = LongUnsigned(2301)
    register(app, "1.0.51.7.0.255").value = LongUnsigned(1040)
    error = app.device.find(Obis(0, 0, 97, 97, 0, 255))
    assert isinstance(error, Data)
    error.value = DoubleLongUnsigned(0x02000100)
    sets = {r.address: r for r in DeviceReadout(app.device).readout()}
    assert sets["C.1.0"] == Reading("C.1.0", "87654321")
    assert sets["0.2.0"] == Reading("0.2.0", "MT372-1004")
    assert sets["0.9.1"] == Reading("0.9.1", "103045")
    assert sets["0.9.2"] == Reading("0.9.2", "0240615")
    assert sets["1.8.0"] == Reading("1.8.0", "001234.567", "kWh")
    assert sets["2.8.3"] == Reading("2.8.3", "000012.345", "kWh")
    assert sets["32.7.0"] == Reading("32.7.0", "230.1", "V")
    assert sets["51.7.0"] == Reading("51.7.0", "10.40", "A")
    assert sets["F.F"] == Reading("F.F", "02000100")


def test_readout_encodes_as_an_iec_data_block(app: ServerApplication) -> None:
    register(app, "1.0.1.8.0.255").value = DoubleLongUnsigned(1_234_567)
    texts = [DataSet(r.address, r.value, r.unit).to_text() for r in app_readout(app)]
    assert "1.8.0(001234.567*kWh)" in texts
    volts = raw(app, "1.0.32.7.0.255")  # the twin's L1 voltage, 0.1 V
    assert 0.8 * 2300 <= volts <= 1.15 * 2300
    assert f"32.7.0({fixed(volts, 1)}*V)" in texts
    assert texts[-1] == "F.F(00000000)"


def app_readout(app: ServerApplication) -> list[Reading]:
    return DeviceReadout(app.device).readout()


def test_the_clock_moves_the_readout(app: ServerApplication, time: SteppedTime) -> None:
    time.step(3600 * 14)  # 00:30:45 CEST the next day
    sets = {r.address: r.value for r in app_readout(app)}
    assert (sets["0.9.1"], sets["0.9.2"]) == ("003045", "0240616")


def test_a_device_without_clock_or_serial_skips_them() -> None:
    device = LogicalDevice(
        [Register("1.0.1.8.0.255", DoubleLongUnsigned(5), ScalerUnit(3, Unit.WATT_HOUR))]
    )
    readout = DeviceReadout(device).readout()
    assert readout == [Reading("1.8.0", "000005.000", "kWh")]


def test_a_custom_display_list_is_resolved_the_same_way(app: ServerApplication) -> None:
    readout = DeviceReadout(app.device, ("14.7.0", "1-0:13.7.0*255", "99.99.99", "1.7.0"))
    hertz, pf, watts = (raw(app, f"1.0.{c}.7.0.255") for c in (14, 13, 1))
    assert 4900 <= hertz <= 5100 and -1000 <= pf <= 1000 and watts >= 0
    assert readout.readout() == [
        Reading("14.7.0", fixed(hertz, 2), "Hz"),
        Reading("1-0:13.7.0*255", fixed(pf, 3)),
        Reading("1.7.0", fixed(watts, 3), "kW"),
    ]


def test_a_display_list_entry_that_is_no_address_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match=r"1\.8\.x"):
        DeviceReadout(LogicalDevice(), ("1.8.0", "1.8.x"))


def test_nameplate_comes_from_firmware_and_serial(app: ServerApplication) -> None:
    assert nameplate(app.device) == Nameplate("MT372", "1004", "87654321")
    assert nameplate(LogicalDevice()) == Nameplate("MT372", "1004", "")


# -- scaling and units -------------------------------------------------------------------------

WH, V, A, W = Unit.WATT_HOUR, Unit.VOLT, Unit.AMPERE, Unit.WATT


@pytest.mark.parametrize(
    ("raw", "scaler", "unit", "printed"),
    [
        pytest.param(1_234_567, 0, WH, ("001234.567", "kWh"), id="Wh-to-kWh"),
        pytest.param(12_345, 2, WH, ("001234.500", "kWh"), id="scaler-2"),
        pytest.param(1_234_567_9, -1, WH, ("001234.567", "kWh"), id="energy-truncated"),
        pytest.param(999_999_999_999, 0, WH, ("999999999.999", "kWh"), id="wider-than-six"),
        pytest.param(5, 0, Unit.VAR_HOUR, ("000000.005", "kVArh"), id="reactive-energy"),
        pytest.param(2301, -1, V, ("230.1", "V"), id="volts"),
        pytest.param(23015, -2, V, ("230.2", "V"), id="volts-rounded-half-up"),
        pytest.param(1040, -2, A, ("10.40", "A"), id="amperes"),
        pytest.param(3920, 0, W, ("3.920", "kW"), id="watts-to-kW"),
        pytest.param(-1500, 0, W, ("-1.500", "kW"), id="negative-power"),
        pytest.param(5000, -2, Unit.HERTZ, ("50.00", "Hz"), id="hertz"),
        pytest.param(1000, -3, Unit.COUNT, ("1.000", ""), id="power-factor"),
        pytest.param(12_345, -3, Unit.CUBIC_METRE, ("12.345", "m3"), id="m3-in-ascii"),
        pytest.param(7, 0, Unit.COUNT, ("7", ""), id="count"),
        pytest.param(2.5, 0, V, ("2.5", "V"), id="float"),
    ],
)
def test_present(raw: int | float, scaler: int, unit: Unit, printed: tuple[str, str]) -> None:
    assert present(raw, ScalerUnit(scaler, unit)) == printed


def test_present_refuses_what_is_no_number() -> None:
    assert present(float("nan"), ScalerUnit(0, V)) is None
    assert present(float("inf"), ScalerUnit(0, V)) is None


def _field_sets() -> list[DataSet]:
    block = IEC21.named("iskraemeco_mt174_lines.hex")["data-block"].data.decode("latin-1")
    return [s for line in block.splitlines() for s in DataSet.parse_line(line)]


@pytest.mark.parametrize("unit", ["V", "A", "kW", "kWh", "kVArh", "kVAh"])
def test_decimals_match_the_mt174_capture(unit: str) -> None:
    """The field's MT174 prints V with 1 decimal, A with 2, kW and kWh with 3: ours too."""
    seen = {len(s.value.partition(".")[2]) for s in _field_sets() if s.unit == unit}
    assert len(seen) == 1
    ours = {
        "V": V,
        "A": A,
        "kW": W,
        "kWh": WH,
        "kVArh": Unit.VAR_HOUR,
        "kVAh": Unit.VOLT_AMPERE_HOUR,
    }
    printed = present(123_456, ScalerUnit(-1, ours[unit]))
    assert printed is not None and printed[1] == unit
    assert len(printed[0].partition(".")[2]) == seen.pop()


# -- addresses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "obis"),
    [
        ("1.8.0", "1.0.1.8.0.255"),
        (" 2.8.4 ", "1.0.2.8.4.255"),
        ("0.9.1", "1.0.0.9.1.255"),
        ("C.1.0", "0.0.96.1.0.255"),
        ("96.1.0", "0.0.96.1.0.255"),
        ("F.F", "0.0.97.97.0.255"),
        ("1.8", "1.0.1.8.0.255"),
        ("1-0:1.8.0*255", "1.0.1.8.0.255"),
        ("1-0:1.8.0&101", "1.0.1.8.0.101"),
        ("0-0:C.51.2*01", "0.0.96.51.2.1"),
        ("0-1:24.2.1", "0.1.24.2.1.255"),
        ("1.0.1.8.0.255", "1.0.1.8.0.255"),
    ],
)
def test_logical_name(address: str, obis: str) -> None:
    assert logical_name(address) == Obis.parse(obis)


@pytest.mark.parametrize("address", ["", "1", "1.8.x", "300.1.0", "1.8.0.1", "X.1.0", "1-0:"])
def test_logical_name_of_no_address(address: str) -> None:
    assert logical_name(address) is None


def test_every_address_of_the_mt174_capture_resolves() -> None:
    """Each full-form address of the field capture names its own OBIS code, and its
    reduced form C.D.E implies the same A and B groups."""
    for s in _field_sets():
        name = logical_name(s.address)
        assert name is not None, s.address
        reduced = s.address.split(":", 1)[1].split("*", 1)[0]
        assert logical_name(reduced) == replace(name, f=255), s.address


# -- R1 and W1 ---------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["1.8.0", "1-0:1.8.0*255", "1.0.1.8.0.255"])
def test_r1_reads_under_the_address_asked(app: ServerApplication, address: str) -> None:
    register(app, "1.0.1.8.0.255").value = DoubleLongUnsigned(42_000)
    assert DeviceReadout(app.device).read(address) == Reading(address, "000042.000", "kWh")


def test_r1_reads_objects_outside_the_display_list(app: ServerApplication) -> None:
    readout = DeviceReadout(app.device)
    assert readout.read("96.1.0") == Reading("96.1.0", "87654321")
    hertz, water = raw(app, "1.0.14.7.0.255"), raw(app, "8.0.1.0.0.255")
    assert 4900 <= hertz <= 5100 and water >= 0
    assert readout.read("14.7.0") == Reading("14.7.0", fixed(hertz, 2), "Hz")
    assert readout.read("8-0:1.0.0") == Reading("8-0:1.0.0", fixed(water, 3), "m3")


@pytest.mark.parametrize("address", ["9.9.9", "1.8.9", "nonsense", "P.1"])
def test_r1_of_an_unknown_address_is_refused(app: ServerApplication, address: str) -> None:
    assert DeviceReadout(app.device).read(address) == Refused(UNKNOWN_ADDRESS)


def test_r1_of_an_object_without_a_printable_value_is_refused(app: ServerApplication) -> None:
    assert DeviceReadout(app.device).read("0-0:40.0.0*255") == Refused(UNKNOWN_ADDRESS)


def test_w1_sets_the_clock_time(app: ServerApplication) -> None:
    readout = DeviceReadout(app.device)
    assert readout.write("0.9.1", "235959") is None
    assert local_time(app).replace(tzinfo=None) == dt.datetime(2024, 6, 15, 23, 59, 59)
    assert readout.read("0.9.1") == Reading("0.9.1", "235959")


@pytest.mark.parametrize("value", ["0241231", "241231"])
def test_w1_sets_the_clock_date(app: ServerApplication, value: str) -> None:
    readout = DeviceReadout(app.device)
    assert readout.write("0.9.2", value) is None
    assert local_time(app).replace(tzinfo=None) == dt.datetime(2024, 12, 31, 10, 30, 45)
    assert readout.read("1-0:0.9.2*255").value == "0241231"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("address", "value"),
    [("0.9.1", "246000"), ("0.9.1", "12:00:00"), ("0.9.1", "1200"), ("0.9.2", "0241301"),
     ("0.9.2", "1241231"), ("0.9.2", "")],
)  # fmt: skip
def test_w1_of_a_bad_value_is_refused_and_changes_nothing(
    app: ServerApplication, address: str, value: str
) -> None:

    before = local_time(app)
    assert DeviceReadout(app.device).write(address, value) == Refused(BAD_VALUE)
    assert local_time(app) == before


def test_w1_of_anything_else_is_refused(app: ServerApplication) -> None:
    readout = DeviceReadout(app.device)
    before = raw(app, "1.0.1.8.0.255")
    assert readout.write("1.8.0", f"{before // 1000 + 1:06d}.000") == Refused(READ_ONLY)
    assert readout.write("C.1.0", "1") == Refused(READ_ONLY)
    assert readout.write("9.9.9", "1") == Refused(UNKNOWN_ADDRESS)
    assert readout.write("garbage", "1") == Refused(UNKNOWN_ADDRESS)
    assert raw(app, "1.0.1.8.0.255") == before  # a value it does not hold, refused


def test_w1_without_a_clock_is_refused() -> None:
    readout = DeviceReadout(LogicalDevice([Data("0.0.96.1.0.255", OctetString(b"1"))]))
    assert readout.write("0.9.1", "120000") == Refused(NO_CLOCK)
    assert readout.read("0.9.1") == Refused(UNKNOWN_ADDRESS)


def test_refusal_texts_fit_an_iec_error_message() -> None:
    from openamr.meter import readout as module

    for text in (module.UNKNOWN_ADDRESS, module.READ_ONLY, module.BAD_VALUE, module.NO_CLOCK,
                 module.CLOCK_REFUSED):  # fmt: skip
        assert text.startswith("ERR") and len(text) <= 32
        DataSet("", text).to_text()  # raises EncodeError on a character a value cannot carry


def test_data_values_print_by_type() -> None:
    device = LogicalDevice(
        [
            Data("0.0.96.14.0.255", LongUnsigned(3)),
            Data("0.0.96.3.10.255", True),
            Data("0.0.42.0.0.255", OctetString(bytes.fromhex("00 ff 28"))),
            Data("0.0.96.1.1.255", "a(b)*c!"),
            Data("0.0.97.97.1.255", Long(-1)),
        ]
    )
    readout = DeviceReadout(device, ("96.14.0", "96.3.10", "0-0:42.0.0", "96.1.1", "F.F.1"))
    assert [(r.address, r.value) for r in readout.readout()] == [
        ("96.14.0", "3"),
        ("96.3.10", "1"),
        ("0-0:42.0.0", "00FF28"),
        ("96.1.1", "abc"),
        ("F.F.1", "FFFF"),
    ]
    assert Decimal(readout.readout()[0].value) == 3
