"""The DLMS UA object identifiers of ACSE: application context names and
authentication mechanism names (Green Book 9.4.2.2.2 / 9.4.2.2.3).

Both live under the DLMS UA arc ``{joint-iso-ccitt(2) country(16) country-name(756)
identified-organization(5) DLMS-UA(8)}``::

    application-context  2.16.756.5.8.1.x   06 07 60 85 74 05 08 01 xx
    mechanism-name       2.16.756.5.8.2.x   06 07 60 85 74 05 08 02 xx   (implicitly: 8B 07 ...)

An OBJECT IDENTIFIER outside these tables is kept as an :class:`ObjectIdentifier`, so a
server can still answer "application-context-name-not-supported" or
"authentication-mechanism-name-not-recognised" as a value.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TypeVar

from openamr.codec.ber import ObjectIdentifier

#: {joint-iso-ccitt(2) country(16) country-name(756) identified-organization(5) DLMS-UA(8)}
DLMS_UA: tuple[int, ...] = (2, 16, 756, 5, 8)
E = TypeVar("E", bound=IntEnum)
_CONTEXT_ARC = (*DLMS_UA, 1)
_MECHANISM_ARC = (*DLMS_UA, 2)


class ApplicationContextName(IntEnum):
    """application-context-name: referencing and ciphering (Green Book 9.4.2.2.2)."""

    LOGICAL_NAME = 1
    SHORT_NAME = 2
    LOGICAL_NAME_WITH_CIPHERING = 3
    SHORT_NAME_WITH_CIPHERING = 4

    @property
    def oid(self) -> ObjectIdentifier:
        return ObjectIdentifier((*_CONTEXT_ARC, self.value))

    @property
    def ciphered(self) -> bool:
        return self.value >= 3

    @property
    def logical_names(self) -> bool:
        return self.value % 2 == 1

    @classmethod
    def from_oid(cls, oid: ObjectIdentifier) -> ApplicationContextName | ObjectIdentifier:
        """The named context, or ``oid`` itself when it is not one of ours."""
        return _lookup(cls, _CONTEXT_ARC, oid)


class MechanismName(IntEnum):
    """mechanism-name: the authentication mechanism (Green Book 9.2.7.4, 9.4.2.2.3)."""

    NONE = 0  # lowest level security
    LLS = 1  # low level security: a password
    HLS = 2  # high level security, manufacturer specific
    HLS_MD5 = 3
    HLS_SHA1 = 4
    HLS_GMAC = 5
    HLS_SHA256 = 6
    HLS_ECDSA = 7

    @property
    def oid(self) -> ObjectIdentifier:
        return ObjectIdentifier((*_MECHANISM_ARC, self.value))

    @classmethod
    def from_oid(cls, oid: ObjectIdentifier) -> MechanismName | ObjectIdentifier:
        """The named mechanism, or ``oid`` itself when it is not one of ours."""
        return _lookup(cls, _MECHANISM_ARC, oid)


def _lookup(cls: type[E], arc: tuple[int, ...], oid: ObjectIdentifier) -> E | ObjectIdentifier:
    head, last = oid.arcs[:-1], oid.arcs[-1]
    if head == arc and last in cls._value2member_map_:
        return cls(last)
    return oid


def to_oid(name: IntEnum | ObjectIdentifier) -> ObjectIdentifier:
    """The OBJECT IDENTIFIER of a named context or mechanism (or an OID as is)."""
    if isinstance(name, ApplicationContextName | MechanismName):
        return name.oid
    if isinstance(name, ObjectIdentifier):
        return name
    raise TypeError(f"not a context or mechanism name: {name!r}")
