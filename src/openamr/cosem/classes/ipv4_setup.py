"""IPv4 setup, class_id 42, version 0 (Blue Book 4.9.2): the IP layer
(0.0.25.1.0.255). Addresses are double-long-unsigned, most significant octet first
(192.168.0.1 = 0xC0A80001)::

    DL_reference           octet-string: logical name of the data link setup below
    IP_address             double-long-unsigned
    multicast_IP_address   array double-long-unsigned
    IP_options             array structure { IP_Option_Type unsigned,
                               IP_Option_Length unsigned, IP_Option_Data octet-string }
    subnet_mask, gateway_IP_address   double-long-unsigned
    use_DHCP_flag          boolean
    primary_DNS_address, secondary_DNS_address   double-long-unsigned

    add_mc_IP_address (data) ::= double-long-unsigned
    delete_mc_IP_address (data) ::= double-long-unsigned
    get_nbof_mc_IP_addresses (data) ::= integer(0)   -> long-unsigned

Decision: over GPRS the network assigns the address (the modem model writes
``ip_address``); the data link reference is the GPRS modem setup 0.0.25.4.0.255.
At most :data:`MAX_MULTICAST` multicast addresses; adding one already there succeeds.
"""

from __future__ import annotations

import ipaddress

from openamr.apdu.results import ActionResult
from openamr.codec.obis import Obis
from openamr.codec.types import Array, Data, DoubleLongUnsigned, LongUnsigned, OctetString, Tag
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult
from openamr.cosem.classes.shape import ArrayOf, as_int, check_logical_name, items, shaped

GPRS_MODEM_SETUP = Obis(0, 0, 25, 4, 0, 255)
MAX_MULTICAST = 8
IP_OPTION = (Tag.UNSIGNED, Tag.UNSIGNED, Tag.OCTET_STRING)


def ipv4(address: str) -> DoubleLongUnsigned:
    """``ipv4("192.168.0.1") == 0xC0A80001``."""
    return DoubleLongUnsigned(int(ipaddress.IPv4Address(address)))


def dotted(value: int) -> str:
    """The dotted form of an address attribute."""
    return str(ipaddress.IPv4Address(value))


class Ipv4Setup(CosemObject, class_id=42, version=0):
    """The IP layer of the GPRS (or Ethernet) interface."""

    ATTRIBUTES = (
        Attribute(2, "dl_reference", Tag.OCTET_STRING, static=True, check=check_logical_name),
        Attribute(3, "ip_address", Tag.DOUBLE_LONG_UNSIGNED),
        Attribute(
            4, "multicast_ip_address", Tag.ARRAY, check=shaped(ArrayOf(Tag.DOUBLE_LONG_UNSIGNED))
        ),
        Attribute(5, "ip_options", Tag.ARRAY, check=shaped(ArrayOf(IP_OPTION))),
        Attribute(6, "subnet_mask", Tag.DOUBLE_LONG_UNSIGNED),
        Attribute(7, "gateway_ip_address", Tag.DOUBLE_LONG_UNSIGNED),
        Attribute(8, "use_dhcp_flag", Tag.BOOLEAN),
        Attribute(9, "primary_dns_address", Tag.DOUBLE_LONG_UNSIGNED),
        Attribute(10, "secondary_dns_address", Tag.DOUBLE_LONG_UNSIGNED),
    )
    METHODS = (
        Method(1, "add_mc_ip_address", Tag.DOUBLE_LONG_UNSIGNED),
        Method(2, "delete_mc_ip_address", Tag.DOUBLE_LONG_UNSIGNED),
        Method(3, "get_nbof_mc_ip_addresses", Tag.INTEGER),
    )

    def __init__(
        self,
        logical_name: Obis | str = "0.0.25.1.0.255",
        dl_reference: Obis = GPRS_MODEM_SETUP,
        ip_address: str = "0.0.0.0",
        subnet_mask: str = "0.0.0.0",
        gateway: str = "0.0.0.0",
        use_dhcp: bool = False,
        dns: tuple[str, str] = ("0.0.0.0", "0.0.0.0"),
    ) -> None:
        super().__init__(logical_name)
        self.dl_reference: Data = OctetString(dl_reference.to_bytes())
        self.ip_address: Data = ipv4(ip_address)
        self.multicast_ip_address: Data = Array()
        self.ip_options: Data = Array()
        self.subnet_mask: Data = ipv4(subnet_mask)
        self.gateway_ip_address: Data = ipv4(gateway)
        self.use_dhcp_flag: Data = use_dhcp
        self.primary_dns_address: Data = ipv4(dns[0])
        self.secondary_dns_address: Data = ipv4(dns[1])

    def multicast(self) -> list[int]:
        return [as_int(a) for a in items(self.multicast_ip_address)]

    def add_mc_ip_address(self, parameters: Data) -> MethodResult:
        current = self.multicast()
        if parameters in current:
            return SUCCESS
        if len(current) >= MAX_MULTICAST:
            return ActionResult.OTHER_REASON, None
        self.multicast_ip_address = Array([*map(DoubleLongUnsigned, current), parameters])
        return SUCCESS

    def delete_mc_ip_address(self, parameters: Data) -> MethodResult:
        current = self.multicast()
        if parameters not in current:
            return ActionResult.OTHER_REASON, None
        kept = (DoubleLongUnsigned(a) for a in current if a != parameters)
        self.multicast_ip_address = Array(kept)
        return SUCCESS

    def get_nbof_mc_ip_addresses(self, parameters: Data) -> MethodResult:
        return ActionResult.SUCCESS, LongUnsigned(len(self.multicast()))
