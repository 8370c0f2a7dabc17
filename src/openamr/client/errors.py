"""What the client raises: one error type that names the meter, the step and the
reason, e.g. ``meter tcp://10.0.0.5:4059: associate (client 32, low): association
refused: authentication failed``.

The lower layers' exception stays the ``__cause__``; a refusal the meter sent as a
value (a Data-Access-Result, an Action-Result) is kept in ``result``. No message
ever holds key material: steps and reasons are built from names and enumerations.
"""

from __future__ import annotations

import enum

from openamr.errors import DlmsError


class MeterError(DlmsError):
    """A failed step with one meter: ``meter`` (its URL), ``step``, ``reason``."""

    def __init__(self, meter: str, step: str, reason: str) -> None:
        self.meter, self.step, self.reason = meter, step, reason
        super().__init__(f"{meter}: {step}: {reason}")


class RefusedError(MeterError):
    """The meter answered, and refused: ``result`` is its DataAccessResult or
    ActionResult (e.g. READ_WRITE_DENIED for a write the association may not do)."""

    def __init__(self, meter: str, step: str, result: enum.IntEnum) -> None:
        self.result = result
        super().__init__(meter, step, refusal_words(result))


#: A meter answers object-undefined for an object it has but this association may
#: not see (Blue Book 4.4.3: only the object list's objects exist for it) as for one
#: it does not have: both are named as what they surely are.
NOT_LISTED = "not in this association's object list"


def refusal_words(result: enum.IntEnum) -> str:
    """The reason of a refusal, in words; object-undefined as :data:`NOT_LISTED`."""
    if result.name == "OBJECT_UNDEFINED":
        return f"refused: object undefined: {NOT_LISTED}, or no such attribute"
    return f"refused: {result.name.lower().replace('_', ' ')}"


class TransportError(DlmsError):
    """The meter could not be reached or stopped answering (the transports of
    :mod:`openamr.client.transport` and :mod:`openamr.client.sockets`)."""

    @classmethod
    def cannot_connect(cls, name: str, cause: BaseException) -> TransportError:
        """A connection refused, unreachable or timed out, with what to check."""
        return cls(
            f"{name}: cannot connect ({cause or 'timed out'}); check the address and that "
            "the meter's modem is online"
        )


class CredentialsError(DlmsError, ValueError):
    """Keys or a password that cannot be used; the message names the source, never
    the secret."""


__all__ = [
    "NOT_LISTED",
    "CredentialsError",
    "MeterError",
    "RefusedError",
    "TransportError",
    "refusal_words",
]
