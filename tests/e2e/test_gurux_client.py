"""gurux-dlms's client (an independent implementation, test oracle only) reads,
writes and invokes methods on our MT372 server over real loopback sockets, through
the wrapper and HDLC over TCP, in each of the meter's three associations."""

from __future__ import annotations

from typing import Any

import pytest
from gurux_dlms import GXDLMSException
from gurux_dlms.enums import DataType, ErrorCode, ObjectType, SourceDiagnostic
from gurux_dlms.enums.AssociationResult import AssociationResult
from gurux_dlms.objects import GXDLMSData, GXDLMSRegister

from openamr.codec import DoubleLongUnsigned
from openamr.codec.obis import Obis
from openamr.meter.associations import PUBLIC_OBJECTS

from .conftest import RunningMeter
from .gurux_helpers import connect, make_client

TRANSPORTS = ["wrapper", "hdlc"]
LLS_PASSWORD = "12345678"
#: gurux's Unit enumeration values (Blue Book Table 4: Wh 30, V 35).
WATT_HOUR, VOLT = 30, 35


def port(meter: RunningMeter, transport: str) -> int:
    return meter.wrapper_port if transport == "wrapper" else meter.hdlc_port


def session(meter: RunningMeter, transport: str, client_sap: int, **kwargs: Any) -> Any:
    client = make_client(transport, client_sap, **kwargs)
    return connect(meter.host, port(meter, transport), client)


def public(meter: RunningMeter, transport: str) -> Any:
    return session(meter, transport, 16)


def reader(meter: RunningMeter, transport: str) -> Any:
    return session(meter, transport, 32, secret=LLS_PASSWORD)


def manager(meter: RunningMeter, transport: str) -> Any:
    return session(meter, transport, 1, hls=True)


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
    assert value == server_value(meter, "1.0.1.8.0.255") > 0  # the placeholder history
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
    assert (value, voltage.scaler, voltage.unit) == (230.0, 0.1, VOLT)
    assert names(objects) == visible_to(meter, 32, None)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_lls_set_refused_where_read_only(meter: RunningMeter, transport: str) -> None:
    with reader(meter, transport) as s:
        tariff = GXDLMSData("0.0.96.14.0.255")
        assert s.read(tariff, 2) == 1
        tariff.value = 2
        with pytest.raises(GXDLMSException) as refused:
            s.write(tariff, 2)
        assert_refused(refused, ErrorCode.READ_WRITE_DENIED)
        assert s.read(tariff, 2) == 1


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
    assert (value, voltage.scaler, voltage.unit) == (230.0, 0.1, VOLT)
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
        t4 = meter.app.device.find(Obis.parse("1.0.2.8.4.255"))
        t4.value = DoubleLongUnsigned(1234)  # type: ignore[union-attr]
        energy = GXDLMSRegister("1.0.2.8.4.255")
        assert s.read(energy, 2) == 1234
        s.method(energy, 1, 0, DataType.INT8)  # reset: all rights for the management client
        assert s.read(energy, 2) == 0


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
        assert b.read(voltage, 2) == 2300
        assert a.read(GXDLMSData("0.0.96.1.0.255"), 2) == "12345678"
        with pytest.raises(GXDLMSException):
            a.read(voltage, 2)
