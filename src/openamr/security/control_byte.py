"""The security control byte (SC) of a ciphered APDU (Green Book 9.2.7.2.4, "Security header").

The security header SH = SC || IC opens every ciphered content; SC says how the
content is protected::

     bit  7            6         5            4              3 .. 0
        +------------+---------+------------+--------------+----------------+
        | compression| key set | encryption |authentication| security suite |
        +------------+---------+------------+--------------+----------------+
          0x80         0x40      0x20         0x10           0x00 .. 0x0F

    key set: 0 = unicast encryption key, 1 = broadcast encryption key.

    SecurityControl.parse(0x30)  ->  suite 0, authenticated and encrypted, unicast
"""

from __future__ import annotations

from openamr.codec.record import record
from openamr.errors import EncodeError

SUITE_MASK = 0x0F
AUTHENTICATION = 0x10
ENCRYPTION = 0x20
BROADCAST = 0x40
COMPRESSION = 0x80


@record
class SecurityControl:
    """The SC byte as flags. ``broadcast`` is the key-set bit (False: unicast key)."""

    suite: int = 0
    authentication: bool = False
    encryption: bool = False
    broadcast: bool = False
    compression: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.suite <= SUITE_MASK:
            raise EncodeError(f"security suite {self.suite} is not in 0..15")

    @classmethod
    def parse(cls, sc: int) -> SecurityControl:
        """Read an SC byte (0..255)."""
        if not 0 <= sc <= 0xFF:
            raise EncodeError(f"security control {sc} is not one byte")
        return cls(
            suite=sc & SUITE_MASK,
            authentication=bool(sc & AUTHENTICATION),
            encryption=bool(sc & ENCRYPTION),
            broadcast=bool(sc & BROADCAST),
            compression=bool(sc & COMPRESSION),
        )

    def format(self) -> int:
        """The SC byte as an int."""
        return (
            self.suite
            | (AUTHENTICATION if self.authentication else 0)
            | (ENCRYPTION if self.encryption else 0)
            | (BROADCAST if self.broadcast else 0)
            | (COMPRESSION if self.compression else 0)
        )

    def __int__(self) -> int:
        return self.format()

    def __str__(self) -> str:
        parts = [f"suite {self.suite}"]
        parts += [name for name, on in self._flags() if on]
        return f"SC {self.format():#04x} ({', '.join(parts)})"

    def _flags(self) -> tuple[tuple[str, bool], ...]:
        return (
            ("authenticated", self.authentication),
            ("encrypted", self.encryption),
            ("broadcast key", self.broadcast),
            ("compressed", self.compression),
        )


#: The common policies of suite 0.
AUTHENTICATED = SecurityControl(authentication=True)
ENCRYPTED = SecurityControl(encryption=True)
AUTHENTICATED_ENCRYPTED = SecurityControl(authentication=True, encryption=True)
