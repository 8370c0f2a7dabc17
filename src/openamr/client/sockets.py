"""``tcp://`` over a blocking socket, and a client coroutine run without an event loop.

A command-line read talks to one meter and waits for each answer in turn: it needs
no event loop, and loading asyncio (with ssl, logging, concurrent.futures) and
running one cost about a fifth of ``openamr profile``'s process (issue 9).

:class:`SocketTransport` is :class:`~openamr.client.transport.WrapperTransport`
(IEC 62056-47, the wrapper over TCP) on a plain socket: the same sans-IO
:class:`~openamr.link.wrapper.WrapperConnection`, the same errors, and the same
timeout, the silence allowed (``socket.settimeout`` restarts it for every
``recv``, as the asyncio transport does for every chunk). Its coroutines never
suspend, so :func:`run_blocking` runs a whole session on it (connect, associate,
the requests, release) with one ``send(None)``: a coroutine that awaits nothing
that suspends runs to its end at once (PEP 492).

:func:`open_blocking` opens ``tcp://`` this way and every other scheme as
:func:`~openamr.client.transport.open_transport` does (HDLC's timers, the serial
lines and the modem need the event loop)::

    async with connect(url, open_transport=open_blocking) as meter: ...
"""

from __future__ import annotations

import socket
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from openamr.client.errors import TransportError
from openamr.link.wrapper import ApduReceived, WrapperConnection, WrapperFailed

if TYPE_CHECKING:
    from openamr.client.transport import Transport
    from openamr.client.url import MeterUrl
    from openamr.link.wrapper import WrapperEvent

T = TypeVar("T")
#: the schemes :func:`open_blocking` opens without an event loop
BLOCKING_SCHEMES = frozenset({"tcp"})
#: bytes asked of each recv: a whole 64 kB block of a long GET in one call
RECEIVE_SIZE = 262_144


class SocketTransport:
    """IEC 62056-47 wrapper over a blocking TCP socket: client wPort = client SAP."""

    def __init__(self, url: MeterUrl, client: int, timeout: float = 10.0) -> None:
        self.url, self.client, self.timeout = url, client, timeout
        self.name = f"meter {url}"
        self.link = WrapperConnection()
        self.line: socket.socket | None = None

    async def open(self) -> None:
        host = self.url.host
        # An ASCII name or address is its own IDNA form (RFC 5891): passed as bytes, it
        # spares loading the idna codec (stringprep, unicodedata) that str would.
        # (typeshed names str only; the socket module takes bytes too)
        address = cast("str", host.encode("ascii")) if host.isascii() else host
        try:
            line = socket.create_connection((address, self.url.port), self.timeout)
        except OSError as e:  # refused, unreachable, timed out (TimeoutError)
            raise TransportError.cannot_connect(self.name, e) from None
        line.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as asyncio's streams
        self.line = line

    async def exchange(self, apdu: bytes) -> bytes:
        line = self.line
        if line is None:
            raise TransportError(f"{self.name}: not connected")
        try:
            line.sendall(self.link.send(self.client, self.url.server, apdu))
            while True:
                data = line.recv(RECEIVE_SIZE)
                if not data:
                    raise TransportError(f"{self.name}: the meter closed the connection")
                answer = wrapper_answer(self.name, self.client, self.link.receive_data(data))
                if answer is not None:
                    return answer
        except TimeoutError:
            raise TransportError(f"{self.name}: no answer within {self.timeout:g} s") from None
        except OSError as e:
            raise TransportError(f"{self.name}: connection lost ({e})") from None

    async def close(self) -> None:
        line, self.line = self.line, None
        if line is not None:
            line.close()


def wrapper_answer(name: str, client: int, events: Iterable[WrapperEvent]) -> bytes | None:
    """The APDU for ``client`` among the wrapper's ``events``, None while it is still
    coming; a frame the wrapper rejects (IEC 62056-47 5.4) is a TransportError."""
    for event in events:
        if isinstance(event, WrapperFailed):
            raise TransportError(f"{name}: bad wrapper frame ({event.reason})")
        if isinstance(event, ApduReceived) and event.destination == client:
            return event.payload
    return None


def open_blocking(url: MeterUrl, client: int, timeout: float = 10.0) -> Transport:
    """``tcp://`` as a :class:`SocketTransport`; any other scheme as
    :func:`~openamr.client.transport.open_transport` opens it (on asyncio)."""
    if url.scheme in BLOCKING_SCHEMES:
        return SocketTransport(url, client, timeout)
    from openamr.client.transport import open_transport  # asyncio: loaded for those only

    return open_transport(url, client, timeout)


def run_blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end in this thread, without an event loop: one that
    awaits only coroutines and blocking transports (:func:`open_blocking` on
    ``tcp://``). One that waits for a future (``asyncio.sleep``, an asyncio
    transport) is closed, and RuntimeError says that it needs ``asyncio.run``."""
    try:
        waited = coroutine.send(None)
    except StopIteration as done:
        return cast("T", done.value)
    coroutine.close()
    name = getattr(coroutine, "__qualname__", coroutine)
    raise RuntimeError(f"{name} waited for {waited!r}: it needs an event loop (asyncio.run)")


__all__ = ["BLOCKING_SCHEMES", "SocketTransport", "open_blocking", "run_blocking", "wrapper_answer"]
