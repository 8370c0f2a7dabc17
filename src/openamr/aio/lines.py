"""The serial line drivers of both sides (IEC 62056-46 over RS485/RS232, 8N1; IEC 62056-21
clause 5 for the optical port, 7E1 from 300 Bd): open a device as asyncio streams, switch
its speed and character format once the bytes already written have left.

Character format. HDLC on a serial line (IEC 62056-46 over RS485 or RS232, and the
optical port after the switch to protocol mode E, IEC 62056-21 annex E) is **8N1**:
1 start bit, 8 data bits, no parity, 1 stop bit; every octet of a frame is data, the
flags and the FCS included. **7E1** (7 data bits, even parity) belongs only to the
character protocol of IEC 62056-21 (modes A..D, and mode E up to the option select).
The UART does the framing, so the bytes handed to the link machines are the same as on
TCP::

    start | d0 d1 d2 d3 d4 d5 d6 d7 | stop          8N1: one octet of an HDLC frame
    start | d0 d1 d2 d3 d4 d5 d6 | P | stop         7E1: one IEC 62056-21 character

Baud rate switch of the optical port (mode C, after the acknowledgement/option
select): ``set_baud`` of :func:`open_serial_line` waits until every byte already
written has left the UART (``drain`` + ``Serial.flush``, i.e. tcdrain), waits
``Timing.baud_switch`` (250 ms, inside 200..300 ms) and sets ``serial.baudrate``.

Used by the client's transports (:mod:`openamr.client.transport`), the HHU
(:mod:`openamr.aio.hhu`) and the meter's listeners (:mod:`openamr.aio.dlms_server`,
:mod:`openamr.aio.iec21_server`). The port is driven by ``pyserial-asyncio-fast``
(module ``serial_asyncio_fast``); the direction of an RS485 transceiver is left to the
adapter (USB adapters switch by themselves).

Pseudo-terminals (``socat -d -d pty,raw,echo=0 pty,raw,echo=0``, a virtual serial
line) have no UART: whatever the settings, they carry whole bytes at memory speed.
Some kernels refuse ``CS7`` or ``PARENB`` on them (EINVAL); on a pty such a refusal is
passed over (the line keeps 8 data bits, which is what it carries anyway), on a real
port it is an error. Opening errors are ``OSError`` with the errno of the cause
(ENOENT no such device, EACCES, EBUSY, ENOTTY not a serial port, EINVAL a setting
refused), so that the commands can say what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib
import logging
import os
import termios
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import serial
import serial_asyncio_fast

from openamr.link.iec21 import (
    DEFAULT_TIMING,
    BaudRateChange,
    ClientEvent,
    ServerEvent,
    Timing,
    Transmit,
)
from openamr.link.iec21.messages import INITIAL_BAUD

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
    loop = asyncio.get_running_loop()
    with _refusal_as_oserror(f"{device} at {baud} Bd {framing}"):
        port = _Port(device, baudrate=baud, **framing.settings())
    reader = asyncio.StreamReader()
    protocol = asyncio.StreamReaderProtocol(reader)
    transport, _ = await serial_asyncio_fast.connection_for_serial(loop, lambda: protocol, port)
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


class _Port(serial.Serial):  # type: ignore[misc]
    """pyserial's port with a non-blocking write that never spins, and that takes a
    pty's refusal of a character format as the no-op it is (module docstring).

    The asyncio transport makes the port non-blocking (``write_timeout = 0``), but
    pyserial's ``write`` then loops on EAGAIN while the output buffer is full: a
    busy loop that holds the event loop until the UART drains (seconds for a window
    of 2 kB HDLC frames at 9600 Bd, for ever on a pty whose other end is served by
    the same loop). Here a full buffer raises ``BlockingIOError``, and the transport
    waits until the port is writable."""

    def write(self, data: bytes) -> int:
        if self.write_timeout != 0:
            return int(super().write(data))
        if not self.is_open:
            raise serial.PortNotOpenError()
        return os.write(self.fd, data)

    def _reconfigure_port(self, force_update: bool = False) -> None:
        try:
            super()._reconfigure_port(force_update)
        except termios.error as e:
            if _errno(e) != errno.EINVAL or not _is_pty(self.fd):
                raise
            asked: tuple[Any, Any] = (self.bytesize, self.parity)
            self._bytesize, self._parity = serial.EIGHTBITS, serial.PARITY_NONE
            try:  # what the pty carries anyway
                super()._reconfigure_port(force_update)
            finally:
                self._bytesize, self._parity = asked
            log.debug("%s: a pty refused %s; its bytes are the same in 8N1", self.port, asked)


def _is_pty(fd: int | None) -> bool:
    """A pseudo-terminal's slave (Linux: majors 136..143, Unix98 ptys)."""
    if fd is None:
        return False
    try:
        return 136 <= os.major(os.fstat(fd).st_rdev) <= 143
    except OSError:
        return False


