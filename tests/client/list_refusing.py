"""A meter that refuses long Get-Request-With-Lists (as a real meter with a smaller
limit than the MT372's 32 does): a wrapper proxy in front of the twin that answers a
plain with-list of more than ``limit`` attributes itself, the way ``refusal`` says, and
forwards everything else both ways unchanged."""

from __future__ import annotations

import asyncio
import contextlib
import struct

from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.results import ServiceError, StateError
from openamr.link.wrapper import HEADER, encode_wrapper

GET_REQUEST_WITH_LIST = b"\xc0\x03"
#: the answers a meter gives a with-list it will not serve (Green Book 9.5, 9.3.6)
REFUSALS = {
    # EXCEPTION-Response: service not allowed, service not supported
    "exception-response": lambda iip: ExceptionResponse(
        StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED
    ).to_bytes(),
    # Get-Response-Normal, Data-Access-Result other-reason: not an answer to a list
    "get-response-normal": lambda iip: bytes([0xC4, 0x01, iip, 0x01, 0xFA]),
    # Get-Response-With-List with other-reason for every attribute... of one
    "one-result": lambda iip: bytes([0xC4, 0x03, iip, 0x01, 0x01, 0xFA]),
}


class ListRefusingProxy:
    def __init__(self, target: tuple[str, int], limit: int, refusal: str) -> None:
        self.target, self.limit, self.refuse = target, limit, REFUSALS[refusal]
        self.refused = 0  # with-lists answered here
        self.lists = 0  # with-lists forwarded
        self.server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"tcp://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        for t in list(self._tasks):
            t.cancel()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        back = asyncio.create_task(self._pipe(up_reader, writer))
        self._tasks.add(back)
        try:
            while True:
                header = await reader.readexactly(HEADER.size)
                _, source, destination, length = HEADER.unpack(header)
                apdu = await reader.readexactly(length)
                if apdu[:2] == GET_REQUEST_WITH_LIST:
                    if apdu[3] > self.limit:  # iip, then the count (one octet below 128)
                        self.refused += 1
                        writer.write(encode_wrapper(destination, source, self.refuse(apdu[2])))
                        continue
                    self.lists += 1
                up_writer.write(header + apdu)
        except (asyncio.IncompleteReadError, ConnectionError, struct.error):
            pass
        finally:
            back.cancel()
            up_writer.close()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
