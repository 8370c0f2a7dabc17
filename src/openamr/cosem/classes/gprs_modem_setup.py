"""GPRS modem setup, class_id 45, version 0 (Blue Book 4.8.5): how the modem
attaches to the packet network (0.0.25.4.0.255)::

    APN                 octet-string: the access point name
    PIN_code            long-unsigned: the SIM's PIN
    quality_of_service  structure { default qos_element, requested qos_element }
    qos_element ::= structure { precedence unsigned, delay unsigned,
        reliability unsigned, peak_throughput unsigned, mean_throughput unsigned }

QoS values follow 3GPP TS 23.107 (R97/98 profile); 0 everywhere means "subscribed".
Decision: the PIN is write-only (a GET is refused whatever the rights).
"""

from __future__ import annotations

from openamr.codec.obis import Obis
from openamr.codec.types import Data, LongUnsigned, OctetString, Structure, Tag, Unsigned
from openamr.cosem.base import Attribute, CosemObject
from openamr.cosem.classes.shape import hidden, shaped

QOS_ELEMENT = (Tag.UNSIGNED,) * 5
QUALITY_OF_SERVICE = (QOS_ELEMENT, QOS_ELEMENT)
SUBSCRIBED = (0, 0, 0, 0, 0)


def qos_element(values: tuple[int, int, int, int, int]) -> Structure:
    return Structure(Unsigned(v) for v in values)


class GprsModemSetup(CosemObject, class_id=45, version=0):
    """The GPRS attachment parameters; the modem model reads them."""

    ATTRIBUTES = (
        Attribute(2, "apn", Tag.OCTET_STRING, static=True),
        Attribute(3, "pin_code", Tag.LONG_UNSIGNED, static=True),
        Attribute(
            4, "quality_of_service", Tag.STRUCTURE, static=True, check=shaped(QUALITY_OF_SERVICE)
        ),
    )

    get_pin_code = staticmethod(hidden)

    def __init__(
        self,
        logical_name: Obis | str = "0.0.25.4.0.255",
        apn: bytes = b"internet",
        pin_code: int = 0,
        default_qos: tuple[int, int, int, int, int] = SUBSCRIBED,
        requested_qos: tuple[int, int, int, int, int] = SUBSCRIBED,
    ) -> None:
        super().__init__(logical_name)
        self.apn: Data = OctetString(apn)
        self.pin_code: Data = LongUnsigned(pin_code)
        self.quality_of_service: Data = Structure(
            (qos_element(default_qos), qos_element(requested_qos))
        )
