"""The MT372 twin on real loopback sockets (wrapper and HDLC over TCP) in a
background event loop, for the meter commands run through click's CliRunner.

``twin`` is shared by a module's read-only tests; ``fresh_twin`` is a twin of its
own for a test that changes the meter (clock, relay, firmware)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import pytest
from click.testing import CliRunner, Result

from openamr.aio.serve import Listeners
from openamr.cli.main import cli
from openamr.meter.application import ServerApplication
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.mt372 import build_mt372
from tests.background import background_loop

PASSWORD = "12345678"
LLS = ["--password", PASSWORD]
HLS = ["--auth", "high", "--ek", DEFAULT_EK.hex(), "--ak", DEFAULT_AK.hex()]
#: no secret from the developer's environment reaches a test
CLEAN_ENV: dict[str, str | None] = {
    f"OPENAMR_{name}": None for name in ("EK", "AK", "KEK", "PASSWORD", "SYSTEM_TITLE", "KEYS_FILE")
}


@dataclass
class Twin:
    app: ServerApplication
    wrapper_port: int
    hdlc_port: int

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.wrapper_port}"

    def url_of(self, link: str) -> str:
        if link == "hdlc":
            return f"hdlc+tcp://127.0.0.1:{self.hdlc_port}"
        return self.url


def run_twin() -> Iterator[Twin]:
    meter = build_mt372("12345678", history_days=2)
    app = meter.app
    with background_loop() as bg:
        wrapper = bg.serve_twin(meter, Listeners(port=0))
        hdlc = bg.serve_twin(meter, Listeners(port=0, transport="hdlc"))
        yield Twin(app, wrapper, hdlc)


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    yield from run_twin()


@pytest.fixture
def fresh_twin() -> Iterator[Twin]:
    yield from run_twin()


@pytest.fixture(params=["wrapper", "hdlc"])
def link(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def invoke(args: Sequence[str], env: Mapping[str, str | None] | None = None) -> Result:
    """Run ``openamr ARGS`` in-process, with a clean environment plus ``env``."""
    return CliRunner().invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})})
