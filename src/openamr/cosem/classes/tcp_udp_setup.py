"""TCP-UDP setup, class_id 41, version 0 (Blue Book 4.9.1): the wrapper port
(IEC 62056-47) of the TCP or UDP layer (0.0.25.0.0.255)::

    TCP-UDP_port     long-unsigned: the port listened on (4059, the registered DLMS port)
    IP_reference     octet-string: logical name of the IPv4 setup below (0.0.25.1.0.255)
    MSS              long-unsigned 40..65535: maximum segment size, default 576
    nb_of_sim_conn   unsigned: simultaneous connections, default 1
    inactivity_time_out  long-unsigned s: close an idle connection, 0 = never, default 180

Decision (MT372.md section 5): port 4059, not the 2048 of the real Mx372.
"""

from __future__ import annotations

from openamr.codec.obis import Obis
from openamr.codec.types import Data, LongUnsigned, OctetString, Tag, Unsigned
from openamr.cosem.base import Attribute, CosemObject
from openamr.cosem.classes.shape import check_logical_name, within

DLMS_PORT = 4059
IPV4_SETUP = Obis(0, 0, 25, 1, 0, 255)


class TcpUdpSetup(CosemObject, class_id=41, version=0):
    """The TCP/UDP layer below the wrapper; the aio listener reads the port here."""

    ATTRIBUTES = (
        Attribute(2, "tcp_udp_port", Tag.LONG_UNSIGNED, static=True),
        Attribute(3, "ip_reference", Tag.OCTET_STRING, static=True, check=check_logical_name),
        Attribute(4, "mss", Tag.LONG_UNSIGNED, static=True, check=within(40, 65535)),
        Attribute(5, "nb_of_sim_conn", Tag.UNSIGNED, static=True, check=within(1, 255)),
        Attribute(6, "inactivity_time_out", Tag.LONG_UNSIGNED, static=True),
    )

    def __init__(
        self,
        logical_name: Obis | str = "0.0.25.0.0.255",
        port: int = DLMS_PORT,
        ip_reference: Obis = IPV4_SETUP,
        mss: int = 576,
        nb_of_sim_conn: int = 1,
        inactivity_time_out: int = 180,
    ) -> None:
        super().__init__(logical_name)
        self.tcp_udp_port: Data = LongUnsigned(port)
        self.ip_reference: Data = OctetString(ip_reference.to_bytes())
        self.mss: Data = LongUnsigned(mss)
        self.nb_of_sim_conn: Data = Unsigned(nb_of_sim_conn)
        self.inactivity_time_out: Data = LongUnsigned(inactivity_time_out)
