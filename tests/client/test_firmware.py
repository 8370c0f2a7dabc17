"""Firmware upgrade through Image transfer against the twin: whole, refused,
interrupted by a dropped connection and resumed (within one call, and by a second
call after the first gave up)."""

from __future__ import annotations

from typing import Any

import pytest

from openamr.apdu.results import ActionResult
from openamr.client.errors import MeterError, RefusedError
from openamr.client.meter import connect
from openamr.codec.obis import Obis
from openamr.cosem.classes.image_transfer import ImageTransferStatus

from .conftest import CLIENTS, Twin

IMAGE = bytes((i * 7 + i // 256) % 256 for i in range(192 * 20 + 50))  # 21 blocks of 192
IDENTIFIER = b"MT372-1005"


def image_transfer(twin: Twin) -> Any:
    return twin.app.device.find(Obis.parse("0.0.44.0.0.255"))


async def test_upgrade(twin: Twin, link: str) -> None:
    seen: list[tuple[int, int]] = []
    async with connect(twin.url(link), timeout=3, **CLIENTS["hls"]) as meter:
        done = await meter.firmware_upgrade(IMAGE, IDENTIFIER, progress=lambda *p: seen.append(p))
    assert done.status is ImageTransferStatus.ACTIVATION_SUCCESSFUL
    assert (done.blocks, done.block_size, done.resumed, done.sent) == (21, 192, 0, 21)
    assert seen[0] == (0, 21) and seen[-1] == (21, 21) and len(seen) == 22
    server = image_transfer(twin)
    assert server.store.read() == IMAGE and server.identifier == IDENTIFIER


async def test_upgrade_without_activation(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["hls"]) as meter:
        done = await meter.firmware_upgrade(IMAGE[:100], b"small", block_size=192, activate=False)
    assert done.status is ImageTransferStatus.VERIFICATION_SUCCESSFUL and done.blocks == 1
    assert image_transfer(twin).status is ImageTransferStatus.VERIFICATION_SUCCESSFUL


async def test_reader_may_not_upgrade(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["lls"]) as meter:
        with pytest.raises(RefusedError, match=r"action 18/0\.0\.44\.0\.0\.255/1: refused") as e:
            await meter.firmware_upgrade(IMAGE, IDENTIFIER)
    assert e.value.result is ActionResult.READ_WRITE_DENIED
    assert image_transfer(twin).status is ImageTransferStatus.TRANSFER_NOT_INITIATED


async def test_interrupted_and_resumed_by_a_second_call(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, retries=0, **CLIENTS["hls"]) as meter:

        def progress(held: int, total: int) -> None:
            if held == 8:
                dropping.append(meter.session.transport)
                # close the line under the client's feet after the 8th block
                meter.session.transport.stream.writer.close()  # type: ignore[union-attr]

        dropping: list[object] = []
        with pytest.raises(MeterError, match=r"action 18/0.0.44.0.0.255/2: ") as e:
            await meter.firmware_upgrade(IMAGE, IDENTIFIER, progress=progress)
        assert dropping and e.value.meter == f"meter {twin.url(link)}"
    held = bytes(image_transfer(twin).received)
    assert (
        held.count(1) == 8 and image_transfer(twin).status is ImageTransferStatus.TRANSFER_INITIATED
    )

    async with connect(twin.url(link), timeout=3, **CLIENTS["hls"]) as meter:
        done = await meter.firmware_upgrade(IMAGE, IDENTIFIER)
    assert (done.resumed, done.sent) == (8, 13)
    assert done.status is ImageTransferStatus.ACTIVATION_SUCCESSFUL
    assert image_transfer(twin).store.read() == IMAGE


async def test_interrupted_and_resumed_within_one_call(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, retries=2, **CLIENTS["hls"]) as meter:

        def progress(held: int, total: int) -> None:
            if held == 5:
                meter.session.transport.stream.writer.close()  # type: ignore[union-attr]

        done = await meter.firmware_upgrade(IMAGE, IDENTIFIER, progress=progress)
        assert meter.session.reconnects == 1
    assert done.status is ImageTransferStatus.ACTIVATION_SUCCESSFUL
    assert done.sent == 21  # the block in flight was resent on the new association
    assert image_transfer(twin).store.read() == IMAGE


async def test_missing_blocks_are_sent_again(twin: Twin, link: str) -> None:
    """A block the meter lost (bit cleared behind the client's back) is resent
    after the status check."""
    server = image_transfer(twin)
    lost: list[int] = []

    def progress(held: int, total: int) -> None:
        if held == 21 and not lost:
            server.received[3] = 0
            lost.append(3)

    async with connect(twin.url(link), timeout=3, **CLIENTS["hls"]) as meter:
        done = await meter.firmware_upgrade(IMAGE, IDENTIFIER, progress=progress)
    assert lost == [3] and done.sent == 22
    assert done.status is ImageTransferStatus.ACTIVATION_SUCCESSFUL


async def test_a_new_identifier_starts_afresh(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["hls"]) as meter:
        await meter.firmware_upgrade(IMAGE, IDENTIFIER, activate=False)
        again = await meter.firmware_upgrade(IMAGE[::-1], b"MT372-1006")
    assert again.resumed == 0 and again.sent == 21
    assert image_transfer(twin).store.read() == IMAGE[::-1]
