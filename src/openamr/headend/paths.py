"""How the head-end reaches a meter, chosen per meter by the inventory's ``path``
(docs/gsm.md; issue 16):

=========  ==========================================================================
``tcp``    the meter's URL as it is (GPRS always on, a terminal server, a serial line)
``csd``    a CSD data call through the head-end's modem: ``csd://MODEM/MSISDN`` (the
           meter's URL when it is a ``csd://`` one already; else the policy's modem
           and the meter's MSISDN, with the URL's ``server``/``physical``)
``wakeup`` an SMS through the modem (TS 27.005 text mode), then, inside the meter's
           auto connect window, whichever comes first: the meter's own connection to
           the head-end's listener (:mod:`openamr.headend.inbound`; a meter whose auto
           connect is 103/104 with the listener among its destinations), or the
           address lookup (the RADIUS stand-in) showing it attached and no call
           within ``call_grace_s``: then the wrapper over TCP to that address
=========  ==========================================================================

The inventory holds no copy of a meter's auto connect, so the choice between "wait
for its call" and "look it up and connect" is made by what the meter does: a meter
configured to connect calls as it attaches, well inside the grace.

The modem is ``HOST:PORT`` (a modem pool's line on TCP) or a serial device; the lookup
service ``HOST:PORT`` answers ``LOOKUP <msisdn>`` with ``<host> <port>`` or ``NONE``.
Failures are :class:`~openamr.client.errors.TransportError` (transient: retried).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from openamr.aio.lines import open_serial
from openamr.client.csd import ModemDriver, ModemError
from openamr.client.errors import TransportError
from openamr.headend.model import MeterRecord

if TYPE_CHECKING:
    from openamr.headend.inbound import InboundListener, Relay

WAKE_UP_TEXT = "wake up"


@dataclass(frozen=True, slots=True)
class GsmPolicy:
    """Where the head-end's modem and the address lookup are; how long a wake-up may
    take to bring the meter onto GPRS."""

    modem: str = ""  # HOST:PORT or /dev/ttyX
    lookup: str = ""  # HOST:PORT
    attach_timeout_s: float = 60.0
    poll_s: float = 1.0
    #: where woken meters connect to (None: the head-end only connects to them)
    inbound: InboundListener | None = field(default=None, compare=False)
    call_grace_s: float = 10.0  # attached, no call yet: connect after this


@contextlib.asynccontextmanager
async def session(meter: MeterRecord, gsm: GsmPolicy) -> AsyncIterator[str]:
    """The URL of this session, as :func:`session_url`, open for the session: a
    connection the meter opened itself (a wake-up answered by its call) is closed
    when the session is over."""
    if meter.path != "wakeup" or gsm.inbound is None:
        yield await session_url(meter, gsm)
        return
    found = await wake_up_or_call(meter, gsm, gsm.inbound)
    if isinstance(found, tuple):
        host, port = found
        host = f"[{host}]" if ":" in host else host
        yield f"tcp://{host}:{port}{_query(meter.url)}"
        return
    try:
        yield f"{found.url}{_query(meter.url)}"
    finally:
        await found.close()


async def session_url(meter: MeterRecord, gsm: GsmPolicy) -> str:
    """The URL to connect to for this session (a wake-up first, for ``wakeup``)."""
    if meter.path == "csd":
        if meter.url.startswith("csd://"):
            return meter.url
        return f"csd://{_modem(meter, gsm)}/{meter.msisdn}{_query(meter.url)}"
    if meter.path == "wakeup":
        host, port = await wake_up(meter, gsm)
        host = f"[{host}]" if ":" in host else host
        return f"tcp://{host}:{port}{_query(meter.url)}"
    return meter.url


async def wake_up(meter: MeterRecord, gsm: GsmPolicy) -> tuple[str, int]:
    """Send the wake-up SMS, then ask the lookup service until the meter is attached."""
    where = f"meter {meter.serial} (wake-up of {meter.msisdn})"
    if not gsm.lookup:
        raise TransportError(f"{where}: no address lookup; pass --lookup HOST:PORT")
    await _send_wake_up(meter, gsm, where)
    loop = asyncio.get_running_loop()
    give_up = loop.time() + gsm.attach_timeout_s
    while loop.time() < give_up:
        address = await lookup(gsm.lookup, meter.msisdn, where)
        if address is not None:
            return address
        await asyncio.sleep(gsm.poll_s)
    raise TransportError(_not_attached(where, gsm))


async def wake_up_or_call(
    meter: MeterRecord, gsm: GsmPolicy, inbound: InboundListener
) -> Relay | tuple[str, int]:
    """Send the wake-up SMS, then wait for the meter's own connection (its relay);
    with a lookup service, a meter seen attached that has not called within
    ``call_grace_s`` is connected to instead (its address)."""
    where = f"meter {meter.serial} (wake-up of {meter.msisdn})"
    call = inbound.expect(meter.serial)
    try:
        await _send_wake_up(meter, gsm, where)
        loop = asyncio.get_running_loop()
        give_up, seen = loop.time() + gsm.attach_timeout_s, None
        while loop.time() < give_up:
            if not call.done() and gsm.lookup:
                address = await lookup(gsm.lookup, meter.msisdn, where)
                if address is not None:
                    seen = loop.time() if seen is None else seen
                    if loop.time() - seen >= gsm.call_grace_s:
                        return address
            await asyncio.wait({call}, timeout=gsm.poll_s)
            if call.done():
                return call.result()
    finally:
        inbound.forget(meter.serial, call)
        if not call.done():
            call.cancel()
    raise TransportError(_not_attached(where, gsm) + "; or its auto connect destination list "
                         "(class 29) for the head-end's listener")  # fmt: skip


def _not_attached(where: str, gsm: GsmPolicy) -> str:
    return (
        f"{where}: not attached to GPRS within {gsm.attach_timeout_s:g} s of the SMS; check "
        "that the head-end's number may wake it (auto answer whitelist, class 28) and its auto "
        "connect mode (class 29)"
    )


async def _send_wake_up(meter: MeterRecord, gsm: GsmPolicy, where: str) -> None:
    reader, writer = await _open_modem(meter, gsm)
    try:
        modem = ModemDriver(reader, writer)
        await modem.init()
        await modem.send_sms(meter.msisdn, WAKE_UP_TEXT)
    except ModemError as e:
        raise TransportError(f"{where}: {e}") from None
    finally:
        writer.close()


async def lookup(service: str, number: str, where: str) -> tuple[str, int] | None:
    """Ask the lookup service once: the meter's address, or None (not attached)."""
    host, port = _endpoint(service, where, "--lookup")
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5.0)
    except (OSError, TimeoutError) as e:
        raise TransportError(f"{where}: the address lookup at {service} ({e})") from None
    try:
        writer.write(f"LOOKUP {number}\r\n".encode())
        answer = (await asyncio.wait_for(reader.readline(), 5.0)).decode("latin-1").split()
    except (OSError, TimeoutError) as e:
        raise TransportError(f"{where}: the address lookup at {service} ({e})") from None
    finally:
        writer.close()
    if len(answer) == 2 and answer[1].isdigit():
        return answer[0], int(answer[1])
    if answer == ["NONE"]:
        return None
    raise TransportError(f"{where}: the address lookup answered {' '.join(answer)!r}")


async def _open_modem(
    meter: MeterRecord, gsm: GsmPolicy
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    modem = _modem(meter, gsm)
    try:
        if modem.startswith("/"):
            return await open_serial(modem)
        host, port = _endpoint(modem, f"meter {meter.serial}", "--modem")
        return await asyncio.wait_for(asyncio.open_connection(host, port), 10.0)
    except (OSError, TimeoutError) as e:
        raise TransportError(
            f"meter {meter.serial}: cannot open the modem {modem} ({e}); is it on?"
        ) from None


def _modem(meter: MeterRecord, gsm: GsmPolicy) -> str:
    if not gsm.modem:
        raise TransportError(
            f"meter {meter.serial}: path {meter.path} needs the head-end's modem; pass "
            "--modem HOST:PORT (or a serial device)"
        )
    return gsm.modem


def _endpoint(text: str, where: str, option: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise TransportError(f"{where}: {option} {text!r}; write HOST:PORT")
    return host.strip("[]"), int(port)


def _query(url: str) -> str:
    """The meter URL's query (server, physical), kept on the URL of the session."""
    with contextlib.suppress(ValueError):
        query = urlsplit(url).query
        return f"?{query}" if query else ""
    return ""
