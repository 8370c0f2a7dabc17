"""Secrets of the inventory: the head-end's key-encryption key (KEK) and the meters'
keys and passwords sealed under it.

The KEK comes from a file (``--kek-file PATH``, hex text) or ``OPENAMR_KEK`` (hex),
never from the database. ``kek_id`` is the first 8 hex digits of SHA-256 of the KEK
(the commissioning file's rule, ../COMMISSIONING.md). The commissioning file wraps
each secret with AES key wrap with padding (RFC 5649); at rest the head-end seals a
meter's secrets in one AES-GCM box (NIST SP 800-38D) with the meter's serial as
associated data, so that a box moved to another meter does not open.

Nothing here puts a secret in a repr, a log line or an error message.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

NONCE = 12


class VaultError(ValueError):
    """A KEK or a sealed secret that cannot be used; the message says what to do."""


def kek_id_of(kek: bytes) -> str:
    return hashlib.sha256(kek).hexdigest()[:8]


class Kek:
    """The key-encryption key; its repr shows only its id."""

    __slots__ = ("_key", "kek_id")

    def __init__(self, key: bytes) -> None:
        if len(key) not in (16, 32):
            raise VaultError(f"the KEK has {len(key)} bytes: it must have 16 or 32 (hex: 32 or 64)")
        self._key = bytes(key)
        self.kek_id = kek_id_of(self._key)

    def __repr__(self) -> str:
        return f"Kek(kek_id={self.kek_id!r})"

    def unwrap(self, hex_text: str, what: str) -> bytes:
        """An RFC 5649 wrapped secret (hex) of the commissioning file."""
        try:
            return aes_key_unwrap_with_padding(self._key, bytes.fromhex(hex_text))
        except (ValueError, InvalidUnwrap):
            raise VaultError(f"{what}: does not unwrap under KEK {self.kek_id}") from None

    def seal(self, secrets: MeterSecrets, serial: str, nonce: bytes | None = None) -> bytes:
        nonce = os.urandom(NONCE) if nonce is None else nonce
        box = AESGCM(self._key).encrypt(nonce, secrets.to_json(), serial.encode())
        return nonce + box

    def open(self, box: bytes, serial: str) -> MeterSecrets:
        try:
            plain = AESGCM(self._key).decrypt(box[:NONCE], box[NONCE:], serial.encode())
        except InvalidTag:
            raise VaultError(
                f"meter {serial}: its secrets do not open under KEK {self.kek_id}; "
                "use the KEK they were imported with"
            ) from None
        return MeterSecrets.from_json(plain)


def load_kek(path: str | Path | None, environ: Mapping[str, str] | None = None) -> Kek:
    """The KEK from ``path`` (hex text), else ``OPENAMR_KEK`` (hex)."""
    env = os.environ if environ is None else environ
    if path is not None:
        try:
            text, source = Path(path).read_text().strip(), f"--kek-file {path}"
        except OSError as e:
            raise VaultError(f"cannot read the KEK file {path}: {e.strerror}") from None
    elif env.get("OPENAMR_KEK"):
        text, source = env["OPENAMR_KEK"].strip(), "OPENAMR_KEK"
    else:
        raise VaultError("no key-encryption key: pass --kek-file PATH or set OPENAMR_KEK (hex)")
    try:
        return Kek(bytes.fromhex(text))
    except ValueError as e:
        if isinstance(e, VaultError):
            raise VaultError(f"{source}: {e}") from None
        raise VaultError(f"{source}: not hex digits") from None


@dataclass(frozen=True, slots=True)
class MeterSecrets:
    """One meter's secrets: LLS password, global unicast encryption and
    authentication keys, and the master key (KEK) that wraps new keys in a
    key_transfer (any may be absent). Never shown in a repr."""

    password: bytes | None = field(default=None, repr=False)
    ek: bytes | None = field(default=None, repr=False)
    ak: bytes | None = field(default=None, repr=False)
    mk: bytes | None = field(default=None, repr=False)

    def _items(self) -> tuple[tuple[str, bytes | None], ...]:
        return ("password", self.password), ("ek", self.ek), ("ak", self.ak), ("mk", self.mk)

    def to_json(self) -> bytes:
        return json.dumps({k: None if v is None else v.hex() for k, v in self._items()}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> MeterSecrets:
        raw = json.loads(data)  # a box sealed before the master key was kept has no "mk"
        return cls(*(None if raw.get(k) is None else bytes.fromhex(raw[k])
                     for k in ("password", "ek", "ak", "mk")))  # fmt: skip

    def __bool__(self) -> bool:
        return any(v is not None for _, v in self._items())
