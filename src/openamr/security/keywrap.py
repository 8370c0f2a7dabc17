"""AES key wrap (RFC 3394) for Security setup ``key_transfer`` (Blue Book 4.4.7, Green
Book 9.2.5.2 "Key transfer").

The new key travels wrapped with the master key (KEK)::

    key_transfer (data) ::= array key_data
    key_data ::= structure { key_id: enum, key_wrapped: octet-string }

    key_id:  0 global unicast encryption key    2 authentication key
             1 global broadcast encryption key  3 master key (KEK)

    key_wrapped = AES-KW(KEK, key)      16-byte key -> 24 bytes (RFC 3394 2.2.1)

The primitive is ``cryptography``'s ``aes_key_wrap``; this module adds the suite 0
lengths and turns an integrity failure into SecurityError.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from openamr.codec.table import Table
from openamr.codec.types import Array, Data, Enum, OctetString, Structure
from openamr.errors import DecodeError, SecurityError
from openamr.security.keys import SUITE0_KEY_LENGTH, check_key

WRAPPED_LENGTH = SUITE0_KEY_LENGTH + 8


class KeyId(enum.IntEnum):
    """key_id of key_transfer / key_data (Blue Book, Security setup)."""

    GLOBAL_UNICAST_ENCRYPTION_KEY = 0
    GLOBAL_BROADCAST_ENCRYPTION_KEY = 1
    AUTHENTICATION_KEY = 2
    MASTER_KEY = 3


def wrap(kek: bytes, key: bytes) -> bytes:
    """Wrap a 16-byte ``key`` with the 16-byte master key: 24 bytes."""
    check_key(kek, "key-encrypting key")
    check_key(key, "key to wrap")
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap

    return aes_key_wrap(bytes(kek), bytes(key))


def unwrap(kek: bytes, wrapped: bytes) -> bytes:
    """Unwrap 24 bytes with the master key; SecurityError if the integrity check fails."""
    check_key(kek, "key-encrypting key")
    if len(wrapped) != WRAPPED_LENGTH:
        raise SecurityError(f"wrapped key of {len(wrapped)} bytes, expected {WRAPPED_LENGTH}")
    from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

    try:
        return aes_key_unwrap(bytes(kek), bytes(wrapped))
    except InvalidUnwrap:
        raise SecurityError("wrapped key does not unwrap with this key-encrypting key") from None


def key_transfer_data(kek: bytes, keys: Iterable[tuple[KeyId, bytes]]) -> Array:
    """The ``data`` of the key_transfer method: each key wrapped under ``kek``."""
    return Array(
        Structure((Enum(int(key_id)), OctetString(wrap(kek, key)))) for key_id, key in keys
    )


def read_key_transfer(kek: bytes, data: Data) -> list[tuple[KeyId, bytes]]:
    """Unwrap the keys of a key_transfer ``data``. DecodeError when ``data`` does not
    have the shape of the method's parameter (the caller answers type-unmatched);
    SecurityError when a key does not unwrap (the caller refuses the whole transfer)."""
    if not isinstance(data, Array | Table):  # a decoded array of key_data is a Table
        raise DecodeError(0, "key_transfer data is not an array")
    return [_read_key_data(kek, i, item) for i, item in enumerate(data)]


def _read_key_data(kek: bytes, index: int, item: Data) -> tuple[KeyId, bytes]:
    if not (isinstance(item, Structure) and len(item) == 2):
        raise DecodeError(index, f"key_data {index} is not structure {{enum, octet-string}}")
    key_id, wrapped = item[0], item[1]
    if not (isinstance(key_id, Enum) and isinstance(wrapped, bytes)):
        raise DecodeError(index, f"key_data {index} is not structure {{enum, octet-string}}")
    if int(key_id) not in _KEY_IDS:
        raise DecodeError(index, f"key_data {index}: unknown key_id {int(key_id)}")
    return KeyId(int(key_id)), unwrap(kek, bytes(wrapped))


_KEY_IDS = frozenset(int(k) for k in KeyId)
