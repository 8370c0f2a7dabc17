"""``@record`` against ``@dataclass(frozen=True, slots=True)`` of the same definitions:
the same fields, signature, defaults, equality, hash, order, repr, frozenness,
``__match_args__``, ``__doc__``, pickling, ``replace`` and ``asdict``."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import re
import sys
from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any, ClassVar

import pytest

from openamr.codec import record as record_module
from openamr.codec.record import record

Maker = Callable[..., Any]


def _dataclass(**options: Any) -> Maker:
    return dataclass(frozen=True, slots=True, **options)


def _record(**options: Any) -> Maker:
    return record(**options)


def plain(make: Maker) -> Any:
    @make
    class Point:
        """A point."""

        x: int
        y: int = 2
        tags: tuple[str, ...] = ()
        SIZE: ClassVar[int] = 3

        def total(self) -> int:
            return self.x + self.y

    return Point


def no_doc(make: Maker) -> Any:
    @make
    class Bare:
        a: int
        b: str = "b"

    return Bare


def factories(make: Maker) -> Any:
    @make
    class Bag:
        """Fields with factories, with and without init, and one left out."""

        name: str
        items: list[int] = field(default_factory=list)
        hidden: dict[str, int] = field(default_factory=dict, init=False, repr=False)
        label: str = field(default="x", init=False)
        note: str = field(default="n", compare=False, hash=False)

    return Bag


def post_init(make: Maker) -> Any:
    @make
    class Checked:
        """Checks itself."""

        value: int
        twice: int = field(init=False, default=0)

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")
            object.__setattr__(self, "twice", 2 * self.value)

    return Checked


def keywords(make: Maker) -> Any:
    @make
    class Keys:
        """Keyword-only fields: one by field(), the rest by the class."""

        first: int
        second: int = field(default=5, kw_only=True)

    return Keys


def all_keywords(make: Maker) -> Any:
    @_with(make, kw_only=True)
    class AllKeys:
        """Every field keyword-only."""

        a: int
        b: int = 1

    return AllKeys


def ordered(make: Maker) -> Any:
    @_with(make, order=True)
    class Version:
        """Ordered field by field."""

        major: int
        minor: int = 0

    return Version


def no_repr_no_eq(make: Maker) -> Any:
    @_with(make, repr=False, eq=False)
    class Handle:
        """Compared by identity."""

        fd: int

    return Handle


def own_methods(make: Maker) -> Any:
    @make
    class Own:
        """Its own __repr__, __eq__ and __hash__ stay."""

        key: str
        other: int = 0

        def __repr__(self) -> str:
            return f"<{self.key}>"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Own) and other.key == self.key

        def __hash__(self) -> int:
            return hash(self.key)

    return Own


def inherited(make: Maker) -> Any:
    @make
    class Base:
        """A base."""

        a: int
        b: int = 1

        def __post_init__(self) -> None:
            if self.a == 99:
                raise ValueError("99")

    @make
    class Derived(Base):
        """A derived record: the base's fields first, ``b`` redefined."""

        c: str = "c"
        b: int = 7

    return Derived


def self_field(make: Maker) -> Any:
    @make
    class Odd:
        """A field called self."""

        self: int
        other: int = 0

    return Odd


def empty(make: Maker) -> Any:
    @make
    class Nothing:
        """No fields."""

    return Nothing


def many(make: Maker) -> Any:
    @_with(make, order=True)
    class Wide:
        """Twelve fields (field1 is a prefix of field10 and field11), one called
        hash and one other."""

        f0: int = 0
        f1: int = 1
        f2: int = 2
        f3: int = 3
        f4: int = 4
        f5: int = 5
        f6: int = 6
        f7: int = 7
        f8: int = 8
        f9: int = 9
        hash: int = 10
        other: str = "o"

    return Wide


def _with(make: Maker, **options: Any) -> Maker:
    return _record(**options) if make is _record else _dataclass(**options)


