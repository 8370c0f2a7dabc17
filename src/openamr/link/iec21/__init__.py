"""IEC 62056-21 (IEC 61107) direct local data exchange, sans-IO: the optical port.

Protocol mode C (readout, programming mode with P1/R1/W1/B0) and the hand-over to
HDLC in mode E, for both ends: :class:`OpticalServer` (the meter) and
:class:`OpticalClient` (the HHU). Messages in :mod:`.messages`, stream framing in
:mod:`.framer`, events and timing in :mod:`.events`.
"""

from openamr.link.iec21.client import OpticalClient, Waiting
from openamr.link.iec21.events import (
    DEFAULT_TIMING,
    BaudRateChange,
    ClientEvent,
    EndReason,
    Failed,
    FailureKind,
    Identified,
    ModeEHandover,
    PasswordAccepted,
    PasswordRequested,
    ReadoutReceived,
    RegisterWritten,
    ServerEvent,
    SessionEnded,
    Timing,
    Transmit,
    ValueRead,
    WriteAccepted,
)
from openamr.link.iec21.framer import BadBcc, Framer, Malformed
from openamr.link.iec21.messages import (
    BAUD_MODE_C,
    Ack,
    AckOptionSelect,
    Command,
    CommandMessage,
    DataMessage,
    DataSet,
    IdentificationMessage,
    ModeControl,
    Nak,
    ProtocolControl,
    RequestMessage,
    bcc,
)
from openamr.link.iec21.optical_server import OpticalServer, State, WrongPassword
from openamr.link.iec21.source import (
    EXAMPLE_READOUT,
    ReadoutSource,
    Refusal,
    StaticSource,
    iskraemeco_identification,
)

__all__ = [
    "BAUD_MODE_C",
    "DEFAULT_TIMING",
    "EXAMPLE_READOUT",
    "Ack",
    "AckOptionSelect",
    "BadBcc",
    "BaudRateChange",
    "ClientEvent",
    "Command",
    "CommandMessage",
    "DataMessage",
    "DataSet",
    "EndReason",
    "Failed",
    "FailureKind",
    "Framer",
    "IdentificationMessage",
    "Identified",
    "Malformed",
    "ModeControl",
    "ModeEHandover",
    "Nak",
    "OpticalClient",
    "OpticalServer",
    "PasswordAccepted",
    "PasswordRequested",
    "ProtocolControl",
    "ReadoutReceived",
    "ReadoutSource",
    "Refusal",
    "RegisterWritten",
    "RequestMessage",
    "ServerEvent",
    "SessionEnded",
    "State",
    "StaticSource",
    "Timing",
    "Transmit",
    "ValueRead",
    "Waiting",
    "WriteAccepted",
    "WrongPassword",
    "bcc",
    "iskraemeco_identification",
]
