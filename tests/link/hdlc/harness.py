"""A primary and a secondary joined in memory by a line that can misbehave.

The line cuts each direction's bytes into frames and passes every frame
through ``fault(frame_bytes) -> list of bytes to deliver`` (drop: [], duplicate:
[f, f], corrupt, truncate, or hold one back to reorder). A frame held back is
delivered after the next frame of the same burst, or at the end of the burst
(``flush``): HDLC's modulo-8 numbering cannot tell a frame delayed across eight
sequence numbers from a new one, and a serial line or a TCP bridge never
delays that long. Time is a fake clock that jumps to the next timer when the
line is idle.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

from openamr.link.hdlc.frame import Frame, FrameSplitter
from openamr.link.hdlc.primary import PrimaryStation
from openamr.link.hdlc.secondary import SecondaryStation
from openamr.link.hdlc.station import DataReceived, Disconnected, HdlcEvent


class Fault(Protocol):
    def __call__(self, frame: bytes) -> list[bytes]: ...

    def flush(self) -> list[bytes]: ...


class NoFault:
    def __call__(self, frame: bytes) -> list[bytes]:
        return [frame]

    def flush(self) -> list[bytes]:
        return []


class FrameFilter(NoFault):
    """A fault from a plain function of one frame."""

    def __init__(self, function: Callable[[bytes], list[bytes]]) -> None:
        self.function = function

    def __call__(self, frame: bytes) -> list[bytes]:
        return self.function(frame)


def answer(request: bytes) -> bytes:
    """The server application of the tests: a long answer derived from the request."""
    return bytes(reversed(request)) * 3 + b"end"


class RandomFaults:
    """Drops, duplicates, corrupts, truncates and reorders frames at random."""

    def __init__(self, seed: int, rate: float = 0.1) -> None:
        self.rng = random.Random(seed)
        self.rate = rate
        self.held: bytes | None = None
        self.count = 0

    def __call__(self, frame: bytes) -> list[bytes]:
        out = [frame]
        if self.rng.random() < self.rate:
            self.count += 1
            i = self.rng.randrange(len(frame))
            out = self.rng.choice(
                [
                    [],
                    [frame, frame],
                    [frame[:i] + bytes([frame[i] ^ 0x55]) + frame[i + 1 :]],
                    [frame[: max(1, i)]],
                ]
            )
        if self.held is not None:
            out.append(self.held)
            self.held = None
        elif self.rng.random() < self.rate / 2 and out:
            self.count += 1
            self.held = out.pop()
        return out

    def flush(self) -> list[bytes]:
        held, self.held = self.held, None
        return [held] if held is not None else []


class Link:
    def __init__(
        self,
        primary: PrimaryStation,
        secondary: SecondaryStation,
        to_server: Fault | None = None,
        to_client: Fault | None = None,
    ) -> None:
        self.primary, self.secondary = primary, secondary
        self.to_server = to_server or NoFault()
        self.to_client = to_client or NoFault()
        self.now = 0.0
        self.client_events: list[HdlcEvent] = []
        self.server_events: list[HdlcEvent] = []
        self.frames_sent = 0

    def _carry(self, data: bytes, fault: Fault) -> bytes:
        out = b""
        for item in FrameSplitter().feed(data):
            assert isinstance(item, Frame), item
            self.frames_sent += 1
            out += b"".join(fault(item.encode()))
        return out + b"".join(fault.flush())

    def run(self, until: Callable[[], bool], max_steps: int = 2000) -> None:
        for _ in range(max_steps):
            if until():
                return
            moved = self._step()
            if not moved:
                timers = [t for t in (self.primary.get_timer(), self.secondary.get_timer()) if t]
                if not timers:
                    return
                self.now = max(self.now, min(timers))
                self.client_events += self.primary.handle_timer(self.now)
                self.server_events += self.secondary.handle_timer(self.now)
        raise AssertionError("the link stalled")

    def _step(self) -> bool:
        to_server = self._carry(self.primary.data_to_send(), self.to_server)
        answers = b""
        if to_server:
            events = self.secondary.receive_data(to_server, self.now)
            self.server_events += events
            for e in events:
                if isinstance(e, DataReceived):
                    answers += self.secondary.send_data(answer(e.data), self.now)
        to_client = self._carry(answers + self.secondary.data_to_send(), self.to_client)
        if to_client:
            self.client_events += self.primary.receive_data(to_client, self.now)
        return bool(to_server or to_client)

    def connect(self) -> None:
        self.primary._outbox += self.primary.connect(self.now)
        self.run(lambda: self.primary.state.value != "CONNECTING")

    def request(self, data: bytes) -> bytes | None:
        """Send a request; the answer, or None if the link went down."""
        self.client_events.clear()
        self.primary._outbox += self.primary.send_data(data, self.now)
        self.run(lambda: not self.primary.busy)
        for e in self.client_events:
            if isinstance(e, DataReceived):
                return e.data
            if isinstance(e, Disconnected):
                return None
        return None