# (definition, arguments of one instance, arguments of another)
DEFINITIONS = [
    (plain, ((1,), {}), ((1,), {"y": 3, "tags": ("a",)})),
    (no_doc, ((1,), {}), ((2, "c"), {})),
    (factories, (("n",), {}), (("n", [1]), {"note": "m"})),
    (post_init, ((2,), {}), ((3,), {})),
    (keywords, ((1,), {}), ((1,), {"second": 6})),
    (all_keywords, ((), {"a": 1}), ((), {"a": 1, "b": 2})),
    (ordered, ((1, 2), {}), ((1,), {"minor": 3})),
    (no_repr_no_eq, ((3,), {}), ((3,), {})),
    (own_methods, (("k",), {}), (("k", 2), {})),
    (inherited, ((1,), {}), ((1, 2, "d"), {})),
    (self_field, ((1,), {}), ((), {"self": 1, "other": 2})),
    (empty, ((), {}), ((), {})),
    (many, ((), {}), ((9, 8), {"hash": 1, "other": "p"})),
]


def _pair(definition: Callable[[Maker], Any]) -> tuple[Any, Any]:
    return definition(_dataclass()), definition(_record())


def _outcome(fn: Callable[[Any], Any], obj: Any) -> tuple[Any, ...]:
    """What ``fn(obj)`` gives or raises (an identity hash: that it is one)."""
    try:
        value = fn(obj)
    except Exception as e:
        return ("raises", type(e), str(e))
    return ("identity",) if fn is hash and value == object.__hash__(obj) else ("gives", value)


def _state(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, f.name, "<unset>") for f in dataclasses.fields(obj))


@pytest.mark.parametrize(
    ("definition", "one", "two"), DEFINITIONS, ids=lambda d: getattr(d, "__name__", "")
)
def test_a_record_is_the_dataclass(
    definition: Callable[[Maker], Any], one: tuple[Any, Any], two: tuple[Any, Any]
) -> None:
    dc, rec = _pair(definition)
    assert rec is not dc
    assert dataclasses.is_dataclass(rec)
    assert [(f.name, f.type, f.init, f.repr, f.compare, f.hash, f.kw_only, f.default)
            for f in dataclasses.fields(rec)] == [
           (f.name, f.type, f.init, f.repr, f.compare, f.hash, f.kw_only, f.default)
            for f in dataclasses.fields(dc)]  # fmt: skip
    assert rec.__slots__ == dc.__slots__
    assert rec.__match_args__ == dc.__match_args__
    assert rec.__doc__ == dc.__doc__
    assert str(inspect.signature(rec)) == str(inspect.signature(dc))
    assert rec.__init__.__annotations__ == dc.__init__.__annotations__
    assert rec.__init__.__qualname__ == dc.__init__.__qualname__
    params = rec.__dataclass_params__
    assert (params.init, params.repr, params.eq, params.order, params.frozen) == (
        dc.__dataclass_params__.init, dc.__dataclass_params__.repr, dc.__dataclass_params__.eq,
        dc.__dataclass_params__.order, dc.__dataclass_params__.frozen,
    )  # fmt: skip
    for a, kw in (one, two):
        r, d = rec(*a, **kw), dc(*a, **kw)
        assert _state(r) == _state(d)
        assert re.sub(" at 0x[0-9a-f]+", "", repr(r)) == re.sub(" at 0x[0-9a-f]+", "", repr(d))
        assert (r == rec(*a, **kw)) == (d == dc(*a, **kw))
        assert (r == d) is False  # another class
        assert _outcome(hash, r) == _outcome(hash, d)
        for obj in (r, d):  # another name: what a frozen dataclass with slots raises
            with pytest.raises(TypeError, match="super"):
                obj.anything = 1
        for f in dataclasses.fields(r):
            with pytest.raises(FrozenInstanceError):
                setattr(r, f.name, 1)
            with pytest.raises(FrozenInstanceError):
                delattr(r, f.name)
        assert r.__getstate__() == d.__getstate__()
        assert _state(copy.copy(r)) == _state(r)
        assert dataclasses.asdict(r) == dataclasses.asdict(d)
        init_fields = [f.name for f in dataclasses.fields(r) if f.init]
        if init_fields:
            changes = {init_fields[0]: getattr(d, init_fields[0])}
            assert _state(dataclasses.replace(r, **changes)) == _state(
                dataclasses.replace(d, **changes)
            )
    (a1, kw1), (a2, kw2) = one, two
    assert (rec(*a1, **kw1) == rec(*a2, **kw2)) == (dc(*a1, **kw1) == dc(*a2, **kw2))
    if dc.__dataclass_params__.order:
        r1, r2, d1, d2 = rec(*a1, **kw1), rec(*a2, **kw2), dc(*a1, **kw1), dc(*a2, **kw2)
        for op in ("__lt__", "__le__", "__gt__", "__ge__"):
            assert getattr(r1, op)(r2) == getattr(d1, op)(d2)
            assert getattr(r1, op)(d2) is NotImplemented


