"""What ``openamr decode`` and ``openamr listen`` show of captured bytes: a Data
value (Blue Book 4.1.5), an APDU (Green Book 9.5, ciphered ones deciphered when
keys are given: 9.2.7.2), a wrapper frame (Green Book 7.3.3.2, IEC 62056-47) or
HDLC frames (IEC 62056-46, 8.4; the LLC header E6 E6/E7 00, 8.1)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from typing import Any

from openamr.apdu import Apdu, decode_apdu
from openamr.apdu.ciphered import is_ciphered
from openamr.cli.render import tree
from openamr.cli.values import to_typed
from openamr.codec import Data, decode
from openamr.codec.axdr import tag_of
from openamr.codec.obis import Obis
from openamr.errors import DecodeError, DlmsError
from openamr.link.hdlc.frame import Frame, FrameSplitter, InvalidFrame
from openamr.link.wrapper import HEADER, WRAPPER_VERSION
from openamr.security.ciphering import decipher
from openamr.security.keys import KeySet

LLC = (b"\xe6\xe6\x00", b"\xe6\xe7\x00")
KINDS = ("auto", "data", "apdu", "wrapper", "hdlc")


@dataclasses.dataclass(frozen=True)
class Keys:
    """The keys and the sender's system title to decipher with (all optional)."""

    keys: KeySet | None = None
    system_title: bytes | None = None


def _is_data(value: object) -> bool:
    if isinstance(value, (enum.Enum, Apdu)):
        return False
    try:
        tag_of(value)  # type: ignore[arg-type]
    except DlmsError:
        return False
    return not isinstance(value, (list, tuple)) or all(_is_data(v) for v in value)


def _plain(value: Any) -> bool:
    return type(value) in (int, str, bool, bytes, type(None))


def _field(name: str, value: Any, indent: str) -> Iterator[str]:
    if isinstance(value, Obis):
        yield f"{indent}{name}: {value}"
    elif isinstance(value, enum.Enum):
        yield f"{indent}{name}: {value.name.lower().replace('_', '-')} ({value.value})"
    elif dataclasses.is_dataclass(value) and not isinstance(value, type) and not _is_data(value):
        yield f"{indent}{name}: {type(value).__name__}"
        for f in dataclasses.fields(value):
            yield from _field(f.name, getattr(value, f.name), indent + "  ")
    elif isinstance(value, (list, tuple)) and not _is_data(value):
        yield f"{indent}{name}: ({len(value)})"
        for n, item in enumerate(value, 1):
            yield from _field(str(n), item, indent + "  ")
    elif not _plain(value) and _is_data(value):
        yield f"{indent}{name}:"
        yield from tree(value, indent + "  ")
    elif isinstance(value, bytes):
        yield f"{indent}{name}: {value.hex(' ') or '(empty)'}"
    else:
        yield f"{indent}{name}: {value}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Obis):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.name.lower().replace("_", "-")
    if _plain(value):
        return value.hex() if isinstance(value, bytes) else value
    if _is_data(value):
        return to_typed(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"type": type(value).__name__}
        out |= {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return out
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def describe_apdu(data: bytes, keys: Keys) -> tuple[list[str], dict[str, Any]]:
    """Lines and JSON of one APDU, the plain APDU inside a ciphered one when the keys
    decipher it."""
    apdu = decode_apdu(data)
    lines = [f"APDU {type(apdu).__name__} ({len(data)} bytes)"]
    for f in dataclasses.fields(apdu):  # type: ignore[arg-type]
        lines += _field(f.name, getattr(apdu, f.name), "  ")
    out: dict[str, Any] = {"apdu": _jsonable(apdu)}
    if data and is_ciphered(data[0]) and keys.keys is not None:
        k = keys.keys
        plain = decipher(data, keys.system_title, k.ek, k.ak)
        lines.append(
            f"deciphered (invocation counter {plain.invocation_counter}, "
            f"system title {plain.system_title.hex()}):"
        )
        inner, inner_json = describe_apdu(plain.apdu, Keys())
        lines += ["  " + line for line in inner]
        out["deciphered"] = inner_json
    elif data and is_ciphered(data[0]):
        lines.append("(ciphered: give --ek and --ak, and --system-title of the sender, to read it)")
    return lines, out


def _wrapper(raw: bytes) -> tuple[int, int, bytes] | None:
    if len(raw) < HEADER.size:
        return None
    version, source, destination, length = HEADER.unpack_from(raw)
    if version != WRAPPER_VERSION or length != len(raw) - HEADER.size:
        return None
    return source, destination, raw[HEADER.size :]


def _hdlc(raw: bytes) -> tuple[list[str], dict[str, Any]]:
    items = FrameSplitter().feed(raw)
    if not items or any(isinstance(i, InvalidFrame) for i in items):
        bad = next((i for i in items if isinstance(i, InvalidFrame)), InvalidFrame("no frame"))
        raise DecodeError(bad.offset, f"HDLC: {bad.reason}")
    frames = [i for i in items if isinstance(i, Frame)]
    lines, info = [], b""
    for n, f in enumerate(frames, 1):
        lines.append(
            f"HDLC frame {n}: {f.kind.name}, to {f.destination}, from {f.source}"
            f"{', segmented' if f.segmented else ''}, {len(f.information)} bytes of information"
        )
        info += f.information
    jsn: dict[str, Any] = {"hdlc": [{"kind": f.kind.name, "segmented": f.segmented,
                                     "destination": str(f.destination),
                                     "source": str(f.source)} for f in frames]}  # fmt: skip
    return lines, jsn | {"information": info.hex()}


def describe(raw: bytes, kind: str, keys: Keys) -> tuple[list[str], dict[str, Any] | Data]:
    """Lines for people and a JSON-able form for scripts; DecodeError, SecurityError."""
    if kind == "data" or (kind == "auto" and raw[:1] != b"\x7e"):
        try:
            return list(tree(decode(raw))), to_typed(decode(raw))
        except DecodeError:
            if kind == "data":
                raise
    wrapped = _wrapper(raw) if kind in ("auto", "wrapper") else None
    if kind == "wrapper" and wrapped is None:
        raise DecodeError(0, "not a wrapper frame (version 0001, then the payload's length)")
    if wrapped is not None:
        source, destination, payload = wrapped
        lines, jsn = describe_apdu(payload, keys)
        head = f"wrapper frame: from {source} to {destination}, {len(payload)} bytes"
        return [head, *lines], {"wrapper": {"source": source, "destination": destination}} | jsn
    if kind == "hdlc" or (kind == "auto" and raw[:1] == b"\x7e"):
        lines, jsn = _hdlc(raw)
        info = bytes.fromhex(jsn["information"])
        if info[:3] in LLC:
            apdu_lines, apdu_json = describe_apdu(info[3:], keys)
            return lines + apdu_lines, jsn | apdu_json
        return lines, jsn
    lines, jsn = describe_apdu(raw, keys)
    return lines, jsn