def _errno(e: BaseException | None) -> int:
    """The errno of an OSError, a ``termios.error`` or a pyserial error (which keeps
    the cause's errno in its text only, and the cause as its context)."""
    if e is None:
        return 0
    if isinstance(e, OSError) and e.errno:
        return e.errno
    if e.args and isinstance(e.args[0], int):
        return e.args[0]
    if e.args and isinstance(e.args[0], tuple) and e.args[0] and isinstance(e.args[0][0], int):
        return e.args[0][0]
    return _errno(e.__context__) if e.__context__ is not e else 0


@contextlib.contextmanager
def _refusal_as_oserror(what: str) -> Iterator[None]:
    """``termios.error`` (the tty refused a setting) and pyserial's errors as the
    OSError they are, with the cause's errno."""
    try:
        yield
    except termios.error as e:
        raise OSError(_errno(e), f"{what}: the port refused the setting ({e})") from None
    except serial.SerialException as e:
        code = _errno(e)
        reason = os.strerror(code) if code else str(e)
        raise OSError(code, f"{what}: {reason}") from None


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


# -- the optical port's line (IEC 62056-21 clause 5) ----------------------------------

#: Switches the line to a baud rate once the bytes written so far have left.
SetBaud = Callable[[int], Awaitable[None]]

SERIAL_7E1: dict[str, Any] = {"bytesize": 7, "parity": "E", "stopbits": 1}
SERIAL_8N1: dict[str, Any] = {"bytesize": 8, "parity": "N", "stopbits": 1}
PACKAGE = "pyserial-asyncio-fast"


def _serial_asyncio() -> Any:
    try:
        return importlib.import_module("serial_asyncio_fast")
    except ImportError:
        raise RuntimeError(
            f"serial lines need the optional package {PACKAGE!r}: pip install {PACKAGE}"
        ) from None


#: An optical port's serial line, opened: its streams and its baud rate switch.
SerialLine = tuple[asyncio.StreamReader, asyncio.StreamWriter, SetBaud]


async def open_serial_line(device: str, timing: Timing = DEFAULT_TIMING) -> SerialLine:
    """Open ``device`` at 300 Bd 7E1; the streams and the baud rate switch."""
    _serial_asyncio()  # a clear message when the optional package is missing
    reader, writer = await open_serial(device, INITIAL_BAUD, FRAMING_7E1)

    async def set_baud(baud: int) -> None:
        await writer.drain()
        port = serial_port(writer)
        await asyncio.to_thread(port.flush)  # tcdrain: the last stop bit has left
        await asyncio.sleep(timing.baud_switch)
        port.baudrate = baud

    return reader, writer, set_baud


def set_framing(writer: asyncio.StreamWriter, framing: dict[str, Any]) -> None:
    port = writer.transport.serial  # type: ignore[attr-defined]
    for name, value in framing.items():
        setattr(port, name, value)


async def act_on_line(
    event: ServerEvent | ClientEvent, writer: asyncio.StreamWriter, set_baud: SetBaud | None
) -> None:
    if isinstance(event, Transmit):
        writer.write(event.data)
        await writer.drain()
    elif isinstance(event, BaudRateChange) and set_baud is not None:
        await set_baud(event.baud)
    else:
        log.debug("optical port: %s", event)
