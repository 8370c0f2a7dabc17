"""Transports: one APDU out, one APDU back, over the wrapper or HDLC.

A transport owns a byte stream and a sans-IO link machine from ``openamr.link``;
the loop's monotonic time drives the link's timers. Every failure is a
:class:`TransportError` that names the meter and the step.

=======================  ======================  ==========================================
URL                      transport               stream
=======================  ======================  ==========================================
``tcp://``               WrapperTransport        TCP
``hdlc+tcp://``          HdlcTransport           TCP (a terminal server, a twin's HDLC port)
``serial://``            SerialHdlcTransport     serial line 8N1 at ``baud`` (RS485, RS232)
``optical://``           OpticalHdlcTransport    IEC 62056-21 sign-on at 300 Bd 7E1, option
                                                 select mode E, then 8N1 at the chosen baud
``csd://``               CsdTransport            a GSM modem on TCP or a serial line: AT
                                                 commands, ATD, then a 9600 bit/s CSD call
=======================  ======================  ==========================================

These run on asyncio. :mod:`openamr.client.sockets` has ``tcp://`` over a blocking
socket too, which needs no event loop (the command line's reads).

The four HDLC transports share one driver (:class:`HdlcTransport`); they differ only
in how the byte stream is opened (:meth:`HdlcTransport.open_stream`).

Timing: ``timeout`` is the silence a transport accepts, not the length of an answer:
every chunk of a wrapper APDU, and every HDLC frame that brings new data, restarts
it, so a whole profile on a 9600 Bd line arrives however long it is. The HDLC
station proposes the largest link in SNRM (:func:`client_hdlc`: 2030-byte
information fields, window 7) and the meter answers with what it allows (its IEC
HDLC setup object); the poll timer follows the line's baud rate (``?baud=`` for
``hdlc+tcp://`` when a slow line is behind the terminal server).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from openamr.client.errors import TransportError
from openamr.client.sockets import wrapper_answer
from openamr.client.url import MeterUrl
from openamr.errors import DlmsError
from openamr.link.wrapper import WrapperConnection

# HDLC, the serial lines and the optical port are imported by the transports that use
# them, when they open: a tcp:// read does not load them (issue 9, start-up).
if TYPE_CHECKING:
    from openamr.aio.lines import Framing
    from openamr.client.csd import ModemDriver
    from openamr.link.hdlc.params import HdlcParameters
    from openamr.link.hdlc.primary import PrimaryStation
    from openamr.link.hdlc.station import HdlcEvent
    from openamr.link.iec21 import Timing


def client_hdlc() -> HdlcParameters:
    """What the client proposes in SNRM: the largest link IEC 62056-46 allows; the
    meter negotiates it down to what it can do."""
    from openamr.link.hdlc.params import HdlcParameters

    return HdlcParameters(max_info_tx=2030, max_info_rx=2030, window_tx=7, window_rx=7)


class Transport(Protocol):
    """What the client needs from a link to one meter."""

    name: str

    async def open(self) -> None: ...

    async def exchange(self, apdu: bytes) -> bytes: ...

    async def close(self) -> None: ...


class _Stream:
    """A reader/writer pair with timeouts that become TransportErrors."""

    def __init__(self, name: str, timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, host: str, port: int) -> None:
        try:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), self.timeout
            )
        except (OSError, TimeoutError) as e:
            raise TransportError.cannot_connect(self.name, e) from None

    async def open_serial(self, device: str, baud: int, framing: Framing | None = None) -> None:
        """Open a serial line, 8N1 unless ``framing`` says otherwise."""
        from openamr.aio.lines import FRAMING_8N1, open_serial

        framing = FRAMING_8N1 if framing is None else framing
        try:
            self.attach(*await asyncio.wait_for(open_serial(device, baud, framing), self.timeout))
        except (OSError, ValueError, TimeoutError) as e:
            raise TransportError(
                f"{self.name}: cannot open {device} at {baud} Bd {framing} "
                f"({e or 'timed out'}); check the device name and its permissions"
            ) from None

    def attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Carry on over streams opened elsewhere (the optical line after mode E)."""
        self.reader, self.writer = reader, writer

    def write(self, data: bytes) -> None:
        if data and self.writer is not None:
            self.writer.write(data)

    async def read(self, until: float | None) -> bytes:
        """Bytes from the meter, or b"" once ``until`` (loop time) has passed.

        ``asyncio.timeout_at``, not ``wait_for``: no task per read (3.11's
        ``wait_for`` wraps the read in a task of its own)."""
        try:
            async with asyncio.timeout_at(until):
                return await self.read_some()
        except TimeoutError:
            return b""

    async def read_some(self) -> bytes:
        """Bytes from the meter, whenever they come (the caller keeps the time)."""
        assert self.reader is not None
        try:
            data = await self.reader.read(65536)
        except OSError as e:
            raise TransportError(f"{self.name}: connection lost ({e})") from None
        if not data:
            raise TransportError(f"{self.name}: the meter closed the connection")
        return data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
            self.writer = None


