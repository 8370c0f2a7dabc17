"""How the head-end reaches a meter, chosen per meter by the inventory's ``path``
(docs/gsm.md; issue 16):

=========  ==========================================================================
``tcp``    the meter's URL as it is (GPRS always on, a terminal server, a serial line)
``csd``    a CSD data call through the head-end's modem: ``csd://MODEM/MSISDN`` (the
           meter's URL when it is a ``csd://`` one already; else the policy's modem
           and the meter's MSISDN, with the URL's ``server``/``physical``)
``wakeup`` an SMS through the modem (TS 27.005 text mode), then the address lookup
           (the RADIUS stand-in) asked until the meter has attached to GPRS, then the
           wrapper over TCP to that address, inside the meter's auto connect window
=========  ==========================================================================

The modem is ``HOST:PORT`` (a modem pool's line on TCP) or a serial device; the lookup
service ``HOST:PORT`` answers ``LOOKUP <msisdn>`` with ``<host> <port>`` or ``NONE``.
Failures are :class:`~openamr.client.transport.TransportError` (transient: retried).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from openamr.aio.lines import open_serial
from openamr.client.csd import ModemDriver, ModemError
from openamr.client.transport import TransportError
from openamr.headend.model import MeterRecord

WAKE_UP_TEXT = "wake up"


@dataclass(frozen=True, slots=True)
class GsmPolicy:
    """Where the head-end's modem and the address lookup are; how long a wake-up may
    take to bring the meter onto GPRS."""

    modem: str = ""  # HOST:PORT or /dev/ttyX
    lookup: str = ""  # HOST:PORT
    attach_timeout_s: float = 60.0
    poll_s: float = 1.0


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
    reader, writer = await _open_modem(meter, gsm)
    try:
        modem = ModemDriver(reader, writer)
        await modem.init()
        await modem.send_sms(meter.msisdn, WAKE_UP_TEXT)
    except ModemError as e:
        raise TransportError(f"{where}: {e}") from None
    finally:
        writer.close()
    loop = asyncio.get_running_loop()
    give_up = loop.time() + gsm.attach_timeout_s
    while loop.time() < give_up:
        address = await lookup(gsm.lookup, meter.msisdn, where)
        if address is not None:
            return address
        await asyncio.sleep(gsm.poll_s)
    raise TransportError(
        f"{where}: not attached to GPRS within {gsm.attach_timeout_s:g} s of the SMS; check "
        "that the head-end's number may wake it (auto answer whitelist, class 28) and its auto "
        "connect mode (class 29)"
    )


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
