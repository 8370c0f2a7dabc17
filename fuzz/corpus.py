"""The valid corpus: APDUs captured from real sessions of our client with a twin
over real sockets (``python -m fuzz capture`` writes ``fuzz/corpus/apdus.hex``).

One APDU a line, ``<session> <hex>``; ``#`` starts a comment. Only what the client
sent is kept (the campaign plays the client); the public and LLS sessions give the
plain APDUs, which the campaign also sends ciphered in an HLS association.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus" / "apdus.hex"


def load(path: Path = CORPUS) -> dict[str, list[bytes]]:
    """The corpus by session kind (public, lls, hls)."""
    found: dict[str, list[bytes]] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            kind, hexed = line.split(None, 1)
            found.setdefault(kind, []).append(bytes.fromhex(hexed))
    return found


async def _sessions(url: str) -> dict[str, list[bytes]]:
    from openamr.client.meter import connect
    from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK, DEFAULT_PASSWORD
    from openamr.security.keys import KeySet

    captured: dict[str, list[bytes]] = {}

    def tracer(kind: str):  # type: ignore[no-untyped-def]
        def trace(direction: str, data: bytes) -> None:
            if direction == "tx":
                captured.setdefault(kind, []).append(data)

        return trace

    env: dict[str, str] = {}
    async with connect(url, 16, "none", environ=env, trace=tracer("public")) as m:
        for name in ("0.0.42.0.0.255", "0.0.96.1.0.255", "1.0.1.8.0.255", "0.0.43.1.0.255"):
            await m.get(name)
        await m.clock()
        await m.object_list()
    async with connect(
        url, 32, "low", password=DEFAULT_PASSWORD, environ=env, max_pdu_size=256,
        trace=tracer("lls"),
    ) as m:  # fmt: skip
        await m.get_many(["1.0.1.8.0.255", "1.0.2.8.0.255", "1.0.32.7.0.255"])
        await m.object_list()
        now = await m.clock()
        await m.profile("1.0.99.1.0.255", now - dt.timedelta(hours=2), now)
        await m.events()
        await m.set_clock(now)
        await m.relay_state()
    keys = KeySet(DEFAULT_EK, DEFAULT_AK)
    async with connect(url, 1, "high", keys=keys, environ=env, trace=tracer("hls")) as m:
        await m.get("1.0.1.8.0.255")
        await m.events()
        await m.disconnect_relay()
        await m.connect_relay()
    return captured


def capture(path: Path = CORPUS) -> int:
    """Capture the corpus from a twin served over the wrapper; the APDUs written."""
    from fuzz.twin import start

    twin = start("wrapper")
    try:
        captured = asyncio.run(_sessions(f"tcp://127.0.0.1:{twin.port}"))
    finally:
        twin.stop()
    lines = [
        "# APDUs sent by openamr's client to an MT372 twin (openamr meter serve) over",
        "# the wrapper, captured by `python -m fuzz capture`: public, LLS, HLS sessions.",
    ]
    for kind, apdus in captured.items():
        lines += [f"{kind} {apdu.hex(' ')}" for apdu in apdus]
    path.write_text("\n".join(lines) + "\n")
    return sum(len(a) for a in captured.values())
