"""gurux-dlms's Python server (test oracle only, never shipped) made to run, and
served on a loopback socket, one connection at a time, in a thread of its own.

gurux-dlms 1.0.203's ``GXDLMSServer`` does not run as shipped; what
:class:`ShimmedServer` and :class:`Reply` supply, each for a named bug:

* ``GXDLMSServer.initialize`` appends the whole object collection as one item of
  the association's object_list (``TypeError: item is not of type GXDLMSObject``):
  a subclass fills ``objectList`` itself first;
* ``handleRequest`` calls ``sr.setReply`` and ``handleCommand`` calls
  ``sr.getConnectionInfo()``, neither of which ``GXServerReply`` defines:
  :class:`Reply` has them;
* ``GXDLMSLNCommandHandler.getRequestNormal`` calls ``server.notifyRead()`` and
  ``server.onPostRead()`` with no arguments instead of ``onPreRead([e])`` and
  ``onPostRead([e])`` (so a server never sees a normal GET in its read hooks; only
  GET-with-list and the next blocks reach ``onPreRead``), and the handler calls
  ``server.getTransaction()``/``setTransaction()``, which ``GXDLMSServer`` lacks;
* ``GXDLMSServer.handleSnrmRequest`` cannot answer an SNRM: without ``hdlc`` set it
  reads ``self.hdlc.maxInfoTX`` of None; with an ``hdlc`` it calls
  ``GXHdlcSettings.update``, which does not exist: :class:`_UaParameters` is an
  ``hdlc`` that reads as unset;
* its error path calls ``self.receivedData.size(0)`` on an int.

Not shimmed: its Association LN cannot serve object_list
(``GXDLMSAssociationLogicalName.getObjects`` reads ``e.isSkipMaxPduSize``, which
``ValueEventArgs`` lacks).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from gurux_dlms import GXDLMSServer, GXServerReply
from gurux_dlms.enums import AccessMode, MethodAccessMode, SourceDiagnostic


class _UaParameters:
    """What ``handleSnrmRequest`` writes into the UA (IEC 62056-46 6.4.4.4.3.2, the
    defaults); false, so that gurux takes its own defaults for the link instead of
    calling ``GXHdlcSettings.update``."""

    maxInfoTX = maxInfoRX = 128
    windowSizeTX = windowSizeRX = 1
    inactivityTimeout = 0

    def __bool__(self) -> bool:
        return False


class Reply(GXServerReply):  # type: ignore[misc]
    def setReply(self, value: Any) -> None:
        self.reply = value

    def getConnectionInfo(self) -> Any:
        return self.connectionInfo


class ShimmedServer(GXDLMSServer):  # type: ignore[misc]
    """``GXDLMSServer`` with the hooks it leaves abstract (any client, no
    authentication check, attributes read-only, no methods) and those its command
    handler expects; a subclass adds objects, then calls ``initialize()``."""

    def __init__(self, interface: int) -> None:
        super().__init__(True, interface)
        self.hdlc = _UaParameters()

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


def _serve(listener: socket.socket, make: Callable[[], GXDLMSServer]) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        server = make()  # a new association state per connection
        with conn:
            try:
                while chunk := conn.recv(4096):
                    reply = Reply(chunk)
                    server.handleRequest(reply)
                    if reply.reply:
                        conn.sendall(bytes(reply.reply))
            except OSError:
                pass


@contextmanager
def serving(make: Callable[[], GXDLMSServer]) -> Iterator[int]:
    """Servers from ``make()`` on a free loopback port (yielded), one a connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    thread = threading.Thread(target=_serve, args=(listener, make), daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()
        thread.join(2)
