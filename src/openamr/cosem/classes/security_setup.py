"""Security setup, class_id 64, version 1 (Blue Book 4.4.7): the security policy
and suite of the associations that reference it, the system titles, and key transfer.

Attributes and the parameters of the two methods served::

    security_policy      enum, bits: 2 authenticated request, 3 encrypted request,
                         4 digitally signed request, 5 authenticated response,
                         6 encrypted response, 7 digitally signed response
    security_suite       enum: 0 AES-GCM-128 (the only suite served)
    client_system_title  octet-string (8 octets; empty until known)
    server_system_title  octet-string (8 octets: "ISK" + 5 octets on the MT372)
    certificates         array certificate_info (always empty: suite 0 has none)

    security_activate (data) ::= enum security_policy
    key_transfer (data) ::= array key_data
        key_data ::= structure { key_id enum, key_wrapped octet-string }
        key_id: 0 global unicast encryption key, 1 global broadcast encryption key,
                2 authentication key, 3 master key (KEK)
        key_wrapped: the key wrapped by AES key wrap (RFC 3394) with the current KEK:
                16 octets -> 24 octets

``security_activate`` only strengthens: the new policy must keep every bit of the
current one (else OTHER_REASON); digital signatures need suites 1/2 and are refused.

``key_transfer`` unwraps every key with the master key before installing any: if
one fails its integrity check, none is installed (OTHER_REASON). The new keys go to
the injected :class:`KeyStore`, which decides when they take effect (the Green
Book: from the next association for the global keys).

The methods of suites 1 and 2 (key_agreement, generate_key_pair,
generate_certificate_request, import/export/remove_certificate) answer
OTHER_REASON: suite 0 has no public keys.

The unwrapping function is injected (``openamr.security.keywrap.unwrap`` in the
meter): the cosem layer does not import security (tests/test_layers.py). Keys
never appear in a repr or a message.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Protocol

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.obis import Obis
from openamr.codec.types import Array, Data, Enum, OctetString, Tag
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult
from openamr.cosem.classes.shape import as_bytes, as_int, denied, elements, items
from openamr.errors import SecurityError

SYSTEM_TITLE_LENGTH = 8
#: Decision: the MT372's system title is "ISK" (FLAG id) and 5 octets from the serial.
DEFAULT_SERVER_SYSTEM_TITLE = b"ISK" + bytes(5)


class SecurityPolicy(enum.IntFlag):
    """security_policy of version 1 (bits 0 and 1 are reserved)."""

    NOTHING = 0
    AUTHENTICATED_REQUEST = 0x04
    ENCRYPTED_REQUEST = 0x08
    DIGITALLY_SIGNED_REQUEST = 0x10
    AUTHENTICATED_RESPONSE = 0x20
    ENCRYPTED_RESPONSE = 0x40
    DIGITALLY_SIGNED_RESPONSE = 0x80


#: The policy bits suite 0 can enforce.
SUITE0_POLICY = (
    SecurityPolicy.AUTHENTICATED_REQUEST
    | SecurityPolicy.ENCRYPTED_REQUEST
    | SecurityPolicy.AUTHENTICATED_RESPONSE
    | SecurityPolicy.ENCRYPTED_RESPONSE
)


class SecuritySuite(enum.IntEnum):
    AES_GCM_128 = 0
    ECDH_ECDSA_AES_GCM_128_SHA_256 = 1
    ECDH_ECDSA_AES_GCM_256_SHA_384 = 2


class KeyId(enum.IntEnum):
    """key_id of key_data (same values as openamr.security.keywrap.KeyId)."""

    GLOBAL_UNICAST_ENCRYPTION_KEY = 0
    GLOBAL_BROADCAST_ENCRYPTION_KEY = 1
    AUTHENTICATION_KEY = 2
    MASTER_KEY = 3


class KeyStore(Protocol):
    """Where the server's keys live (committed before they are used)."""

    def master_key(self) -> bytes:
        """The current master key (KEK), which unwraps transferred keys."""

    def install(self, keys: Mapping[KeyId, bytes]) -> None:
        """Install the unwrapped ``keys`` (all of one key_transfer, together)."""


class MemoryKeyStore:
    """A :class:`KeyStore` in memory, for tests and a twin without persistence."""

    def __init__(self, keys: Mapping[KeyId, bytes]) -> None:
        self.keys = dict(keys)

    def __repr__(self) -> str:
        held = ", ".join(k.name for k in sorted(self.keys))
        return f"MemoryKeyStore({held})"

    def master_key(self) -> bytes:
        if KeyId.MASTER_KEY not in self.keys:
            raise SecurityError("no master key: key_transfer is not possible")
        return self.keys[KeyId.MASTER_KEY]

    def install(self, keys: Mapping[KeyId, bytes]) -> None:
        self.keys.update(keys)


