"""``openamr listen``: the twin's alarm push over a real socket, and a ciphered
notification, received and printed decoded."""

from __future__ import annotations

import json
import socket
import threading
import time

from click.testing import CliRunner, Result

from openamr.aio.push import PushDelivery
from openamr.aio.serve import Listeners, serve_twin
from openamr.apdu.notification import DataNotification
from openamr.cli.main import cli
from openamr.codec import Enum, OctetString, Structure
from openamr.codec.obis import Obis
from openamr.codec.types import LongUnsigned
from openamr.link.wrapper import encode_wrapper
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.events import EventCode
from openamr.meter.mt372 import build_mt372
from openamr.security.ciphering import encipher
from openamr.security.control_byte import SecurityControl
from tests.background import background_loop
from tests.cli.conftest import CLEAN_ENV

TITLE = bytes.fromhex("49534b0000bc614e")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def connect(port: int) -> socket.socket:
    deadline = time.monotonic() + 10
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_listen_prints_the_twins_push_and_a_ciphered_notification() -> None:
    port = free_port()
    keys = ["--ek", DEFAULT_EK.hex(), "--ak", DEFAULT_AK.hex(), "--system-title", TITLE.hex()]
    args = ["listen", "--port", str(port), "--count", "2", "--json", *keys]
    results: list[Result] = []
    listener = threading.Thread(
        target=lambda: results.append(CliRunner().invoke(cli, args, env=CLEAN_ENV)), daemon=True
    )
    listener.start()
    connect(port).close()  # the listener is up (this connection carries nothing)

    plain = DataNotification(Structure((LongUnsigned(0x8034),))).to_bytes()
    control = SecurityControl(authentication=True, encryption=True)
    ciphered = encipher(plain, control, TITLE, 41, DEFAULT_EK, DEFAULT_AK, general=True)
    with connect(port) as sock:
        sock.sendall(encode_wrapper(1, 1, ciphered))
        time.sleep(0.2)

    delivery = PushDelivery(1, repetition_delay=0.05)
    meter = build_mt372("55550001", push=delivery)
    with background_loop() as bg:
        bg.twins.append(bg.run(lambda: serve_twin(meter, Listeners(port=0), push=delivery)))
        where = Structure((Enum(0), OctetString(f"127.0.0.1:{port}".encode()), Enum(0)))

        async def open_cover() -> None:
            setup = meter.app.device.find(Obis.parse("0.0.25.9.0.255"))
            assert setup is not None and setup.set(3, where).name == "SUCCESS"
            meter.peripherals.open_cover("terminal")
            meter.app.refresh()

        bg.run(open_cover)
        listener.join(20)
    assert not listener.is_alive()
    (result,) = results
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["deciphered"]["apdu"]["notification_body"] == {
        "structure": [{"long-unsigned": 0x8034}]
    }
    assert second["apdu"]["type"] == "DataNotification"
    body = second["apdu"]["notification_body"]["structure"]
    assert body[-1] == {"long-unsigned": int(EventCode.TERMINAL_COVER_OPENED)}


def test_a_port_in_use_says_choose_another() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = CliRunner().invoke(cli, ["listen", "--port", str(port)], env=CLEAN_ENV)
    assert r.exit_code == 1 and "choose another --port" in r.output
