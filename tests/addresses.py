"""Free loopback addresses and ports for tests, drawn per run: suites that run at
once on one machine (several worktrees, CI jobs) do not collide on a fixed address.

:func:`free_port` asks the kernel (port 0); :func:`free_port_range` draws a run
of consecutive free ports (a fleet's ``--port-range``); :func:`loopback_block` draws a /16 of
127.0.0.0/8 (``127.X.0.1`` on) and checks that nothing binds its first addresses on
the port a fleet will use, drawing again if something does.
"""

from __future__ import annotations

import contextlib
import random
import socket

_DRAW = random.SystemRandom()
#: second octets left to the defaults (127.0.x, 127.1.x: a fleet's default block),
#: and those this process has handed out already
_RESERVED = {0, 1}
_GIVEN: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on at ``host`` now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def free_port_range(count: int, host: str = "127.0.0.1") -> int:
    """The first of ``count`` consecutive ports nothing listens on at ``host`` now
    (drawn above the usual services, below the kernel's ephemeral range)."""
    for _ in range(200):
        first = _DRAW.randrange(10_000, 32_000 - count)
        if all(_bindable(host, port) for port in range(first, first + count)):
            return first
    raise RuntimeError(f"no {count} free consecutive ports at {host}")


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as s, contextlib.suppress(OSError):
        s.bind((host, port))
        return True
    return False


def loopback_block(port: int = 4059, probe: int = 4) -> str:
    """The first address of a 127.X.0.0/16 whose first ``probe`` addresses are free
    on ``port``: a fleet's ``Addresses(first=...)``."""
    for _ in range(200):
        second = _DRAW.randrange(2, 255)
        if second in _RESERVED or second in _GIVEN:
            continue
        if all(_bindable(f"127.{second}.0.{i}", port) for i in range(1, probe + 1)):
            _GIVEN.add(second)
            return f"127.{second}.0.1"
    raise RuntimeError(f"no free loopback /16 on port {port}")
