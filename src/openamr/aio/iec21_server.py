"""The meter side of the optical port on asyncio (IEC 62056-21 modes C and E): the
sans-IO :class:`~openamr.link.iec21.OpticalServer` on a TCP connection or a serial line.

Over TCP the bytes are exactly those of the serial line (7-bit characters, no parity
bit: 7E1 is a property of the serial line, see :mod:`openamr.aio.lines`), and baud
rate changes are no-ops::

    server = await start_optical_server("127.0.0.1", 6210, source)
    await serve_optical_serial("/dev/ttyUSB0", source)

Protocol mode E (annex E): after ``ACK 2 Z 2`` the line carries HDLC in **8N1**, as
HHUs expect (gurux-dlms's reader switches its port to 8N1 after the option select);
when the HDLC link is released the port is back at 300 Bd 7E1.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from openamr.aio.lines import (
    SERIAL_7E1,
    SERIAL_8N1,
    SerialLine,
    SetBaud,
    act_on_line,
    open_serial_line,
    set_framing,
)
from openamr.link.iec21 import (
    DEFAULT_TIMING,
    ModeEHandover,
    OpticalServer,
    ReadoutSource,
    State,
    Timing,
)
from openamr.link.iec21.messages import INITIAL_BAUD

log = logging.getLogger(__name__)

#: Called with the line when an HHU selects mode E; the HDLC server takes it over.
ModeEHandler = Callable[
    [asyncio.StreamReader, asyncio.StreamWriter, ModeEHandover], Awaitable[None]
]


async def serve_optical_line(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    server: OpticalServer,
    *,
    set_baud: SetBaud | None = None,
    on_mode_e: ModeEHandler | None = None,
) -> None:
    """Run one optical line until the peer closes it (or mode E hands it over)."""
    loop = asyncio.get_running_loop()
    while True:
        timer = server.get_timer()
        timeout = None if timer is None else max(0.0, timer - loop.time())
        try:
            data = await asyncio.wait_for(reader.read(4096), timeout)
        except TimeoutError:
            events = server.handle_timer(loop.time())
        else:
            if not data:
                return
            events = server.receive_data(data, loop.time())
        for event in events:
            if isinstance(event, ModeEHandover):
                if on_mode_e is not None:
                    await on_mode_e(reader, writer, event)
                return
            await act_on_line(event, writer, set_baud)


async def start_optical_server(
    host: str,
    port: int,
    source: ReadoutSource,
    *,
    on_mode_e: ModeEHandler | None = None,
    **options: Any,
) -> asyncio.Server:
    """Serve ``source`` on TCP ``host:port``, one :class:`OpticalServer` a connection.

    ``options`` go to :class:`OpticalServer` (identification, password, timing...).
    As on the serial line, a connection is back in IEC 62056-21 (a fresh machine) when
    a mode E session (``on_mode_e``) returns with the connection still open.
    """

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                machine = OpticalServer(source, **options)
                await serve_optical_line(reader, writer, machine, on_mode_e=on_mode_e)
                if on_mode_e is None or machine.state is not State.MODE_E or reader.at_eof():
                    return
        except (ConnectionError, asyncio.IncompleteReadError) as e:
            log.info("optical port: connection lost: %s", e)
        finally:
            writer.close()

    return await asyncio.start_server(connected, host, port)


async def serve_optical_serial(
    device: str,
    source: ReadoutSource,
    timing: Timing = DEFAULT_TIMING,
    *,
    on_mode_e: ModeEHandler | None = None,
    line: SerialLine | None = None,
    **options: Any,
) -> None:
    """Serve ``source`` on a serial line, one HHU after another, until the line closes.
    ``line``: the device opened already (:func:`open_serial_line`), else it is opened.

    After a mode E session (``on_mode_e`` returned) the line goes back to 300 Bd and
    IEC 62056-21, as the meter's port does when the HDLC link is released.
    """
    opened = line if line is not None else await open_serial_line(device, timing)
    reader, writer, set_baud = opened
    hand_over = None if on_mode_e is None else _in_8n1(on_mode_e)
    while True:
        machine = OpticalServer(source, timing=timing, **options)
        await serve_optical_line(reader, writer, machine, set_baud=set_baud, on_mode_e=hand_over)
        if machine.state is not State.MODE_E:
            return
        await set_baud(INITIAL_BAUD)
        set_framing(writer, SERIAL_7E1)


def _in_8n1(on_mode_e: ModeEHandler) -> ModeEHandler:
    """The mode E hand-over with the port switched to 8N1 (the baud rate switched
    already, after the option select: nothing is left to transmit)."""

    async def hand_over(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, event: ModeEHandover
    ) -> None:
        set_framing(writer, SERIAL_8N1)
        await on_mode_e(reader, writer, event)

    return hand_over
