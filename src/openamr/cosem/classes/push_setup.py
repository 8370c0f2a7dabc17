"""Push setup, class_id 40, version 2 (Blue Book 4.4.8): what the meter pushes, to
whom and when (0.0.25.9.0.255: the alarm call-back of the MT372 datasheet, in its
modern form)::

    push_object_list             array push_object_definition
        push_object_definition ::= structure { class_id long-unsigned,
            logical_name octet-string, attribute_index integer, data_index long-unsigned,
            restriction restriction_element, columns array capture_object_definition }
        restriction_element ::= structure { restriction_type enum (0 none, 1 by date,
            2 by entry), restriction_value (null-data | structure {from, to}) }
        capture_object_definition: the first four fields above
        (version 2 adds restriction and columns, to push part of a profile; the
        4-field form of versions 0/1 is accepted on SET)
    send_destination_and_method  structure { transport_service enum,
                                             destination octet-string, message enum }
        transport_service: 0 TCP, 1 UDP, 2 FTP, 3 SMTP, 4 SMS, 5 HDLC, 6 M-Bus, 7 ZigBee
        message: 0 A-XDR encoded xDLMS APDU, 1 XML encoded xDLMS APDU
    communication_window         array window_element (as Auto answer; empty: any time)
    randomisation_start_interval long-unsigned s
    number_of_retries            unsigned
    repetition_delay             structure { repetition_delay_min long-unsigned,
                                   repetition_delay_exponent long-unsigned,
                                   repetition_delay_max long-unsigned }
    port_reference               octet-string: logical name of the port setup used
    push_client_SAP              integer
    push_protection_parameters   array protection_parameters_element (none by default)
    push_operation_method        enum: 0 unconfirmed, retry on supporting layer failure,
                                   1 unconfirmed, retry on missing supporting layer
                                   confirmation, 2 confirmed, retry on missing confirmation
    confirmation_parameters      structure { confirmation_start_date date-time,
                                             confirmation_interval double-long-unsigned }
    last_confirmation_date_time  date-time

    push (data) ::= integer(0)
    reset (data) ::= integer(0)

``push`` hands a :class:`PushRequest` (the attributes, decoded) to an injected
:data:`PushSender`, which reads the objects and sends the DataNotification; it
answers OTHER_REASON when there is no sender or no destination, TEMPORARY_FAILURE
when the sender cannot take the push now. ``reset`` (our reading of version 2):
forget the last confirmation, so the next push starts a new confirmation cycle.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from openamr.apdu.results import ActionResult
from openamr.codec.datetime import CosemDate, CosemDateTime, CosemTime
from openamr.codec.obis import Obis
from openamr.codec.types import (
    Array,
    Data,
    DoubleLongUnsigned,
    Enum,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
    Tag,
    Unsigned,
)
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult
from openamr.cosem.classes.auto_answer import WINDOW
from openamr.cosem.classes.shape import (
    DATE_TIME_VALUE,
    ArrayOf,
    OneOf,
    among,
    as_bytes,
    as_int,
    check_logical_name,
    denied,
    items,
    shaped,
)

NOT_SPECIFIED = CosemDateTime(CosemDate(), CosemTime())
CAPTURE_OBJECT = (Tag.LONG_UNSIGNED, Tag.OCTET_STRING, Tag.INTEGER, Tag.LONG_UNSIGNED)
RESTRICTION = (Tag.ENUM, OneOf((Tag.NULL_DATA, Tag.STRUCTURE)))
OBJECT_DEFINITION = OneOf((CAPTURE_OBJECT, (*CAPTURE_OBJECT, RESTRICTION, ArrayOf(CAPTURE_OBJECT))))
DESTINATION = (Tag.ENUM, Tag.OCTET_STRING, Tag.ENUM)
REPETITION_DELAY = (Tag.LONG_UNSIGNED,) * 3
CONFIRMATION = (DATE_TIME_VALUE, Tag.DOUBLE_LONG_UNSIGNED)
LOGICAL_DEVICE_NAME = Obis(0, 0, 42, 0, 0, 255)
TCP_UDP_SETUP = Obis(0, 0, 25, 0, 0, 255)


class TransportService(enum.IntEnum):
    TCP = 0
    UDP = 1
    FTP = 2
    SMTP = 3
    SMS = 4
    HDLC = 5
    M_BUS = 6
    ZIGBEE = 7


class MessageType(enum.IntEnum):
    A_XDR = 0
    XML = 1


class PushOperationMethod(enum.IntEnum):
    UNCONFIRMED_RETRY_ON_FAILURE = 0
    UNCONFIRMED_RETRY_ON_MISSING_CONFIRMATION = 1
    CONFIRMED = 2


class RestrictionType(enum.IntEnum):
    NONE = 0
    BY_DATE = 1
    BY_ENTRY = 2


@dataclass(frozen=True, slots=True)
class PushObject:
    """One push_object_definition: the attribute (or element ``data_index``) to push,
    optionally restricted (``restriction_value``: structure {from, to}) to some
    ``columns`` and rows of a profile."""

    class_id: int
    logical_name: Obis
    attribute_index: int
    data_index: int = 0
    restriction_type: RestrictionType = RestrictionType.NONE
    restriction_value: Data = None
    columns: tuple[PushObject, ...] = ()

    def capture_object(self) -> Structure:
        return Structure(
            (
                LongUnsigned(self.class_id),
                OctetString(self.logical_name.to_bytes()),
                Integer(self.attribute_index),
                LongUnsigned(self.data_index),
            )
        )

    def to_data(self) -> Structure:
        restriction = Structure((Enum(self.restriction_type), self.restriction_value))
        columns = Array(c.capture_object() for c in self.columns)
        return Structure((*self.capture_object(), restriction, columns))

    @classmethod
    def from_data(cls, value: Data) -> PushObject:
        fields = items(value)
        cid, ln, attr, index = fields[:4]
        found = cls(as_int(cid), Obis.from_bytes(as_bytes(ln)), as_int(attr), as_int(index))
        if len(fields) == len(CAPTURE_OBJECT):
            return found
        kind, restriction_value = items(fields[4])
        columns = tuple(cls.from_data(c) for c in items(fields[5]))
        return replace(
            found,
            restriction_type=RestrictionType(as_int(kind)),
            restriction_value=restriction_value,
            columns=columns,
        )


@dataclass(frozen=True, slots=True)
class PushRequest:
    """What the sender needs for one push (retries and windows are its business)."""

    push_setup: Obis
    objects: tuple[PushObject, ...]
    transport: int
    destination: bytes
    message: int
    client_sap: int
    retries: int
    operation_method: int


PushSender = Callable[[PushRequest], bool]


class PushSetup(CosemObject, class_id=40, version=2):
    """One push: content, destination, schedule constraints."""

    ATTRIBUTES = (
        Attribute(2, "push_object_list", Tag.ARRAY, True, check=shaped(ArrayOf(OBJECT_DEFINITION))),
        Attribute(3, "send_destination_and_method", Tag.STRUCTURE, True, check=shaped(DESTINATION)),
        Attribute(4, "communication_window", Tag.ARRAY, True, check=shaped(ArrayOf(WINDOW))),
        Attribute(5, "randomisation_start_interval", Tag.LONG_UNSIGNED, static=True),
        Attribute(6, "number_of_retries", Tag.UNSIGNED, static=True),
        Attribute(7, "repetition_delay", Tag.STRUCTURE, True, check=shaped(REPETITION_DELAY)),
        Attribute(8, "port_reference", Tag.OCTET_STRING, True, check=check_logical_name),
        Attribute(9, "push_client_sap", Tag.INTEGER, static=True),
        Attribute(
            10, "push_protection_parameters", Tag.ARRAY, True, check=shaped(ArrayOf(Tag.STRUCTURE))
        ),
        Attribute(11, "push_operation_method", Tag.ENUM, True, check=among(PushOperationMethod)),
        Attribute(12, "confirmation_parameters", Tag.STRUCTURE, True, check=shaped(CONFIRMATION)),
        Attribute(13, "last_confirmation_date_time", Tag.DATE_TIME),
    )
    METHODS = (Method(1, "push", Tag.INTEGER), Method(2, "reset", Tag.INTEGER))

    set_last_confirmation_date_time = staticmethod(denied)

    def __init__(
        self,
        logical_name: Obis | str = "0.0.25.9.0.255",
        objects: Iterable[PushObject] | None = None,
        destination: bytes = b"",
        transport: TransportService = TransportService.TCP,
        sender: PushSender | None = None,
        client_sap: int = 1,
        retries: int = 3,
    ) -> None:
        super().__init__(logical_name)
        if objects is None:  # the push identifies itself, then the device
            objects = (
                PushObject(40, self.logical_name, 1),
                PushObject(1, LOGICAL_DEVICE_NAME, 2),
            )
        self.push_object_list: Data = Array(o.to_data() for o in objects)
        self.send_destination_and_method: Data = Structure(
            (Enum(transport), OctetString(destination), Enum(MessageType.A_XDR))
        )
        self.communication_window: Data = Array()
        self.randomisation_start_interval: Data = LongUnsigned(0)
        self.number_of_retries: Data = Unsigned(retries)
        self.repetition_delay: Data = Structure(
            (LongUnsigned(60), LongUnsigned(0), LongUnsigned(3600))
        )
        self.port_reference: Data = OctetString(TCP_UDP_SETUP.to_bytes())
        self.push_client_sap: Data = Integer(client_sap)
        self.push_protection_parameters: Data = Array()
        self.push_operation_method: Data = Enum(PushOperationMethod.UNCONFIRMED_RETRY_ON_FAILURE)
        self.confirmation_parameters: Data = Structure((NOT_SPECIFIED, DoubleLongUnsigned(0)))
        self.last_confirmation_date_time: Data = NOT_SPECIFIED
        self.sender = sender

    def request(self) -> PushRequest:
        """The push as it stands now."""
        transport, destination, message = items(self.send_destination_and_method)
        return PushRequest(
            push_setup=self.logical_name,
            objects=tuple(PushObject.from_data(o) for o in items(self.push_object_list)),
            transport=as_int(transport),
            destination=as_bytes(destination),
            message=as_int(message),
            client_sap=as_int(self.push_client_sap),
            retries=as_int(self.number_of_retries),
            operation_method=as_int(self.push_operation_method),
        )

    def push(self, parameters: Data) -> MethodResult:
        request = self.request()
        if self.sender is None or not request.destination:
            return ActionResult.OTHER_REASON, None
        if not self.sender(request):
            return ActionResult.TEMPORARY_FAILURE, None
        return SUCCESS

    def reset(self, parameters: Data) -> MethodResult:
        self.last_confirmation_date_time = NOT_SPECIFIED
        return SUCCESS

    def confirmed(self, now: CosemDateTime) -> None:
        """The head-end confirmed a push at ``now`` (the twin's clock)."""
        self.last_confirmation_date_time = now
