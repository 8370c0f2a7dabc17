"""Auto connect, class_id 29, version 2 (Blue Book 4.8.3): when and where the
device connects by itself (0.0.2.1.0.255)::

    mode              enum: 0 no auto dialling, 1 auto dialling allowed anytime,
                      2 within the calling window, 3 "regular" within the window,
                      4 SMS via PLMN, 5 SMS via PSTN, 6 e-mail,
                      101 permanently connected, 102 connected within the window,
                      103 connected within the window, else connect() connects,
                      104 disconnected until connect() is invoked,
                      200..255 manufacturer specific
    repetitions       unsigned: retries after a failed attempt
    repetition_delay  long-unsigned s: between retries
    calling_window    array window_element (as Auto answer)
    destination_list  array octet-string: phone numbers or host:port

    connect (data) ::= integer(0)

Decision (MT372.md section 5, remote wake-up): mode 104, the CSD wake-up call
makes the modem invoke connect() and attach to GPRS. ``connect`` hands over to an
injected :data:`Connector` (the modem model); without one it answers OTHER_REASON.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable

from openamr.apdu.results import ActionResult
from openamr.codec.obis import Obis
from openamr.codec.types import Array, Data, Enum, LongUnsigned, OctetString, Tag, Unsigned
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult
from openamr.cosem.classes.auto_answer import MANUFACTURER_MODES, WINDOW
from openamr.cosem.classes.shape import ArrayOf, among, as_bytes, items, shaped


class AutoConnectMode(enum.IntEnum):
    NO_AUTO_DIALLING = 0
    AUTO_DIALLING_ANYTIME = 1
    AUTO_DIALLING_IN_WINDOW = 2
    REGULAR_AUTO_DIALLING_IN_WINDOW = 3
    SMS_PLMN = 4
    SMS_PSTN = 5
    EMAIL = 6
    PERMANENTLY_CONNECTED = 101
    CONNECTED_IN_WINDOW = 102
    CONNECTED_IN_WINDOW_ELSE_ON_CONNECT = 103
    CONNECTED_ON_CONNECT = 104


#: (the destination list) -> True once the connection is under way.
Connector = Callable[[list[bytes]], bool]


class AutoConnect(CosemObject, class_id=29, version=2):
    """Outgoing connections of the modem."""

    ATTRIBUTES = (
        Attribute(2, "mode", Tag.ENUM, True, check=among([*AutoConnectMode, *MANUFACTURER_MODES])),
        Attribute(3, "repetitions", Tag.UNSIGNED, static=True),
        Attribute(4, "repetition_delay", Tag.LONG_UNSIGNED, static=True),
        Attribute(5, "calling_window", Tag.ARRAY, True, check=shaped(ArrayOf(WINDOW))),
        Attribute(6, "destination_list", Tag.ARRAY, True, check=shaped(ArrayOf(Tag.OCTET_STRING))),
    )
    METHODS = (Method(1, "connect", Tag.INTEGER),)

    def __init__(
        self,
        logical_name: Obis | str = "0.0.2.1.0.255",
        mode: AutoConnectMode = AutoConnectMode.CONNECTED_ON_CONNECT,
        repetitions: int = 3,
        repetition_delay: int = 60,
        destinations: Iterable[bytes] = (),
        connector: Connector | None = None,
    ) -> None:
        super().__init__(logical_name)
        self.mode: Data = Enum(mode)
        self.repetitions: Data = Unsigned(repetitions)
        self.repetition_delay: Data = LongUnsigned(repetition_delay)
        self.calling_window: Data = Array()
        self.destination_list: Data = Array(OctetString(d) for d in destinations)
        self.connector = connector

    def destinations(self) -> list[bytes]:
        return [as_bytes(d) for d in items(self.destination_list)]

    def connect(self, parameters: Data) -> MethodResult:
        if self.mode == AutoConnectMode.NO_AUTO_DIALLING or self.connector is None:
            return ActionResult.OTHER_REASON, None
        if not self.connector(self.destinations()):
            return ActionResult.TEMPORARY_FAILURE, None
        return SUCCESS
