"""The meter's end of a CSD call in the virtual GSM network (docs/gsm.md): what
crosses the paced line (9600 bit/s, :mod:`openamr.gsm.line`) is handed to the meter
when its last octet has arrived, what the meter answers goes back onto the line. The
meter is the twin's HDLC port over TCP (:class:`CsdBridge`), or a twin in this
process (:class:`HdlcBridge`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from openamr.aio.hdlc_line import HdlcLine
from openamr.gsm.at import fifo_due
from openamr.gsm.network import Call
from openamr.gsm.pool import Endpoint
from openamr.meter.application import ServerApplication

if TYPE_CHECKING:
    from openamr.aio.modem import ModemLine, NetworkClock

log = logging.getLogger(__name__)


class Timer:
    """One loop timer re-armed at a sans-IO machine's next deadline (network time)."""

    def __init__(self, clock: NetworkClock, fire: Callable[[], None]) -> None:
        self.clock, self.loop = clock, clock.loop
        self.fire = fire
        self.handle: asyncio.TimerHandle | None = None

    def arm(self, at: float | None) -> None:
        self.cancel()
        if at is not None:
            when = max(self.clock.loop_time(at), self.loop.time())
            self.handle = self.loop.call_at(when, self.fire)

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


class _MeterEnd:
    """The meter's end of a connected call: what crosses the line is handed to the
    meter (:meth:`to_meter`) when its last octet has arrived, what the meter answers
    goes onto the line (:meth:`from_meter`); when the meter hangs up, the call ends
    once what it sent has crossed (:meth:`hang_up`)."""

    def __init__(self, call: Call, line: ModemLine) -> None:
        self.call, self.line = call, line
        self.clock = line.pool.clock
        self.timer = Timer(self.clock, self._deliver)
        self.ending: asyncio.TimerHandle | None = None

    def to_meter(self, data: bytes) -> None:
        raise NotImplementedError

    def from_meter(self, data: bytes) -> None:
        self.call.meter_send(data, self.clock.now())
        self.line.timer.arm(self.line.modem.get_timer())

    def _deliver(self) -> None:
        data = self.call.meter_receive(self.clock.now())
        if data:
            self.to_meter(data)
        self.poke()

    def poke(self) -> None:
        """The head-end sent: deliver as the octets arrive."""
        self.timer.arm(fifo_due(self.call.to_callee))

    def hang_up(self) -> None:
        wait = max(0.0, (self.call.to_caller.idle_at() - self.clock.now()) / self.clock.speed)
        self.ending = self.clock.loop.call_later(wait, self.line.carrier_lost)

    def close(self) -> None:
        self.timer.cancel()
        if self.ending is not None:
            self.ending.cancel()


class HdlcBridge(_MeterEnd):
    """A call joined to an in-process twin's HDLC stations (:class:`~openamr.aio.
    hdlc_line.HdlcLine`): a twin in this process with its own modem on the same
    network. The meter hangs up after the DISC."""

    def __init__(self, call: Call, line: ModemLine, app: ServerApplication) -> None:
        super().__init__(call, line)
        self.hdlc = HdlcLine(app, self.from_meter, self.hang_up)

    def to_meter(self, data: bytes) -> None:
        self.hdlc.receive(data)

    def close(self) -> None:
        super().close()
        self.hdlc.close()


class CsdBridge(_MeterEnd):
    """A call joined to the twin's HDLC port over TCP; the twin closing the
    connection (after a DISC) is the meter hanging up."""

    def __init__(self, call: Call, line: ModemLine, endpoint: Endpoint | None) -> None:
        super().__init__(call, line)
        self.endpoint = endpoint
        self.writer: asyncio.StreamWriter | None = None
        self.task = asyncio.create_task(self._run())

    def to_meter(self, data: bytes) -> None:
        if self.writer is not None:
            self.writer.write(data)

    async def _run(self) -> None:
        if self.endpoint is None:
            log.warning("no csd endpoint for %s: the call carries nothing", self.call.callee)
            return
        try:
            reader, self.writer = await asyncio.open_connection(*self.endpoint)
        except OSError as e:
            log.warning("cannot reach the twin at %s:%d: %s", *self.endpoint, e)
            self.line.carrier_lost()
            return
        self._deliver()
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                self.from_meter(data)
        self.timer.cancel()
        self.writer.close()
        self.hang_up()

    def close(self) -> None:
        super().close()
        self.task.cancel()
        if self.writer is not None:
            self.writer.close()
