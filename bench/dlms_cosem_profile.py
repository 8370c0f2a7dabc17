"""The dlms-cosem contender of ``bench/startup.py``: a whole process that reads the
load profile 1.0.99.1.0.255 attribute 2 whole from the twin as the LLS reader
(client 32), parses it with dlms-cosem's own parser and prints the number of rows.

``python bench/dlms_cosem_profile.py PORT [PASSWORD]``: what a dlms-cosem user
writes to get the rows (the same session as the ``client`` topic's dlms-cosem case).
It imports nothing of openamr or of bench, so that the process pays only for
dlms-cosem and the interpreter.
"""

from __future__ import annotations

import logging
import sys

import structlog
from dlms_cosem import cosem, enumerations
from dlms_cosem.client import DlmsClient
from dlms_cosem.dlms_data import DlmsDataParser
from dlms_cosem.io import BlockingTcpIO, TcpTransport
from dlms_cosem.security import LowLevelSecurityAuthentication

LP1 = "1.0.99.1.0.255"


def main(port: int, password: bytes) -> int:
    # dlms-cosem logs every frame through structlog at debug level by default;
    # printing that would dominate its time, so keep warnings only.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    buffer = cosem.CosemAttribute(
        interface=enumerations.CosemInterface.PROFILE_GENERIC,
        instance=cosem.Obis.from_string(LP1),
        attribute=2,
    )
    io = BlockingTcpIO(host="127.0.0.1", port=port)
    link = TcpTransport(client_logical_address=32, server_logical_address=1, io=io)
    client = DlmsClient(
        transport=link, authentication=LowLevelSecurityAuthentication(secret=password)
    )
    with client.session() as s:
        raw = s.get(buffer)
    (array,) = DlmsDataParser().parse(raw)
    print(len(array.value))
    return 0


if __name__ == "__main__":
    port = int(sys.argv[1])
    password = (sys.argv[2] if len(sys.argv) > 2 else "12345678").encode()
    raise SystemExit(main(port, password))
