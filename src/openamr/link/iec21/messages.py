"""IEC 62056-21 (ed. 1, 2002) messages, clause 6.3: the ASCII messages of the optical port.

Every message is a frozen dataclass with ``encode() -> bytes`` and ``decode(bytes)``. The
line is 7-bit ASCII (7E1 on a serial line); Latin-1 is used to map bytes to ``str`` so any
byte decodes. Control characters::

    SOH 01  STX 02  ETX 03  EOT 04  ACK 06  NAK 15  CR 0D  LF 0A

Messages (clause 6.3.1 .. 6.3.10)::

    request          / ? [device address] ! CR LF
    identification   / X X X Z [\\W ...] ident CR LF          (X manufacturer, Z baud char)
    ack/option sel.  ACK V Z Y CR LF                            (V protocol, Y mode)
    data (readout)   STX data-block ! CR LF ETX BCC
    data (prog.)     STX data-block ETX|EOT BCC
    command          SOH C D [STX data-set] ETX|EOT BCC        (e.g. P1, W1, R1, B0)
    error            STX (error text) ETX BCC
    acknowledge      ACK          repeat request   NAK

BCC (clause 6.3.x "block check character"): XOR of every byte after the first SOH or STX
up to and including the ETX or EOT, 7 bits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from openamr.errors import DecodeError, EncodeError

SOH, STX, ETX, EOT, ACK, NAK = 0x01, 0x02, 0x03, 0x04, 0x06, 0x15
CRLF = "\r\n"
ENCODING = "latin-1"

#: Mode C baud rate characters (clause 6.3.14, table "baud rate identification").
BAUD_MODE_C: dict[str, int] = {
    "0": 300,
    "1": 600,
    "2": 1200,
    "3": 2400,
    "4": 4800,
    "5": 9600,
    "6": 19200,
}
BAUD_CHAR: dict[int, str] = {v: k for k, v in BAUD_MODE_C.items()}
INITIAL_BAUD = 300

_NOT_IN_ADDRESS = set("()/!")
_NOT_IN_VALUE = set("()*/!")


def bcc(data: bytes) -> int:
    """The block check character: XOR of ``data``, 7 bits.

    ``data`` is what follows the first SOH/STX, up to and including ETX/EOT.

    >>> hex(bcc(b"B0\\x03"))
    '0x71'
    """
    value = 0
    for b in data:
        value ^= b
    return value & 0x7F


def _text(raw: bytes) -> str:
    return raw.decode(ENCODING)


def _check(text: str, banned: set[str], what: str) -> str:
    bad = banned.intersection(text)
    if bad or any(ord(c) < 0x20 or ord(c) > 0x7E for c in text):
        raise EncodeError(f"{what} {text!r} holds a character IEC 62056-21 does not allow")
    return text


@dataclass(frozen=True, slots=True)
class DataSet:
    """A data set (clause 6.3.x): ``address(value*unit)``; address and unit optional.

    ``1.8.0(001234.567*kWh)`` -> ``DataSet("1.8.0", "001234.567", "kWh")``;
    ``(ERROR)`` -> ``DataSet("", "ERROR")``.
    """

    address: str
    value: str
    unit: str = ""

    def to_text(self) -> str:
        _check(self.address, _NOT_IN_ADDRESS, "address")
        _check(self.value, _NOT_IN_VALUE, "value")
        _check(self.unit, _NOT_IN_ADDRESS, "unit")
        unit = f"*{self.unit}" if self.unit else ""
        return f"{self.address}({self.value}{unit})"

    @classmethod
    def parse_line(cls, line: str, offset: int = 0) -> tuple[DataSet, ...]:
        """All data sets of one data line: ``a(v*u)(v2)(v3)...``."""
        sets: list[DataSet] = []
        pos = 0
        while pos < len(line):
            opening = line.find("(", pos)
            closing = line.find(")", opening + 1) if opening >= 0 else -1
            if opening < 0 or closing < 0:
                raise DecodeError(offset + pos, f"data set without '(value)': {line[pos:]!r}")
            value, _, unit = line[opening + 1 : closing].partition("*")
            sets.append(cls(line[pos:opening], value, unit))
            pos = closing + 1
        return tuple(sets)


def _data_lines(block: str, offset: int) -> tuple[tuple[DataSet, ...], ...]:
    lines: list[tuple[DataSet, ...]] = []
    pos = 0
    for line in block.split("\n"):
        stripped = line.rstrip("\r")
        if stripped:
            lines.append(DataSet.parse_line(stripped, offset + pos))
        pos += len(line) + 1
    return tuple(lines)


@dataclass(frozen=True, slots=True)
class RequestMessage:
    """Request message (6.3.1): ``/ ? [device address] ! CR LF``."""

    address: str = ""

    def encode(self) -> bytes:
        _check(self.address, _NOT_IN_ADDRESS, "device address")
        return f"/?{self.address}!{CRLF}".encode(ENCODING)

    @classmethod
    def decode(cls, raw: bytes) -> RequestMessage:
        if not (raw.startswith(b"/?") and raw.endswith(b"!\r\n")):
            raise DecodeError(0, "a request message is '/?[address]!CRLF'")
        return cls(_text(raw[2:-3]))


@dataclass(frozen=True, slots=True)
class IdentificationMessage:
    """Identification message (6.3.2): ``/ X X X Z [\\W] ident CR LF``.

    ``XXX`` is the manufacturer's FLAG id (a lower-case third letter means the device
    answers within 20 ms instead of 200 ms), ``Z`` the highest baud rate character, and
    each ``\\W`` an enhanced identification character (``\\2``: protocol mode E, HDLC).

    ``/ISK5\\2MT372-1004`` -> manufacturer ``ISK``, ``Z='5'`` (9600 Bd), enhanced ``"2"``.
    """

    manufacturer: str
    baud_char: str
    ident: str
    enhanced: str = ""

    @property
    def baud(self) -> int | None:
        """The mode C baud rate ``Z`` stands for, None for other modes' characters."""
        return BAUD_MODE_C.get(self.baud_char)

    @property
    def mode_e(self) -> bool:
        """True when the device announces protocol mode E (``\\2``)."""
        return "2" in self.enhanced

    @property
    def fast_reaction(self) -> bool:
        """A lower-case third letter: minimum reaction time 20 ms (6.3.2 note)."""
        return self.manufacturer[2:3].islower()

    def encode(self) -> bytes:
        if len(self.manufacturer) != 3 or not self.manufacturer.isalpha():
            raise EncodeError(f"manufacturer id {self.manufacturer!r} is not three letters")
        if len(self.baud_char) != 1:
            raise EncodeError(f"baud rate character {self.baud_char!r} is not one character")
        _check(self.ident, _NOT_IN_ADDRESS, "identification")
        enhanced = "".join(f"\\{w}" for w in self.enhanced)
        return f"/{self.manufacturer}{self.baud_char}{enhanced}{self.ident}{CRLF}".encode(ENCODING)

    @classmethod
    def decode(cls, raw: bytes) -> IdentificationMessage:
        if len(raw) < 7 or raw[:1] != b"/" or not raw.endswith(b"\r\n"):
            raise DecodeError(0, "an identification message is '/XXXZ ident CRLF'")
        text = _text(raw[1:-2])
        rest, enhanced = text[4:], ""
        while len(rest) >= 2 and rest[0] == "\\":
            enhanced, rest = enhanced + rest[1], rest[2:]
        return cls(text[:3], text[3], rest, enhanced)