@record
class Pickled:
    """A record at module level, as pickle finds classes."""

    a: int
    b: tuple[int, ...] = (1, 2)


def test_pickle() -> None:
    one = Pickled(3)
    assert pickle.loads(pickle.dumps(one)) == one
    assert copy.deepcopy(one) == one


def test_the_same_errors() -> None:
    """Wrong arguments and bad definitions fail as they do with a dataclass."""
    dc, rec = _pair(plain)
    for args, kwargs in (((), {}), ((1, 2, (), 4), {}), ((1,), {"z": 1}), ((1,), {"x": 1})):
        with pytest.raises(TypeError) as d_error:
            dc(*args, **kwargs)
        with pytest.raises(TypeError) as r_error:
            rec(*args, **kwargs)
        assert str(r_error.value) == str(d_error.value)
    dc, rec = _pair(post_init)
    with pytest.raises(ValueError, match="negative"):
        rec(-1)
    dc, rec = _pair(inherited)
    with pytest.raises(ValueError, match="99"):
        rec(99)
    for make in (_dataclass(), _record()):
        with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

            @make
            class Wrong:
                a: int = 0
                b: int

        with pytest.raises(ValueError, match="mutable default"):

            @make
            class Mutable:
                a: list[int] = []

        @dataclass
        class Loose:
            a: int

        with pytest.raises(
            TypeError, match="cannot inherit frozen dataclass from a non-frozen one"
        ):

            @make
            class Frozen(Loose):
                b: int = 0


def test_what_a_record_leaves_to_dataclasses() -> None:
    """InitVar and a keyword-only field before a positional one are made by
    dataclasses itself: the same class either way."""

    @record
    class WithInitVar:
        a: int
        scale: dataclasses.InitVar[int] = 1

        def __post_init__(self, scale: int) -> None:
            object.__setattr__(self, "a", self.a * scale)

    assert WithInitVar(2, 3).a == 6
    assert [f.name for f in dataclasses.fields(WithInitVar)] == ["a"]

    @record
    class KeywordFirst:
        a: int = field(kw_only=True)
        b: int = 0

    assert str(inspect.signature(KeywordFirst)) == "(b: 'int' = 0, *, a: 'int') -> None"
    assert KeywordFirst(1, a=2) == KeywordFirst(b=1, a=2)


def test_one_template_a_shape() -> None:
    """Records of the same shape share the compiled template of their ``__init__``."""

    @record
    class One:
        a: int
        b: str = ""

    @record
    class Two:
        c: bytes
        d: float = 0.0

    assert One.__init__.__code__.co_code == Two.__init__.__code__.co_code
    assert One.__init__.__code__.co_varnames == ("self", "a", "b")
    assert Two.__init__.__code__.co_varnames == ("self", "c", "d")
    assert record_module._USABLE
    assert One.__init__.__code__.co_filename == "<record>"  # not dataclasses' own
    assert One.__init__.__code__ is not Two.__init__.__code__


def test_the_methods_are_made_when_first_called() -> None:
    """``==``, ``hash``, ``repr`` and the order methods are made on their first call
    and then are the class's own: the byte code of a dataclass's."""

    @record(order=True)
    class Late:
        a: int
        b: str = ""

    @dataclass(frozen=True, slots=True, order=True)
    class Made:
        a: int
        b: str = ""

    stand_ins = {name: Late.__dict__[name] for name in ("__eq__", "__hash__", "__repr__", "__lt__")}
    one, two = Late(1, "x"), Late(1, "y")
    assert (one == two, hash(one) == hash(Late(1, "x")), repr(one), one < two) == (
        False, True, "test_the_methods_are_made_when_first_called.<locals>.Late(a=1, b='x')",
        True,
    )  # fmt: skip
    for name, stand_in in stand_ins.items():
        made = Late.__dict__[name]
        assert made is not stand_in
        # repr is wrapped against recursion, as a dataclass's; 3.13's dataclasses write
        # another __eq__ (``self is other`` first): the records' are 3.11's
        if name != "__repr__" and sys.version_info < (3, 13):
            assert made.__code__.co_code == Made.__dict__[name].__code__.co_code
            assert made.__code__.co_names == Made.__dict__[name].__code__.co_names
    assert Late.__dict__["__ge__"].__code__.co_name == "stand_in"  # not called yet
