"""What a transport adapter needs from a meter: the associations it offers and
the server's outgoing invocation counter (shared by all its associations and
persisted by the twin)."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openamr.association.config import AssociationConfig
from openamr.cosem import LogicalDevice
from openamr.security.counters import OutgoingCounter

if TYPE_CHECKING:
    from openamr.meter.twin import Twin


@dataclass
class ServerApplication:
    """One logical device with the associations it offers, by client SAP."""

    device: LogicalDevice
    configs: MutableMapping[int, AssociationConfig]
    logical_address: int = 1
    physical_address: int = 17
    #: Starts at 1: peers (dlms-cosem, gurux) take a first IC of 0 for a replay.
    outgoing: OutgoingCounter = field(default_factory=lambda: OutgoingCounter(1))
    #: Called before each request is answered: the twin brings itself up to now.
    refresh_hooks: list[Callable[[], None]] = field(default_factory=list)
    #: The engine that drives the objects (None for a static device).
    twin: Twin | None = None

    def refresh(self) -> None:
        for hook in self.refresh_hooks:
            hook()