class WrapperTransport:
    """IEC 62056-47 wrapper over TCP: client wPort = client SAP."""

    def __init__(self, url: MeterUrl, client: int, timeout: float = 10.0) -> None:
        self.url, self.client = url, client
        self.name = f"meter {url}"
        self.stream = _Stream(self.name, timeout)
        self.link = WrapperConnection()

    async def open(self) -> None:
        await self.stream.connect(self.url.host, self.url.port)

    async def exchange(self, apdu: bytes) -> bytes:
        self.stream.write(self.link.send(self.client, self.url.server, apdu))
        loop, silence = asyncio.get_running_loop(), self.stream.timeout
        try:
            async with asyncio.timeout(silence) as deadline:  # one timer per exchange
                while True:
                    data = await self.stream.read_some()
                    deadline.reschedule(loop.time() + silence)  # a long APDU is not silence
                    answer = wrapper_answer(self.name, self.client, self.link.receive_data(data))
                    if answer is not None:
                        return answer
        except TimeoutError:
            raise TransportError(f"{self.name}: no answer within {silence:g} s") from None

    async def close(self) -> None:
        await self.stream.close()


class HdlcTransport:
    """HDLC over a TCP byte stream (a terminal server, or a twin's HDLC port).

    The HDLC driver of every line: subclasses open another stream."""

    def __init__(self, url: MeterUrl, client: int, timeout: float = 10.0) -> None:
        self.url, self.client = url, client
        self.name = f"meter {url} (HDLC {url.physical}/{url.server})"
        self.stream = _Stream(self.name, timeout)
        self.station = self._station(url.baud)

    def _station(self, baud: int) -> PrimaryStation:
        """A fresh primary station for a line of ``baud`` (0: unknown, fast)."""
        from openamr.link.hdlc.address import mt372_server
        from openamr.link.hdlc.primary import PrimaryStation
        from openamr.link.hdlc.station import Timeouts

        server = mt372_server(self.url.physical, self.url.server)
        return PrimaryStation(self.client, server, client_hdlc(), Timeouts(baud=baud))

    async def open_stream(self) -> int:
        """Open the byte stream that carries the frames; its baud rate (0: unknown)."""
        await self.stream.connect(self.url.host, self.url.port)
        return self.url.baud

    async def open(self) -> None:
        from openamr.link.hdlc.station import Connected

        self.station = self._station(await self.open_stream())
        loop = asyncio.get_running_loop()
        self.stream.write(self.station.connect(loop.time()))
        await self._until(Connected, "link set-up (SNRM)")

    async def exchange(self, apdu: bytes) -> bytes:
        from openamr.link.hdlc.station import DataReceived

        loop = asyncio.get_running_loop()
        self.stream.write(self.station.send_data(apdu, loop.time()))
        event = await self._until(DataReceived, "waiting for the answer")
        assert isinstance(event, DataReceived)
        return event.data

    async def close(self) -> None:
        from openamr.link.hdlc.station import Disconnected

        try:
            loop = asyncio.get_running_loop()
            self.stream.write(self.station.disconnect(loop.time()))
            await asyncio.wait_for(self._until(Disconnected, "DISC"), 2.0)
        except (DlmsError, TimeoutError):
            pass
        finally:
            await self.close_stream()

    async def close_stream(self) -> None:
        """After the DISC: close the byte stream (a modem hangs up first)."""
        await self.stream.close()

    async def _until(self, wanted: type, step: str) -> HdlcEvent:
        """Drive the station until ``wanted``; give up after ``timeout`` seconds without
        new data (each frame that brings some restarts the wait)."""
        from openamr.link.hdlc.station import Disconnected, MessageTooLong

        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.stream.timeout
        while True:
            timer = self.station.get_timer()
            until = give_up if timer is None else min(timer, give_up)
            data = await self.stream.read(until)
            now = loop.time()
            progress = self.station.received_octets
            events = (
                self.station.receive_data(data, now) if data else self.station.handle_timer(now)
            )
            if self.station.received_octets != progress:
                give_up = now + self.stream.timeout
            self.stream.write(self.station.data_to_send())
            for event in events:
                if isinstance(event, wanted):
                    return event
                if isinstance(event, Disconnected):
                    raise TransportError(f"{self.name}: link down during {step} ({event.reason})")
                if isinstance(event, MessageTooLong):
                    raise TransportError(
                        f"{self.name}: an answer of {event.length} bytes, above the largest APDU"
                    )
            if now >= give_up:
                raise TransportError(
                    f"{self.name}: no answer within {self.stream.timeout:g} s ({step})"
                )


