"""Modem configuration, class_id 27, version 1 (Blue Book 4.8.1, "PSTN modem
configuration"): the speed between the meter and its modem, the modem's
initialisation and the words of its result codes (0.0.2.0.0.255)::

    comm_speed             enum: 0 300, 1 600, 2 1200, 3 2400, 4 4800, 5 9600,
                           6 19200, 7 38400, 8 57600, 9 115200 baud
    initialization_string  array initialization_string_element
        initialization_string_element ::= structure { request octet-string,
                           response octet-string, delay_after_response long-unsigned }
    modem_profile          array octet-string: the result codes, in the order of
                           the Blue Book's table (OK, CONNECT, RING, NO CARRIER, ...)

No methods. Decision (the MT372's own values are not public): 9600 baud, the GSM
module's initialisation ATZ / ATE0 / AT+CBST=7,0,1 (9600 bit/s V.32, transparent:
3GPP TS 27.007 §6.7) and the Blue Book's default profile. The meter's CSD data rate is
the lower of this speed and the bearer's (:mod:`openamr.gsm.modem`).
"""

from __future__ import annotations

from collections.abc import Iterable

from openamr.codec.obis import Obis
from openamr.codec.types import Array, Data, Enum, LongUnsigned, OctetString, Structure, Tag
from openamr.cosem.base import Attribute, CosemObject
from openamr.cosem.classes.shape import ArrayOf, among, as_int, shaped

#: comm_speed enum -> bit/s
SPEEDS = (300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
BAUD_9600 = SPEEDS.index(9600)
INIT_ELEMENT = (Tag.OCTET_STRING, Tag.OCTET_STRING, Tag.LONG_UNSIGNED)
#: the result codes of a modem in the order the Blue Book numbers them (4.8.1)
DEFAULT_PROFILE = (
    "OK", "CONNECT", "RING", "NO CARRIER", "ERROR", "CONNECT 1200", "NO DIAL TONE", "BUSY",
    "NO ANSWER", "CONNECT 600", "CONNECT 2400", "CONNECT 4800", "CONNECT 9600",
    "CONNECT 14 400", "CONNECT 28 800", "CONNECT 33 600", "CONNECT 56 000",
)  # fmt: skip
GSM_INIT = (("ATZ", "OK", 0), ("ATE0", "OK", 0), ("AT+CBST=7,0,1", "OK", 0))


class ModemConfiguration(CosemObject, class_id=27, version=1):
    """The meter's modem: line speed, initialisation, result codes."""

    ATTRIBUTES = (
        Attribute(2, "comm_speed", Tag.ENUM, True, check=among(range(len(SPEEDS)))),
        Attribute(3, "initialization_string", Tag.ARRAY, True, check=shaped(ArrayOf(INIT_ELEMENT))),
        Attribute(4, "modem_profile", Tag.ARRAY, True, check=shaped(ArrayOf(Tag.OCTET_STRING))),
    )

    def __init__(
        self,
        logical_name: Obis | str = "0.0.2.0.0.255",
        comm_speed: int = BAUD_9600,
        initialization: Iterable[tuple[str, str, int]] = GSM_INIT,
        profile: Iterable[str] = DEFAULT_PROFILE,
    ) -> None:
        super().__init__(logical_name)
        self.comm_speed: Data = Enum(comm_speed)
        self.initialization_string: Data = Array(
            Structure((OctetString(q.encode()), OctetString(a.encode()), LongUnsigned(d)))
            for q, a, d in initialization
        )
        self.modem_profile: Data = Array(OctetString(p.encode()) for p in profile)

    @property
    def bit_rate(self) -> int:
        """The line speed in bit/s."""
        return SPEEDS[as_int(self.comm_speed)]
