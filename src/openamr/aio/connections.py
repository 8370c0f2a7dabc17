"""The meter's listeners under load (issue 11, availability): what an unauthenticated
peer may hold, and for how long.

- **Idle time-outs as advertised.** The wrapper closes a connection that carried
  nothing for TCP-UDP setup 0.0.25.0.0.255 ``inactivity_time_out`` seconds (Blue Book
  4.9.1, default 180); HDLC over TCP one that set up no link for IEC HDLC setup
  0.0.22.0.0.255 ``inactivity_time_out`` (4.8.2, default 120; a link that is up has the
  secondary station's own inactivity timer, and when the link drops the TCP connection
  is closed). 0 means none.
- **A connection limit** per listener (``max_connections``, and never within 64 file
  descriptors of ``RLIMIT_NOFILE``): when a new connection would pass it, the oldest
  connection without an authenticated association is closed; if every one is
  authenticated, the newcomer is.
- **No log flood**: a refused or closed connection is logged at DEBUG, and the
  loop's ``accept()`` failures (out of file descriptors) once a minute.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Callable
from typing import Any, Protocol

from openamr.codec.obis import Obis
from openamr.meter.application import ServerApplication

log = logging.getLogger(__name__)

TCP_UDP_SETUP, HDLC_SETUP = Obis(0, 0, 25, 0, 0, 255), Obis(0, 0, 22, 0, 0, 255)
INACTIVITY = {TCP_UDP_SETUP: 6, HDLC_SETUP: 8}  # the attribute of inactivity_time_out
DEFAULT_MAX_CONNECTIONS = 256
FD_RESERVE = 64  # descriptors kept for the state file, the logs, the control endpoint
ACCEPT_LOG_EVERY = 60.0


def advertised_timeout(app: ServerApplication, setup: Obis) -> float | None:
    """The ``inactivity_time_out`` the meter advertises in ``setup`` (None: none)."""
    obj = app.device.find(setup)
    value = None if obj is None else obj.get(INACTIVITY[setup])
    return float(value) if isinstance(value, int) and value > 0 else None


class Session(Protocol):
    """What the limit needs of a connection."""

    @property
    def authenticated(self) -> bool: ...

    def close(self, reason: str) -> None: ...


def descriptor_limit(wanted: int) -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - FD_RESERVE))


class ConnectionLimit:
    """The open connections of one listener, oldest first (see the module docstring)."""

    def __init__(self, max_connections: int = DEFAULT_MAX_CONNECTIONS) -> None:
        self.limit = descriptor_limit(max_connections)
        self.open: dict[Session, None] = {}  # insertion order: the oldest first
        self.refused = 0

    def admit(self, session: Session) -> bool:
        """Take ``session`` in, closing the oldest unauthenticated one if the limit is
        reached; False (and the newcomer closed) when every open one is authenticated."""
        if len(self.open) >= self.limit:
            victim = next((s for s in self.open if not s.authenticated), None)
            self.refused += 1
            if victim is None:
                log.debug("connection limit %d: every connection is authenticated", self.limit)
                session.close("the connection limit is reached")
                return False
            self.open.pop(victim)
            victim.close("the oldest unauthenticated connection, closed for a new one")
        self.open[session] = None
        return True

    def remove(self, session: Session) -> None:
        self.open.pop(session, None)


def quiet_accept_errors(loop: asyncio.AbstractEventLoop, clock: Callable[[], float]) -> None:
    """Log the loop's ``accept()`` failures once a minute, not once per try (the rest
    goes to the handler in place before)."""
    previous = loop.get_exception_handler()
    last = [-ACCEPT_LOG_EVERY]

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if "accept" in str(context.get("message", "")):
            now = clock()
            if now - last[0] >= ACCEPT_LOG_EVERY:
                last[0] = now
                log.warning("%s (%s); said once a minute", context["message"],
                            context.get("exception"))  # fmt: skip
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