class SerialHdlcTransport(HdlcTransport):
    """HDLC on a serial line, 8N1 at ``url.baud`` (an RS485 bus: ``url.physical`` picks
    the meter)."""

    def __init__(self, url: MeterUrl, client: int, timeout: float = 10.0) -> None:
        super().__init__(url, client, timeout)
        self.name = f"meter {url} (HDLC {url.physical}/{url.server} at {url.baud} Bd)"
        self.stream.name = self.name

    async def open_stream(self) -> int:
        await self.stream.open_serial(self.url.device, self.url.baud)
        return self.url.baud


class OpticalHdlcTransport(SerialHdlcTransport):
    """The optical port in protocol mode E (IEC 62056-21 annex E), then HDLC::

        HHU  /?!CR LF            -->  300 Bd 7E1
             <-- /ISK5\\2MT372-1004 CR LF   ('5': up to 9600 Bd, '\\2': mode E offered)
             ACK 2 5 2 CR LF     -->  (V=2 HDLC, Z=5 9600 Bd, Y=2 binary mode)
             both ends switch to Z's baud rate and 8N1
             SNRM ...            -->  HDLC as on serial://

    The baud rate is the lower of ``url.baud`` and the meter's ``Z``. The line switches
    ``timing.baud_switch`` after the option select has left the UART (the meter's
    reaction time), and the SNRM waits as long again for the meter to switch too.
    After the DISC the meter is back in IEC 62056-21 at 300 Bd 7E1."""

    def __init__(
        self, url: MeterUrl, client: int, timeout: float = 10.0, timing: Timing | None = None
    ) -> None:
        from openamr.link.iec21 import DEFAULT_TIMING

        super().__init__(url, client, timeout)
        self.name = f"meter {url} (optical, mode E, HDLC {url.physical}/{url.server})"
        self.stream.name = self.name
        self.timing = DEFAULT_TIMING if timing is None else timing

    async def open_stream(self) -> int:
        from openamr.aio.hhu import OpticalPortError, OpticalSession
        from openamr.aio.lines import FRAMING_7E1, FRAMING_8N1, switch_line
        from openamr.link.iec21 import BAUD_MODE_C, ModeControl
        from openamr.link.iec21.messages import INITIAL_BAUD

        if self.url.baud not in BAUD_MODE_C.values():
            rates = ", ".join(str(b) for b in sorted(BAUD_MODE_C.values()))
            raise TransportError(f"{self.name}: baud={self.url.baud}; the optical port has {rates}")
        await self.stream.open_serial(self.url.device, INITIAL_BAUD, FRAMING_7E1)
        assert self.stream.reader is not None and self.stream.writer is not None
        session = OpticalSession(self.stream.reader, self.stream.writer, timing=self.timing)
        try:
            identification = await session.sign_on()
        except OpticalPortError as e:
            raise TransportError(
                f"{self.name}: no sign-on ({e}); is the probe on the meter?"
            ) from None
        if not identification.mode_e:
            raise TransportError(f"{self.name}: {identification.encode()!r} offers no mode E")
        await session.select(ModeControl.BINARY, self.url.baud)
        delay = self.timing.baud_switch
        try:
            await switch_line(self.stream.writer, session.client.baud, FRAMING_8N1, delay)
        except OSError as e:
            raise TransportError(f"{self.name}: cannot switch to mode E ({e})") from None
        await asyncio.sleep(delay)
        return session.client.baud

    async def close(self) -> None:
        """DISC, close the port, and give the meter the time to get back to 300 Bd 7E1
        (its baud switch after the release), so that a next sign-on is heard."""
        try:
            await super().close()
        finally:
            await asyncio.sleep(2 * self.timing.baud_switch)


