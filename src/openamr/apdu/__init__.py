"""ACSE and xDLMS APDUs as frozen dataclasses (IEC 62056-5-3, Green Book 9.4/9.5).

Importing this package registers every APDU module's decoders.
"""

from openamr.apdu import (  # noqa: F401  (importing registers their decoders)
    acse,
    action,
    ciphered,
    exception,
    get,
    initiate,
    notification,
    set,
)
from openamr.apdu.acse import Aare, Aarq, Rlre, Rlrq
from openamr.apdu.base import Apdu, decode_apdu, read_apdu, register
from openamr.apdu.initiate import (
    ConfirmedServiceError,
    Conformance,
    InitiateRequest,
    InitiateResponse,
)
from openamr.apdu.mechanism import ApplicationContextName, MechanismName

__all__ = [
    "Aare",
    "Aarq",
    "Apdu",
    "ApplicationContextName",
    "ConfirmedServiceError",
    "Conformance",
    "InitiateRequest",
    "InitiateResponse",
    "MechanismName",
    "Rlre",
    "Rlrq",
    "decode_apdu",
    "read_apdu",
    "register",
]
