"""Sim: identities checked, derived ones stable and valid."""

from __future__ import annotations

import pytest

from openamr.gsm import Sim
from openamr.gsm.sim import luhn_digit, normalise_number


def test_derived_cards_are_stable_and_distinct() -> None:
    a, b = Sim.derive(7), Sim.derive(8)
    assert Sim.derive(7) == a
    assert len({a.iccid, b.iccid}) == 2 and len({a.imsi, b.imsi}) == 2
    assert a.imsi == "293400000000007" and a.mcc == 293 and a.mnc == 40
    assert a.msisdn == "+38640000007" and len(a.iccid) == 19
    swapped = a.next()
    assert swapped == Sim.derive(7, generation=1) and swapped.derived == (7, 1)
    assert swapped.iccid != a.iccid and swapped.msisdn == "+38641000007"
    other = Sim("8938641000000000008", "262019876543210", "+4915112345678")
    assert other.derived is None and other.next() != other


def test_luhn_of_a_known_iccid() -> None:
    assert luhn_digit("7992739871") == "3"  # the ISO/IEC 7812 example


@pytest.mark.parametrize(
    ("iccid", "imsi", "msisdn", "words"),
    [
        ("123", "293410000000001", "+38640123456", "19 or 20 digits"),
        ("8938640000000000070", "293410000000001", "+38640123456", "Luhn"),
        (Sim.derive(1).iccid, "29341", "+38640123456", "15 digits"),
        (Sim.derive(1).iccid, "293410000000001", "040123456", "international form"),
    ],
)
def test_bad_cards_say_what_is_wrong(iccid: str, imsi: str, msisdn: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Sim(iccid, imsi, msisdn)


def test_numbers_normalised() -> None:
    assert normalise_number("00386 40-100 200") == "+38640100200"
    assert Sim(Sim.derive(1).iccid, Sim.derive(1).imsi, "00386 64 000 00001").msisdn == (
        "+3866400000001"
    )