class _CallStream(_Stream):
    """The stream of a data call: the modem's ``NO CARRIER`` ends it (there is no DCD
    line on TCP or a pty to tell it otherwise)."""

    DROPPED = b"\r\nNO CARRIER\r\n"

    def __init__(self, name: str, timeout: float) -> None:
        super().__init__(name, timeout)
        self.carrier = False
        self.tail = b""

    async def read(self, until: float | None) -> bytes:
        data = await super().read(until)
        if self.carrier and self.DROPPED in self.tail + data:
            self.carrier = False
            raise TransportError(
                f"{self.name}: the call dropped (NO CARRIER): the meter hung up (its inactivity "
                "timeout) or lost the network; call again"
            )
        self.tail = (self.tail + data)[-len(self.DROPPED) :]
        return data


class CsdTransport(HdlcTransport):
    """HDLC over a CSD data call: ``csd://MODEM_HOST:PORT/MSISDN`` (a modem on TCP) or
    ``csd:///dev/ttyUSB1/MSISDN`` (on a serial line at ``baud``). The modem is set up
    and dials (:class:`~openamr.client.csd.ModemDriver`); after the DISC it escapes
    (+++) and hangs up (ATH). The HDLC timers count the call's 9600 bit/s."""

    def __init__(self, url: MeterUrl, client: int, timeout: float = 10.0) -> None:
        super().__init__(url, client, timeout)
        self.name = f"meter {url} (CSD, HDLC {url.physical}/{url.server})"
        self.call = _CallStream(self.name, timeout)
        self.stream = self.call
        self.modem: ModemDriver | None = None  # set when the call is placed

    async def open_stream(self) -> int:
        if self.url.device:
            await self.stream.open_serial(self.url.device, self.url.baud)
        else:
            await self.stream.connect(self.url.host, self.url.port)
        from openamr.client.csd import ModemDriver, ModemError

        assert self.stream.reader is not None and self.stream.writer is not None
        self.modem = ModemDriver(self.stream.reader, self.stream.writer)
        try:
            await self.modem.init()
            rest = await self.modem.dial(self.url.number)
        except ModemError as e:
            await self.stream.close()
            raise TransportError(f"{self.name}: {e}") from None
        if rest:  # bytes after CONNECT (the meter never speaks first: no reordering)
            self.stream.reader.feed_data(rest)
        self.call.carrier = True
        return 9600

    async def close_stream(self) -> None:
        try:
            if self.modem is not None and self.call.carrier:
                self.call.carrier = False
                await self.modem.hang_up()
        except OSError:
            pass
        finally:
            await self.stream.close()


#: Opens the transport to ``url`` as ``client`` with ``timeout`` seconds of silence.
TransportFactory = Callable[[MeterUrl, int, float], Transport]

#: The transport of each URL scheme.
TRANSPORTS: dict[str, TransportFactory] = {
    "tcp": WrapperTransport,
    "hdlc+tcp": HdlcTransport,
    "serial": SerialHdlcTransport,
    "optical": OpticalHdlcTransport,
    "csd": CsdTransport,
}


def open_transport(url: MeterUrl, client: int, timeout: float = 10.0) -> Transport:
    """The transport for a parsed URL."""
    make = TRANSPORTS.get(url.scheme)
    if make is None:
        raise TransportError(
            f"{url}: no transport for {url.scheme}://; use one of {list(TRANSPORTS)}"
        )
    return make(url, client, timeout)