class ProtocolControl(StrEnum):
    """``V`` of the acknowledgement/option select message (6.3.3)."""

    NORMAL = "0"
    SECONDARY = "1"
    HDLC = "2"


class ModeControl(StrEnum):
    """``Y`` of the acknowledgement/option select message (6.3.3)."""

    READOUT = "0"
    PROGRAMMING = "1"
    BINARY = "2"  # binary mode (HDLC), with V = 2: protocol mode E (annex E)
    MANUFACTURER_6 = "6"
    MANUFACTURER_7 = "7"
    MANUFACTURER_8 = "8"
    MANUFACTURER_9 = "9"


@dataclass(frozen=True, slots=True)
class AckOptionSelect:
    """Acknowledgement/option select message (6.3.3): ``ACK V Z Y CR LF``."""

    protocol: ProtocolControl
    baud_char: str
    mode: ModeControl

    @property
    def baud(self) -> int | None:
        return BAUD_MODE_C.get(self.baud_char)

    def encode(self) -> bytes:
        return bytes([ACK]) + f"{self.protocol}{self.baud_char}{self.mode}{CRLF}".encode(ENCODING)

    @classmethod
    def decode(cls, raw: bytes) -> AckOptionSelect:
        if len(raw) != 6 or raw[0] != ACK or raw[4:] != b"\r\n":
            raise DecodeError(0, "an option select message is 'ACK V Z Y CRLF'")
        v, z, y = (chr(b) for b in raw[1:4])
        try:
            return cls(ProtocolControl(v), z, ModeControl(y))
        except ValueError as e:
            raise DecodeError(1, f"unknown protocol or mode control character: {e}") from None


@dataclass(frozen=True, slots=True)
class Ack:
    """Acknowledgement (6.3.5): a single ACK."""

    def encode(self) -> bytes:
        return bytes([ACK])


@dataclass(frozen=True, slots=True)
class Nak:
    """Repeat request (6.3.6): a single NAK; the peer sends its last message again."""

    def encode(self) -> bytes:
        return bytes([NAK])


def _framed(start: int, body: str, partial: bool) -> bytes:
    end = EOT if partial else ETX
    inner = body.encode(ENCODING) + bytes([end])
    return bytes([start]) + inner + bytes([bcc(inner)])


