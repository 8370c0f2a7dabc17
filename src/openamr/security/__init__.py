"""Information security (Green Book 9.2): suite 0 AES-GCM-128, HLS-GMAC, LLS,
invocation counters and key wrap. Sans-IO: challenges and keys come from the caller.
"""

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
from openamr.security.keywrap import KeyId, key_transfer_data, read_key_transfer, unwrap, wrap
from openamr.security.lls import LlsSecret, check_secret
from openamr.security.suite0 import gmac, protect, unprotect

__all__ = [
    "AUTHENTICATED",
    "CipheringSession",
    "Deciphered",
    "ciphered_tag",
    "decipher",
    "encipher",
    "AUTHENTICATED_ENCRYPTED",
    "ENCRYPTED",
    "IncomingCounter",
    "KeyId",
    "KeySet",
    "LlsSecret",
    "OutgoingCounter",
    "SecurityContext",
    "SecurityControl",
    "check_secret",
    "gmac",
    "key_transfer_data",
    "read_key_transfer",
    "protect",
    "unprotect",
    "unwrap",
    "wrap",
]
