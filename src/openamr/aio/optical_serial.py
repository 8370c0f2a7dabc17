"""The optical port on a serial line (an IR probe, an RS-232 port or a virtual tty).

IEC 62056-21 clause 5 (physical layer): asynchronous, 1 start bit, **7 data bits, even
parity, 1 stop bit** (7E1), starting at 300 Bd. The character framing belongs to the UART,
not to the bytes: this module opens the port with ``bytesize=7, parity='E', stopbits=1``
and the protocol machines see plain 7-bit characters, exactly the bytes the TCP variant
carries. (A port opened 8N1 delivers the parity bit in bit 7; the framer strips it.)

Baud rate switch (mode C, after the acknowledgement/option select): the meter keeps
300 Bd until the ACK message has been received, then changes speed and answers after the
reaction time tr (200..1500 ms). ``set_baud`` waits until every byte already written has
left the UART (``drain`` + ``Serial.flush``, i.e. tcdrain), waits ``Timing.baud_switch``
(250 ms, inside 200..300 ms) and sets ``serial.baudrate``: the first character at the new
speed then follows the option select by at least 200 ms, as the HHU expects.

Protocol mode E (annex E): after ``ACK 2 Z 2`` the line carries HDLC in **8N1** (8 data
bits, no parity), as HHUs expect (gurux-dlms's reader switches its port to 8N1 after the
option select); when the HDLC link is released the port is back at 300 Bd 7E1.

The port is driven by ``pyserial-asyncio-fast`` (module ``serial_asyncio_fast``), an
optional dependency imported on first use.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from openamr.aio.iec21 import ModeEHandler, SetBaud, serve_optical_line
from openamr.link.iec21 import (
    DEFAULT_TIMING,
    ModeEHandover,
    OpticalServer,
    ReadoutSource,
    State,
    Timing,
)
from openamr.link.iec21.messages import INITIAL_BAUD

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


async def open_serial_line(
    device: str, timing: Timing = DEFAULT_TIMING
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, SetBaud]:
    """Open ``device`` at 300 Bd 7E1; the streams and the baud rate switch."""
    module = _serial_asyncio()
    reader, writer = await module.open_serial_connection(
        url=device, baudrate=INITIAL_BAUD, **SERIAL_7E1
    )

    async def set_baud(baud: int) -> None:
        await writer.drain()
        port = writer.transport.serial
        await asyncio.to_thread(port.flush)  # tcdrain: the last stop bit has left
        await asyncio.sleep(timing.baud_switch)
        port.baudrate = baud

    return reader, writer, set_baud


async def serve_optical_serial(
    device: str,
    source: ReadoutSource,
    timing: Timing = DEFAULT_TIMING,
    *,
    on_mode_e: ModeEHandler | None = None,
    **options: Any,
) -> None:
    """Serve ``source`` on a serial line, one HHU after another, until the line closes.

    After a mode E session (``on_mode_e`` returned) the line goes back to 300 Bd and
    IEC 62056-21, as the meter's port does when the HDLC link is released.
    """
    reader, writer, set_baud = await open_serial_line(device, timing)
    hand_over = None if on_mode_e is None else _in_8n1(on_mode_e)
    while True:
        machine = OpticalServer(source, timing=timing, **options)
        await serve_optical_line(reader, writer, machine, set_baud=set_baud, on_mode_e=hand_over)
        if machine.state is not State.MODE_E:
            return
        await set_baud(INITIAL_BAUD)
        _set_framing(writer, SERIAL_7E1)


def _in_8n1(on_mode_e: ModeEHandler) -> ModeEHandler:
    """The mode E hand-over with the port switched to 8N1 (the baud rate switched
    already, after the option select: nothing is left to transmit)."""

    async def hand_over(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, event: ModeEHandover
    ) -> None:
        _set_framing(writer, SERIAL_8N1)
        await on_mode_e(reader, writer, event)

    return hand_over


def _set_framing(writer: asyncio.StreamWriter, framing: dict[str, Any]) -> None:
    port = writer.transport.serial  # type: ignore[attr-defined]
    for name, value in framing.items():
        setattr(port, name, value)
