"""Single action schedule (class 22)."""

from __future__ import annotations

import datetime as dt

from openamr.apdu.results import DataAccessResult
from openamr.codec import Array, CosemDate, CosemTime, Enum, OctetString, Structure, Tag
from openamr.cosem.classes.single_action_schedule import SingleActionSchedule

from .test_extended_register import assert_types

MONTHLY = (CosemTime(0, 0, 0, 0), CosemDate(0xFFFF, 0xFF, 1, 0xFF))  # 1st of every month


def test_types() -> None:
    sas = SingleActionSchedule("0.0.15.0.0.255", times=(MONTHLY,))
    assert_types(sas, {2: Tag.STRUCTURE, 3: Tag.ENUM, 4: Tag.ARRAY})
    assert sas.set(3, Enum(6)) is DataAccessResult.OTHER_REASON
    assert sas.set(3, Enum(5)) is DataAccessResult.SUCCESS
    short = Array([Structure((OctetString(bytes(3)), OctetString(bytes(5))))])
    assert sas.set(4, short) is DataAccessResult.TYPE_UNMATCHED


def test_wildcard_times_match() -> None:
    sas = SingleActionSchedule("0.0.15.0.0.255", times=(MONTHLY,))
    assert sas.matches(dt.datetime(2024, 7, 1, 0, 0, 0))
    assert not sas.matches(dt.datetime(2024, 7, 1, 0, 0, 1))
    assert not sas.matches(dt.datetime(2024, 7, 2, 0, 0, 0))
    weekly = (CosemTime(6, 30, 0, 0xFF), CosemDate(0xFFFF, 0xFF, 0xFF, 1))  # Mondays 06:30
    sas.set(
        4,
        Array(
            [Structure((OctetString(t.to_bytes()), OctetString(d.to_bytes()))) for t, d in [weekly]]
        ),
    )
    assert sas.matches(dt.datetime(2024, 7, 1, 6, 30)) and not sas.matches(
        dt.datetime(2024, 7, 2, 6, 30)
    )
