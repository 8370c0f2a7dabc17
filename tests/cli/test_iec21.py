"""``openamr iec21``: read, get and set against our optical server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import termios
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from openamr.aio import lines
from openamr.aio.iec21_server import start_optical_server
from openamr.aio.serve import Listeners, serve_twin
from openamr.cli.main import cli
from openamr.link.iec21 import EXAMPLE_READOUT, StaticSource
from openamr.meter.mt372 import build_mt372
from tests.background import background_loop

PASSWORD = "12345678"


@pytest.fixture
def source() -> StaticSource:
    return StaticSource.of(EXAMPLE_READOUT, writable={"1.8.0"})


@pytest.fixture
def url(source: StaticSource) -> Iterator[str]:
    """A meter's optical port served from a background event loop."""
    with background_loop() as bg:
        port = bg.serve(lambda: start_optical_server("127.0.0.1", 0, source, password=PASSWORD))
        yield f"tcp://127.0.0.1:{port}"


def test_read_table(url: str) -> None:
    result = CliRunner().invoke(cli, ["iec21", "read", url])
    assert result.exit_code == 0, result.output
    assert "ISK MT372-1004" in result.output
    assert "001234.567" in result.output and "kWh" in result.output


def test_read_json(url: str) -> None:
    result = CliRunner().invoke(cli, ["iec21", "read", url, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["identification"] == "/ISK5\\2MT372-1004"
    assert document["data"][3] == {"address": "1.8.0", "value": "001234.567", "unit": "kWh"}
    assert len(document["data"]) == len(EXAMPLE_READOUT)


def test_read_at_a_lower_baud(url: str) -> None:
    result = CliRunner().invoke(cli, ["iec21", "read", url, "--baud", "2400", "--json"])
    assert result.exit_code == 0, result.output


def test_get_and_set(url: str, source: StaticSource) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["iec21", "get", url, "1.8.0", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1.8.0 = 001234.567 kWh"
    result = runner.invoke(cli, ["iec21", "set", url, "1.8.0", "000001.000", "-p", PASSWORD])
    assert result.exit_code == 0, result.output
    assert source.registers["1.8.0"].value == "000001.000"


def test_wrong_password_says_what_to_do(url: str) -> None:
    result = CliRunner().invoke(cli, ["iec21", "get", url, "1.8.0", "--password", "bad"])
    assert result.exit_code == 1
    assert "refused the password" in result.output and "--password" in result.output


def test_unknown_address_says_what_to_do(url: str) -> None:
    result = CliRunner().invoke(cli, ["iec21", "get", url, "7.7.7", "--password", PASSWORD])
    assert result.exit_code == 1
    assert "refused 7.7.7" in result.output


def test_no_answer_says_check_the_probe() -> None:
    result = CliRunner().invoke(cli, ["iec21", "read", "tcp://127.0.0.1:1"])
    assert result.exit_code == 1
    assert "no answer from tcp://127.0.0.1:1" in result.output and "probe" in result.output


def test_password_from_the_environment(url: str) -> None:
    env = {"OPENAMR_IEC21_PASSWORD": PASSWORD}
    result = CliRunner().invoke(cli, ["iec21", "get", url, "1.8.0"], env=env)
    assert result.exit_code == 0, result.output


def one_line_error(result: Result) -> str:
    """A user's mistake: exit 1, one line of advice, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("/dev/ttyUSB-none", "no such device: plug the probe"),
        ("serial:///dev/ttyUSB-none", "no such device: plug the probe"),
        ("/dev/null", "not a serial port"),
        ("foo://x", "is not an optical port: give tcp://HOST:PORT"),
    ],
)
def test_a_device_that_cannot_be_read_says_what_to_do(url: str, said: str) -> None:
    """Issue 10: these gave tracebacks."""
    assert said in one_line_error(CliRunner().invoke(cli, ["iec21", "read", url]))


@pytest.fixture
def pty() -> Iterator[str]:
    """A pseudo-terminal's slave, nobody at the other end."""
    master, slave = os.openpty()
    try:
        yield os.ttyname(slave)
    finally:
        os.close(slave)
        os.close(master)


def test_a_pty_that_refuses_7e1_is_read_all_the_same(pty: str) -> None:
    """Issue 10: this sandbox's kernel, as socat's ptys of the README's recipe, refuses
    CS7/PARENB on a pty (a traceback before); a pty carries the bytes anyway, so the
    read goes on, and here gets no answer (nobody at the other end)."""
    result = CliRunner().invoke(cli, ["iec21", "read", pty, "--timeout", "0.3"])
    assert "no answer from" in one_line_error(result)


def test_a_real_port_that_refuses_7e1_says_so(pty: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = termios.tcsetattr

    def refusing(fd: int, when: int, attributes: list[Any]) -> None:
        if attributes[2] & termios.PARENB:
            raise termios.error(errno.EINVAL, "Invalid argument")
        real(fd, when, attributes)

    monkeypatch.setattr(termios, "tcsetattr", refusing)
    monkeypatch.setattr(lines, "_is_pty", lambda fd: False)  # as a USB adapter would
    said = one_line_error(CliRunner().invoke(cli, ["iec21", "read", pty]))
    assert "the port refused the line settings" in said and "7E1" in said


@pytest.mark.parametrize("flag", ["--optical-serial", "--serial"])
def test_meter_serve_on_a_device_that_cannot_be_opened_never_says_listening(flag: str) -> None:
    """Issue 10: `meter serve --optical-serial` printed `listening`, then died."""
    for device in ("/dev/null", "/dev/ttyUSB-none"):
        result = CliRunner().invoke(cli, ["meter", "serve", "--port", "0", flag, device])
        said = one_line_error(result)
        assert said.startswith(f"Error: {flag}: cannot open {device}") and "listening" not in said


async def test_meter_serve_opens_a_pty_for_the_optical_port(pty: str) -> None:
    served = await serve_twin(build_mt372("12345678"), Listeners(port=None, optical_serial=pty))
    try:
        await asyncio.sleep(0.2)
        assert served.tasks and not served.tasks[0].done()  # serving, not failed
    finally:
        await served.close()
