"""gurux-dlms's client (an independent implementation, test oracle only) reads,
writes and invokes methods on our MT372 server over real loopback sockets, through
the wrapper and HDLC over TCP, in each of the meter's three associations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from gurux_dlms import GXDLMSException
from gurux_dlms.enums import DataType, ErrorCode, ObjectType, SourceDiagnostic
from gurux_dlms.enums.AssociationResult import AssociationResult
from gurux_dlms.objects import GXDLMSData, GXDLMSProfileGeneric, GXDLMSRegister, GXDLMSScriptTable

from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.meter.associations import PUBLIC_OBJECTS

from .conftest import RunningMeter
from .gurux_helpers import connect, make_client

TRANSPORTS = ["wrapper", "hdlc"]
LLS_PASSWORD = "12345678"
#: gurux's Unit enumeration values (Blue Book Table 4: Wh 30, V 35).
WATT_HOUR, VOLT = 30, 35
#: The MT372's nominal voltage in the register's unit (0.1 V); the twin's model stays
#: within 0.8..1.15 Un.
UN = 2300


def port(meter: RunningMeter, transport: str) -> int:
    return meter.wrapper_port if transport == "wrapper" else meter.hdlc_port


def session(meter: RunningMeter, transport: str, client_sap: int, **kwargs: Any) -> Any:
    client = make_client(transport, client_sap, **kwargs)
    return connect(meter.host, port(meter, transport), client)


def public(meter: RunningMeter, transport: str) -> Any:
    return session(meter, transport, 16)


def reader(meter: RunningMeter, transport: str) -> Any:
    return session(meter, transport, 32, secret=LLS_PASSWORD)


def manager(meter: RunningMeter, transport: str, **kwargs: Any) -> Any:
    """As a head-end does: read the meter's invocation counter (public), start above
    it (the meter refuses a counter it accepted before from this client: issue 11)."""
    with public(meter, transport) as s:
        counter = s.read(GXDLMSData("0.0.43.1.0.255"), 2)
    client = make_client(transport, 1, hls=True, **kwargs)
    client.ciphering.invocationCounter = int(counter) + 1
    return connect(meter.host, port(meter, transport), client)


def names(objects: Any) -> set[str]:
    return {o.logicalName for o in objects}


def visible_to(meter: RunningMeter, client_sap: int, wanted: frozenset[Obis] | None) -> set[str]:
    """The logical names the association of ``client_sap`` must list."""
    return {
        str(o.logical_name) for o in meter.app.device if wanted is None or o.logical_name in wanted
    }


def server_value(meter: RunningMeter, obis: str) -> Any:
    """What the twin holds, read in-process, to compare with what gurux read."""
    obj = meter.app.device.find(Obis.parse(obis))
    assert obj is not None
    return obj.value  # type: ignore[attr-defined]


def assert_voltage(meter: RunningMeter, obis: str, read: Any, scaled: bool) -> None:
    """``read`` is what gurux read of the voltage ``obis``: the twin's own value at the
    same instant (the default stepped clock does not move), scaled by 0.1 V if gurux
    knew the scaler, and a physical one."""
    raw = server_value(meter, obis)
    assert 0.8 * UN <= raw <= 1.15 * UN
    assert read == (pytest.approx(raw * 0.1) if scaled else raw)


def assert_refused(error: pytest.ExceptionInfo[GXDLMSException], code: ErrorCode) -> None:
    assert error.value.errorCode == code


# -- public client 16 -------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_public_reads_identity_and_energy(meter: RunningMeter, transport: str) -> None:
    with public(meter, transport) as s:
        serial = s.read(GXDLMSData("0.0.96.1.0.255"), 2)
        name = s.read(GXDLMSData("0.0.42.0.0.255"), 2)
        energy = GXDLMSRegister("1.0.1.8.0.255")
        s.read(energy, 3)
        value = s.read(energy, 2)
    assert serial == "12345678"
    assert bytes(name) == b"ISK0000012345678"
    assert value == server_value(meter, "1.0.1.8.0.255") > 0  # two days of simulated past
    assert (energy.scaler, energy.unit) == (1.0, WATT_HOUR)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_public_reads_the_clock(meter: RunningMeter, transport: str) -> None:
    if meter.app.device.find(Obis.parse("0.0.1.0.0.255")) is None:
        pytest.skip("the MT372 twin has no clock object yet")
    from gurux_dlms.objects import GXDLMSClock

    with public(meter, transport) as s:
        clock = GXDLMSClock("0.0.1.0.0.255")
        time = s.read(clock, 2)
        zone = s.read(clock, 3)
    assert time is not None and time.value.year >= 2000
    assert isinstance(zone, int)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_public_object_list(meter: RunningMeter, transport: str) -> None:
    with public(meter, transport) as s:
        objects = s.objects()
    listed = names(objects)
    assert listed == visible_to(meter, 16, PUBLIC_OBJECTS)
    registers = objects.getObjects(ObjectType.REGISTER)
    assert {r.logicalName for r in registers} == {"1.0.1.8.0.255", "1.0.2.8.0.255"}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_public_set_is_denied(meter: RunningMeter, transport: str) -> None:
    with public(meter, transport) as s:
        serial = GXDLMSData("0.0.96.1.0.255")
        s.read(serial, 2)
        serial.value = "99999999"
        with pytest.raises(GXDLMSException) as refused:
            s.write(serial, 2)
        assert_refused(refused, ErrorCode.READ_WRITE_DENIED)
        assert s.read(serial, 2) == "12345678"  # the association goes on


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_public_cannot_see_private_objects(meter: RunningMeter, transport: str) -> None:
    with public(meter, transport) as s:
        voltage = GXDLMSRegister("1.0.32.7.0.255")
        with pytest.raises(GXDLMSException) as refused:
            s.read(voltage, 2)
    assert_refused(refused, ErrorCode.UNDEFINED_OBJECT)


# -- LLS client 32 ----------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_lls_reads_registers_with_scaler_unit(meter: RunningMeter, transport: str) -> None:
    with reader(meter, transport) as s:
        voltage = GXDLMSRegister("1.0.32.7.0.255")
        s.read(voltage, 3)
        value = s.read(voltage, 2)
        objects = s.objects()
    assert (voltage.scaler, voltage.unit) == (0.1, VOLT)
    assert_voltage(meter, "1.0.32.7.0.255", value, scaled=True)
    assert names(objects) == visible_to(meter, 32, None)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_lls_set_refused_where_read_only(meter: RunningMeter, transport: str) -> None:
    with reader(meter, transport) as s:
        tariff = GXDLMSData("0.0.96.14.0.255")
        rate = server_value(meter, "0.0.96.14.0.255")  # the calendar's rate at this instant
        assert rate in range(1, 5)
        assert s.read(tariff, 2) == rate
        tariff.value = rate % 4 + 1  # another rate: a write let through would show
        with pytest.raises(GXDLMSException) as refused:
            s.write(tariff, 2)
        assert_refused(refused, ErrorCode.READ_WRITE_DENIED)
        assert s.read(tariff, 2) == rate


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_lls_sets_the_clock(meter: RunningMeter, transport: str) -> None:
    if meter.app.device.find(Obis.parse("0.0.1.0.0.255")) is None:
        pytest.skip("the MT372 twin has no clock object yet (class 8 is writable for 32)")
    from gurux_dlms.objects import GXDLMSClock

    with reader(meter, transport) as s:
        clock = GXDLMSClock("0.0.1.0.0.255")
        zone = s.read(clock, 3)
        clock.timeZone = zone
        s.write(clock, 3)  # LLS has write access to the clock (class 8)
        assert s.read(clock, 3) == zone


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_lls_action_refused_without_method_rights(meter: RunningMeter, transport: str) -> None:
    with reader(meter, transport) as s:
        energy = GXDLMSRegister("1.0.1.8.0.255")
        with pytest.raises(GXDLMSException) as refused:
            s.method(energy, 1, 0, DataType.INT8)  # reset
        assert_refused(refused, ErrorCode.READ_WRITE_DENIED)
        assert s.read(energy, 2) == server_value(meter, "1.0.1.8.0.255") > 0


def test_lls_wrong_password_is_rejected(meter: RunningMeter) -> None:
    for transport in TRANSPORTS:
        with (
            pytest.raises(GXDLMSException) as rejected,
            session(meter, transport, 32, secret="wrong!!!"),
        ):
            pass
        assert rejected.value.result == AssociationResult.PERMANENT_REJECTED
        assert rejected.value.diagnostic == SourceDiagnostic.AUTHENTICATION_FAILURE


def test_lls_without_password_is_rejected(meter: RunningMeter) -> None:
    with pytest.raises(GXDLMSException) as rejected, session(meter, "wrapper", 32):
        pass
    assert rejected.value.diagnostic == SourceDiagnostic.MECHANISM_NAME_REGUIRED  # sic


# -- HLS-GMAC client 1, suite 0, authenticated and encrypted --------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hls_gmac_ciphered_session(meter: RunningMeter, transport: str) -> None:
    with manager(meter, transport) as s:
        voltage = GXDLMSRegister("1.0.52.7.0.255")
        s.read(voltage, 3)
        value = s.read(voltage, 2)
        objects = s.objects()
    assert (voltage.scaler, voltage.unit) == (0.1, VOLT)
    assert_voltage(meter, "1.0.52.7.0.255", value, scaled=True)
    assert names(objects) == visible_to(meter, 1, None)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hls_set_and_action_where_rights_allow(meter: RunningMeter, transport: str) -> None:
    with manager(meter, transport) as s:
        limit = GXDLMSData("0.0.128.61.1.255")
        assert s.read(limit, 2) == 0
        limit.value = 12000
        limit.setDataType(2, DataType.INT32)
        s.write(limit, 2)
        assert s.read(limit, 2) == 12000
        limit.value = 0
        s.write(limit, 2)
        # end of billing by command: the script 0.0.10.0.1.255 (script 1), a new
        # monthly billing row; cumulative energy itself can never be reset
        monthly = meter.app.device.find(Obis.parse("1.0.98.1.0.255"))
        before = len(monthly.rows)  # type: ignore[union-attr]
        s.method(GXDLMSScriptTable("0.0.10.0.1.255"), 1, 1, DataType.UINT16)
        assert len(monthly.rows) == before + 1  # type: ignore[union-attr]
        energy = GXDLMSRegister("1.0.2.8.4.255")
        with pytest.raises(GXDLMSException):
            s.method(energy, 1, 0, DataType.INT8)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hls_wrong_key_is_rejected(meter: RunningMeter, transport: str) -> None:
    with (
        pytest.raises(GXDLMSException) as rejected,
        session(meter, transport, 1, hls=True, ak=bytes(16)),
    ):
        pass
    assert rejected.value.result == AssociationResult.PERMANENT_REJECTED


def test_sessions_do_not_share_state(meter: RunningMeter) -> None:
    """A public and an LLS association open at once, over both transports."""
    with public(meter, "wrapper") as a, reader(meter, "hdlc") as b:
        voltage = GXDLMSRegister("1.0.72.7.0.255")
        assert_voltage(meter, "1.0.72.7.0.255", b.read(voltage, 2), scaled=False)
        assert a.read(GXDLMSData("0.0.96.1.0.255"), 2) == "12345678"
        with pytest.raises(GXDLMSException):
            a.read(voltage, 2)


# -- the load profile, LLS client 32 (rows checked against the twin's buffer) -------------

LOAD_PROFILE = "1.0.99.1.0.255"


def server_rows(meter: RunningMeter) -> list[tuple[dt.datetime, int, int, int]]:
    """LP1 as the twin holds it: (instant, status, A+, A-) per entry."""
    lp = meter.app.device.find(Obis.parse(LOAD_PROFILE))
    assert isinstance(lp, ProfileGeneric)
    return [(CosemDateTime.from_bytes(r[0]).to_datetime(), *r[1:]) for r in lp.rows]


def gurux_rows(pg: Any) -> list[tuple[dt.datetime, int, int, int]]:
    return [(r[0].value, r[1], r[2], r[3]) for r in pg.buffer]


def profile(s: Any) -> Any:
    pg = GXDLMSProfileGeneric(LOAD_PROFILE)
    s.read(pg, 3)  # capture_objects: gurux needs them to decode the rows
    return pg


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_load_profile_by_entry(meter: RunningMeter, transport: str) -> None:
    rows = server_rows(meter)
    with reader(meter, transport) as s:
        pg = profile(s)
        assert s.read(pg, 7) == len(rows)  # entries_in_use
        assert s.read(pg, 4) == 900  # capture_period
        s.rows_by_entry(pg, 1, 4)
        first = gurux_rows(pg)
        s.rows_by_entry(pg, len(rows) - 1, 10)  # runs past the last entry: clipped
        last = gurux_rows(pg)
        clocks = s.block(s.client.readRowsByEntry(pg, 5, 2, [pg.captureObjects[0]])).value
    assert first == rows[:4]
    assert last == rows[-2:]
    assert [len(r) for r in clocks] == [1, 1]  # the clock column alone (columns 1..1)
    assert [CosemDateTime.from_bytes(bytes(r[0])).to_datetime() for r in clocks] == [
        rows[4][0],
        rows[5][0],
    ]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_load_profile_by_range(meter: RunningMeter, transport: str) -> None:
    rows = server_rows(meter)
    start, end = rows[10][0], rows[13][0]
    with reader(meter, transport) as s:
        pg = profile(s)
        s.rows_by_range(pg, start, end)
        ranged = gurux_rows(pg)
        a_plus = pg.captureObjects[2]
        selected = s.block(s.client.readRowsByRange(pg, start, end, [a_plus])).value
    assert ranged == rows[10:14]  # both bounds inclusive
    assert [list(r) for r in selected] == [[r[2]] for r in rows[10:14]]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_whole_load_profile_in_blocks(meter: RunningMeter, transport: str) -> None:
    with reader(meter, transport) as s:
        pg = profile(s)
        s.read(pg, 2)
    assert gurux_rows(pg) == server_rows(meter)


def test_gurux_column_count_is_refused(meter: RunningMeter) -> None:
    """gurux 1.0.203 writes a column *count* as to_selected_value (Blue Book 4.3.6 wants
    the last column's index): asking for column 3 alone arrives as columns 3..1, which
    the server refuses as the standard reads it."""
    with reader(meter, "wrapper") as s:
        pg = profile(s)
        with pytest.raises(GXDLMSException) as refused:
            s.block(s.client.readRowsByEntry(pg, 1, 2, [pg.captureObjects[2]]))
    assert_refused(refused, ErrorCode.ACCESS_VIOLATED)


# -- the Mx372 head-end driver's client 100 ---------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_head_end_client_100_reads_like_the_reader(meter: RunningMeter, transport: str) -> None:
    """What the published Mx372 head-end driver does (MT372.md section 5): client 100,
    LLS, device id, clock, profile status and the load profile by date range; writing
    the disconnector is beyond its reading rights."""
    rows = server_rows(meter)
    with session(meter, transport, 100, secret=LLS_PASSWORD) as s:
        name = s.read(GXDLMSData("0.0.42.0.0.255"), 2)
        status = s.read(GXDLMSData("1.0.96.240.0.255"), 2)
        pg = profile(s)
        s.rows_by_range(pg, rows[0][0], rows[3][0])
        ranged = gurux_rows(pg)
        disconnector = GXDLMSData("0.0.128.30.21.255")
        s.read(disconnector, 2)
        with pytest.raises(GXDLMSException) as refused:
            s.write(disconnector, 2)
        objects = s.objects()
    assert bytes(name) == b"ISK0000012345678"
    assert status == server_value(meter, "1.0.96.240.0.255")
    assert ranged == rows[:4]
    assert_refused(refused, ErrorCode.READ_WRITE_DENIED)
    assert names(objects) == visible_to(meter, 100, None)


def test_head_end_client_100_needs_the_password(meter: RunningMeter) -> None:
    with pytest.raises(GXDLMSException) as rejected, session(meter, "wrapper", 100, secret="x"):
        pass
    assert rejected.value.diagnostic == SourceDiagnostic.AUTHENTICATION_FAILURE
