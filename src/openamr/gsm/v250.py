"""The result codes of a V.250 modem and the DTE's reading of them, sans-IO.

ITU-T V.250 §5.7 (result codes, table 1) and 3GPP TS 27.007 (the GSM commands); both
sides use this table: the virtual modem (:mod:`openamr.gsm.at`) says them, the
``csd://`` transport (:mod:`openamr.client.csd`) reads them. A result code is framed by
the modem's verbose setting (``ATV``, §6.2.6)::

    ATV1 (verbose)   CR LF  OK  CR LF          information text: CR LF text CR LF
    ATV0 (numeric)          0   CR             information text: text CR LF

``CONNECT 9600`` is the connect code with the data rate (V.250 §5.7.1: the text after
CONNECT is manufacturer-specific); its numeric form here is the plain ``1`` (CONNECT).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

CR, LF = b"\r", b"\n"
#: the escape character (register S2, §6.2.2) and the SMS text's end (TS 27.005 §3.5.1)
ESCAPE, CTRL_Z, ESC = b"+", b"\x1a", b"\x1b"


class Result(enum.Enum):
    """V.250 table 1: the verbose text and the numeric code of each result."""

    OK = ("OK", 0)
    CONNECT = ("CONNECT", 1)
    RING = ("RING", 2)
    NO_CARRIER = ("NO CARRIER", 3)
    ERROR = ("ERROR", 4)
    NO_DIALTONE = ("NO DIALTONE", 6)
    BUSY = ("BUSY", 7)
    NO_ANSWER = ("NO ANSWER", 8)

    @property
    def text(self) -> str:
        return self.value[0]

    @property
    def code(self) -> int:
        return self.value[1]

    @property
    def final(self) -> bool:
        """Ends a command (everything but the unsolicited RING)."""
        return self is not Result.RING


_BY_TEXT = {r.text: r for r in Result}
_BY_CODE = {str(r.code): r for r in Result}


def frame(text: str, verbose: bool, numeric: int | None = None) -> bytes:
    """A result code (``numeric`` given) or a line of information text, as the modem
    sends it under ``ATV1`` (verbose) or ``ATV0``."""
    if numeric is not None and not verbose:
        return f"{numeric}\r".encode()
    if verbose:
        return f"\r\n{text}\r\n".encode()
    return f"{text}\r\n".encode()


@dataclass(frozen=True, slots=True)
class Reply:
    """What a modem answered to one command line: its final result code, the text
    that came with it (``CONNECT 9600`` -> ``"9600"``), the information lines before
    it, and the bytes that followed it in the same read (the data after CONNECT)."""

    result: Result | None  # None: a final ``+CME ERROR``/``+CMS ERROR`` (see ``error``)
    detail: str = ""
    lines: tuple[str, ...] = ()
    error: str = ""
    rest: bytes = b""


class ReplyReader:
    """Splits the modem's bytes into lines until a final result code (verbose or
    numeric); ``feed`` answers the :class:`Reply` once complete, else None.

    ``+CME ERROR: n`` (TS 27.007 §9.2) and ``+CMS ERROR: n`` (TS 27.005 §3.2.5) are
    final too. An echo of the command (``ATE1``) is one more information line. The
    SMS prompt ``> `` (TS 27.005 §3.5.1) ends a reply with no result code."""

    def __init__(self, prompt: bool = False) -> None:
        self.buffer = bytearray()
        self.lines: list[str] = []
        self.prompt = prompt

    def feed(self, data: bytes) -> Reply | None:
        self.buffer += data
        while True:
            if self.prompt and self.buffer.lstrip(b"\r\n").startswith(b"> "):
                rest = bytes(self.buffer.lstrip(b"\r\n")[2:])
                return Reply(Result.OK, "prompt", tuple(self.lines), rest=rest)
            end = _line_end(self.buffer)
            if end < 0:
                return None
            raw = bytes(self.buffer[:end]).strip(b"\r\n")
            crlf = self.buffer[end : end + 2] == b"\r\n"
            del self.buffer[: end + (2 if crlf else 1)]
            if not raw:
                continue
            reply = self._final(raw.decode("latin-1").strip())
            if reply is not None:
                return reply

    def _final(self, line: str) -> Reply | None:
        code, _, detail = line.partition(" ")
        result = _BY_TEXT.get(line) or _BY_CODE.get(line)
        if result is None and code == "CONNECT":
            result = Result.CONNECT
        elif result is None and line.startswith(("+CME ERROR", "+CMS ERROR")):
            return Reply(None, "", tuple(self.lines), line, bytes(self.buffer))
        if result is None or result is Result.RING:
            self.lines.append(line)
            return None
        if result is not Result.CONNECT:
            detail = ""
        return Reply(result, detail, tuple(self.lines), rest=bytes(self.buffer))


def _line_end(buffer: bytearray) -> int:
    """Index of the first CR or LF that ends a non-empty line, or -1."""
    for i, byte in enumerate(buffer):
        if byte in (13, 10) and buffer[:i].strip(b"\r\n"):
            return i
    return -1
