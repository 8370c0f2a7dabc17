"""Information security (Green Book 9.2): suite 0 AES-GCM-128, HLS-GMAC, LLS,
invocation counters and key wrap. Sans-IO: challenges and keys come from the caller.

The names below load with their module on first use (PEP 562), so that a client
importing the keys (``openamr.security.keys``) does not pay for key wrap or the
server's LLS check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openamr.lazy import names_on_first_use

if TYPE_CHECKING:
    from openamr.security.ciphering import (
        CipheringSession,
        Deciphered,
        ciphered_tag,
        decipher,
        encipher,
    )
    from openamr.security.control_byte import (
        AUTHENTICATED,
        AUTHENTICATED_ENCRYPTED,
        ENCRYPTED,
        SecurityControl,
    )
    from openamr.security.counters import IncomingCounter, OutgoingCounter
    from openamr.security.keys import KeySet, SecurityContext
    from openamr.security.keywrap import (
        KeyId,
        key_transfer_data,
        read_key_transfer,
        unwrap,
        wrap,
    )
    from openamr.security.lls import LlsSecret, check_secret
    from openamr.security.suite0 import gmac, protect, unprotect

#: name -> the module that defines it
_HOME = {
    **dict.fromkeys(
        ("CipheringSession", "Deciphered", "ciphered_tag", "decipher", "encipher"),
        "openamr.security.ciphering",
    ),
    **dict.fromkeys(
        ("AUTHENTICATED", "AUTHENTICATED_ENCRYPTED", "ENCRYPTED", "SecurityControl"),
        "openamr.security.control_byte",
    ),
    **dict.fromkeys(("IncomingCounter", "OutgoingCounter"), "openamr.security.counters"),
    **dict.fromkeys(("KeySet", "SecurityContext"), "openamr.security.keys"),
    **dict.fromkeys(
        ("KeyId", "key_transfer_data", "read_key_transfer", "unwrap", "wrap"),
        "openamr.security.keywrap",
    ),
    **dict.fromkeys(("LlsSecret", "check_secret"), "openamr.security.lls"),
    **dict.fromkeys(("gmac", "protect", "unprotect"), "openamr.security.suite0"),
}


__getattr__ = names_on_first_use(__name__, _HOME)


__all__ = [
    "AUTHENTICATED",
    "AUTHENTICATED_ENCRYPTED",
    "ENCRYPTED",
    "CipheringSession",
    "Deciphered",
    "IncomingCounter",
    "KeyId",
    "KeySet",
    "LlsSecret",
    "OutgoingCounter",
    "SecurityContext",
    "SecurityControl",
    "check_secret",
    "ciphered_tag",
    "decipher",
    "encipher",
    "gmac",
    "key_transfer_data",
    "protect",
    "read_key_transfer",
    "unprotect",
    "unwrap",
    "wrap",
]
