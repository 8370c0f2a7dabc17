"""``@record``: ``@dataclass(frozen=True, slots=True)`` made without compiling source.

A dataclass writes the source text of each method it adds (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``, the order
methods) and compiles it when its module is imported: ~3.5 M instructions a class
(callgrind, CPython 3.11), three quarters of what the CLI's start-up spends beyond
the interpreter's own. A record is the same class made from parts:

* ``__init__`` is a code object compiled once per *shape* (how many parameters,
  which have factories, keyword-only or not, ``__post_init__`` or not), then given
  the class's field and parameter names with :meth:`types.CodeType.replace`. It
  is a dataclass's ``__init__`` (one ``object.__setattr__`` a field, held rather
  than looked up on ``object`` each time), with the same signature, defaults and
  annotations;
* ``__eq__``, ``__hash__``, ``__repr__`` and the order methods are compiled once
  per method and number of fields, as CPython 3.11's dataclasses writes them, made
  on their first call (most records are never compared in a run), and renamed the
  same way (a record's ``hash`` and ``==`` cost what a dataclass's do: they are
  the same byte code); ``__setattr__`` and ``__delattr__`` are closures that
  raise :class:`~dataclasses.FrozenInstanceError` as a frozen dataclass's do;
* the fields, the class's ``__slots__``, ``__match_args__``, pickling and the
  class's ``__doc__`` come from :mod:`dataclasses`' own helpers, so that
  :func:`dataclasses.fields`, :func:`~dataclasses.replace`,
  :func:`~dataclasses.asdict` and :func:`~dataclasses.is_dataclass` see a
  dataclass.

What a record does not cover (``InitVar`` pseudo-fields, a base that is a
non-frozen dataclass, a class that declares ``__slots__`` itself, a Python whose
:mod:`dataclasses` lacks the helpers) is handed to :func:`dataclasses.dataclass`
itself, which then does what it does (raise, for the last but one).
``tests/codec/test_record.py`` checks records against dataclasses of the same
definitions, method by method.
"""

from __future__ import annotations

import abc
import dataclasses
import inspect
import reprlib
import sys
from collections.abc import Callable
from dataclasses import FrozenInstanceError, field
from types import CellType, CodeType, FunctionType
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T", bound=type)

#: the private helpers of dataclasses a record is made with (CPython 3.11-3.13)
_HELPERS = (
    "_get_field", "_is_type", "_is_kw_only", "_fields_in_init_order", "_add_slots",
    "_FIELD", "_FIELD_INITVAR", "_FIELDS", "_PARAMS", "_DataclassParams",
    "_HAS_DEFAULT_FACTORY", "_POST_INIT_NAME",
)  # fmt: skip
_USABLE = all(hasattr(dataclasses, name) for name in _HELPERS)
_dc: Any = dataclasses  # the private helpers, untyped

# How __init__ sets a field, by kind: a parameter, a parameter whose default is a
# factory, a factory alone (init=False), a default alone (init=False, slots).
_ARG, _ARG_FACTORY, _FACTORY, _VALUE = range(4)
_Shape = tuple[tuple[int, ...], int, bool]  # (kinds, positional parameters, post-init)
_TEMPLATES: dict[_Shape, CodeType] = {}
_PLACEHOLDER = "\x00field{}"


def _template(kinds: tuple[int, ...], positional: int, post_init: bool) -> CodeType:
    """The code of an ``__init__`` of this shape, its parameters ``p0, p1...``, its
    fields the string constants ``"\\x00field0"...`` and its defaults the free
    variables ``_v0...``."""
    shape = (kinds, positional, post_init)
    code = _TEMPLATES.get(shape)
    if code is not None:
        return code
    params, lines = ["self"], []
    for i, kind in enumerate(kinds):
        name = repr(_PLACEHOLDER.format(i))
        if kind in (_ARG, _ARG_FACTORY):
            if len(params) == positional + 1:
                params.append("*")
            params.append(f"p{i}")
        value = {
            _ARG: f"p{i}",
            _ARG_FACTORY: f"_v{i}() if p{i} is _HAS_DEFAULT_FACTORY else p{i}",
            _FACTORY: f"_v{i}()",
            _VALUE: f"_v{i}",
        }[kind]
        lines.append(f"  _object_setattr(self, {name}, {value})")
    if post_init:
        lines.append("  self.__post_init__()")
    free = ["_object_setattr", "_HAS_DEFAULT_FACTORY"]
    free += [f"_v{i}" for i, kind in enumerate(kinds) if kind != _ARG]
    source = (
        f"def __make__({', '.join(free)}):\n"
        f" def __init__({', '.join(params)}):\n" + "\n".join(lines or ["  pass"]) + "\n"
        " return __init__\n"
    )
    outer = compile(source, "<record>", "exec")
    make = next(c for c in outer.co_consts if isinstance(c, CodeType))
    code = next(c for c in make.co_consts if isinstance(c, CodeType))
    _TEMPLATES[shape] = code
    return code


