"""One way to start a meter (ARCHITECTURE.md "Wired in plain sight"): its DLMS listener
(IEC 62056-47 wrapper or HDLC over TCP), the optical port (IEC 62056-21 over TCP or a
serial line), HDLC on a serial line, the local control endpoint, the keep-alive that
runs the twin on while nobody reads it, and the delivery of its alarm pushes.
``openamr meter serve``, the tests and the benchmarks start a meter so::

    push = PushDelivery(SERVER_LOGICAL_ADDRESS)
    meter = build_mt372("12345678", time_base=wall_clock, push=push)
    served = await serve_twin(meter, Listeners(port=4059, control_port=4060), push=push)
    try:
        await served.serve_forever()
    finally:
        await served.close()

A listener that cannot start raises :class:`ServeError` naming it (what, where, why);
the ones already started are closed first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from openamr.aio.control import DEFAULT_HOST as CONTROL_HOST
from openamr.aio.control import ControlEndpoint, serve_control
from openamr.aio.dlms_server import serve_hdlc, serve_serial, serve_wrapper
from openamr.aio.lines import DEFAULT_BAUD, FRAMING_8N1, open_serial, open_serial_line
from openamr.aio.optical_port import serve_meter_optical_serial, start_meter_optical_port
from openamr.aio.push import PushDelivery
from openamr.link.iec21 import DEFAULT_TIMING, Timing
from openamr.meter.assembly import TwinMeter
from openamr.meter.control import Control

Transport = Literal["wrapper", "hdlc"]
#: The keep-alive's period with a state store: a kill loses at most this much.
KEEP_ALIVE_S = 1.0


T = TypeVar("T")


class ServeError(Exception):
    """A listener or line that could not be started or served, in words; ``listener``
    names which: "dlms", "optical", "control", "optical-serial" or "hdlc-serial"."""

    def __init__(self, message: str, listener: str, cause: OSError | None = None) -> None:
        super().__init__(message)
        self.listener, self.cause = listener, cause


@dataclass(frozen=True)
class Listeners:
    """Where a meter is served. ``port`` None: no DLMS listener on TCP; 0: a free port."""

    host: str = "127.0.0.1"
    port: int | None = 4059
    transport: Transport = "wrapper"
    optical_port: int | None = None  # the optical port on TCP
    optical_serial: str | None = None  # ... and on a serial device
    hdlc_serial: str | None = None  # HDLC on a serial line (RS485/RS232), 8N1
    hdlc_baud: int = DEFAULT_BAUD
    control_port: int | None = None  # on 127.0.0.1 only (no authentication)
    #: advance and commit every so many seconds; default: KEEP_ALIVE_S with a state store
    keep_alive_s: float | None = None
    optical_timing: Timing = DEFAULT_TIMING
    #: the wrapper port is the meter's GPRS address: a connection is admitted only
    #: while its modem is attached to GPRS (Modem.gprs_refusal), as in the field
    gprs_gate: bool = False


@dataclass
class ServedTwin:
    """A meter being served: its listeners (None: not started) and the line tasks."""

    meter: TwinMeter
    listeners: Listeners
    dlms: asyncio.Server | None = None
    optical: asyncio.Server | None = None
    control: ControlEndpoint | None = None
    push: PushDelivery | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @staticmethod
    def _bound(server: asyncio.Server | None) -> tuple[str, int] | None:
        if server is None:
            return None
        host, port = server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    @property
    def dlms_address(self) -> tuple[str, int] | None:
        return self._bound(self.dlms)

    @property
    def optical_address(self) -> tuple[str, int] | None:
        return self._bound(self.optical)

    @property
    def control_address(self) -> tuple[str, int] | None:
        return self._bound(None if self.control is None else self.control.server)

    async def serve_forever(self) -> None:
        """Serve until cancelled, or until a line task fails (its ServeError raised)."""
        waiting: list[Awaitable[Any]] = list(self.tasks)
        for server in (self.dlms, self.optical):
            if server is not None:
                waiting.append(server.serve_forever())
        if self.control is not None and self.control.server is not None:
            waiting.append(self.control.server.serve_forever())
        await asyncio.gather(*waiting)

    async def close(self) -> None:
        """Stop every listener and task; the pushes still being delivered are cancelled."""
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, ServeError):
                await task
        if self.control is not None:
            await self.control.close()
        for server in (self.dlms, self.optical):
            if server is not None:
                server.close()
                await server.wait_closed()
        if self.push is not None:
            for pending in list(self.push.tasks):
                pending.cancel()


async def serve_twin(
    meter: TwinMeter, listeners: Listeners = Listeners(), *, push: PushDelivery | None = None
) -> ServedTwin:
    """Start serving ``meter`` as ``listeners`` says; ``push`` is the delivery the meter
    was built with (its pending pushes end with :meth:`ServedTwin.close`)."""
    served = ServedTwin(meter, listeners, push=push)
    try:
        await _start(served)
    except BaseException:
        await served.close()
        raise
    return served


async def _start(served: ServedTwin) -> None:
    meter, at, app = served.meter, served.listeners, served.meter.app
    password = meter.optical_password
    if at.port is not None:
        if at.transport == "wrapper":
            gate = meter.peripherals.modem.gprs_refusal if at.gprs_gate else None
            started_dlms = serve_wrapper(app, at.host, at.port, gate=gate)
        else:
            started_dlms = serve_hdlc(app, at.host, at.port)
        served.dlms = await _listen("dlms", f"{at.host}:{at.port}", "", started_dlms)
    if at.optical_port is not None:
        started = start_meter_optical_port(
            app, at.host, at.optical_port, password=password, timing=at.optical_timing
        )
        where = f"{at.host}:{at.optical_port}"
        served.optical = await _listen("optical", where, " for the optical port", started)
    if at.control_port is not None:
        endpoint = serve_control(Control.of(meter), CONTROL_HOST, at.control_port)
        where = f"{CONTROL_HOST}:{at.control_port}"
        served.control = await _listen("control", where, " for the control endpoint", endpoint)
    if at.optical_serial is not None:  # opened before anything says it is served
        device = at.optical_serial
        opened = await _open("optical-serial", device, open_serial_line(device, at.optical_timing))
        line = serve_meter_optical_serial(
            app, device, password=password, timing=at.optical_timing, line=opened
        )
        served.tasks.append(_task("optical-serial", f"optical port on {device}", line))
    if at.hdlc_serial is not None:
        device = at.hdlc_serial
        port = await _open("hdlc-serial", device, open_serial(device, at.hdlc_baud, FRAMING_8N1))
        line = serve_serial(app, device, at.hdlc_baud, port)
        served.tasks.append(_task("hdlc-serial", f"HDLC on {device}", line))
    every = at.keep_alive_s
    if every is None and meter.persistence is not None:
        every = KEEP_ALIVE_S
    if every is not None:
        served.tasks.append(asyncio.create_task(_keep_alive(meter.refresh, every)))


async def _listen(listener: str, where: str, what: str, starting: Coroutine[Any, Any, Any]) -> Any:
    try:
        return await starting
    except OSError as e:
        raise ServeError(f"cannot listen on {where}{what}: {e.strerror or e}", listener) from None


async def _open(listener: str, device: str, opening: Coroutine[Any, Any, T]) -> T:
    try:
        return await opening
    except OSError as e:
        raise ServeError(f"cannot open {device}: {e.strerror or e}", listener, e) from None
    except (ValueError, RuntimeError) as e:  # a setting pyserial does not know, no pyserial
        raise ServeError(f"cannot open {device}: {e}", listener) from None


def _task(listener: str, what: str, line: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    async def run() -> None:
        try:
            await line
        except (OSError, ValueError, RuntimeError) as e:  # no device, a refused setting,
            raise ServeError(f"{what}: {e}", listener) from None  # or pyserial missing

    return asyncio.create_task(run())


async def _keep_alive(refresh: Callable[[], None], every: float) -> None:
    """The twin runs on while nobody reads it: advance (and commit) every ``every``
    seconds of real time, so that a kill loses at most that much (as an outage)."""
    while True:
        await asyncio.sleep(every)
        refresh()


__all__ = ["KEEP_ALIVE_S", "Listeners", "ServeError", "ServedTwin", "Transport", "serve_twin"]
