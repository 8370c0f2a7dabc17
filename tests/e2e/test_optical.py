"""The MT372 twin's optical port on a real loopback socket: read by our ``openamr iec21``
client and by the independent ``iec62056-21`` client (PyPI, test oracle), programming
mode, and the mode E hand-over to a real DLMS/HDLC session by dlms-cosem's client on
the same connection."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from dlms_cosem import cosem, enumerations
from dlms_cosem.client import DlmsClient
from dlms_cosem.io import BlockingTcpIO, HdlcTransport
from dlms_cosem.security import LowLevelSecurityAuthentication
from iec62056_21 import messages  # test oracle, dev extra only
from iec62056_21.client import Iec6205621Client

from openamr.aio.hhu import read_readout, read_register, write_register
from openamr.aio.optical_port import start_meter_optical_port
from openamr.cli.main import cli
from openamr.codec import VisibleString, decode
from openamr.codec.obis import Obis
from openamr.link.iec21 import DataSet
from openamr.meter.application import ServerApplication
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import build_mt372
from openamr.meter.readout import DeviceReadout
from tests.background import background_loop

PASSWORD = "12345678"
SERIAL = "87654321"
START = dt.datetime(2025, 3, 7, 11, 22, 33, tzinfo=dt.UTC)  # 12:22:33 CET


@dataclass
class OpticalMeter:
    app: ServerApplication
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"


@pytest.fixture(scope="module")
def meter() -> Iterator[OpticalMeter]:
    """The live twin with two days of simulated past (so A+ is no zero); its stepped
    clock does not move, so every value below is the twin's at one instant."""
    meter = build_mt372(SERIAL, time_base=SteppedTime(START), history_days=2)
    app = meter.app
    with background_loop() as bg:
        port = bg.serve(lambda: start_meter_optical_port(app, "127.0.0.1", 0, password=PASSWORD))
        yield OpticalMeter(app, "127.0.0.1", port)


def expected(meter: OpticalMeter) -> list[tuple[str, str, str]]:
    return [(r.address, r.value, r.unit) for r in DeviceReadout(meter.app.device).readout()]


def raw(meter: OpticalMeter, obis: str) -> int:
    """The twin's own value of ``obis`` (attribute 2)."""
    obj = meter.app.device.find(Obis.parse(obis))
    assert obj is not None
    value = obj.get(2)
    assert isinstance(value, int)
    return value


def a_plus_kwh(meter: OpticalMeter) -> str:
    """1.8.0 as the MT372 prints it, from the twin's register in Wh: 6.3 digits of kWh."""
    wh = raw(meter, "1.0.1.8.0.255")
    assert wh > 0
    return f"{wh // 1000:06d}.{wh % 1000:03d}"


# -- our client -----------------------------------------------------------------------------


