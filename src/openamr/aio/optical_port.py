"""The twin's optical port: IEC 62056-21 over the meter's object model, and DLMS/HDLC
after the switch to protocol mode E.

Over TCP (the bytes of the serial line, 7-bit characters) or on a serial line (7E1)::

    server = await start_meter_optical_port(app, "127.0.0.1", 6210, password="12345678")
    await serve_meter_optical_serial(app, "/dev/ttyUSB0", password="12345678")

What the port says comes from the logical device: the readout list, R1 and W1 from
:class:`openamr.meter.readout.DeviceReadout`; the identification
``/ISK5\\2<model>-<version>`` from the firmware identifier (1.0.0.2.0.255); the device
address of ``/?address!`` from the serial number (0.0.96.1.0.255). After the option
select ``ACK 2 Z 2`` (annex E) the line carries HDLC to the same server as
:func:`openamr.aio.dlms_server.serve_hdlc`, with the same associations; when the HDLC
link is released the line is back in IEC 62056-21 at 300 Bd.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from openamr.aio.dlms_server import serve_hdlc_stream
from openamr.aio.iec21_server import ModeEHandler, serve_optical_serial, start_optical_server
from openamr.aio.lines import SerialLine
from openamr.link.iec21 import (
    DEFAULT_TIMING,
    DataSet,
    IdentificationMessage,
    ModeEHandover,
    Refusal,
    Timing,
    iskraemeco_identification,
)
from openamr.meter.application import ServerApplication
from openamr.meter.readout import DeviceReadout, Reading, Refused, nameplate


class DeviceSource:
    """The link's :class:`~openamr.link.iec21.ReadoutSource` over a device's readout
    (the meter layer does not know the link's data sets)."""

    def __init__(self, readout: DeviceReadout, refresh: Callable[[], None] = lambda: None) -> None:
        self.device_readout = readout
        self.refresh = refresh  # the twin brings itself up to now before each answer

    def readout(self) -> Sequence[DataSet]:
        self.refresh()
        return [_data_set(r) for r in self.device_readout.readout()]

    def read(self, address: str) -> DataSet | Refusal:
        self.refresh()
        result = self.device_readout.read(address)
        return Refusal(result.text) if isinstance(result, Refused) else _data_set(result)

    def write(self, address: str, value: str) -> Refusal | None:
        self.refresh()
        refused = self.device_readout.write(address, value)
        return None if refused is None else Refusal(refused.text)


def _data_set(reading: Reading) -> DataSet:
    return DataSet(reading.address, reading.value, reading.unit)


def identification(app: ServerApplication) -> IdentificationMessage:
    """``/ISK5\\2MT372-1004``: model and version from the firmware identifier."""
    plate = nameplate(app.device)
    return iskraemeco_identification(plate.model, plate.version)


def mode_e(app: ServerApplication) -> ModeEHandler:
    """The hand-over to HDLC: the meter's secondary station on the same line."""

    async def hand_over(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, event: ModeEHandover
    ) -> None:
        await serve_hdlc_stream(app, reader, writer, event.trailing)

    return hand_over


def _options(app: ServerApplication, password: str) -> dict[str, object]:
    """What the optical server says and checks, from the device."""
    return {
        "identification": identification(app),
        "device_address": nameplate(app.device).serial,
        "password": password,
    }


async def start_meter_optical_port(
    app: ServerApplication,
    host: str,
    port: int,
    *,
    password: str,
    timing: Timing = DEFAULT_TIMING,
) -> asyncio.Server:
    """Serve the meter's optical port on TCP ``host:port`` (0 picks a free port)."""
    source = DeviceSource(DeviceReadout(app.device, app.display_list), app.refresh)
    return await start_optical_server(
        host, port, source, on_mode_e=mode_e(app), timing=timing, **_options(app, password)
    )


async def serve_meter_optical_serial(
    app: ServerApplication,
    device: str,
    *,
    password: str,
    timing: Timing = DEFAULT_TIMING,
    line: SerialLine | None = None,
) -> None:
    """Serve the meter's optical port on a serial line (``line``: opened already)
    until the line closes."""
    source = DeviceSource(DeviceReadout(app.device, app.display_list), app.refresh)
    await serve_optical_serial(
        device, source, timing, on_mode_e=mode_e(app), line=line, **_options(app, password)
    )
