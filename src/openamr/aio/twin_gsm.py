"""One twin's own GSM network on asyncio (``openamr meter serve``; issue 16,
docs/gsm-meter.md "One twin on its own network"): the twin's modem
(``meter.peripherals.modem.gsm``) registered on a network of its own, so that the
twin's own objects decide what happens, as a fleet's twins' do::

    a wake-up: GSM mode 0.0.128.20.10.255 written 0, Auto connect connect(),
               or an SMS from a whitelisted number through --modem
      --> Auto connect (class 29: mode, destination_list, repetitions,
          repetition_delay; Blue Book 4.7.5) plans the connection (openamr.gsm.gprs)
      --> Dialler: once attached, TCP to the destination, served as a wrapper
          session of the twin (IEC 62056-47), repeated inside the GPRS session
    head-end --AT--> ModemPool (--modem) ~~CSD call~~> the twin's HDLC stations,
          answered by its own Auto answer object (class 28)
    head-end --LOOKUP--> (--lookup) --> the twin's wrapper address while attached

The network's clock is the twin's (its time base at its speed), the one ``now`` of
the modem, the dial plans and the paced calls.
"""

from __future__ import annotations

import asyncio
import logging

from openamr.aio.dial_out import Dialler
from openamr.aio.dlms_server import WrapperSession
from openamr.aio.modem import ModemPool, NetworkClock
from openamr.apdu.results import DataAccessResult
from openamr.codec.types import Array, Enum, OctetString
from openamr.cosem.classes.auto_connect import AutoConnect, AutoConnectMode
from openamr.devices.mt372 import objects as mt372
from openamr.gsm.gprs import Endpoint, ip_destination
from openamr.gsm.modem import MeterModem
from openamr.gsm.network import GsmNetwork
from openamr.gsm.pool import NetworkFile
from openamr.meter.assembly import TwinMeter

log = logging.getLogger(__name__)


class TwinGsm:
    """The network of one twin; ``endpoint``: the twin's wrapper address (what the
    lookup answers while the meter is attached; None: the modem's default)."""

    def __init__(
        self, meter: TwinMeter, speed: float = 1.0, endpoint: Endpoint | None = None
    ) -> None:
        self.meter = meter
        self.modem = meter.peripherals.modem.gsm
        if endpoint is not None:
            self.modem.endpoint = endpoint
        self.network = GsmNetwork()
        self.network.register(self.modem)
        self.clock = NetworkClock(speed, meter.peripherals.modem.true_now)
        self.loop = asyncio.get_running_loop()
        self.dialler = Dialler(self.clock.now, self.clock.loop_time, self._connect)
        self.network.on_dial = self.dialler.schedule
        self.pool: ModemPool | None = None
        #: where the head-end's modem and the lookup listen (None: not served)
        self.listening: tuple[Endpoint | None, Endpoint | None] = (None, None)
        self.sessions: set[asyncio.Transport] = set()  # the twin's own connections

    async def _connect(self, modem: MeterModem, destination: Endpoint) -> bool:
        transport, _ = await self.loop.create_connection(
            lambda: WrapperSession(self.meter.app), *destination
        )
        log.info("meter %s connected to %s:%d", self.meter.serial, *destination)
        self.sessions = {t for t in self.sessions if not t.is_closing()} | {transport}
        return True

    async def serve_modem(
        self, modem_at: Endpoint | None, lookup_at: Endpoint | None, msisdn: str
    ) -> tuple[Endpoint | None, Endpoint | None]:
        """The head-end's modem (calling as ``msisdn``) and the address lookup on this
        network; where each listens (None: not asked for)."""
        self.pool = ModemPool(NetworkFile(msisdn), network=self.network, clock=self.clock,
                              end_of=lambda modem: self.meter.app)  # fmt: skip
        await self.pool.start()
        at_modem = None if modem_at is None else await self.pool.serve_tcp(*modem_at)
        at_lookup = None if lookup_at is None else await self.pool.serve_lookup(*lookup_at)
        self.listening = (at_modem, at_lookup)
        return self.listening

    async def close(self) -> None:
        await self.dialler.close()
        if self.pool is not None:
            await self.pool.close()
        for transport in self.sessions:
            transport.close()


def set_call_back(meter: TwinMeter, destination: str) -> None:
    """The factory settings of a meter that calls the head-end back once woken: Auto
    connect mode 104 (connected on connect) and ``destination`` (``HOST:PORT``) as the
    only entry of its destination list, kept as a SET would be (in the twin's state,
    if it has one). ValueError: not a ``HOST:PORT``."""
    if ip_destination(destination) is None:
        raise ValueError(f"{destination!r}: write HOST:PORT, e.g. 127.0.0.1:4100")
    connect = meter.app.device.find(mt372.AUTO_CONNECT.obis)
    assert connect is not None
    for index, value in (
        (2, Enum(AutoConnectMode.CONNECTED_ON_CONNECT)),
        (6, Array([OctetString(destination.encode())])),
    ):
        result = connect.set(index, value)
        assert result is DataAccessResult.SUCCESS, result
        if meter.persistence is not None:
            meter.persistence.written(connect.logical_name, AutoConnect.CLASS_ID, index, value)