def test_our_cli_reads_the_readout(meter: OpticalMeter) -> None:
    result = CliRunner().invoke(cli, ["iec21", "read", meter.url, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["identification"] == "/ISK5\\2MT372-1004"
    data = [(d["address"], d["value"], d["unit"]) for d in document["data"]]
    assert data == expected(meter)
    assert ("1.8.0", a_plus_kwh(meter), "kWh") in data
    assert ("0.9.1", "122233", "") in data and ("0.9.2", "0250307", "") in data
    assert ("C.1.0", SERIAL, "") in data and data[-1] == ("F.F", "00000000", "")


def test_the_device_address_is_the_serial_number(meter: OpticalMeter) -> None:
    ident, readout = asyncio.run(read_readout(meter.url, device_address=SERIAL))
    assert ident.ident == "MT372-1004" and ident.mode_e
    assert [(s.address, s.value, s.unit) for s in readout.data_sets] == expected(meter)


def test_our_client_r1_in_programming_mode(meter: OpticalMeter) -> None:
    value = asyncio.run(read_register(meter.url, "1.8.0", PASSWORD))
    assert value == DataSet("1.8.0", a_plus_kwh(meter), "kWh")
    result = CliRunner().invoke(cli, ["iec21", "get", meter.url, "32.7.0", "-p", PASSWORD])
    volts = raw(meter, "1.0.32.7.0.255")  # 0.1 V, within 0.8..1.15 Un
    assert 0.8 * 2300 <= volts <= 1.15 * 2300
    assert result.exit_code == 0
    assert result.output.strip() == f"32.7.0 = {volts // 10}.{volts % 10} V"


def test_our_cli_w1_refused_for_a_register(meter: OpticalMeter) -> None:
    args = ["iec21", "set", meter.url, "1.8.0", "000000.000", "-p", PASSWORD]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0 and "ERROR: read-only" in result.output
    kwh = a_plus_kwh(meter)  # not zero: a write let through would show
    assert expected(meter)[[a for a, _, _ in expected(meter)].index("1.8.0")][1] == kwh


def test_our_client_w1_sets_the_clock_and_the_wrong_password_is_refused(
    meter: OpticalMeter,
) -> None:
    asyncio.run(write_register(meter.url, "0.9.1", "122233", PASSWORD))  # same time: harmless
    result = CliRunner().invoke(cli, ["iec21", "get", meter.url, "1.8.0", "-p", "00000000"])
    assert result.exit_code != 0 and "refused the password" in result.output


# -- the independent client -------------------------------------------------------------------


def _oracle(meter: OpticalMeter) -> Iec6205621Client:
    return Iec6205621Client.with_tcp_transport((meter.host, meter.port), password=PASSWORD)


def test_oracle_reads_the_readout(meter: OpticalMeter) -> None:
    client = _oracle(meter)
    client.connect()
    try:
        answer = client.standard_readout()
    finally:
        client.disconnect()
    assert client.manufacturer_id == "ISK" and client.switchover_baudrate == 9600
    assert [(d.address, d.value, d.unit or "") for d in answer.data] == expected(meter)


def test_oracle_r1_in_programming_mode(meter: OpticalMeter) -> None:
    client = _oracle(meter)
    client.connect()
    try:
        client.access_programming_mode()
        # iec62056-21 0.0.2's send_password() builds DataSet(value=...) without the
        # address its constructor requires; send the same P1 with its own classes.
        p1 = messages.CommandMessage("P", 1, messages.DataSet(address="", value=PASSWORD))
        client.transport.send(p1.to_bytes())
        energy = client.read_single_value("1.8.0")
        serial = client.read_single_value("96.1.0")
        client.send_break()
    finally:
        client.disconnect()
    assert (energy.value, energy.unit) == (a_plus_kwh(meter), "kWh")
    assert serial.value == SERIAL


# -- mode E: HDLC on the same line ------------------------------------------------------------


class HandedOverIO(BlockingTcpIO):  # type: ignore[misc]
    """dlms-cosem's TCP I/O on a socket that is already open (the optical line after
    the option select); its disconnect leaves the line open for IEC 62056-21."""

    def connect(self) -> None:
        assert self.tcp_socket is not None

    def disconnect(self) -> None:
        pass


def _sign_on(line: socket.socket) -> bytes:
    line.sendall(b"/?!\r\n")
    return line.makefile("rb").readline()


def test_mode_e_hands_over_to_a_real_hdlc_session(meter: OpticalMeter) -> None:
    with socket.create_connection((meter.host, meter.port), timeout=10) as line:
        assert _sign_on(line) == b"/ISK5\\2MT372-1004\r\n"
        line.sendall(bytes.fromhex("06 32 35 32 0d 0a"))  # ACK 2 5 2: HDLC at 9600 Bd
        io = HandedOverIO(host=meter.host, port=meter.port)
        io.tcp_socket = line
        link = HdlcTransport(
            client_logical_address=32, server_logical_address=1,
            server_physical_address=17, io=io,
        )  # fmt: skip
        client = DlmsClient(
            transport=link, authentication=LowLevelSecurityAuthentication(secret=b"12345678")
        )
        serial = cosem.CosemAttribute(
            interface=enumerations.CosemInterface.DATA,
            instance=cosem.Obis.from_string("0.0.96.1.0.255"),
            attribute=2,
        )
        with client.session() as session:
            value = decode(session.get(serial))
        assert value == VisibleString(SERIAL)
        # DISC released the link: the line speaks IEC 62056-21 again
        assert _sign_on(line) == b"/ISK5\\2MT372-1004\r\n"


def test_mode_e_without_hdlc_returns_the_line_to_mode_c(meter: OpticalMeter) -> None:
    """Garbage after the hand-over, then the HHU closes: the server drops the line and
    keeps serving the next HHU."""
    with socket.create_connection((meter.host, meter.port), timeout=10) as line:
        assert _sign_on(line) == b"/ISK5\\2MT372-1004\r\n"
        line.sendall(bytes.fromhex("06 32 35 32 0d 0a 7e a0 07 03 21 93 0f 01 7e 00 ff"))
    _, readout = asyncio.run(read_readout(meter.url))
    assert readout.data_sets[0] == DataSet("C.1.0", SERIAL)


# -- the command line --------------------------------------------------------------------------


def test_meter_serve_with_an_optical_port() -> None:
    """``openamr meter serve --optical-port 0`` in a process: our client reads it."""
    command = [sys.executable, "-m", "openamr.cli.main", "meter", "serve", "--port", "0",
               "--optical-port", "0", "--serial-number", "11223344"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(2)]
            found = re.search(r"optical port .* on ([\d.]+):(\d+)", lines[1])
            assert found is not None, lines
            url = f"tcp://{found[1]}:{found[2]}"
            ident, readout = asyncio.run(read_readout(url))
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert ident.ident == "MT372-1004"
    assert readout.data_sets[0] == DataSet("C.1.0", "11223344")
