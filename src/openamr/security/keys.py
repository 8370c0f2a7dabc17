"""Keys and the security context of one association (Green Book 9.2.3 / 9.2.5).

Suite 0 (AES-GCM-128) keys are 16 octets; a system title is 8 octets (3-letter
manufacturer FLAG id + 5 octets that make it unique, Green Book 4.3.4).

The repr of a key-holding object never shows a key, only which keys are present,
so a KeySet can be logged or shown in a traceback safely::

    >>> KeySet(ek=bytes(16), ak=bytes(16))
    KeySet(ek=<16 bytes>, ak=<16 bytes>, kek=None, broadcast_ek=None, dedicated_ek=None)
"""

from __future__ import annotations

from dataclasses import fields, replace

from openamr.codec.record import record
from openamr.errors import SecurityError

SUITE0_KEY_LENGTH = 16
SYSTEM_TITLE_LENGTH = 8


def check_key(key: bytes, what: str) -> None:
    """Refuse a key of the wrong type or length; the message names only the length."""
    if not isinstance(key, bytes | bytearray) or len(key) != SUITE0_KEY_LENGTH:
        size = len(key) if isinstance(key, bytes | bytearray) else type(key).__name__
        raise SecurityError(f"{what} must be {SUITE0_KEY_LENGTH} bytes, got {size}")


def check_system_title(title: bytes, what: str = "system title") -> None:
    if not isinstance(title, bytes | bytearray) or len(title) != SYSTEM_TITLE_LENGTH:
        size = len(title) if isinstance(title, bytes | bytearray) else type(title).__name__
        raise SecurityError(f"{what} must be {SYSTEM_TITLE_LENGTH} bytes, got {size}")


def _hidden(value: object) -> str:
    if value is None:
        return "None"
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return "<hidden>"


@record(repr=False)
class KeySet:
    """The symmetric keys of suite 0.

    ek: global unicast encryption key (GUEK); ak: authentication key (GAK);
    kek: master key, the key-encrypting key of ``key_transfer``; broadcast_ek: global
    broadcast encryption key (GBEK); dedicated_ek: the dedicated key of this
    association, sent inside the ciphered xDLMS InitiateRequest.
    """

    ek: bytes
    ak: bytes
    kek: bytes | None = None
    broadcast_ek: bytes | None = None
    dedicated_ek: bytes | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                check_key(value, f.name)

    def __repr__(self) -> str:
        inner = ", ".join(f"{f.name}={_hidden(getattr(self, f.name))}" for f in fields(self))
        return f"KeySet({inner})"

    __str__ = __repr__

    def with_dedicated(self, dedicated_ek: bytes | None) -> KeySet:
        return replace(self, dedicated_ek=dedicated_ek)


@record
class SecurityContext:
    """What one side needs to protect and check APDUs of one association.

    ``own_system_title`` goes into the IV of what we send; ``peer_system_title``
    (learnt from the AARQ calling-AP-title or AARE responding-AP-title) into the IV
    of what we receive. Keys stay hidden in the repr (KeySet's own repr).
    """

    keys: KeySet
    own_system_title: bytes
    peer_system_title: bytes | None = None
    suite: int = 0

    def __post_init__(self) -> None:
        if self.suite != 0:
            raise SecurityError(f"security suite {self.suite} is not supported (only suite 0)")
        check_system_title(self.own_system_title, "own system title")
        if self.peer_system_title is not None:
            check_system_title(self.peer_system_title, "peer system title")

    def with_peer(self, peer_system_title: bytes) -> SecurityContext:
        return replace(self, peer_system_title=peer_system_title)
