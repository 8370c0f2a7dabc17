"""Group commit of collection sessions: the sessions that end while a batch is being
written are written together in the next one (:meth:`Store.save_sessions
<openamr.headend.store.Store.save_sessions>`: one transaction), so that a fleet
collected 64 sessions at a time pays for one transaction per batch, not per meter.

A session waits for its own batch's commit before :meth:`SessionWriter.save`
returns: its job is marked done only after its rows are stored, so a head-end killed
at any point loses whole sessions (never marked done, collected again), never a part
of one; nothing is ever stored twice (every row goes in once, ``ON CONFLICT DO
NOTHING``). No session waits for a timer: the first one to end is written at once, and
the batch grows only while the store is busy.
"""

from __future__ import annotations

import asyncio
import contextlib

from openamr.headend.model import SavedSession, SessionRows
from openamr.headend.store import Store

#: sessions at most in one transaction (a batch of this size is ~50,000 readings)
MAX_BATCH = 256


class SessionWriter:
    """One per collector; :meth:`save` from any task of one event loop."""

    def __init__(self, store: Store, max_batch: int = MAX_BATCH) -> None:
        self.store, self.max_batch = store, max_batch
        self._pending: list[tuple[SessionRows, asyncio.Future[SavedSession]]] = []
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # transactions written (for the bench's figures)
        self.sessions = 0

    async def save(self, rows: SessionRows) -> SavedSession:
        """Store ``rows`` (with the sessions that end meanwhile); its result once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[SavedSession] = loop.create_future()
        self._pending.append((rows, future))
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = (
                self._pending[: self.max_batch],
                self._pending[self.max_batch :],
            )
            try:
                results = await self.store.save_sessions([rows for rows, _ in batch])
            except BaseException as e:  # the store failed as a whole (or we are cancelled)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(e if isinstance(e, Exception) else RuntimeError(e))
                if not isinstance(e, Exception):
                    raise
                continue
            self.batches += 1
            self.sessions += len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def close(self) -> None:
        """Wait for what is being written."""
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
