"""Meter addresses as URLs.

==================================  ===============================================
``tcp://host:4059``                 IEC 62056-47 wrapper over TCP (GPRS)
``hdlc+tcp://host:port``            HDLC through a terminal server
``serial:///dev/ttyUSB0?baud=9600`` HDLC on a serial line or RS485 bus
``optical:///dev/ttyUSB0``          IEC 62056-21 sign-on, then mode E HDLC
``csd://modem-host:7000/+38640...`` a CSD call through a GSM modem on TCP, HDLC on it
``csd:///dev/ttyUSB1/+38640...``    ... through a modem on a serial line (docs/gsm.md)
==================================  ===============================================

Query parameters: ``server`` (logical device, default 1), ``physical`` (HDLC
physical address, default 17), ``baud`` (the line's speed: default 9600 on
``serial``/``optical``; on ``hdlc+tcp`` the speed of a line behind the terminal
server, default 0 = unknown, which the HDLC poll timer then does not count; on
``csd`` the serial line's speed to the modem, default 9600).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from openamr.codec.record import record

SCHEMES = ("tcp", "hdlc+tcp", "serial", "optical", "csd")


class UrlError(ValueError):
    """A meter URL we cannot use; the message says what to write instead."""


@record
class MeterUrl:
    scheme: str
    host: str = ""
    port: int = 0
    device: str = ""
    server: int = 1
    physical: int = 17
    baud: int = 9600  # of the line; 0 = unknown (TCP)
    number: str = ""  # csd: the meter's MSISDN

    def __str__(self) -> str:
        dialled = f"/{self.number}" if self.number else ""
        if self.device:
            return f"{self.scheme}://{self.device}{dialled}"
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6 (RFC 3986 3.2.2)
        return f"{self.scheme}://{host}:{self.port}{dialled}"


def parse_url(url: str) -> MeterUrl:
    """Parse a meter URL; errors name the accepted forms."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise UrlError(
            f"{url!r}: unknown scheme {parts.scheme or '(none)'!r}; use one of "
            "tcp://HOST:PORT, hdlc+tcp://HOST:PORT, serial:///dev/ttyUSB0, optical:///dev/ttyUSB0, "
            "csd://MODEM_HOST:PORT/MSISDN, csd:///dev/ttyUSB1/MSISDN"
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        server = int(query.get("server", 1))
        physical = int(query.get("physical", 17))
        line = parts.scheme in ("serial", "optical", "csd")
        baud = int(query.get("baud", 9600 if line else 0))
    except ValueError as e:
        raise UrlError(f"{url!r}: {e}") from None
    if parts.scheme == "csd":
        return _csd(url, parts.netloc, parts.path, server, physical, baud)
    if parts.scheme in ("serial", "optical"):
        if not parts.path:
            raise UrlError(f"{url!r}: name the device, e.g. {parts.scheme}:///dev/ttyUSB0")
        return MeterUrl(
            parts.scheme, device=parts.path, server=server, physical=physical, baud=baud
        )
    try:
        port = parts.port
    except ValueError as e:
        raise UrlError(f"{url!r}: {e}") from None
    if not parts.hostname or port is None:
        raise UrlError(f"{url!r}: give host and port, e.g. {parts.scheme}://192.0.2.10:4059")
    return MeterUrl(parts.scheme, parts.hostname, port, "", server, physical, baud)


def _csd(url: str, netloc: str, path: str, server: int, physical: int, baud: int) -> MeterUrl:
    """``csd://HOST:PORT/MSISDN`` (a modem on TCP) or ``csd:///dev/tty/MSISDN``."""
    where, _, number = path.rpartition("/")
    if not number.lstrip("+").isdigit() or len(number.lstrip("+")) < 3:
        raise UrlError(
            f"{url!r}: end with the meter's number, e.g. csd://127.0.0.1:7000/+38640000001 "
            "or csd:///dev/ttyUSB1/+38640000001"
        )
    if not netloc:
        if not where:
            raise UrlError(f"{url!r}: name the modem's device, e.g. csd:///dev/ttyUSB1/{number}")
        return MeterUrl("csd", device=where, server=server, physical=physical, baud=baud,
                        number=number)  # fmt: skip
    host, _, port = netloc.rpartition(":")
    if where or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UrlError(f"{url!r}: give the modem's HOST:PORT, e.g. csd://127.0.0.1:7000/{number}")
    return MeterUrl("csd", host.strip("[]"), int(port), "", server, physical, baud, number)
