"""One association with one meter over one transport, driven by a coroutine.

:class:`Session` joins a :class:`~openamr.client.transport.Transport` (one APDU
out, one back) and a sans-IO :class:`~openamr.association.client.ClientAssociation`
(the APDUs of each request). It runs each request as an ``Exchange`` loop::

    out = x.bytes_to_send()
    while not Done: step = x.receive(await transport.exchange(out)); out = step.data

and owns the failure rules:

* a lost connection or a silent meter (``TransportError``) breaks the session; a
  request marked ``retry`` is sent again, up to ``retries`` times, on a fresh
  connection and association (GETs, and the idempotent ACTIONs of the helpers);
* a refusal or bad answer (``DlmsError`` from the association) ends the request
  and keeps the association;
* a cancelled request (``CancelledError``, e.g. ``asyncio.timeout``), an
  interrupt or any other exception breaks the session: a late answer could
  otherwise be taken for the next one;
* every error leaves as a :class:`~openamr.client.errors.MeterError` naming the
  meter, the step and the reason.

The session awaits nothing but its transport: over an asyncio transport it runs
on an event loop, over a blocking one (:mod:`openamr.client.sockets`) it needs
none, and this module does not load asyncio.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from openamr.apdu.mechanism import MechanismName
from openamr.association.client import ClientAssociation, ClientSettings, Done, Exchange, State
from openamr.client.errors import MeterError, TransportError
from openamr.errors import DlmsError
from openamr.security.counters import OutgoingCounter

if TYPE_CHECKING:
    from openamr.client.transport import Transport

log = logging.getLogger(__name__)
_AUTH_WORDS = {MechanismName.NONE: "none", MechanismName.LLS: "low", MechanismName.HLS_GMAC: "high"}
T = TypeVar("T")
#: (direction "tx" | "rx", APDU bytes as sent or received, ciphered if the context is)
Trace = Callable[[str, bytes], None]
#: blocks received so far in a long GET
BlockProgress = Callable[[int], None]


class Session:
    """The transport, the association and the retry policy for one client SAP."""

    def __init__(
        self,
        name: str,
        open_transport: Callable[[], Transport],
        settings: ClientSettings,
        *,
        retries: int = 2,
        prepare: Callable[[], Awaitable[None]] | None = None,
        after_associate: Callable[[ClientAssociation], None] | None = None,
        trace: Trace | None = None,
        outgoing: OutgoingCounter | None = None,
        client: int = 16,
    ) -> None:
        self.name, self.client = name, client
        self.settings = settings
        self.retries = retries
        self._open_transport = open_transport
        self._prepare = prepare
        self._after_associate = after_associate
        self._trace = trace
        self.transport: Transport | None = None
        self.association: ClientAssociation | None = None
        self.outgoing = outgoing if outgoing is not None else OutgoingCounter()
        self.reconnects = 0

    @property
    def step_name(self) -> str:
        """ "associate (client 32, low)": the step of establishment in errors."""
        mech = _AUTH_WORDS.get(self.settings.mechanism, self.settings.mechanism.name.lower())
        return f"associate (client {self.client}, {mech})"

    # -- life cycle ----------------------------------------------------------------------

    async def open(self) -> None:
        """Connect and associate (after ``prepare``, e.g. reading the invocation counter)."""
        if self._prepare is not None:
            await self._prepare()
        transport = self._open_transport()
        self.transport = transport
        try:
            await transport.open()
        except TransportError as e:
            await self.abort()
            raise self._error("connect", e, transport.name) from e
        assoc = ClientAssociation(self.settings, os.urandom, self.outgoing)
        self.association = assoc
        try:
            await self._drive(assoc.associate(), self.step_name, None)
            if self._after_associate is not None:
                self._after_associate(assoc)
        except BaseException:
            await self.abort()
            raise

    async def close(self) -> None:
        """Release when the association stands and the line is sane; always close."""
        assoc, transport = self.association, self.transport
        self.association, self.transport = None, None
        try:
            if assoc is not None and transport is not None and assoc.state is State.ASSOCIATED:
                x = assoc.release()
                try:
                    await self._exchange_all(transport, x, None)
                except (DlmsError, TimeoutError) as e:
                    log.info("%s: release: %s", self.name, e)
                    x.cancel()
        finally:
            if transport is not None:
                await transport.close()

    async def abort(self) -> None:
        """Close the transport without a release (after a cancellation or lost link)."""
        transport, self.transport, self.association = self.transport, None, None
        if transport is not None:
            await transport.close()

    # -- requests ------------------------------------------------------------------------

    async def run(
        self,
        make: Callable[[ClientAssociation], Exchange[T]],
        step: str,
        *,
        retry: bool = True,
        progress: BlockProgress | None = None,
    ) -> T:
        """One request; resent on a fresh association after a transport failure."""
        attempt = 0
        while True:
            if self.association is None:
                await self._reopen(step)
            assert self.association is not None
            try:
                return await self._drive(make(self.association), step, progress)
            except MeterError as e:
                if not isinstance(e.__cause__, TransportError) or not retry:
                    raise
                if attempt >= self.retries:
                    raise
                attempt += 1
                log.info(
                    "%s: %s: %s; retrying (%d/%d)", self.name, step, e.reason, attempt, self.retries
                )
                await self.abort()

    async def _reopen(self, step: str) -> None:
        self.reconnects += 1
        await self.abort()
        await self.open()

    async def _drive(self, x: Exchange[T], step: str, progress: BlockProgress | None) -> T:
        transport = self.transport
        if transport is None:
            raise MeterError(self.name, step, "not connected")
        try:
            return await self._exchange_all(transport, x, progress)
        except TransportError as e:
            x.cancel()
            await self.abort()
            raise self._error(step, e, transport.name) from e
        except DlmsError as e:
            x.cancel()
            raise self._error(step, e, transport.name) from e
        except BaseException:  # cancelled, interrupted, or a bug: the line is unknown
            x.cancel()
            await self.abort()
            raise

    async def _exchange_all(
        self, transport: Transport, x: Exchange[T], progress: BlockProgress | None
    ) -> T:
        out, blocks = x.bytes_to_send(), 0
        while True:
            if self._trace is not None:
                self._trace("tx", out)
            try:
                answer = await transport.exchange(out)
            except TransportError:
                raise
            except DlmsError as e:  # the link machine refused: the link is gone
                raise TransportError(f"{transport.name}: link: {e}") from e
            if self._trace is not None:
                self._trace("rx", answer)
            step = x.receive(answer)
            if isinstance(step, Done):
                return step.result
            blocks += 1
            if progress is not None:
                progress(blocks)
            out = step.data

    def _error(self, step: str, e: DlmsError, transport: str) -> MeterError:
        reason = str(e).removeprefix(f"{transport}: ").removeprefix(f"{self.name}: ")
        return MeterError(self.name, step, reason)
