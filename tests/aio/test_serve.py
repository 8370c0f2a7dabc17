"""serve_twin: one way to start a meter (its DLMS listener, optical port, control
endpoint and keep-alive), on real loopback sockets."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import pytest

from openamr.aio.serve import Listeners, ServeError, serve_twin
from openamr.client.meter import connect
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import build_mt372
from openamr.meter.state import StateStore
from tests.aio.test_control import call

START = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)


async def test_a_served_twin_answers_dlms_and_control_until_closed() -> None:
    time = SteppedTime(START)
    meter = build_mt372("20265555", time_base=time)
    served = await serve_twin(meter, Listeners(port=0, optical_port=0, control_port=0))
    try:
        dlms, optical, control = served.dlms_address, served.optical_address, served.control_address
        assert dlms is not None and optical is not None and control is not None
        assert dlms[0] == control[0] == "127.0.0.1"
        async with connect(f"tcp://127.0.0.1:{dlms[1]}", client=16, environ={}) as m:
            assert await m.clock() == START
        state = await call(control[1], "GET", "/state")
        assert state.status == 200 and state.body["clock"]["true_time"] == START.isoformat()
        assert state.body["peripherals"] is not None  # the assembled meter's own
        _, writer = await asyncio.open_connection("127.0.0.1", optical[1])
        writer.close()
    finally:
        await served.close()
    for port in (dlms[1], optical[1], control[1]):
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port)


async def test_a_busy_port_is_a_serve_error_naming_the_listener() -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        taken = busy.getsockname()[1]
        meter = build_mt372("20265556", time_base=SteppedTime(START))
        with pytest.raises(ServeError, match=f"cannot listen on 127.0.0.1:{taken}") as e:
            await serve_twin(meter, Listeners(port=taken))
        assert e.value.listener == "dlms"
        with pytest.raises(ServeError, match="for the optical port") as e:
            await serve_twin(meter, Listeners(port=0, optical_port=taken))
        assert e.value.listener == "optical"
    finally:
        busy.close()


async def test_the_keep_alive_runs_and_commits_a_non_volatile_twin() -> None:
    time = SteppedTime(START)
    meter = build_mt372("20265557", time_base=time, state=StateStore.memory())
    assert meter.persistence is not None
    served = await serve_twin(meter, Listeners(port=None, keep_alive_s=0.01))
    try:
        before = meter.persistence.commits
        time.step(900)
        for _ in range(200):
            await asyncio.sleep(0.01)
            if meter.twin.true_t == START + dt.timedelta(seconds=900):
                break
        assert meter.twin.true_t == START + dt.timedelta(seconds=900)
        assert meter.persistence.commits > before
    finally:
        await served.close()
