"""Secrets and counters at rest in the state file (issue 11; ARCHITECTURE.md "Secrets
stay secret"; Green Book 9.2.7.2.4 for the counters).

The suite 0 keys are stored wrapped (AES key wrap, RFC 3394: 16 bytes -> 24, with an
integrity check) under a *state key-encryption key* that is never in the same file:
the caller gives it (``openamr meter serve`` reads it from ``OPENAMR_STATE_KEK`` or a
key file). Without one the keys are not kept at all. A key of 16 bytes found in a file
is one an older openamr wrote in the clear: it is read once and stored wrapped at the
next commit (``secure_delete`` zeroes the old value)::

    keys/ek           AES-KW(state KEK, global unicast encryption key)   24 bytes
    keys/ak, keys/kek, keys/broadcast_ek  the same

The last invocation counter accepted per client system title and key is kept too, so
that a captured request is refused after a restart::

    ic/incoming       {"<client title hex>/<key fingerprint>": last IC, ...}
"""

from __future__ import annotations

from collections.abc import Mapping

from openamr.cosem.classes.security_setup import KeyId
from openamr.errors import SecurityError
from openamr.meter.state.store import StateError, StateStore
from openamr.security.counters import MAX_IC, ReceivedCounters
from openamr.security.keys import KeySet
from openamr.security.keywrap import unwrap, wrap

#: The key store's keys: the kv key, the key_id, the KeySet field.
KEYS = (
    ("keys/ek", KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY, "ek"),
    ("keys/ak", KeyId.AUTHENTICATION_KEY, "ak"),
    ("keys/kek", KeyId.MASTER_KEY, "kek"),
    ("keys/broadcast_ek", KeyId.GLOBAL_BROADCAST_ENCRYPTION_KEY, "broadcast_ek"),
)
INCOMING = "ic/incoming"
PLAIN, WRAPPED = 16, 24


def save_keys(store: StateStore, keys: KeySet, kek: bytes) -> None:
    for key, _, name in KEYS:
        value = getattr(keys, name)
        if value is None:
            store.delete(key)
        else:
            store.put(key, wrap(kek, bytes(value)))


def load_keys(store: StateStore, kek: bytes | None) -> tuple[dict[KeyId, bytes], bool]:
    """The stored keys, unwrapped, and whether any was in the clear (rewrite them)."""
    found: dict[KeyId, bytes] = {}
    plain = False
    for key, kid, _ in KEYS:
        value = store.get_bytes(key)
        if value is None:
            continue
        if len(value) == PLAIN:
            found[kid], plain = value, True
            continue
        if kek is None:
            raise StateError(
                f"{store.path} holds wrapped keys: give the key-encryption key it was written "
                "with (OPENAMR_STATE_KEK, or --state-key FILE)"
            )
        try:
            found[kid] = unwrap(kek, value)
        except SecurityError:
            raise StateError(
                f"{store.path}: its keys do not unwrap with this key-encryption key: give the "
                "one it was written with (OPENAMR_STATE_KEK, or --state-key FILE)"
            ) from None
    return found, plain


def load_received(store: StateStore) -> ReceivedCounters:
    saved = store.get(INCOMING)
    if saved is None:
        return ReceivedCounters()
    if not isinstance(saved, dict) or not all(_is_ic(v) for v in saved.values()):
        raise StateError(f"{store.path}: {INCOMING} is not a map of invocation counters")
    return ReceivedCounters({str(k): int(v) for k, v in saved.items()})  # type: ignore[arg-type]


def save_received(
    store: StateStore, received: ReceivedCounters, saved: Mapping[str, int]
) -> dict[str, int]:
    """Store the counters when they moved; what is stored now."""
    now = received.snapshot()
    if now != saved:
        store.put(INCOMING, dict(now))
    return now


def _is_ic(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_IC
