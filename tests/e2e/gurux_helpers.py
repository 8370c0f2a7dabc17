"""A blocking gurux-dlms client over a real socket (test oracle only).

gurux's Python package builds and parses frames but ships no working network
media, so this module frames the bytes itself: it sends what ``GXDLMSClient``
returns (``snrmRequest``, ``aarqRequest``, ``read``, ``write``, ``method``,
``releaseRequest``) and feeds what the socket gives into ``getData`` until gurux
says a reply is complete, asking for further HDLC segments and GET blocks with
``receiverReady`` as gurux's own reader example does.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from gurux_dlms import GXByteBuffer, GXDLMSClient, GXDLMSException, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType, Security
from gurux_dlms.secure import GXDLMSSecureClient

from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK

CLIENT_TITLE = bytes.fromhex("4D 4D 4D 00 00 00 00 01")
TIMEOUT = 2.0
Frames = Iterable[bytes | bytearray] | bytes | bytearray | None


class GuruxSession:
    """One gurux client on one TCP connection (wrapper or HDLC)."""

    def __init__(self, client: Any, sock: socket.socket) -> None:
        self.client = client
        self.sock = sock

    # -- exchange ---------------------------------------------------------------------

    def packet(self, data: bytes | bytearray | None, reply: Any) -> Any:
        """Send one frame and read until gurux has a complete reply frame."""
        if data is None:
            return reply
        reply.error = 0
        self.sock.sendall(bytes(data))
        received = GXByteBuffer()
        notify = GXReplyData()
        while not self.client.getData(received, reply, notify):
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            received.set(chunk)
        if reply.error:
            raise GXDLMSException(reply.error)
        return reply

    def block(self, frames: Frames, reply: Any = None) -> Any:
        """Send a request (one or more frames) and collect every segment and block."""
        reply = reply if reply is not None else GXReplyData()
        if isinstance(frames, (bytes, bytearray)):
            frames = [frames]
        for frame in frames or ():
            reply.clear()
            self.packet(frame, reply)
            while reply.isMoreData():
                self.packet(self.client.receiverReady(reply), reply)
        return reply

    # -- association ------------------------------------------------------------------

    def open(self) -> None:
        if self.client.interfaceType == InterfaceType.HDLC:
            reply = self.packet(self.client.snrmRequest(), GXReplyData())
            self.client.parseUAResponse(reply.data)
        reply = self.block(self.client.aarqRequest())
        self.client.parseAareResponse(reply.data)
        if self.client.authentication > Authentication.LOW:
            reply = self.block(self.client.getApplicationAssociationRequest())
            self.client.parseApplicationAssociationResponse(reply.data)

    def close(self) -> None:
        try:
            self.block(self.client.releaseRequest())
            if self.client.interfaceType == InterfaceType.HDLC:
                self.packet(self.client.disconnectRequest(), GXReplyData())
        finally:
            self.sock.close()

    # -- services ---------------------------------------------------------------------

    def read(self, item: Any, index: int) -> Any:
        reply = self.block(self.client.read(item, index))
        return self.client.updateValue(item, index, reply.value)

    def write(self, item: Any, index: int) -> None:
        self.block(self.client.write(item, index))

    def method(self, item: Any, index: int, data: Any, data_type: Any) -> Any:
        return self.block(self.client.method(item, index, data, data_type)).value

    def objects(self) -> Any:
        reply = self.block(self.client.getObjectsRequest())
        return self.client.parseObjects(reply.data, True)

    def rows_by_entry(self, pg: Any, index: int, count: int) -> Any:
        reply = self.block(self.client.readRowsByEntry(pg, index, count))
        return self.client.updateValue(pg, 2, reply.value)

    def rows_by_range(self, pg: Any, start: Any, end: Any) -> Any:
        reply = self.block(self.client.readRowsByRange(pg, start, end))
        return self.client.updateValue(pg, 2, reply.value)


def make_client(transport: str, client_sap: int, secret: str | None = None,
                hls: bool = False, ak: bytes = DEFAULT_AK) -> Any:  # fmt: skip
    """A gurux client for our MT372: logical device 1, HDLC physical address 17."""
    if transport == "wrapper":
        interface, server = InterfaceType.WRAPPER, 1
    else:
        interface, server = InterfaceType.HDLC, GXDLMSClient.getServerAddress(1, 17)
    if hls:
        client = GXDLMSSecureClient(
            True, client_sap, server, Authentication.HIGH_GMAC, None, interface
        )
        client.ciphering.security = Security.AUTHENTICATION_ENCRYPTION
        client.ciphering.systemTitle = CLIENT_TITLE
        client.ciphering.blockCipherKey = DEFAULT_EK
        client.ciphering.authenticationKey = ak
        return client
    auth = Authentication.LOW if secret is not None else Authentication.NONE
    return GXDLMSClient(True, client_sap, server, auth, secret, interface)


@contextmanager
def connect(host: str, port: int, client: Any) -> Iterator[GuruxSession]:
    """A TCP connection with ``client`` associated; released and closed on exit."""
    sock = socket.create_connection((host, port), timeout=TIMEOUT)
    session = GuruxSession(client, sock)
    try:
        session.open()
    except BaseException:
        sock.close()
        raise
    try:
        yield session
    finally:
        session.close()