def _init(
    cls: type, fields: list[Any], post_init: bool, module: dict[str, Any]
) -> Callable[..., None] | None:
    """The class's ``__init__``: what ``dataclasses._init_fn`` writes for a frozen
    class with slots, made from the template of its shape; None when a keyword-only
    field comes before a positional one (the signature's order is then not the
    fields' order: no template is made for that)."""
    missing = dataclasses.MISSING
    std, kw_only = _dc._fields_in_init_order(fields)
    params = [*std, *kw_only]
    if params != [f for f in fields if f.init]:
        return None
    seen_default = False
    for f in std:
        if not (f.default is missing and f.default_factory is missing):
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    set_fields, kinds, values = [], [], []
    for f in fields:
        if f.default_factory is not missing:
            kind, value = (_ARG_FACTORY if f.init else _FACTORY), f.default_factory
        elif f.init:
            kind, value = _ARG, None
        elif f.default is not missing:
            kind, value = _VALUE, f.default
        else:
            continue  # init=False without a default: __init__ leaves it unset
        set_fields.append(f)
        kinds.append(kind)
        values.append(value)
    code = _template(tuple(kinds), len(std), post_init)
    names = {_PLACEHOLDER.format(i): f.name for i, f in enumerate(set_fields)}
    self_name = "__dataclass_self__" if "self" in {f.name for f in fields} else "self"
    code = code.replace(
        co_varnames=(self_name, *(f.name for f in params)),
        co_consts=tuple(names.get(c, c) if type(c) is str else c for c in code.co_consts),
        co_name="__init__",
        co_qualname=f"{cls.__qualname__}.__init__",
    )
    free = {"_object_setattr": object.__setattr__, "_HAS_DEFAULT_FACTORY": _dc._HAS_DEFAULT_FACTORY}
    free.update((f"_v{i}", v) for i, v in enumerate(values) if kinds[i] != _ARG)
    defaults = tuple(_default(f) for f in std if _has_default(f))
    fn = FunctionType(
        code, module, "__init__", defaults or None,
        tuple(CellType(free[name]) for name in code.co_freevars),
    )  # fmt: skip
    kw_defaults = {f.name: _default(f) for f in kw_only if _has_default(f)}
    fn.__kwdefaults__ = kw_defaults or None
    fn.__qualname__ = f"{cls.__qualname__}.__init__"
    fn.__annotations__ = {f.name: f.type for f in params} | {"return": None}
    return fn


def _has_default(f: Any) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _default(f: Any) -> Any:
    return f.default if f.default is not dataclasses.MISSING else _dc._HAS_DEFAULT_FACTORY


_FIELD_NAME = "_record_field{}"
#: the body of each method made per class, as dataclasses writes it; ``{self}`` and
#: ``{other}`` are the tuples of the fields (``(self.a,self.b,)``)
_BODIES = {
    "__eq__": ("self, other", "if other.__class__ is self.__class__:\n"
               "  return {self}=={other}\n return NotImplemented"),
    "__lt__": ("self, other", "if other.__class__ is self.__class__:\n"
               "  return {self}<{other}\n return NotImplemented"),
    "__le__": ("self, other", "if other.__class__ is self.__class__:\n"
               "  return {self}<={other}\n return NotImplemented"),
    "__gt__": ("self, other", "if other.__class__ is self.__class__:\n"
               "  return {self}>{other}\n return NotImplemented"),
    "__ge__": ("self, other", "if other.__class__ is self.__class__:\n"
               "  return {self}>={other}\n return NotImplemented"),
    "__hash__": ("self", "return hash({self})"),
    "__repr__": ("self", "return self.__class__.__qualname__ + {text}"),
}  # fmt: skip
_METHODS: dict[tuple[str, int], CodeType] = {}


