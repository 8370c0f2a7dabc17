"""The APDU base class and the tag table every APDU module registers in.

An APDU is a frozen dataclass that writes itself whole, tag included
(``encode(w)``), and is read back by a decoder registered for its first octet
(``@register(tag)``). Decoders that share a tag (GET-Request normal/next/with-list
behind ``C0``) dispatch on their own choice octet.

    from openamr.apdu import decode_apdu
    apdu = decode_apdu(bytes.fromhex("c0 01 c1 00 08 00 00 01 00 00 ff 02 00"))

The APDU modules declare their ~50 messages with :func:`message`, a frozen
dataclass with slots whose ``__eq__``, ``__hash__``, ``__repr__``, ``__setattr__``
and ``__delattr__`` are shared functions instead of code generated and compiled for
each class when the module is imported (three quarters of a dataclass's creation;
the package then loads in half the time). The class itself is a
:func:`~openamr.codec.record.record`, whose ``__init__`` is not compiled per class
either.
"""

from __future__ import annotations

import reprlib
import sys
from collections.abc import Callable
from dataclasses import FrozenInstanceError, field, fields
from operator import attrgetter
from typing import Any, ClassVar, TypeVar, dataclass_transform, overload

from openamr.codec.buffer import Reader, Writer
from openamr.codec.record import record
from openamr.errors import DecodeError

A = TypeVar("A", bound="Apdu")
T = TypeVar("T", bound=type)
Decoder = Callable[[Reader], "Apdu"]

_DECODERS: dict[int, Decoder] = {}


def _values(self: Any) -> tuple[Any, ...]:
    """The fields' values in order, as the generated methods compare them."""
    values: tuple[Any, ...] = type(self).__message_values__(self)
    return values


def _eq(self: Any, other: Any) -> Any:  # bool, or NotImplemented
    if other.__class__ is self.__class__:
        return _values(self) == _values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_values(self))


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    names = type(self).__message_fields__
    inner = ", ".join(f"{n}={v!r}" for n, v in zip(names, _values(self), strict=True))
    return f"{type(self).__qualname__}({inner})"


def _setattr(self: Any, name: str, value: object) -> None:
    """Frozen: ``__init__`` sets each field once; nothing else sets anything. The
    class's own ``__init__`` is known by its code (a frame look-up, no exception
    raised and caught per field: an APDU is built field by field in every session)."""
    cls = type(self)
    if name in cls.__message_fields__:
        if sys._getframe(1).f_code is cls.__init__.__code__:
            object.__setattr__(self, name, value)
            return
        try:
            object.__getattribute__(self, name)
        except AttributeError:  # not set yet: __init__ is setting it
            object.__setattr__(self, name, value)
            return
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) >= 2:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


@overload
def message(cls: T, /) -> T: ...
@overload
def message(*, kw_only: bool = False) -> Callable[[T], T]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def message(cls: T | None = None, /, *, kw_only: bool = False) -> T | Callable[[T], T]:
    """``@dataclass(frozen=True, slots=True)``, made cheaply: the same fields,
    ``__init__`` (defaults, factories, ``kw_only``, ``__post_init__``), equality
    with objects of the same class, hash, repr and :class:`FrozenInstanceError`;
    ``dataclasses.fields`` and ``replace`` work as on any dataclass."""

    def make(cls: T) -> T:
        made: Any = record(kw_only=kw_only, eq=False, repr=False)(cls)
        names = tuple(f.name for f in fields(made))
        made.__message_fields__ = names
        made.__message_values__ = staticmethod(_getter(names))
        made.__eq__, made.__hash__, made.__repr__ = _eq, _hash, _repr
        made.__setattr__, made.__delattr__ = _setattr, _delattr
        result: T = made
        return result

    return make if cls is None else make(cls)


class Apdu:
    """Base of every APDU. Subclasses are ``@dataclass(frozen=True, slots=True)``."""

    __slots__ = ()
    TAG: ClassVar[int]

    def encode(self, w: Writer) -> None:
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        w = Writer()
        self.encode(w)
        return w.getvalue()

    @classmethod
    def from_bytes(cls: type[A], data: bytes | bytearray | memoryview) -> A:
        """Decode ``data`` as exactly one APDU of this class."""
        apdu = decode_apdu(data)
        if not isinstance(apdu, cls):
            raise DecodeError(0, f"expected {cls.__name__}, got {type(apdu).__name__}")
        return apdu


def register(tag: int) -> Callable[[Decoder], Decoder]:
    """Register the decoder of the APDUs whose first octet is ``tag``. The decoder
    gets a reader positioned *after* the tag."""

    def deco(fn: Decoder) -> Decoder:
        if tag in _DECODERS:
            raise RuntimeError(f"APDU tag {tag:#04x} registered twice")
        _DECODERS[tag] = fn
        return fn

    return deco


def read_apdu(r: Reader) -> Apdu:
    """Read one APDU at the cursor."""
    start = r.pos
    tag = r.u8()
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise DecodeError(start, f"unknown APDU tag {tag:#04x}")
    return decoder(r)


def decode_apdu(data: bytes | bytearray | memoryview) -> Apdu:
    """Decode exactly one APDU; trailing bytes are an error."""
    r = Reader(data)
    apdu = read_apdu(r)
    if not r.at_end():
        raise r.fail(f"{r.remaining} trailing bytes after {type(apdu).__name__}")
    return apdu
