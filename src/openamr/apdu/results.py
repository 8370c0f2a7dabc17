"""The result enumerations of the xDLMS services (Green Book 9.5, IEC 62056-5-3).

Each is one A-XDR ENUMERATED octet on the wire. A value outside the standard's
list is undecodable (:func:`read_enum` raises :class:`DecodeError`): these are
closed enumerations and a refusal must be one the peer can interpret.
"""

from __future__ import annotations

import enum
from typing import TypeVar

from openamr.codec.buffer import Reader
from openamr.errors import DecodeError

E = TypeVar("E", bound=enum.IntEnum)


class DataAccessResult(enum.IntEnum):
    """Data-Access-Result: the outcome of a GET or SET of one attribute."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_GET_ABORTED = 15
    NO_LONG_GET_IN_PROGRESS = 16
    LONG_SET_ABORTED = 17
    NO_LONG_SET_IN_PROGRESS = 18
    DATA_BLOCK_NUMBER_INVALID = 19
    OTHER_REASON = 250


class ActionResult(enum.IntEnum):
    """Action-Result: the outcome of an ACTION on one method."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_ACTION_ABORTED = 15
    NO_LONG_ACTION_IN_PROGRESS = 16
    OTHER_REASON = 250


class StateError(enum.IntEnum):
    """EXCEPTION-Response state-error [0]."""

    SERVICE_NOT_ALLOWED = 1
    SERVICE_UNKNOWN = 2


class ServiceError(enum.IntEnum):
    """EXCEPTION-Response service-error [1] (a CHOICE: only
    ``INVOCATION_COUNTER_ERROR`` carries a value, the expected counter, Unsigned32)."""

    OPERATION_NOT_POSSIBLE = 1
    SERVICE_NOT_SUPPORTED = 2
    OTHER_REASON = 3
    PDU_TOO_LONG = 4
    DECIPHERING_ERROR = 5
    INVOCATION_COUNTER_ERROR = 6


def read_enum(r: Reader, cls: type[E]) -> E:
    """One ENUMERATED octet of ``cls``; unknown values raise :class:`DecodeError`."""
    start = r.pos
    v = r.u8()
    try:
        return cls(v)
    except ValueError:
        raise DecodeError(start, f"{v} is not a {cls.__name__}") from None


__all__ = ["ActionResult", "DataAccessResult", "ServiceError", "StateError", "read_enum"]
