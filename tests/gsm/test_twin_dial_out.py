"""A single twin (``openamr meter serve``) connects to the head-end by its own Auto
connect object once woken (issue 16; aio/twin_gsm.py), over real sockets, the twin in
its own process at 20x speed:

* the Auto connect written over DLMS (mode 104, repetitions, repetition_delay, a
  destination list with a phone number and a ``HOST:PORT``) drives the dial-out after
  ``connect()``: a first round that finds nobody listening is repeated after the
  delay, and the connection that then arrives is the twin's (identified over it);
* ``--call-back`` with ``--modem`` and ``--lookup``: an SMS through the twin's own
  modem wakes it, the lookup shows its address while attached, it calls back; a CSD
  call through the same modem is answered by the twin's own Auto answer object.
"""

from __future__ import annotations

import asyncio
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from openamr.client.errors import MeterError
from openamr.client.meter import connect
from openamr.codec.types import Array, Enum, LongUnsigned, OctetString, Unsigned
from openamr.headend.inbound import Relay, identify
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.security.keys import KeySet
from tests.addresses import free_port

BIN = Path(sys.executable).parent / "openamr"
SPEED = 20.0
AUTO_CONNECT = "0.0.2.1.0.255"
SERIAL = "30000031"


@dataclass
class Twin:
    proc: subprocess.Popen[str]
    banner: list[str]
    stderr: queue.Queue[str]

    @property
    def url(self) -> str:
        return "tcp://" + self.find(r"listening on (127\.0\.0\.1:\d+) \(wrapper\)")

    def find(self, pattern: str) -> str:
        for line in self.banner:
            if found := re.search(pattern, line):
                return found.group(1)
        raise AssertionError(f"{pattern!r} not in {self.banner}")

    def wait_stderr(self, pattern: str, timeout: float = 30.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.stderr.get(timeout=0.1)
            except queue.Empty:
                continue
            if re.search(pattern, line):
                return line
        raise AssertionError(f"the twin never logged {pattern!r}")


def serve(tmp: Path, *options: str, lines: int = 1) -> Iterator[Twin]:
    proc = subprocess.Popen(
        [str(BIN), "meter", "serve", "--port", "0", "--serial-number", SERIAL, "--speed",
         str(SPEED), "--no-disturbances", "--state", str(tmp / "twin.sqlite"), *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    errors: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [errors.put(x) for x in proc.stderr], daemon=True).start()  # type: ignore[union-attr]
    try:
        banner = [proc.stdout.readline() for _ in range(lines)]
        assert "listening on" in banner[0], banner
        yield Twin(proc, banner, errors)
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.fixture
def plain_twin(tmp_path: Path) -> Iterator[Twin]:
    yield from serve(tmp_path, "-v", lines=2)  # the banner and the state file's line


@pytest.fixture
def call_back() -> Iterator[tuple[str, int]]:
    yield "127.0.0.1", free_port()


async def meter_calls(at: tuple[str, int], timeout: float) -> tuple[float, tuple[str, str]]:
    """Listen at ``at`` for the meter's connection: when it came (monotonic), and who
    it is (serial, logical device name) as the head-end's listener asks."""
    came: asyncio.Future[tuple[float, tuple[str, str]]] = asyncio.Future()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        at = time.monotonic()
        relay = Relay(reader, writer)
        try:
            who = await identify(await relay.start())
            if not came.done():
                came.set_result((at, who))
        finally:
            await relay.close()

    server = await asyncio.start_server(accept, *at)
    try:
        return await asyncio.wait_for(came, timeout)
    finally:
        server.close()


async def test_a_woken_twin_dials_by_its_own_auto_connect_and_repeats_after_the_delay(
    plain_twin: Twin, call_back: tuple[str, int]
) -> None:
    host, port = call_back
    keys = KeySet(DEFAULT_EK, DEFAULT_AK)
    async with connect(plain_twin.url, 1, "high", keys=keys, environ={}, timeout=10) as meter:
        for attribute, value in (
            (2, Enum(104)),  # connected on connect
            (3, Unsigned(2)),  # repetitions
            (4, LongUnsigned(40)),  # repetition_delay, s: 2 s of true time at 20x
            (6, Array([OctetString(b"+38640100200"), OctetString(f"{host}:{port}".encode())])),
        ):  # fmt: skip
            await meter.set(AUTO_CONNECT, value, attribute, class_id=29)
        assert await meter.get(AUTO_CONNECT, 6, class_id=29) == Array(
            [b"+38640100200", f"{host}:{port}".encode()]
        )
        await meter.action(AUTO_CONNECT, 1, class_id=29)  # connect(): a wake-up
    # round 1 finds nobody there (the phone number is not dialled)
    plain_twin.wait_stderr(rf"cannot reach {re.escape(host)}:{port}")
    failed = time.monotonic()
    came, who = await meter_calls(call_back, timeout=30)
    assert who == (SERIAL, f"ISK00000{SERIAL}")
    # round 2 came after repetition_delay (40 s of the twin's clock, 2 s here)
    assert came - failed >= 1.0, came - failed


@pytest.fixture
def gsm_twin(tmp_path: Path, call_back: tuple[str, int]) -> Iterator[Twin]:
    yield from serve(
        tmp_path, "--call-back", "{}:{}".format(*call_back), "--modem", "127.0.0.1:0",
        "--lookup", "127.0.0.1:0", lines=5,
    )  # fmt: skip


async def at(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes,
             until: bytes = b"OK\r\n") -> bytes:  # fmt: skip
    writer.write(line)
    return await asyncio.wait_for(reader.readuntil(until), 10)


async def send_sms(twin: Twin) -> None:
    """A text-mode SMS (TS 27.005 AT+CMGS) to the twin's number through its --modem."""
    msisdn = twin.find(r"number (\+\d+)")
    modem = twin.find(r"modem \(AT\) listening on TCP (\S+),").rpartition(":")
    reader, writer = await asyncio.open_connection(modem[0], int(modem[2]))
    try:
        await at(reader, writer, b"ATE0\r")
        await at(reader, writer, b"AT+CMGF=1\r")
        await at(reader, writer, f'AT+CMGS="{msisdn}"\r'.encode(), b"> ")
        assert b"+CMGS:" in await at(reader, writer, b"wake up\x1a")
    finally:
        writer.close()


async def test_an_sms_through_the_twins_modem_wakes_it_and_it_calls_back(
    gsm_twin: Twin, call_back: tuple[str, int]
) -> None:
    msisdn = gsm_twin.find(r"number (\+\d+)")
    modem = gsm_twin.find(r"modem \(AT\) listening on TCP (\S+),").rpartition(":")
    lookup = gsm_twin.find(r"address lookup listening on (\S+)").rpartition(":")
    waiting = asyncio.create_task(meter_calls(call_back, timeout=30))
    await send_sms(gsm_twin)
    _, who = await waiting
    assert who == (SERIAL, f"ISK00000{SERIAL}")
    look_r, look_w = await asyncio.open_connection(lookup[0], int(lookup[2]))
    look_w.write(f"LOOKUP {msisdn}\n".encode())
    answer = (await asyncio.wait_for(look_r.readline(), 10)).decode().split()
    look_w.close()
    assert answer == ["127.0.0.1", gsm_twin.url.rpartition(":")[2]]  # attached
    # a data call from the modem's number (on the factory whitelist) is answered
    read = await asyncio.create_subprocess_exec(
        str(BIN), "read", "--json", f"csd://{modem[0]}:{modem[2]}/{msisdn}", "0.0.96.1.0.255",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(read.communicate(), 60)
    assert read.returncode == 0, err
    assert SERIAL in out.decode()


@pytest.fixture
def wakeup_twin(tmp_path: Path) -> Iterator[Twin]:
    yield from serve(
        tmp_path, "--reach", "wakeup", "--modem", "127.0.0.1:0", "--lookup", "127.0.0.1:0",
        lines=5,
    )  # fmt: skip


async def test_meter_serve_reach_wakeup_answers_tcp_only_once_an_sms_woke_it(
    wakeup_twin: Twin,
) -> None:
    async def reads() -> bool:
        try:
            async with connect(wakeup_twin.url, 16, "none", environ={}, timeout=5,
                               retries=0) as meter:  # fmt: skip
                return await meter.get("0.0.96.1.0.255", 2, class_id=1) is not None
        except MeterError:
            return False

    assert not await reads()  # GSM mode 0, not woken: its GPRS address does not answer
    await send_sms(wakeup_twin)
    end = time.monotonic() + 20
    while not await reads():  # attached ATTACH_S of the twin's clock later
        assert time.monotonic() < end, "never answered after the SMS"
        await asyncio.sleep(0.2)
