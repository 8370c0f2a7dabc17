"""ACSE and xDLMS APDUs as frozen dataclasses (IEC 62056-5-3, Green Book 9.4/9.5).

Importing this package registers every APDU module's decoders.
"""

from openamr.apdu import get  # noqa: F401  (registers its decoders)
from openamr.apdu.base import Apdu, decode_apdu, read_apdu, register

__all__ = ["Apdu", "decode_apdu", "read_apdu", "register"]
