"""The MT372 twin served in the test's own event loop over loopback sockets, on the
wrapper and on HDLC over TCP, and the credentials of its three associations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from openamr.aio.serve import Listeners, ServedTwin, serve_twin
from openamr.meter.application import ServerApplication
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK, DEFAULT_KEK
from openamr.meter.mt372 import build_mt372
from openamr.security.keys import KeySet

KEYS = KeySet(DEFAULT_EK, DEFAULT_AK, DEFAULT_KEK)
NO_ENV: dict[str, str] = {}

#: client -> connect() arguments (the environment is kept out of every test)
CLIENTS: dict[str, dict[str, Any]] = {
    "public": {"client": 16, "auth": "none", "environ": NO_ENV},
    "lls": {"client": 32, "auth": "low", "password": "12345678", "environ": NO_ENV},
    "hls": {"client": 1, "auth": "high", "keys": KEYS, "environ": NO_ENV},
}
SCHEMES = {"wrapper": "tcp", "hdlc": "hdlc+tcp"}


@dataclass
class Twin:
    app: ServerApplication
    servers: dict[str, asyncio.Server]
    served: list[ServedTwin] = field(default_factory=list)

    def url(self, link: str) -> str:
        port = self.servers[link].sockets[0].getsockname()[1]
        return f"{SCHEMES[link]}://127.0.0.1:{port}"


async def start_twin(**kwargs: Any) -> Twin:
    meter = build_mt372("12345678", **kwargs)
    served = [await serve_twin(meter, Listeners(port=0, transport=link)) for link in SCHEMES]
    servers = {link: s.dlms for link, s in zip(SCHEMES, served, strict=True) if s.dlms}
    return Twin(meter.app, servers, served)


async def stop_twin(twin: Twin) -> None:
    for served in twin.served:
        await served.close()


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    t = await start_twin(history_days=2)
    yield t
    await stop_twin(t)


@pytest.fixture(params=["wrapper", "hdlc"])
def link(request: pytest.FixtureRequest) -> str:
    return str(request.param)
