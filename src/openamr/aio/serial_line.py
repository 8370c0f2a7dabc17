"""HDLC on a serial line: one meter's RS485 or RS232 port, or a whole RS485 bus.

Character format. HDLC on a serial line (IEC 62056-46 over RS485 or RS232, and the
optical port after the switch to protocol mode E, IEC 62056-21 annex E) is **8N1**:
1 start bit, 8 data bits, no parity, 1 stop bit; every octet of a frame is data, the
flags and the FCS included. **7E1** (7 data bits, even parity) belongs only to the
character protocol of IEC 62056-21 (modes A..D, and mode E up to the option select).
The UART does the framing, so the bytes handed to the link machines are the same as on
HDLC over TCP::

    start | d0 d1 d2 d3 d4 d5 d6 d7 | stop          8N1: one octet of an HDLC frame
    start | d0 d1 d2 d3 d4 d5 d6 | P | stop         7E1: one IEC 62056-21 character

Multi-drop. An RS485 bus carries several meters (the MT372: up to 32), each answering
at its own HDLC physical address (IEC 62056-46 8.4.2.2: the lower HDLC address).
:class:`BusLine` serves several :class:`~openamr.meter.application.ServerApplication` on one
line through :class:`~openamr.link.hdlc.MultiDrop`: every frame goes to the station it
names, only the polled station answers, so the answers never collide::

    await serve_bus([meter17, meter18], "/dev/ttyUSB0", 9600)   # a bus of two
    await serve_serial(meter, "/dev/ttyUSB0")                  # one meter

The direction of an RS485 transceiver (driver enable) is left to the adapter (USB
adapters switch by themselves); the port is opened as a plain tty.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import termios
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import serial_asyncio_fast

from openamr.aio.hdlc_line import HdlcLine

if TYPE_CHECKING:
    from openamr.meter.application import ServerApplication

log = logging.getLogger(__name__)

#: The baud rates of a serial DLMS line (IEC 62056-21 table 1 for the optical port;
#: an MT372 RS485 port runs at 300..19200 Bd, 9600 Bd by default).
BAUD_RATES = (300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
DEFAULT_BAUD = 9600


@dataclass(frozen=True, slots=True)
class Framing:
    """The UART's character format: data bits, parity (``N``, ``E``, ``O``), stop bits."""

    bytesize: int
    parity: str
    stopbits: int

    def settings(self) -> dict[str, Any]:
        """Keyword arguments of ``serial.Serial``."""
        return {"bytesize": self.bytesize, "parity": self.parity, "stopbits": self.stopbits}

    def __str__(self) -> str:
        return f"{self.bytesize}{self.parity}{self.stopbits}"


#: HDLC: RS485, RS232, and the optical port in protocol mode E after the option select.
FRAMING_8N1 = Framing(8, "N", 1)
#: IEC 62056-21 characters (the optical port in modes A..D, and mode E before HDLC).
FRAMING_7E1 = Framing(7, "E", 1)


async def open_serial(
    device: str, baud: int = DEFAULT_BAUD, framing: Framing = FRAMING_8N1
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open ``device`` (``/dev/ttyUSB0``, a pty's path) as asyncio streams.

    Raises ``OSError`` when the device cannot be opened or refuses the settings (some
    ptys refuse parity) and ``ValueError`` for settings pyserial does not know."""
    with _refusal_as_oserror(f"{device} at {baud} Bd {framing}"):
        reader, writer = await serial_asyncio_fast.open_serial_connection(
            url=device, baudrate=baud, **framing.settings()
        )
    return reader, writer


@contextlib.contextmanager
def _refusal_as_oserror(what: str) -> Iterator[None]:
    """``termios.error`` (the tty refused a setting) as the OSError it is."""
    try:
        yield
    except termios.error as e:
        code = e.args[0] if e.args and isinstance(e.args[0], int) else 0
        raise OSError(code, f"{what}: the port refused the setting ({e})") from None


def serial_port(writer: asyncio.StreamWriter) -> Any:
    """The ``serial.Serial`` under a stream opened by :func:`open_serial`."""
    return writer.transport.serial  # type: ignore[attr-defined]


async def drain_line(writer: asyncio.StreamWriter) -> None:
    """Wait until every byte written has left the UART (``drain``, then tcdrain)."""
    await writer.drain()
    await asyncio.to_thread(serial_port(writer).flush)


async def switch_line(
    writer: asyncio.StreamWriter, baud: int, framing: Framing, delay: float = 0.0
) -> None:
    """Change speed and character format once the bytes written so far have left,
    ``delay`` seconds later (a baud switch waits for the peer's reaction time)."""
    await drain_line(writer)
    if delay:
        await asyncio.sleep(delay)
    set_line(writer, baud, framing)


def set_line(writer: asyncio.StreamWriter, baud: int, framing: Framing) -> None:
    """Set speed and character format now (nothing may be left to transmit)."""
    port = serial_port(writer)
    with _refusal_as_oserror(f"{port.port} at {baud} Bd {framing}"):
        port.baudrate = baud
        port.bytesize, port.parity, port.stopbits = (
            framing.bytesize,
            framing.parity,
            framing.stopbits,
        )


# -- the meter side: several secondary stations on one line ---------------------------


async def serve_bus_stream(
    apps: Sequence[ServerApplication],
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """Serve the meters ``apps`` on an open stream until it ends."""
    line = HdlcLine(apps, writer.write)
    try:
        while data := await reader.read(4096):
            line.receive(data)
    finally:
        line.close()


async def serve_bus(
    apps: Sequence[ServerApplication], device: str, baud: int = DEFAULT_BAUD
) -> None:
    """Serve the meters ``apps`` on the serial line ``device`` (8N1 at ``baud``), each at
    its own HDLC physical address, until cancelled or the device goes away."""
    reader, writer = await open_serial(device, baud, FRAMING_8N1)
    try:
        await serve_bus_stream(apps, reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def serve_serial(app: ServerApplication, device: str, baud: int = DEFAULT_BAUD) -> None:
    """Serve one meter's HDLC port on ``device`` (8N1 at ``baud``)."""
    await serve_bus([app], device, baud)
