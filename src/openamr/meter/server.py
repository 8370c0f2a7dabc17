"""What a transport adapter needs from a meter: the associations it offers and
the server's outgoing invocation counter (shared by all its associations and
persisted by the twin)."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field

from openamr.association.config import AssociationConfig
from openamr.cosem import LogicalDevice
from openamr.security.counters import OutgoingCounter


@dataclass
class ServerApplication:
    """One logical device with the associations it offers, by client SAP."""

    device: LogicalDevice
    configs: MutableMapping[int, AssociationConfig]
    logical_address: int = 1
    physical_address: int = 17
    #: Starts at 1: peers (dlms-cosem, gurux) take a first IC of 0 for a replay.
    outgoing: OutgoingCounter = field(default_factory=lambda: OutgoingCounter(1))
