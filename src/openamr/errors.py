"""The exception tree of openamr.

Protocol-defined refusals (a DataAccessResult, an AARE diagnostic, an
ExceptionResponse) are *values*, never exceptions. Exceptions are for our own
bugs and for input that cannot be decoded.
"""

from __future__ import annotations


class DlmsError(Exception):
    """Root of every openamr exception."""


class DecodeError(DlmsError, ValueError):
    """Input that cannot be decoded; ``offset`` is where decoding stopped."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"{reason} (at byte offset {offset})")
        self.offset = offset
        self.reason = reason


class EncodeError(DlmsError, ValueError):
    """A value that cannot be encoded (out of range, wrong type)."""


class LocalProtocolError(DlmsError):
    """We were asked to do something the protocol does not allow in this state."""


class RemoteProtocolError(DlmsError):
    """The peer did something the protocol does not allow."""


class SecurityError(DlmsError):
    """Authentication or decryption failed, or a counter was replayed."""
