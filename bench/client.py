"""Client benchmarks: read a half-year load profile (17,520 quarter-hour rows) from
the MT372 twin over the TCP wrapper on loopback, association included.

The twin (``build_mt372(history_days=182.5)``) runs in a subprocess with its own
event loop, so the clients in this process do not share the interpreter with it.
Each run opens a connection, associates as the LLS reader (client 32), reads
1.0.99.1.0.255 attribute 2 whole (the server sends it in blocks of 64 kB),
releases and closes. Contenders:

* openamr: ``async with connect(...) as m: await m.profile(...)``, rows as tuples
  (it also reads the capture objects: one more request than the others), on one
  event loop kept across runs;
* dlms-cosem: its ``DlmsClient`` session, ``get`` and its own ``DlmsDataParser``
  (what a dlms-cosem user does to get the rows);
* dlms-cosem get only: the same without parsing: the time of our server serving
  dlms-cosem (issue 3's figure), the bytes as dlms-cosem hands them over.
"""

from __future__ import annotations

import asyncio
import atexit
import subprocess
import sys
from typing import Any

from bench import Case, suite

ROWS = 17_520
LP1 = "1.0.99.1.0.255"
PASSWORD = b"12345678"

SERVER = """
import asyncio, sys
from openamr.aio.serve import Listeners, serve_twin
from openamr.meter.mt372 import build_mt372

async def main() -> None:
    meter = build_mt372("12345678", history_days=182.5)
    served = await serve_twin(meter, Listeners(port=0))
    print(served.dlms_address[1], flush=True)
    await served.serve_forever()

asyncio.run(main())
"""


def start_twin() -> int:
    """The twin in a subprocess; its port. It is stopped when this process exits."""
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    atexit.register(proc.terminate)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        proc.terminate()
        raise RuntimeError(f"the twin did not start: {line!r}")
    return int(line)


def _check_rows(count: int, last_energy: int) -> None:
    if count != ROWS:
        raise AssertionError(f"{count} rows, not {ROWS}")
    if last_energy <= 0:
        raise AssertionError("the last row holds no energy")


def _openamr(port: int) -> Case:
    from openamr.client.meter import connect

    async def read() -> Any:
        async with connect(
            f"tcp://127.0.0.1:{port}", 32, "low", password=PASSWORD, environ={}
        ) as meter:
            return await meter.profile(LP1)

    def check(out: Any) -> None:
        _check_rows(len(out.rows), out.rows[-1][2])

    # One event loop for every run, as a head-end keeps one: asyncio.run() per read
    # would add ~14 ms of loop teardown (joining the resolver's thread pool).
    loop = asyncio.new_event_loop()
    atexit.register(loop.close)
    return Case(
        "openamr", lambda: loop.run_until_complete(read()), check, note="rows as plain tuples"
    )


def quiet_dlms_cosem() -> None:
    """dlms-cosem logs every frame through structlog at debug level by default;
    printing that would dominate its time, so keep warnings only."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def _dlms_cosem_session(port: int) -> Any:
    from dlms_cosem import cosem, enumerations
    from dlms_cosem.client import DlmsClient
    from dlms_cosem.io import BlockingTcpIO, TcpTransport
    from dlms_cosem.security import LowLevelSecurityAuthentication

    buffer = cosem.CosemAttribute(
        interface=enumerations.CosemInterface.PROFILE_GENERIC,
        instance=cosem.Obis.from_string(LP1),
        attribute=2,
    )

    def get() -> bytes:
        io = BlockingTcpIO(host="127.0.0.1", port=port)
        link = TcpTransport(client_logical_address=32, server_logical_address=1, io=io)
        client = DlmsClient(
            transport=link, authentication=LowLevelSecurityAuthentication(secret=PASSWORD)
        )
        with client.session() as s:
            raw: bytes = s.get(buffer)
        return raw

    return get


def _dlms_cosem(port: int) -> Case:
    from dlms_cosem.dlms_data import DlmsDataParser

    get = _dlms_cosem_session(port)

    def check(out: Any) -> None:
        (array,) = out
        last = array.value[-1].value
        _check_rows(len(array.value), last[2].value)

    return Case("dlms-cosem", lambda: DlmsDataParser().parse(get()), check, note="get + parse")


def _dlms_cosem_get_only(port: int) -> Case:
    get = _dlms_cosem_session(port)

    def check(out: Any) -> None:
        if not isinstance(out, bytes) or len(out) < ROWS * 28:
            raise AssertionError("not the whole buffer")

    return Case("dlms-cosem get only", get, check, note="our server serving dlms-cosem, no parsing")


@suite("client", "read a 17,520-row load profile from the twin (wrapper, loopback)",
       unit="rows", items=ROWS)  # fmt: skip
def read_profile() -> list[Case]:
    port = start_twin()
    quiet_dlms_cosem()
    return [_openamr(port), _dlms_cosem(port), _dlms_cosem_get_only(port)]
