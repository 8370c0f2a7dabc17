"""The SIM card's identity (3GPP TS 23.003 §2 IMSI, §3 MSISDN; ITU-T E.118 ICCID).

    iccid    19 or 20 digits, "89" (telecom) + country code + issuer + account,
             the last digit a Luhn check digit (E.118 §4)
    imsi     15 digits: MCC (3) + MNC (2 or 3) + MSIN (TS 23.003 §2.2)
    msisdn   the number in international form, "+" and up to 15 digits (E.164)

:meth:`Sim.derive` makes a stable identity from a number (a fleet meter's index or
serial), so the same meter always carries the same card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = re.compile(r"\d+")


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of ``digits`` (ITU-T E.118 §4, ISO/IEC 7812-1 annex B)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def normalise_number(number: str) -> str:
    """A phone number as compared: spaces, dashes and dots dropped, "00" -> "+"
    ("00386 40 100 200" -> "+38640100200"). National forms are kept as given."""
    n = re.sub(r"[\s\-.()]", "", number)
    return "+" + n[2:] if n.startswith("00") else n


@dataclass(frozen=True, slots=True)
class Sim:
    """A SIM card: ``Sim(iccid, imsi, msisdn)``; a malformed one raises ValueError
    saying which part is wrong and what it should look like."""

    iccid: str
    imsi: str
    msisdn: str

    def __post_init__(self) -> None:
        if not (_DIGITS.fullmatch(self.iccid) and 19 <= len(self.iccid) <= 20):
            raise ValueError(f"ICCID {self.iccid!r}: give 19 or 20 digits (ITU-T E.118)")
        if luhn_digit(self.iccid[:-1]) != self.iccid[-1]:
            raise ValueError(
                f"ICCID {self.iccid!r}: the last digit is not its Luhn check digit "
                f"(expected {luhn_digit(self.iccid[:-1])})"
            )
        if not (_DIGITS.fullmatch(self.imsi) and len(self.imsi) == 15):
            raise ValueError(f"IMSI {self.imsi!r}: give 15 digits, MCC MNC MSIN")
        number = normalise_number(self.msisdn)
        if not (number.startswith("+") and _DIGITS.fullmatch(number[1:]) and
                6 <= len(number) - 1 <= 15):  # fmt: skip
            raise ValueError(
                f"MSISDN {self.msisdn!r}: give the international form, '+' and 6 to 15 "
                "digits, e.g. +38640123456"
            )
        object.__setattr__(self, "msisdn", number)

    @property
    def mcc(self) -> int:
        return int(self.imsi[:3])

    @property
    def mnc(self) -> int:
        return int(self.imsi[3:5])

    @classmethod
    def derive(cls, n: int, mcc: int = 293, mnc: int = 41, generation: int = 0) -> Sim:
        """A stable card for meter number ``n`` (0 .. 10**8-1): Slovenia (MCC 293)
        by default, numbers +386 64 nnnnnnnn (decision: a block no real subscriber
        uses in the tests' examples). ``generation`` gives the next card of the same
        meter (a SIM swap): another ICCID and IMSI, another MSISDN."""
        if not 0 <= n < 10**8 or not 0 <= generation < 10:
            raise ValueError("derive a SIM for n in 0..99999999, generation 0..9")
        body = f"89386{mnc:02d}{generation}{n:010d}"[:18]
        iccid = body + luhn_digit(body)
        imsi = f"{mcc:03d}{mnc:02d}{generation}{n:09d}"
        msisdn = f"+386{64 + generation}{n:08d}"
        return cls(iccid, imsi, msisdn)
