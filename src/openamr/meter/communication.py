"""The MT372's communication objects (../shared/MT372.md section 2 and 5): ports,
modem, call-backs, firmware download and security setup."""

from __future__ import annotations

from collections.abc import Iterator

from openamr.codec.obis import Obis
from openamr.codec.types import Data as DlmsData
from openamr.codec.types import DoubleLongUnsigned, Enum, Unsigned
from openamr.cosem.base import CosemObject
from openamr.cosem.classes.auto_answer import AutoAnswer
from openamr.cosem.classes.auto_connect import AutoConnect
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.gprs_modem_setup import GprsModemSetup
from openamr.cosem.classes.gsm_diagnostic import GsmDiagnostic
from openamr.cosem.classes.iec_hdlc_setup import IecHdlcSetup
from openamr.cosem.classes.iec_local_port_setup import IecLocalPortSetup
from openamr.cosem.classes.image_transfer import ImageTransfer
from openamr.cosem.classes.ipv4_setup import Ipv4Setup
from openamr.cosem.classes.push_setup import PushSetup
from openamr.cosem.classes.sap_assignment import SapAssignment
from openamr.cosem.classes.security_setup import SecurityPolicy, SecuritySetup
from openamr.cosem.classes.tcp_udp_setup import TcpUdpSetup
from openamr.meter.associations import SECURITY_SETUP
from openamr.meter.keys import MeterKeyStore
from openamr.security.counters import OutgoingCounter
from openamr.security.keywrap import unwrap

INVOCATION_COUNTER = Obis(0, 0, 43, 1, 0, 255)
#: What the management association enforces: authenticated and encrypted both ways.
MANAGEMENT_POLICY = (
    SecurityPolicy.AUTHENTICATED_REQUEST
    | SecurityPolicy.ENCRYPTED_REQUEST
    | SecurityPolicy.AUTHENTICATED_RESPONSE
    | SecurityPolicy.ENCRYPTED_RESPONSE
)


class InvocationCounter(Data):
    """0.0.43.1.0.255: the server's next invocation counter, read by a head-end before
    it opens a ciphered association (a live view of the counter, not a copy)."""

    def __init__(self, logical_name: Obis, counter: OutgoingCounter) -> None:
        super().__init__(logical_name)
        self.counter = counter

    def get_value(self) -> DlmsData:
        return DoubleLongUnsigned(self.counter.value)


def communication_objects(
    serial: str, system_title: bytes, keys: MeterKeyStore, counter: OutgoingCounter
) -> Iterator[CosemObject]:
    yield SapAssignment("0.0.41.0.0.255", {1: f"ISK{serial:0>13}".encode()})
    yield IecLocalPortSetup("0.0.20.0.0.255")
    # Decision: the largest link class 23 allows (2030-byte information fields,
    # window 7; the Blue Book's defaults are 128 and 1): a client that proposes less
    # gets what it proposed, one that proposes this reads a profile at ~98 % of a
    # 9600 Bd line (bench/line.py). The inter-octet time-out stays 25 ms.
    yield IecHdlcSetup("0.0.22.0.0.255", window_size=7, max_info_field_length=2030)
    yield TcpUdpSetup("0.0.25.0.0.255")
    yield Ipv4Setup("0.0.25.1.0.255")
    yield GprsModemSetup("0.0.25.4.0.255")
    yield GsmDiagnostic("0.0.25.6.0.255")
    yield AutoConnect("0.0.2.1.0.255")
    yield AutoAnswer("0.0.2.2.0.255")
    yield PushSetup("0.0.25.9.0.255")
    yield ImageTransfer("0.0.44.0.0.255")
    yield SecuritySetup(
        SECURITY_SETUP,
        keys,
        unwrap,
        MANAGEMENT_POLICY,
        server_system_title=system_title,
    )
    yield InvocationCounter(INVOCATION_COUNTER, counter)
    yield Data("0.0.128.20.10.255", Enum(2))  # GSM mode: GPRS
    yield Data("0.0.128.20.20.255", Unsigned(0))  # CSD flags of the auto-connect list
