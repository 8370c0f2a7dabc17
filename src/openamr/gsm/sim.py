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
    def derive(cls, n: int, mcc: int = 293, mnc: int = 40, generation: int = 0) -> Sim:
        """A stable card for subscriber number ``n`` (1 .. 999999; a fleet's meter
        index + 1): ICCID 89 386 <mnc> <generation> <n, 10 digits> + Luhn, IMSI <mcc>
        <mnc> <generation> <n, 9 digits>, MSISDN +386 <40 + generation> <n, 6 digits>
        (decision: Slovenian numbers, MCC 293). ``generation`` 0..9 is the meter's
        next card after each SIM swap (:meth:`next`)."""
        if not 0 <= n < 10**6 or not 0 <= generation < 10:
            raise ValueError("derive a SIM for n in 0..999999, generation 0..9")
        body = f"89386{mnc:02d}{generation}{n:010d}"
        return cls(body + luhn_digit(body), f"{mcc:03d}{mnc:02d}{generation}{n:09d}",
                   f"+386{40 + generation}{n:06d}")  # fmt: skip

    @property
    def derived(self) -> tuple[int, int] | None:
        """(n, generation) of a card :meth:`derive` made (None: another card)."""
        n, g = int(self.imsi[6:]), int(self.imsi[5])
        try:
            return (n, g) if Sim.derive(n, self.mcc, self.mnc, g) == self else None
        except ValueError:
            return None

    def next(self) -> Sim:
        """The card that replaces this one in a swap: the next generation of a derived
        card (after 9: 0 again), or a card derived from this one's ICCID."""
        found = self.derived
        if found is None:
            found = (int(self.iccid[-7:-1]) % 10**6, 9)
        n, g = found
        return Sim.derive(n, self.mcc, self.mnc, (g + 1) % 10)
