"""Our MT372 server on real loopback sockets, in a thread with its own event loop,
so that blocking oracle clients (dlms-cosem, gurux-dlms) can talk to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from openamr.aio.serve import Listeners
from openamr.meter.application import ServerApplication
from openamr.meter.mt372 import build_mt372
from tests.background import background_loop


@dataclass
class RunningMeter:
    app: ServerApplication
    host: str
    wrapper_port: int
    hdlc_port: int


@pytest.fixture(scope="module")
def meter() -> Iterator[RunningMeter]:
    meter = build_mt372("12345678", history_days=2)
    app = meter.app
    with background_loop() as bg:
        wrapper = bg.serve_twin(meter, Listeners(port=0))
        hdlc = bg.serve_twin(meter, Listeners(port=0, transport="hdlc"))
        yield RunningMeter(app, "127.0.0.1", wrapper, hdlc)
