"""What a transport adapter needs from a meter: the associations it offers, the
server's outgoing invocation counter (shared by all its associations and persisted
by the twin) and what brings the meter up to now before each request is answered.

The adapters (:mod:`openamr.aio`) know only this: a static device and a twin are
served alike; the engine behind ``refresh`` is given at construction."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field

from openamr.association.config import AssociationConfig
from openamr.cosem import LogicalDevice
from openamr.meter.display import DISPLAY_LIST
from openamr.security.counters import OutgoingCounter, ReceivedCounters


def _static() -> None:
    """A static device has nothing to bring up to date."""


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
    refresh: Callable[[], None] = _static
    #: The last invocation counter accepted per client and key, across associations
    #: (Green Book 9.2.7.2.4: a captured request is never accepted again).
    received: ReceivedCounters = field(default_factory=ReceivedCounters)
    #: What the optical port reads out (mode C): the device profile's display list.
    display_list: tuple[str, ...] = DISPLAY_LIST
