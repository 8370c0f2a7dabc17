"""SMS-SUBMIT in PDU mode, decoded and checked (the head-end's modem: ``AT+CMGF=0``,
``AT+CMGS=<length>``, 3GPP TS 27.005 §3.5.1 and §4.3), sans-IO.

What the DTE sends after the prompt is hex: the SMSC address field (TS 24.011
§8.2.5.2; its first octet the length, 0: the modem's default centre), then the TPDU
of TS 23.040 §9.2.2.2::

    octet  field                                  here
    -----  -------------------------------------  -------------------------------
    1      TP-MTI (bits 1-0: 01 SUBMIT), TP-RD,   MTI must be SUBMIT; VPF read;
           TP-VPF (bits 4-3), TP-SRR, TP-UDHI     UDHI: the header is skipped
           (bit 6), TP-RP
    1      TP-MR                                  the network assigns its own
    2-12   TP-DA: digits, type of address         §9.1.2.5: BCD, swapped, F-filled;
           (0x91 international: "+")              alphanumeric (0x50) refused
    1      TP-PID
    1      TP-DCS                                 TS 23.038 §4: GSM 7 bit, 8 bit, UCS2
    0/1/7  TP-VP                                  by TP-VPF (§9.2.3.12)
    1      TP-UDL                                 septets (7 bit) or octets
    n      TP-UD                                  7 bit packed (§6.1.2.1.1 of 23.038)

``<length>`` counts the TPDU's octets, the SMSC field excluded (27.005 §3.5.1): a PDU
whose TPDU is not that long is refused, as a real modem does. The GSM 7-bit default
alphabet (TS 23.038 §6.2.1) and its extension table (§6.2.1.1, after ESC 0x1B) are
decoded to text.
"""

from __future__ import annotations

from dataclasses import dataclass

