"""``@message`` (apdu/base.py) behaves as ``@dataclass(frozen=True, slots=True)``:
each check runs on a message class and on the same class made by dataclasses."""

from __future__ import annotations

import dataclasses
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any

import pytest

from openamr.apdu import get
from openamr.apdu.base import message
from openamr.apdu.descriptors import CosemAttributeDescriptor, InvokeIdAndPriority
from openamr.codec.obis import Obis


def pair(kw_only: bool = False) -> list[type]:
    """The same class body twice: made by ``message`` and by ``dataclass``."""

    def body() -> type:
        class Sample:
            """A sample."""

            name: str
            items: tuple[int, ...] = ()
            extra: list[int] = field(default_factory=list)

            def __post_init__(self) -> None:
                if self.name == "bad":
                    raise ValueError("bad name")
                object.__setattr__(self, "items", tuple(self.items))

        return Sample

    return [message(kw_only=kw_only)(body()),
            dataclass(frozen=True, slots=True, kw_only=kw_only)(body())]  # fmt: skip


@pytest.mark.parametrize("cls", pair(), ids=["message", "dataclass"])
def test_as_a_frozen_dataclass(cls: Any) -> None:
    a, b = cls("x", [1, 2], ()), cls("x", (1, 2), ())
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != cls("y", (), ()) and a != ("x", (1, 2), ()) and a.items == (1, 2)
    assert repr(a) == "pair.<locals>.body.<locals>.Sample(name='x', items=(1, 2), extra=())"
    with pytest.raises(TypeError, match="unhashable"):
        hash(cls("x"))  # the default extra is a list
    assert cls("x").extra is not cls("x").extra
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'name'"):
        a.name = "z"
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'name'"):
        del a.name
    # an attribute that is no field: CPython 3.11's frozen dataclass with slots raises
    # TypeError (its __setattr__ calls super() on the class before the slots copy)
    made_here = cls.__setattr__.__module__ == "openamr.apdu.base"
    with pytest.raises(FrozenInstanceError if made_here else TypeError):
        a.other = 1
    assert not hasattr(a, "__dict__") and cls.__slots__ == ("name", "items", "extra")
    with pytest.raises(ValueError, match="bad name"):
        cls("bad")
    with pytest.raises(TypeError):
        cls()
    assert dataclasses.is_dataclass(a)
    assert [f.name for f in dataclasses.fields(a)] == ["name", "items", "extra"]
    c = dataclasses.replace(a, name="z")
    assert c == cls("z", (1, 2), ()) and a.name == "x"
    assert cls.__match_args__ == ("name", "items", "extra")


@pytest.mark.parametrize("cls", pair(kw_only=True), ids=["message", "dataclass"])
def test_keyword_only(cls: Any) -> None:
    assert cls(name="x") == cls(name="x", items=())
    with pytest.raises(TypeError):
        cls("x")


def test_a_recursive_value_repr_does_not_recurse() -> None:
    (made, reference) = pair()
    for cls in (made, reference):
        loop: list[Any] = []
        value = cls("x", (), loop)
        loop.append(value)
        assert repr(value).endswith("extra=[...])")


def test_apdus_compare_hash_and_stay_frozen() -> None:
    desc = CosemAttributeDescriptor(3, Obis.parse("1.0.1.8.0.255"), 2)
    request = get.GetRequestNormal(desc, invoke_id_and_priority=InvokeIdAndPriority(5))
    same = get.GetRequestNormal.from_bytes(request.to_bytes())
    assert same == request and hash(same) == hash(request)
    assert {desc: 1}[CosemAttributeDescriptor(3, Obis.parse("1.0.1.8.0.255"), 2)] == 1
    assert repr(desc) == (
        "CosemAttributeDescriptor(class_id=3, instance_id=Obis.parse('1.0.1.8.0.255'), "
        "attribute_id=2)"
    )
    with pytest.raises(FrozenInstanceError):
        request.invoke_id_and_priority = InvokeIdAndPriority(6)  # type: ignore[misc]
