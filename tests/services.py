"""The real services some tests talk to (PostgreSQL, NATS JetStream, Mosquitto).

On a plain machine without them, those tests are skipped with the reason; in CI
(``OPENAMR_REQUIRE_SERVICES=1``, set by ``.ci/run``) a service that does not answer
fails the test instead, so that they never skip silently there.
"""

from __future__ import annotations

import os
import socket

import pytest

PORTS = {"postgresql": 5432, "nats": 4222, "mosquitto": 1883}


def answers(port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require(service: str) -> None:
    """Skip (or, in CI, fail) the calling test when ``service`` does not answer."""
    port = PORTS[service]
    if answers(port):
        return
    reason = f"{service} does not answer on 127.0.0.1:{port}"
    if os.environ.get("OPENAMR_REQUIRE_SERVICES"):
        pytest.fail(f"{reason}; CI requires it (see .ci/services)")
    pytest.skip(f"{reason}: start it to run this test")
