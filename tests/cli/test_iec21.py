"""``openamr iec21``: read, get and set against our optical server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from openamr.aio.iec21_server import start_optical_server
from openamr.cli.main import cli
from openamr.link.iec21 import EXAMPLE_READOUT, StaticSource
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
