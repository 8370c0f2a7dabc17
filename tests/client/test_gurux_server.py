"""Our client against an independent server: gurux-dlms 1.0.203's GXDLMSServer
(test oracle only) behind a loopback socket speaking the wrapper.

gurux-dlms 1.0.203's Python server is broken as shipped; these shims make it run
(each names the bug):

* ``GXDLMSServer.initialize`` appends the whole object collection as one item to
  the association's object_list (``TypeError: item is not of type GXDLMSObject``):
  we fill ``objectList`` ourselves first;
* ``handleRequest`` calls ``sr.setReply`` and ``handleCommand`` calls
  ``sr.getConnectionInfo()``, neither of which ``GXServerReply`` defines;
* ``GXDLMSLNCommandHandler`` calls ``server.notifyRead()``, ``server.onPostRead()``
  (without arguments), ``server.getTransaction()`` and ``server.setTransaction()``,
  which ``GXDLMSServer`` does not define;
* its error path calls ``self.receivedData.size(0)`` on an int.

Not shimmed, so not tested here: its Association LN cannot serve object_list
(``GXDLMSAssociationLogicalName.getObjects`` reads ``e.isSkipMaxPduSize``, which
``ValueEventArgs`` lacks); the client's object_list is proven against the twin.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from openamr.client.errors import RefusedError
from openamr.client.meter import connect
from openamr.codec.units import Unit

gurux = pytest.importorskip("gurux_dlms")

from gurux_dlms import GXDateTime, GXDLMSServer, GXServerReply  # noqa: E402
from gurux_dlms.enums import (  # noqa: E402
    AccessMode,
    InterfaceType,
    MethodAccessMode,
    SourceDiagnostic,
)
from gurux_dlms.enums import Unit as GxUnit  # noqa: E402
from gurux_dlms.objects import (  # noqa: E402
    GXDLMSAssociationLogicalName,
    GXDLMSClock,
    GXDLMSData,
    GXDLMSRegister,
)

WHEN = dt.datetime(2026, 5, 4, 3, 2, 1, tzinfo=dt.UTC)


class Reply(GXServerReply):  # type: ignore[misc]
    def setReply(self, value: Any) -> None:
        self.reply = value

    def getConnectionInfo(self) -> Any:
        return self.connectionInfo


class Server(GXDLMSServer):  # type: ignore[misc]
    """A meter with a serial number, an energy register and a clock; read-only."""

    def __init__(self) -> None:
        super().__init__(True, InterfaceType.WRAPPER)
        serial = GXDLMSData("0.0.96.1.0.255")
        serial.value = "GURUX-0001"
        energy = GXDLMSRegister("1.0.1.8.0.255")
        energy.value, energy.scaler, energy.unit = 1234567, 0.001, GxUnit.ACTIVE_ENERGY
        clock = GXDLMSClock("0.0.1.0.0.255")
        clock.time = GXDateTime(WHEN)
        association = GXDLMSAssociationLogicalName()
        for obj in (serial, energy, clock, association):
            self.items.append(obj)
            association.objectList.append(obj)
        self.initialize()

    # the hooks GXDLMSServer leaves abstract, and those its command handler expects
    def isTarget(self, server: int, client: int) -> bool:
        return True

    def onValidateAuthentication(self, authentication: Any, password: Any) -> Any:
        return SourceDiagnostic.NONE

    def onGetAttributeAccess(self, arg: Any) -> Any:
        return AccessMode.READ

    def onGetMethodAccess(self, arg: Any) -> Any:
        return MethodAccessMode.NO_ACCESS

    def onFindObject(self, *args: Any) -> None:
        return None

    def getTransaction(self) -> Any:
        return self.transaction

    def setTransaction(self, value: Any) -> None:
        self.transaction = value

    def _nothing(self, *args: Any) -> None:
        return None

    onPreGet = onPostGet = onPreRead = onPostRead = notifyRead = _nothing
    onPreWrite = onPostWrite = onPreAction = onPostAction = _nothing
    onConnected = onInvalidConnection = onDisconnected = _nothing


def _serve(listener: socket.socket) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        server = Server()
        with conn:
            while data := conn.recv(4096):
                reply = Reply(data)
                server.handleRequest(reply)
                if reply.reply:
                    conn.sendall(bytes(reply.reply))


@pytest.fixture(scope="module")
def gurux_url() -> Iterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    thread = threading.Thread(target=_serve, args=(listener,), daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


async def test_reads_from_gurux(gurux_url: str) -> None:
    async with connect(gurux_url, timeout=3, environ={}) as meter:
        serial = await meter.get("0.0.96.1.0.255", class_id=1)
        energy = await meter.register("1.0.1.8.0.255", class_id=3)
        clock = await meter.clock()
    assert serial == "GURUX-0001"
    assert energy.value == pytest.approx(1234.567) and energy.unit is Unit.WATT_HOUR
    assert clock == WHEN


async def test_gurux_refuses_a_write(gurux_url: str) -> None:
    async with connect(gurux_url, timeout=3, environ={}) as meter:
        with pytest.raises(RefusedError, match=r"set 1/0\.0\.96\.1\.0\.255/2: refused"):
            await meter.set("0.0.96.1.0.255", "changed", class_id=1)
        assert await meter.get("0.0.96.1.0.255", class_id=1) == "GURUX-0001"
