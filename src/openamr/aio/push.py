"""Alarm call-backs on the wire: the meter's pushes (Push setup 0.0.25.9.0.255, a
DATA-NOTIFICATION) delivered to the head-end's listener over TCP in a wrapper
frame (IEC 62056-47), the modern form of the MT372's "alarm call-back".

The twin builds each :class:`~openamr.meter.peripherals.push.PushMessage` during an
advance and hands it to :class:`PushDelivery`, which sends it in the background:
destination "host:port" (the Push setup's send_destination), wrapper source wPort
= the meter's logical address, destination wPort = the push's client SAP, up to
``retries`` more attempts ``repetition_delay`` seconds apart, then the connection
is closed. A push that cannot be delivered is logged, never raised into the meter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from openamr.link.wrapper import encode_wrapper
from openamr.meter.peripherals.push import PushMessage

log = logging.getLogger(__name__)


class PushDelivery:
    """A Sender for the twin's pushes: each one is delivered by a background task."""

    def __init__(
        self, logical_address: int = 1, repetition_delay: float = 5.0, timeout: float = 5.0
    ) -> None:
        self.logical_address = logical_address
        self.repetition_delay, self.timeout = repetition_delay, timeout
        self.tasks: set[asyncio.Task[bool]] = set()
        self.delivered = 0

    def __call__(self, message: PushMessage) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            log.warning("push to %r dropped: no event loop to send it", message.destination)
            return
        task = loop.create_task(self.deliver(message))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, message: PushMessage) -> bool:
        """Send one push; True once the head-end took it."""
        try:
            host, port = parse_destination(message.destination)
        except ValueError as e:
            log.warning("push not sent: %s", e)
            return False
        frame = encode_wrapper(self.logical_address, message.client_sap, message.apdu)
        for attempt in range(message.retries + 1):
            if attempt:
                await asyncio.sleep(self.repetition_delay)
            if await self._send(host, port, frame):
                self.delivered += 1
                return True
        log.warning("push to %s:%d failed after %d attempts", host, port, message.retries + 1)
        return False

    async def _send(self, host: str, port: int, frame: bytes) -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), self.timeout)
        except (OSError, TimeoutError) as e:
            log.info("push to %s:%d: %s", host, port, e or "timed out")
            return False
        try:
            writer.write(frame)
            await asyncio.wait_for(writer.drain(), self.timeout)
            return True
        except (OSError, TimeoutError):
            return False
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def wait(self) -> None:
        """Until every push under way is delivered or given up (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


def parse_destination(destination: bytes) -> tuple[str, int]:
    """``b"host:port"`` (also ``[v6]:port``) as a host and a port."""
    text = destination.decode("ascii", "replace")
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"destination {text!r} is not host:port")
    return host.strip("[]"), int(port)
