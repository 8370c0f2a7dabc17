"""A meter and an HHU joined in memory, with a fake clock."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from openamr.link.iec21 import (
    EXAMPLE_READOUT,
    BaudRateChange,
    ClientEvent,
    OpticalClient,
    OpticalServer,
    ServerEvent,
    StaticSource,
    Transmit,
)

PASSWORD = "12345678"


@dataclass
class Line:
    """The optical line: server and client, and what went each way."""

    server: OpticalServer
    client: OpticalClient
    now: float = 0.0
    server_events: list[ServerEvent] = field(default_factory=list)
    client_events: list[ClientEvent] = field(default_factory=list)

    def to_server(self, data: bytes) -> list[ClientEvent]:
        """Deliver ``data`` to the meter and its answers back to the HHU."""
        events = self.server.receive_data(data, self.now)
        self.server_events += events
        return self._to_client(events)

    def _to_client(self, events: list[ServerEvent]) -> list[ClientEvent]:
        answers: list[ClientEvent] = []
        for event in events:
            if isinstance(event, Transmit):
                answers += self.client.receive_data(event.data, self.now)
        self.client_events += answers
        for answer in [a for a in answers if isinstance(a, Transmit)]:
            answers += self.to_server(answer.data)
        return [a for a in answers if not isinstance(a, (Transmit, BaudRateChange))]

    def advance(self, seconds: float) -> tuple[list[ServerEvent], list[ClientEvent]]:
        self.now += seconds
        server = self.server.handle_timer(self.now)
        self.server_events += server
        client = self._to_client(server) + self.client.handle_timer(self.now)
        return server, client


@pytest.fixture
def source() -> StaticSource:
    return StaticSource.of(EXAMPLE_READOUT, writable={"1.8.0", "C.1.0"})


@pytest.fixture
def line(source: StaticSource) -> Line:
    return Line(OpticalServer(source, password=PASSWORD), OpticalClient())