#: TS 23.038 §6.2.1, the GSM 7-bit default alphabet (0x1B: the escape to the extension)
GSM7 = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: TS 23.038 §6.2.1.1, the extension table (after ESC)
GSM7_EXTENSION = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[",
                  0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€"}  # fmt: skip
assert len(GSM7) == 128


class PduError(ValueError):
    """A PDU that is not a well-formed SMS-SUBMIT; the message says which field."""


@dataclass(frozen=True, slots=True)
class Submit:
    """A decoded SMS-SUBMIT: the destination (``+`` for an international number),
    the text, and the fields that say how it was sent."""

    destination: str
    text: str
    reference: int
    pid: int
    dcs: int
    validity: bytes  # TP-VP as sent (0, 1 or 7 octets)
    smsc: str  # "" the modem's default centre
    status_report: bool
    user_data_header: bytes


def decode_submit(hex_text: str, length: int) -> Submit:
    """The SMS-SUBMIT of ``hex_text`` (the SMSC field and the TPDU, in hex), whose
    TPDU is ``length`` octets (``AT+CMGS=<length>``)."""
    try:
        raw = bytes.fromhex(hex_text.strip())
    except ValueError:
        raise PduError("the PDU is not hex digits") from None
    if not raw:
        raise PduError("the PDU is empty")
    sca_len = raw[0]
    if 1 + sca_len > len(raw):
        raise PduError("the SMSC address runs past the PDU")
    smsc = _address(raw[1 : 1 + sca_len], len(raw[2 : 1 + sca_len]) * 2) if sca_len else ""
    tpdu = raw[1 + sca_len :]
    if len(tpdu) != length:
        raise PduError(f"the TPDU is {len(tpdu)} octets, AT+CMGS said {length}")
    return _submit(tpdu, smsc)


def _submit(t: bytes, smsc: str) -> Submit:
    r = _Reader(t)
    first = r.take(1, "TP-MTI")[0]
    if first & 0b11 != 0b01:
        raise PduError(f"TP-MTI {first & 0b11}: not an SMS-SUBMIT (01)")
    vpf, srr, udhi = first >> 3 & 0b11, bool(first & 0x20), bool(first & 0x40)
    reference = r.take(1, "TP-MR")[0]
    digits = r.take(1, "TP-DA")[0]
    if digits > 20:
        raise PduError(f"TP-DA length {digits}: at most 20 digits")
    destination = _address(r.take(1 + (digits + 1) // 2, "TP-DA"), digits)
    pid, dcs = r.take(1, "TP-PID")[0], r.take(1, "TP-DCS")[0]
    validity = r.take({0: 0, 2: 1, 1: 7, 3: 7}[vpf], "TP-VP")
    udl = r.take(1, "TP-UDL")[0]
    alphabet = _alphabet(dcs)
    ud = r.rest()
    size = (udl * 7 + 7) // 8 if alphabet == "gsm7" else udl
    if len(ud) != size:
        raise PduError(f"TP-UDL {udl}: the user data is {len(ud)} octets, not {size}")
    header = b""
    if udhi:
        if not ud or 1 + ud[0] > len(ud):
            raise PduError("TP-UDHI set, but the user data header runs past the data")
        header = ud[1 : 1 + ud[0]]
    text = _text(ud, udl, alphabet, 1 + ud[0] if udhi else 0)
    return Submit(destination, text, reference, pid, dcs, validity, smsc, srr, header)


def _alphabet(dcs: int) -> str:
    """TS 23.038 §4: the character set of TP-DCS."""
    group = dcs >> 4
    if group <= 0b0111:  # general data coding (bit 5: compressed, refused)
        if dcs & 0x20:
            raise PduError(f"TP-DCS {dcs:#04x}: compressed text is not supported")
        kind = dcs >> 2 & 0b11
        return _reserved(dcs) if kind == 3 else ("gsm7", "8bit", "ucs2")[kind]
    if group in (0b1100, 0b1101):
        return "gsm7"  # message waiting indication, discard or store, GSM 7 bit
    if group == 0b1110:
        return "ucs2"
    if group == 0b1111:
        return "8bit" if dcs & 0x04 else "gsm7"
    return _reserved(dcs)


def _reserved(dcs: int) -> str:
    raise PduError(f"TP-DCS {dcs:#04x}: a reserved coding")


def _text(ud: bytes, udl: int, alphabet: str, skip: int) -> str:
    if alphabet == "8bit":
        return ud[skip:].decode("latin-1")
    if alphabet == "ucs2":
        body = ud[skip:]
        if len(body) % 2:
            raise PduError("UCS2 user data of an odd number of octets")
        return body.decode("utf-16-be", "replace")
    septets = _unpack(ud, udl)
    start = (skip * 8 + 6) // 7  # the header and its fill bits (23.040 §9.2.3.24)
    return _gsm7(septets[start:])


def _unpack(data: bytes, count: int) -> list[int]:
    """TS 23.038 §6.1.2.1.1: ``count`` septets packed into octets, low bits first."""
    value = int.from_bytes(data, "little")
    return [value >> (7 * i) & 0x7F for i in range(count)]


def _gsm7(septets: list[int]) -> str:
    out, escape = [], False
    for s in septets:
        if escape:
            out.append(GSM7_EXTENSION.get(s, " "))  # §6.2.1.1: an undefined one: space
            escape = False
        elif s == 0x1B:
            escape = True
        else:
            out.append(GSM7[s])
    return "".join(out)


def _address(field: bytes, digits: int) -> str:
    """TS 23.040 §9.1.2.5 (and 24.008 for the SMSC): the type of address, then the
    digits in swapped semi-octets, an odd count F-filled."""
    if not field:
        raise PduError("an address without its type")
    kind = field[0] >> 4 & 0b111
    if kind == 0b101:
        raise PduError("an alphanumeric destination address cannot be dialled")
    nibbles = "".join(f"{b & 0x0F:x}{b >> 4:x}" for b in field[1:])
    number = nibbles[:digits].removesuffix("f")  # the SMSC's count is in octets
    if not number.isdigit():
        raise PduError(f"the address {nibbles!r} holds more than digits")
    return ("+" if kind == 0b001 else "") + number


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, n: int, field: str) -> bytes:
        if self.at + n > len(self.data):
            raise PduError(f"the TPDU ends inside {field}")
        out = self.data[self.at : self.at + n]
        self.at += n
        return out

    def rest(self) -> bytes:
        return self.data[self.at :]