#: (kek, wrapped) -> key; raises SecurityError if the integrity check fails.
Unwrap = Callable[[bytes, bytes], bytes]

KEY_DATA = (Tag.ENUM, Tag.OCTET_STRING)


def check_system_title(value: Data) -> DataAccessResult | None:
    if isinstance(value, bytes) and len(value) in (0, SYSTEM_TITLE_LENGTH):
        return None
    return DataAccessResult.TYPE_UNMATCHED


class SecuritySetup(CosemObject, class_id=64, version=1):
    """One security setup (0.0.43.0.x.255), referenced by Association LN attribute 9."""

    ATTRIBUTES = (
        Attribute(2, "security_policy", Tag.ENUM),
        Attribute(3, "security_suite", Tag.ENUM, static=True),
        Attribute(4, "client_system_title", Tag.OCTET_STRING, check=check_system_title),
        Attribute(5, "server_system_title", Tag.OCTET_STRING, static=True),
        Attribute(6, "certificates", Tag.ARRAY),
    )
    METHODS = (
        Method(1, "security_activate", Tag.ENUM),
        Method(2, "key_transfer", Tag.ARRAY),
        Method(3, "key_agreement", Tag.ARRAY),
        Method(4, "generate_key_pair", Tag.ENUM),
        Method(5, "generate_certificate_request", Tag.ENUM),
        Method(6, "import_certificate", Tag.OCTET_STRING),
        Method(7, "export_certificate", Tag.STRUCTURE),
        Method(8, "remove_certificate", Tag.STRUCTURE),
    )

    # security_policy changes through security_activate only; the rest is the server's.
    set_security_policy = set_server_system_title = set_certificates = staticmethod(denied)

    def __init__(
        self,
        logical_name: Obis | str,
        key_store: KeyStore,
        unwrap: Unwrap,
        policy: SecurityPolicy = SecurityPolicy.NOTHING,
        server_system_title: bytes = DEFAULT_SERVER_SYSTEM_TITLE,
        client_system_title: bytes = b"",
    ) -> None:
        super().__init__(logical_name)
        if len(server_system_title) != SYSTEM_TITLE_LENGTH:
            raise ValueError(f"server system title must be {SYSTEM_TITLE_LENGTH} octets")
        self.key_store, self.unwrap = key_store, unwrap
        self.policy = policy
        self.security_suite: Data = Enum(SecuritySuite.AES_GCM_128)
        self.client_system_title: Data = OctetString(client_system_title)
        self.server_system_title: Data = OctetString(server_system_title)
        self.certificates: Data = Array()

    def get_security_policy(self) -> Data:
        return Enum(self.policy)

    def set_security_suite(self, value: Data) -> DataAccessResult | None:
        return None if value == self.security_suite else DataAccessResult.OTHER_REASON

    # -- methods ----------------------------------------------------------------

    def security_activate(self, parameters: Data) -> MethodResult:
        assert isinstance(parameters, int)
        if parameters & ~SUITE0_POLICY or self.policy & ~parameters:
            return ActionResult.OTHER_REASON, None  # unknown, unsupported or weaker
        self.policy = SecurityPolicy(parameters)
        return SUCCESS

    def key_transfer(self, parameters: Data) -> MethodResult:
        found = elements(parameters, KEY_DATA)
        if found is None:
            return ActionResult.TYPE_UNMATCHED, None
        pairs = [(as_int(k), as_bytes(w)) for k, w in map(items, found)]
        ids = [i for i, _ in pairs]
        if not pairs or len(set(ids)) != len(ids) or not set(ids) <= set(KeyId):
            return ActionResult.OTHER_REASON, None
        try:
            kek = self.key_store.master_key()
            keys = {KeyId(i): self.unwrap(kek, wrapped) for i, wrapped in pairs}
        except SecurityError:
            return ActionResult.OTHER_REASON, None  # nothing installed, nothing said
        self.key_store.install(keys)
        return SUCCESS

    def unsupported(self, parameters: Data) -> MethodResult:
        """The public-key methods of suites 1 and 2: not served (suite 0 only)."""
        return ActionResult.OTHER_REASON, None

    key_agreement = generate_key_pair = generate_certificate_request = unsupported
    import_certificate = export_certificate = remove_certificate = unsupported
