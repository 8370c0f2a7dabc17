"""The meter's key store: Security setup's key_transfer lands here.

New global keys apply to associations established after the transfer (Green
Book 9.2.5: the keys of an established association do not change under it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, MutableMapping

from openamr.association.config import AssociationConfig
from openamr.cosem.classes.security_setup import KeyId
from openamr.errors import SecurityError
from openamr.security.keys import KeySet


class MeterKeyStore:
    """Holds the suite 0 keys and re-keys the ciphered association configs."""

    def __init__(self, keys: KeySet, configs: MutableMapping[int, AssociationConfig]) -> None:
        self.keys = keys
        self.configs = configs

    def __repr__(self) -> str:
        return f"MeterKeyStore({self.keys!r})"

    def master_key(self) -> bytes:
        if self.keys.kek is None:
            raise SecurityError("no master key: key_transfer is not possible")
        return self.keys.kek

    def install(self, keys: Mapping[KeyId, bytes]) -> None:
        k = self.keys
        self.keys = KeySet(
            ek=keys.get(KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY, k.ek),
            ak=keys.get(KeyId.AUTHENTICATION_KEY, k.ak),
            kek=keys.get(KeyId.MASTER_KEY, k.kek),
            broadcast_ek=keys.get(KeyId.GLOBAL_BROADCAST_ENCRYPTION_KEY, k.broadcast_ek),
        )
        for sap, config in list(self.configs.items()):
            if config.security is not None:
                security = dataclasses.replace(config.security, keys=self.keys)
                self.configs[sap] = dataclasses.replace(config, security=security)
