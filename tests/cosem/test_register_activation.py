"""Register activation (class 6)."""

from __future__ import annotations

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import Array, LongUnsigned, OctetString, Structure, Tag, Unsigned
from openamr.codec.obis import Obis
from openamr.cosem.classes.register_activation import (
    RegisterActivation,
    mask_data,
    object_definition,
)

from .test_extended_register import assert_types

T = [Obis.parse(f"1.0.1.8.{i}.255") for i in range(1, 5)]


def activation() -> RegisterActivation:
    return RegisterActivation(
        "0.0.14.0.1.255",
        [(3, t) for t in T[:3]],
        [(b"T1", [1]), (b"T2", [2]), (b"T12", [1, 2])],
        b"T1",
    )


def test_types() -> None:
    assert_types(activation(), {2: Tag.ARRAY, 3: Tag.ARRAY, 4: Tag.OCTET_STRING})
    ra = activation()
    assert ra.set(2, Array([Unsigned(1)])) is DataAccessResult.TYPE_UNMATCHED
    assert ra.set(3, Array([Structure((OctetString(b"x"), Unsigned(1)))])) is (
        DataAccessResult.TYPE_UNMATCHED
    )
    assert ra.get(2) == Array(object_definition(3, t) for t in T[:3])


def test_active_mask_selects_registers() -> None:
    ra = activation()
    assert ra.active_registers() == [T[0]]
    assert ra.set(4, OctetString(b"T12")) is DataAccessResult.SUCCESS
    assert ra.active_registers() == [T[0], T[1]]


def test_add_register_and_masks() -> None:
    ra = activation()
    assert ra.action(1, object_definition(3, T[3])) == (ActionResult.SUCCESS, None)
    assert ra.action(1, Structure((LongUnsigned(3),)))[0] is ActionResult.TYPE_UNMATCHED
    assert ra.action(2, mask_data(b"T2", [4])) == (ActionResult.SUCCESS, None)  # replaces
    ra.set(4, OctetString(b"T2"))
    assert ra.active_registers() == [T[3]]
    masks = ra.get(3)
    assert isinstance(masks, list) and [m[0] for m in masks] == [b"T1", b"T12", b"T2"]  # type: ignore[index]
    assert ra.action(3, OctetString(b"T12")) == (ActionResult.SUCCESS, None)
    assert ra.action(3, OctetString(b"T12"))[0] is ActionResult.OTHER_REASON
    assert len(ra.get(3)) == 2  # type: ignore[arg-type]
