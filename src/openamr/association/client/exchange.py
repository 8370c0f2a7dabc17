"""One confirmed exchange of a client association, sans-IO (h11 style).

An :class:`Exchange` is a small state object for one request and its answers, however
many APDUs that takes (HLS passes 1-4, the blocks of a long GET, SET or ACTION)::

    x = assoc.get(attribute)            # nothing is sent yet
    data = x.bytes_to_send()            # the first APDU (ciphered if the context is)
    while True:
        step = x.receive(read_apdu())   # the server's answer (ciphered or not)
        if isinstance(step, Done):
            value = step.result         # Data | DataAccessResult for a GET
            break
        data = step.data                # Send: the next APDU of the same exchange

Every call to :meth:`Exchange.receive` either asks for one more APDU to be sent
(:class:`Send`) or ends the exchange (:class:`Done`); an exception (always a
:class:`~openamr.errors.DlmsError`) ends it too. Ciphering, replay checks and the
refusals that end an exchange (EXCEPTION-Response, ConfirmedServiceError) are the
association's business (its :class:`Channel`); an exchange only sees plain APDUs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from openamr.apdu.base import Apdu
from openamr.apdu.descriptors import InvokeIdAndPriority
from openamr.codec.record import record
from openamr.errors import DlmsError, LocalProtocolError, RemoteProtocolError

T = TypeVar("T")


@record
class Send:
    """The exchange goes on: send ``data`` and feed the answer to ``receive``."""

    data: bytes


@record
class Done(Generic[T]):
    """The exchange is over; ``result`` is its outcome."""

    result: T


class Channel(Protocol):
    """What an exchange needs from its association."""

    def wrap(self, apdu: Apdu) -> bytes:
        """Encode (and cipher) one APDU to send."""
        ...

    def unwrap(self, data: bytes) -> Apdu:
        """Decipher, check and decode one received APDU; refusals raise."""
        ...

    def exchange_finished(self, exchange: object) -> None:
        """The exchange is over (done, failed or cancelled)."""
        ...


class Exchange(Generic[T]):
    """The client side of one confirmed request; subclasses give :meth:`_step`."""

    def __init__(self, channel: Channel, first: Apdu) -> None:
        self._channel = channel
        self._next: Apdu | None = first
        self._out: bytes | None = None
        self._finished = False

    @property
    def finished(self) -> bool:
        return self._finished

    def bytes_to_send(self) -> bytes:
        """The APDU that opens the exchange (the same bytes if asked again)."""
        if self._out is None:
            if self._next is None or self._finished:
                raise LocalProtocolError("this exchange is over")
            try:
                self._out = self._channel.wrap(self._next)
            except DlmsError:
                self._finish()  # e.g. a request longer than the server accepts
                raise
            self._next = None
        return self._out

    def receive(self, data: bytes) -> Send | Done[T]:
        """Take the server's answer; return the next APDU to send or the result."""
        if self._finished:
            raise LocalProtocolError("this exchange is over")
        if self._out is None:
            raise LocalProtocolError("nothing was sent yet: call bytes_to_send() first")
        try:
            step = self._step(self._channel.unwrap(data))
            if isinstance(step, Done):
                self._finish()
                return step
            self._out = self._channel.wrap(step)
        except DlmsError:
            self._finish()
            raise
        return Send(self._out)

    def cancel(self) -> None:
        """Give up (e.g. on a timeout): the association may start another exchange."""
        self._finish()

    def run(self, transport: Callable[[bytes], bytes]) -> T:
        """Drive the exchange with a blocking ``transport`` (request in, answer out):
        for in-memory pairs and simple synchronous drivers."""
        step: Send | Done[T] = Send(self.bytes_to_send())
        while isinstance(step, Send):
            step = self.receive(transport(step.data))
        return step.result

    def _finish(self) -> None:
        if not self._finished:
            self._finished = True
            self._channel.exchange_finished(self)

    def _step(self, apdu: Apdu) -> Apdu | Done[T]:
        raise NotImplementedError


def check_invoke_id(apdu: Apdu, sent: InvokeIdAndPriority) -> None:
    """An answer must carry the invoke-id of its request (Green Book 9.5)."""
    got = getattr(apdu, "invoke_id_and_priority", None)
    if not isinstance(got, InvokeIdAndPriority) or got.invoke_id != sent.invoke_id:
        number = got.invoke_id if isinstance(got, InvokeIdAndPriority) else None
        raise RemoteProtocolError(
            f"{type(apdu).__name__} answers invoke-id {number}, the request had {sent.invoke_id}"
        )


def unexpected(apdu: Apdu, request: str) -> RemoteProtocolError:
    return RemoteProtocolError(f"unexpected {type(apdu).__name__} in answer to {request}")


__all__ = ["Channel", "Done", "Exchange", "Send"]
