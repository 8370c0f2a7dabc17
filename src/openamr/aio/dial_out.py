"""The meters' own connections to the head-end on asyncio (issue 16; docs/gsm-meter.md
"Wake-up and GPRS"): when a woken meter's Auto connect plans a connection
(:mod:`openamr.gsm.gprs`: modes 103/104, ``host:port`` destinations), a loop timer
waits for its attach, opens the TCP connection and reports how it went, so that the
repetitions stay inside the GPRS session::

    SMS --> GsmNetwork --on_dial--> Dialler.schedule(modem)
        attach time: dial_due --> connect(modem, (host, port)) --> dial_result

``connect`` is the adapter's: a twin in this process serves the connection itself
(the fleet: a wrapper session of the meter), ``openamr gsm modem`` relays it to the
twin's wrapper port (:meth:`openamr.aio.modem.GprsGate.call_out`). True: connected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from openamr.gsm.gprs import Endpoint, dial_at, dial_due, dial_result
from openamr.gsm.modem import MeterModem

log = logging.getLogger(__name__)

#: (the meter's modem, the destination) -> connected?
Connect = Callable[[MeterModem, Endpoint], Awaitable[bool]]
#: the TCP connect timeout of one attempt (seconds of the loop)
CONNECT_S = 10.0
#: a timer that fires a moment early (clock conversion) waits at least this
MIN_WAIT_S = 0.01
#: due but not attached yet (still registering, no coverage): look again this much
#: later, in seconds of the network's clock (not a busy loop until it registers)
NOT_ATTACHED_S = 1.0


class Dialler:
    """Runs the dial plans of the modems it is given (``schedule``); ``now`` is the
    network's clock in POSIX seconds, ``loop_time`` turns such a time into the loop's."""

    def __init__(
        self, now: Callable[[], float], loop_time: Callable[[float], float], connect: Connect
    ) -> None:
        self.now, self.loop_time, self.connect = now, loop_time, connect
        self.loop = asyncio.get_running_loop()
        self.timers: dict[int, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.connected = 0  # connections made (for tests and logs)

    def schedule(self, modem: MeterModem, not_before: float | None = None) -> None:
        """Arm ``modem``'s next attempt (the network's ``on_dial``), not before
        ``not_before`` (the network's clock) if given."""
        old = self.timers.pop(id(modem), None)
        if old is not None:
            old.cancel()
        at = dial_at(modem)
        if at is None:
            return
        if not_before is not None:
            at = max(at, not_before)
        when = max(self.loop_time(at), self.loop.time() + MIN_WAIT_S)
        self.timers[id(modem)] = self.loop.call_at(when, self._fire, modem)

    def _fire(self, modem: MeterModem) -> None:
        self.timers.pop(id(modem), None)
        now = self.now()
        out = dial_due(modem, now)
        if out is None:  # early, not attached yet, or the session ended (nothing is due)
            at = dial_at(modem)
            due = at is not None and now >= at  # due, but not attached yet
            self.schedule(modem, now + NOT_ATTACHED_S if due else None)
            return
        task = asyncio.create_task(self._attempt(modem, out.destination))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _attempt(self, modem: MeterModem, destination: Endpoint) -> None:
        try:
            ok = await asyncio.wait_for(self.connect(modem, destination), CONNECT_S)
        except (OSError, TimeoutError) as e:
            log.info("meter %s cannot reach %s:%d: %s", _who(modem), *destination, e)
            ok = False
        if ok:
            self.connected += 1
        dial_result(modem, ok, self.now())
        self.schedule(modem)

    async def close(self) -> None:
        for timer in self.timers.values():
            timer.cancel()
        self.timers.clear()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


def _who(modem: MeterModem) -> str:
    return "(no SIM)" if modem.sim is None else modem.sim.msisdn