def _method_code(name: str, count: int) -> CodeType:
    """The code of method ``name`` over ``count`` fields called
    ``_record_field0...``, compiled once for every class with as many."""
    code = _METHODS.get((name, count))
    if code is not None:
        return code
    fields = [_FIELD_NAME.format(i) for i in range(count)]
    own = "(" + "".join(f"self.{f}," for f in fields) + ")"
    other = "(" + "".join(f"other.{f}," for f in fields) + ")"
    # repr: 'f"(_record_field0={self._record_field0!r}, ...)"' (the names renamed
    # in the string constants too)
    text = 'f"(' + ", ".join(f"{f}={{self.{f}!r}}" for f in fields) + ')"'
    params, body = _BODIES[name]
    source = f"def {name}({params}):\n {body.format(self=own, other=other, text=text)}\n"
    outer = compile(source, "<record>", "exec")
    code = next(c for c in outer.co_consts if isinstance(c, CodeType))
    _METHODS[name, count] = code
    return code


def _lazy(
    cls: type, name: str, fields: tuple[str, ...], module: dict[str, Any]
) -> Callable[..., Any]:
    """Method ``name``, made (:func:`_method`) when it is first called: it then takes
    this stand-in's place in the class. Most records are never compared, hashed or
    shown in a given run, and each method a record makes costs a compilation the
    first time a class has as many fields."""

    def stand_in(self: Any, *args: Any) -> Any:
        made = _method(cls, name, fields, module)
        for owner in type(self).__mro__:  # the class with slots, made after this
            if owner.__dict__.get(name) is stand_in:
                setattr(owner, name, made)
                break
        return made(self, *args)

    stand_in.__name__ = name
    stand_in.__qualname__ = f"{cls.__qualname__}.{name}"
    return stand_in


def _method(
    cls: type, name: str, fields: tuple[str, ...], module: dict[str, Any]
) -> Callable[..., Any]:
    """Method ``name`` of the class over ``fields``: the byte code dataclasses
    compiles for it, its attribute names (and repr's text) renamed."""
    code = _method_code(name, len(fields))
    names = {_FIELD_NAME.format(i): f for i, f in enumerate(fields)}
    # longest placeholder first: _record_field1 is a prefix of _record_field10
    ordered = sorted(names.items(), key=lambda item: -len(item[0]))

    def renamed(text: str) -> str:
        for placeholder, field_name in ordered:
            text = text.replace(placeholder, field_name)
        return text

    code = code.replace(
        co_names=tuple(names.get(n, n) for n in code.co_names),
        co_consts=tuple(renamed(c) if type(c) is str else c for c in code.co_consts),
        co_qualname=f"{cls.__qualname__}.{name}",
    )
    fn = FunctionType(code, module, name)
    fn.__qualname__ = f"{cls.__qualname__}.{name}"
    if name == "__repr__":
        recursive: Callable[..., Any] = reprlib.recursive_repr()(fn)
        return recursive
    return fn


def _frozen(cls: Any, names: tuple[str, ...]) -> dict[str, Callable[..., None]]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return {"__setattr__": __setattr__, "__delattr__": __delattr__}


def _params(**given: bool) -> Any:
    """``__dataclass_params__`` with the arguments this Python's takes."""
    params = _dc._DataclassParams
    names = params.__init__.__code__.co_varnames[1 : params.__init__.__code__.co_argcount]
    defaults = {"match_args": True, "kw_only": False, "slots": True, "weakref_slot": False}
    return params(**{n: given.get(n, defaults.get(n, False)) for n in names})


def _set_new(cls: type, name: str, value: Any) -> bool:
    """Set ``name`` unless the class defines it; True when it does (as
    ``dataclasses._set_new_attribute``)."""
    if name in cls.__dict__:
        return True
    if isinstance(value, FunctionType):
        value.__qualname__ = f"{cls.__qualname__}.{value.__name__}"
    setattr(cls, name, value)
    return False


