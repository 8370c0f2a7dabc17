"""Firmware upgrade through Image transfer (Blue Book 4.4.6, class 18; the MT372's
instance 0.0.44.0.0.255), resumable after a dropped connection.

The procedure of Blue Book 4.4.6.4, as this client runs it::

    1. image_block_size (attr 2), unless the caller gives it; image_transfer_enabled (5)
    2. image_transfer_initiate(identifier, size)           method 1
    3. image_transferred_blocks_status (attr 3): one bit per block the meter holds
    4. image_block_transfer(n, octets [n*B, (n+1)*B))      method 2, every missing n
    5. attr 3 again; missing blocks are sent again (up to MAX_ROUNDS rounds)
    6. image_verify                                        method 3
    7. image_to_activate_info (attr 7) must name our identifier and size
    8. image_activate                                      method 4

Resuming: a server keeps the blocks it holds when the same identifier and size are
initiated again, so the same call after a lost connection (or a crash of the
head-end) sends only the blocks step 3 reports missing. Within one call a lost
connection is retried on a new association (``retries`` of :func:`connect`).
A verify or activate answered ``temporary-failure`` runs on in the meter: the
client polls image_transfer_status (attr 6) until it settles.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from openamr.apdu.results import ActionResult
from openamr.client.calls import MeterCalls
from openamr.client.errors import MeterError, RefusedError
from openamr.codec.obis import Obis
from openamr.codec.record import record
from openamr.codec.table import Table
from openamr.codec.types import BitString, DoubleLongUnsigned, Integer, OctetString, Structure
from openamr.cosem.classes.image_transfer import ImageTransferStatus

IMAGE_TRANSFER = Obis(0, 0, 44, 0, 0, 255)
CLASS_ID = 18
INITIATE, BLOCK_TRANSFER, VERIFY, ACTIVATE = 1, 2, 3, 4
MAX_ROUNDS = 3
POLL_INTERVAL = 0.5
#: (blocks the meter holds, blocks of the image)
Progress = Callable[[int, int], None]
S = ImageTransferStatus


@record
class Upgrade:
    """The outcome: ``resumed`` blocks were already in the meter, ``sent`` were sent
    by this call (resends included), ``status`` is the final image_transfer_status."""

    identifier: bytes
    size: int
    block_size: int
    blocks: int
    resumed: int
    sent: int
    status: ImageTransferStatus


class _Transfer:
    def __init__(
        self, meter: MeterCalls, image: bytes, identifier: bytes, progress: Progress | None
    ):
        self.meter, self.image, self.identifier = meter, image, identifier
        self.progress = progress
        self.block_size = 0
        self.sent = 0

    @property
    def blocks(self) -> int:
        return -(-len(self.image) // self.block_size)

    def fail(self, step: str, reason: str) -> MeterError:
        return MeterError(self.meter.name, f"firmware upgrade: {step}", reason)

    async def read(self, attribute: int) -> object:
        return await self.meter.get(IMAGE_TRANSFER, attribute, class_id=CLASS_ID)

    async def call(self, method: int, parameters: Structure | Integer) -> ActionResult:
        step, answer = await self.meter.action_response(
            IMAGE_TRANSFER, method, parameters, class_id=CLASS_ID, retry=True
        )
        if answer.result not in (ActionResult.SUCCESS, ActionResult.TEMPORARY_FAILURE):
            if method == INITIATE and answer.result is ActionResult.OTHER_REASON:  # the size?
                step = f"firmware upgrade: image_transfer_initiate of {len(self.image):,} bytes"
            raise RefusedError(self.meter.name, step, answer.result)
        return answer.result

    async def prepare(self, block_size: int | None) -> None:
        if block_size is None:
            size = await self.read(2)
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise self.fail("read image_block_size", f"unusable value {size!r}")
            block_size = int(size)
        self.block_size = block_size
        if await self.read(5) is False:
            raise self.fail("image_transfer_enabled", "image transfer is disabled in the meter")

    async def missing(self) -> list[int]:
        status = await self.read(3)
        if not isinstance(status, BitString):
            raise self.fail("read image_transferred_blocks_status", f"not a bit-string: {status!r}")
        return [n for n in range(self.blocks) if n >= status.length or not status[n]]

    async def send(self, numbers: list[int]) -> None:
        held = self.blocks - len(numbers)
        for n in numbers:
            chunk = self.image[n * self.block_size : (n + 1) * self.block_size]
            block = Structure((DoubleLongUnsigned(n), OctetString(chunk)))
            await self.call(BLOCK_TRANSFER, block)
            self.sent += 1
            held += 1
            if self.progress is not None:
                self.progress(held, self.blocks)

    async def settle(self, method: int, ok: S, failed: S, step: str) -> S:
        """Run verify or activate; poll the status while the meter is busy."""
        if await self.call(method, Integer(0)) is ActionResult.SUCCESS:
            return ok
        deadline = asyncio.get_running_loop().time() + self.meter.timeout * 6
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(POLL_INTERVAL)
            status = await self.read(6)
            if status == ok:
                return ok
            if status == failed:
                raise self.fail(step, f"the meter reports {failed.name.lower().replace('_', ' ')}")
        raise self.fail(step, "the meter did not finish in time")

    async def check_info(self) -> None:
        info = await self.read(7)
        entries = info if isinstance(info, list | Table) else []
        ours = (len(self.image), self.identifier)
        if not any(_size_and_id(e) == ours for e in entries):
            raise self.fail("image_to_activate_info", "the verified image is not ours")


def _size_and_id(entry: object) -> tuple[int, bytes] | None:
    """image_to_activate_info element {size, identification, signature}."""
    if not isinstance(entry, tuple) or len(entry) < 2:
        return None
    size, name = entry[0], entry[1]
    if not isinstance(size, int) or not isinstance(name, bytes):
        return None
    return int(size), bytes(name)


async def upgrade(
    meter: MeterCalls,
    image: bytes,
    identifier: bytes,
    block_size: int | None = None,
    progress: Progress | None = None,
    activate: bool = True,
) -> Upgrade:
    """Transfer, verify and (unless ``activate=False``) activate ``image``."""
    if not image:
        raise ValueError("an empty firmware image")
    t = _Transfer(meter, image, identifier, progress)
    await t.prepare(block_size)
    initiate = Structure((OctetString(identifier), DoubleLongUnsigned(len(image))))
    await t.call(INITIATE, initiate)
    missing = await t.missing()
    resumed = t.blocks - len(missing)
    if progress is not None:
        progress(resumed, t.blocks)
    for _ in range(MAX_ROUNDS):
        if not missing:
            break
        await t.send(missing)
        missing = await t.missing()
    if missing:
        raise t.fail("transfer", f"{len(missing)} blocks still missing after {MAX_ROUNDS} rounds")
    status = await t.settle(VERIFY, S.VERIFICATION_SUCCESSFUL, S.VERIFICATION_FAILED, "verify")
    await t.check_info()
    if activate:
        status = await t.settle(ACTIVATE, S.ACTIVATION_SUCCESSFUL, S.ACTIVATION_FAILED, "activate")
    return Upgrade(identifier, len(image), t.block_size, t.blocks, resumed, t.sent, status)


__all__ = ["IMAGE_TRANSFER", "Progress", "Upgrade", "upgrade"]
