"""ServiceError and the ConfirmedServiceError choice names (Green Book 9.4.6 COSEMpdu
ASN.1). A-XDR: a CHOICE is its tag octet, an ENUMERATED one octet::

    ServiceError ::= CHOICE {
        application-reference [0] IMPLICIT ENUMERATED, hardware-resource [1] ...,
        vde-state-error [2], service [3], definition [4], access [5], initiate [6],
        load-data-set [7], change-scope [8], task [9], other [10] }

    06 01       initiate: dlms-version-too-low

The alternative is told by the enum class of the value: ``InitiateError.PDU_SIZE_TOO_SHORT``
is ``06 03``.
"""

from __future__ import annotations

from enum import IntEnum

from openamr.codec.buffer import Reader, Writer
from openamr.errors import DecodeError


class ConfirmedServiceName(IntEnum):
    """ConfirmedServiceError ::= CHOICE { initiateError [1] ServiceError, ... }."""

    INITIATE_ERROR = 1
    GET_STATUS = 2
    GET_NAME_LIST = 3
    GET_VARIABLE_ATTRIBUTE = 4
    READ = 5
    WRITE = 6
    GET_DATA_SET_ATTRIBUTE = 7
    GET_TI_ATTRIBUTE = 8
    CHANGE_SCOPE = 9
    START = 10
    STOP = 11
    RESUME = 12
    MAKE_USABLE = 13
    INITIATE_LOAD = 14
    LOAD_SEGMENT = 15
    TERMINATE_LOAD = 16
    INITIATE_UPLOAD = 17
    UPLOAD_SEGMENT = 18
    TERMINATE_UPLOAD = 19


class ApplicationReferenceError(IntEnum):
    OTHER = 0
    TIME_ELAPSED = 1
    APPLICATION_UNREACHABLE = 2
    APPLICATION_REFERENCE_INVALID = 3
    APPLICATION_CONTEXT_UNSUPPORTED = 4
    PROVIDER_COMMUNICATION_ERROR = 5
    DECIPHERING_ERROR = 6


class HardwareResourceError(IntEnum):
    OTHER = 0
    MEMORY_UNAVAILABLE = 1
    PROCESSOR_RESOURCE_UNAVAILABLE = 2
    MASS_STORAGE_UNAVAILABLE = 3
    OTHER_RESOURCE_UNAVAILABLE = 4


class VdeStateError(IntEnum):
    OTHER = 0
    NO_DLMS_CONTEXT = 1
    LOADING_DATA_SET = 2
    STATUS_NOCHANGE = 3
    STATUS_INOPERABLE = 4


class ServiceErrorReason(IntEnum):
    """service [3]."""

    OTHER = 0
    PDU_SIZE = 1
    SERVICE_UNSUPPORTED = 2


class DefinitionError(IntEnum):
    OTHER = 0
    OBJECT_UNDEFINED = 1
    OBJECT_CLASS_INCONSISTENT = 2
    OBJECT_ATTRIBUTE_INCONSISTENT = 3


class AccessError(IntEnum):
    OTHER = 0
    SCOPE_OF_ACCESS_VIOLATED = 1
    OBJECT_ACCESS_VIOLATED = 2
    HARDWARE_FAULT = 3
    OBJECT_UNAVAILABLE = 4


class InitiateError(IntEnum):
    OTHER = 0
    DLMS_VERSION_TOO_LOW = 1
    INCOMPATIBLE_CONFORMANCE = 2
    PDU_SIZE_TOO_SHORT = 3
    REFUSED_BY_THE_VDE_HANDLER = 4


class LoadDataSetError(IntEnum):
    OTHER = 0
    PRIMITIVE_OUT_OF_SEQUENCE = 1
    NOT_LOADABLE = 2
    DATASET_SIZE_TOO_LARGE = 3
    NOT_AWAITED_SEGMENT = 4
    INTERPRETATION_FAILURE = 5
    STORAGE_FAILURE = 6
    DATA_SET_NOT_READY = 7


class ChangeScopeError(IntEnum):
    """change-scope [8]: the Green Book names no values but ``other``."""

    OTHER = 0


class TaskError(IntEnum):
    OTHER = 0
    NO_REMOTE_CONTROL = 1
    TI_STOPPED = 2
    TI_RUNNING = 3
    TI_UNUSABLE = 4


class OtherError(IntEnum):
    """other [10]: the Green Book names no values but ``other``."""

    OTHER = 0


ServiceError = (
    ApplicationReferenceError | HardwareResourceError | VdeStateError | ServiceErrorReason
    | DefinitionError | AccessError | InitiateError | LoadDataSetError | ChangeScopeError
    | TaskError | OtherError
)  # fmt: skip

#: ServiceError choice tag -> the enum of its alternative.
SERVICE_ERROR_CHOICES: dict[int, type[ServiceError]] = {
    0: ApplicationReferenceError,
    1: HardwareResourceError,
    2: VdeStateError,
    3: ServiceErrorReason,
    4: DefinitionError,
    5: AccessError,
    6: InitiateError,
    7: LoadDataSetError,
    8: ChangeScopeError,
    9: TaskError,
    10: OtherError,
}
_CHOICE_OF = {cls: tag for tag, cls in SERVICE_ERROR_CHOICES.items()}


def write_service_error(w: Writer, error: ServiceError) -> None:
    w.u8(_CHOICE_OF[type(error)])
    w.u8(error)


def read_service_error(r: Reader) -> ServiceError:
    start = r.pos
    cls = SERVICE_ERROR_CHOICES.get(r.u8())
    if cls is None:
        raise DecodeError(start, f"unknown ServiceError choice {r.data[start]}")
    start = r.pos
    value = r.u8()
    if value not in cls._value2member_map_:
        raise DecodeError(start, f"{value} is not a {cls.__name__}")
    return cls(value)