def _make(cls: type, kw_only: bool, order: bool, repr: bool, eq: bool) -> type:
    def fallback() -> type:
        made: type = dataclasses.dataclass(
            cls, frozen=True, slots=True, kw_only=kw_only, order=order, repr=repr, eq=eq
        )
        return made

    if not _USABLE or "__slots__" in cls.__dict__ or (order and not eq):
        return fallback()
    dc = _dc
    fields: dict[str, Any] = {}
    for base in cls.__mro__[-1:0:-1]:
        base_fields = base.__dict__.get(dc._FIELDS)
        if base_fields is not None:
            if not getattr(base, dc._PARAMS).frozen:
                return fallback()  # which raises: frozen from non-frozen
            fields.update((f.name, f) for f in base_fields.values())
    own = []
    annotations = inspect.get_annotations(cls)
    for name, annotation in annotations.items():
        if dc._is_kw_only(annotation, dc) or (
            isinstance(annotation, str)
            and dc._is_type(annotation, cls, dc, dc.KW_ONLY, dc._is_kw_only)
        ):
            return fallback()
        f = dc._get_field(cls, name, annotation, kw_only)
        if f._field_type is dc._FIELD_INITVAR:
            return fallback()
        own.append(f)
    for f in own:
        fields[f.name] = f
    real = [f for f in fields.values() if f._field_type is dc._FIELD]
    module = sys.modules[cls.__module__].__dict__ if cls.__module__ in sys.modules else {}
    init = _init(cls, real, hasattr(cls, dc._POST_INIT_NAME), module)
    if init is None:
        return fallback()  # before the class is changed in any way
    for f in own:
        if isinstance(getattr(cls, f.name, None), dataclasses.Field):
            if f.default is dataclasses.MISSING:
                delattr(cls, f.name)
            else:
                setattr(cls, f.name, f.default)
    for name, value in cls.__dict__.items():
        if isinstance(value, dataclasses.Field) and name not in annotations:
            raise TypeError(f"{name!r} is a field but has no type annotation")
    setattr(cls, dc._PARAMS, _params(init=True, repr=repr, eq=eq, order=order,
                                     unsafe_hash=False, frozen=True, kw_only=kw_only))  # fmt: skip
    setattr(cls, dc._FIELDS, fields)
    class_hash = cls.__dict__.get("__hash__", dataclasses.MISSING)
    explicit_hash = not (
        class_hash is dataclasses.MISSING or (class_hash is None and "__eq__" in cls.__dict__)
    )
    _set_new(cls, "__init__", init)

    def names_of(chosen: Callable[[Any], bool]) -> tuple[str, ...]:
        return tuple(f.name for f in real if chosen(f))

    if repr:
        _set_new(cls, "__repr__", _lazy(cls, "__repr__", names_of(lambda f: f.repr), module))
    compared = names_of(lambda f: f.compare)
    if eq:
        _set_new(cls, "__eq__", _lazy(cls, "__eq__", compared, module))
    if order:
        for name in ("__lt__", "__le__", "__gt__", "__ge__"):
            if _set_new(cls, name, _lazy(cls, name, compared, module)):
                raise TypeError(
                    f"Cannot overwrite attribute {name} in class {cls.__name__}. "
                    "Consider using functools.total_ordering"
                )
    for name, fn in _frozen(cls, tuple(f.name for f in real)).items():
        if _set_new(cls, name, fn):
            raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
    if eq and not explicit_hash:
        hashed = names_of(lambda f: f.compare if f.hash is None else f.hash)
        hash_fn = _lazy(cls, "__hash__", hashed, module)
        setattr(cls, "__hash__", hash_fn)  # noqa: B010  (mypy: a method is not assigned)
    if not cls.__dict__.get("__doc__"):
        try:
            text = str(inspect.signature(cls)).replace(" -> None", "")
        except (TypeError, ValueError):
            text = ""
        cls.__doc__ = cls.__name__ + text
    _set_new(cls, "__match_args__", tuple(f.name for f in real if f.init and not f.kw_only))
    made: type = dc._add_slots(cls, True, False)
    abc.update_abstractmethods(made)
    return made


@overload
def record(cls: T, /) -> T: ...
@overload
def record(
    *, kw_only: bool = False, order: bool = False, repr: bool = True, eq: bool = True
) -> Callable[[T], T]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(
    cls: T | None = None, /, *, kw_only: bool = False, order: bool = False, repr: bool = True,
    eq: bool = True,
) -> T | Callable[[T], T]:  # fmt: skip
    """``@dataclass(frozen=True, slots=True, ...)`` with the same ``kw_only``,
    ``order``, ``repr`` and ``eq``: the same class, made without compiling its
    methods' source (see the module's text)."""

    def wrap(cls: T) -> T:
        made: T = _make(cls, kw_only, order, repr, eq)  # type: ignore[assignment]
        return made

    return wrap if cls is None else wrap(cls)
