"""A serial line between two pseudo-terminals, for the serial transports' tests.

Two pty pairs (``os.openpty``) joined by a relay on the test's event loop: the meter
opens one slave's path with pyserial, the client the other's, and everything written on
one side comes out on the other (no socat). The relay keeps what went each way.

What a pty does not do: it carries bytes at memory speed whatever the baud rate, and it
has no UART, so parity and data bits are not on the wire. Baud rate and framing changes
are therefore no-ops for the bytes; :class:`LineSettings` records what each end asked
for (``tcsetattr``), so the tests can still check the sequence 300 Bd 7E1 -> 9600 Bd 8N1.
Some kernels (this project's sandbox among them) refuse ``PARENB`` or ``CS7`` on a pty
with EINVAL; the recorder then applies the request as CS8 without parity, which is what
the pty carries anyway, and ``tcgetattr`` answers with what was asked (pyserial compares
before it sets: it must see the framing it set, not the kernel's).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import termios
import tty
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

_SPEEDS = {getattr(termios, f"B{b}"): b for b in (300, 600, 1200, 2400, 4800, 9600, 19200, 38400)}
_SIZES = {termios.CS5: 5, termios.CS6: 6, termios.CS7: 7, termios.CS8: 8}
_CFLAG = 2


@dataclass(frozen=True)
class Setting:
    """One ``tcsetattr`` on a tty: its path, baud rate and framing (``"7E1"``)."""

    path: str
    baud: int
    framing: str


class LineSettings:
    """Records every ``tcsetattr`` made through ``termios`` (pyserial's way)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.log: list[Setting] = []
        self.refused_by_kernel = False
        self._set: Callable[..., None] = termios.tcsetattr
        self._get: Callable[[int], list[Any]] = termios.tcgetattr
        self._asked: dict[int, list[Any]] = {}
        monkeypatch.setattr(termios, "tcsetattr", self._tcsetattr)
        monkeypatch.setattr(termios, "tcgetattr", self._tcgetattr)

    def _tcgetattr(self, fd: int) -> list[Any]:
        asked = self._asked.get(fd)
        return self._get(fd) if asked is None else [*asked[:6], list(asked[6])]

    def _tcsetattr(self, fd: int, when: int, attributes: list[Any]) -> None:
        cflag = attributes[_CFLAG]
        assert isinstance(cflag, int)
        self.log.append(Setting(os.ttyname(fd), _speed(attributes), _framing(cflag)))
        self._asked[fd] = [*attributes[:6], list(attributes[6])]
        try:
            self._set(fd, when, attributes)
        except termios.error as e:
            if e.args[0] != errno.EINVAL:
                raise
            self.refused_by_kernel = True
            plain = list(attributes)
            plain[_CFLAG] = (cflag & ~(termios.CSIZE | termios.PARENB | termios.PARODD)) | (
                termios.CS8
            )
            self._set(fd, when, plain)

    def of(self, path: str) -> list[tuple[int, str]]:
        """The distinct successive (baud, framing) of ``path``."""
        out: list[tuple[int, str]] = []
        for s in self.log:
            if s.path == path and (not out or out[-1] != (s.baud, s.framing)):
                out.append((s.baud, s.framing))
        return out


def _speed(attributes: list[object]) -> int:
    ispeed = attributes[4]
    assert isinstance(ispeed, int)
    return _SPEEDS.get(ispeed, 0)


def _framing(cflag: int) -> str:
    parity = "N" if not cflag & termios.PARENB else "O" if cflag & termios.PARODD else "E"
    stop = 2 if cflag & termios.CSTOPB else 1
    return f"{_SIZES[cflag & termios.CSIZE]}{parity}{stop}"


class PtyLine:
    """Two pty pairs and a relay between their masters: a null-modem cable."""

    def __init__(self) -> None:
        self._pairs = [os.openpty(), os.openpty()]
        for master, slave in self._pairs:
            tty.setraw(slave)  # no echo before pyserial opens the slave
            os.set_blocking(master, False)
        self._pending = {master: bytearray() for master, _ in self._pairs}
        self.meter_path = os.ttyname(self._pairs[0][1])
        self.client_path = os.ttyname(self._pairs[1][1])
        self.to_client = bytearray()  # written by the meter
        self.to_meter = bytearray()  # written by the client
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        (meter, _), (client, _) = self._pairs
        self._loop.add_reader(meter, self._pump, meter, client, self.to_client)
        self._loop.add_reader(client, self._pump, client, meter, self.to_meter)

    def _pump(self, source: int, target: int, seen: bytearray) -> None:
        try:
            data = os.read(source, 65536)
        except (BlockingIOError, InterruptedError):
            return
        seen += data
        self._pending[target] += data
        self._flush(target)

    def _flush(self, target: int) -> None:
        assert self._loop is not None
        pending = self._pending[target]
        with contextlib.suppress(BlockingIOError):
            del pending[: os.write(target, pending)]
        if pending:
            self._loop.add_writer(target, self._flush, target)
        else:
            self._loop.remove_writer(target)

    def close(self) -> None:
        if self._loop is not None:
            for master, _ in self._pairs:
                self._loop.remove_reader(master)
                self._loop.remove_writer(master)
        for pair in self._pairs:
            for fd in pair:
                os.close(fd)