def _unframe(raw: bytes, start: int) -> tuple[bytes, bool]:
    """Check the frame ``start ... ETX|EOT BCC``; the inner bytes and 'partial'."""
    if len(raw) < 3 or raw[0] != start or raw[-2] not in (ETX, EOT):
        raise DecodeError(0, "a block is 'SOH|STX ... ETX|EOT BCC'")
    if bcc(raw[1:-1]) != raw[-1] & 0x7F:
        raise DecodeError(len(raw) - 1, f"bad BCC {raw[-1]:02x}, computed {bcc(raw[1:-1]):02x}")
    return raw[1:-2], raw[-2] == EOT


@dataclass(frozen=True, slots=True)
class DataMessage:
    """Data message (6.3.4 readout, 6.3.8 programming) or error message (6.3.10).

    ``block`` is the text between STX and ETX (a readout's ends with ``!CRLF``)::

        02 | 1.8.0(001234.567*kWh) CR LF ... ! CR LF | 03 | BCC
    """

    block: str
    partial: bool = False

    @classmethod
    def readout(cls, lines: Iterable[DataSet | Sequence[DataSet]]) -> DataMessage:
        """A readout: one data line per item (a data set or several), then ``!CRLF``."""
        text = []
        for line in lines:
            sets = (line,) if isinstance(line, DataSet) else tuple(line)
            text.append("".join(s.to_text() for s in sets) + CRLF)
        return cls("".join(text) + "!" + CRLF)

    @classmethod
    def of(cls, data_set: DataSet) -> DataMessage:
        return cls(data_set.to_text())

    @classmethod
    def error(cls, text: str = "ERROR") -> DataMessage:
        """An error message: ``STX (text) ETX BCC``."""
        return cls.of(DataSet("", text))

    @property
    def is_readout(self) -> bool:
        return self.block.endswith("!\r\n") or self.block.endswith("!\n")

    def lines(self) -> tuple[tuple[DataSet, ...], ...]:
        """The data lines, each a tuple of data sets; ``DecodeError`` when malformed."""
        body = self.block[: self.block.rfind("!")] if self.is_readout else self.block
        return _data_lines(body, 1)

    def data_sets(self) -> tuple[DataSet, ...]:
        return tuple(s for line in self.lines() for s in line)

    @property
    def error_text(self) -> str | None:
        """The text of an error message: one address-less set reading ``ERR...``.

        Decision: R1 answers may also omit the address, so only values starting with
        ``ERR`` (``ERROR``, ``ERROR04``, ``ERR12``: seen in the field) count as errors.
        """
        try:
            sets = self.data_sets()
        except DecodeError:
            return None
        if len(sets) == 1 and not sets[0].address and sets[0].value.upper().startswith("ERR"):
            return sets[0].value
        return None

    def encode(self) -> bytes:
        return _framed(STX, self.block, self.partial)

    @classmethod
    def decode(cls, raw: bytes) -> DataMessage:
        inner, partial = _unframe(raw, STX)
        return cls(_text(inner), partial)


class Command(StrEnum):
    """``C`` of a programming command message (6.3.7)."""

    PASSWORD = "P"
    WRITE = "W"
    READ = "R"
    EXECUTE = "E"
    BREAK = "B"


@dataclass(frozen=True, slots=True)
class CommandMessage:
    """Programming command message (6.3.7): ``SOH C D [STX data set] ETX BCC``::

    01 | 'R' '1' | 02 | 1.8.0() | 03 | BCC      read
    01 | 'P' '1' | 02 | (00000000) | 03 | BCC   password
    01 | 'B' '0' | 03 | BCC                     break (complete sign-off)
    """

    command: Command
    command_type: str
    data: DataSet | None = None
    partial: bool = False

    @property
    def code(self) -> str:
        """``"R1"``, ``"P0"``, ``"B0"``..."""
        return f"{self.command}{self.command_type}"

    def encode(self) -> bytes:
        if len(self.command_type) != 1 or not self.command_type.isdigit():
            raise EncodeError(f"command type {self.command_type!r} is not one digit")
        body = self.code + (chr(STX) + self.data.to_text() if self.data is not None else "")
        return _framed(SOH, body, self.partial)

    @classmethod
    def decode(cls, raw: bytes) -> CommandMessage:
        inner, partial = _unframe(raw, SOH)
        text = _text(inner)
        if len(text) < 2 or not text[1].isdigit():
            raise DecodeError(1, "a command message starts 'SOH C D'")
        try:
            command = Command(text[0])
        except ValueError:
            raise DecodeError(1, f"unknown command {text[0]!r}") from None
        data = None
        if len(text) > 2:
            if text[2] != chr(STX):
                raise DecodeError(3, "expected STX before the command's data set")
            sets = DataSet.parse_line(text[3:], 4) or (DataSet("", ""),)
            if len(sets) != 1:
                raise DecodeError(4, f"a command carries one data set, not {len(sets)}")
            data = sets[0]
        return cls(command, text[1], data, partial)


BREAK = CommandMessage(Command.BREAK, "0")

Message = (
    RequestMessage
    | IdentificationMessage
    | AckOptionSelect
    | Ack
    | Nak
    | DataMessage
    | CommandMessage
)
