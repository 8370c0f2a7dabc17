"""Access rights of one association to the objects it sees (Blue Book 4.4.3,
Association LN, ``object_list`` / ``access_rights``).

An :class:`AccessPolicy` answers, for an object, whether the association sees it
and with which :class:`ObjectAccess`; every GET, SET and ACTION is decided by it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openamr.codec.obis import Obis

if TYPE_CHECKING:
    from openamr.cosem.base import CosemObject


class AttributeAccess(enum.IntEnum):
    """attribute_access_mode (class 15 versions 0..2)."""

    NO_ACCESS = 0
    READ_ONLY = 1
    WRITE_ONLY = 2
    READ_AND_WRITE = 3
    AUTHENTICATED_READ_ONLY = 4
    AUTHENTICATED_WRITE_ONLY = 5
    AUTHENTICATED_READ_AND_WRITE = 6

    def can_read(self, authenticated: bool) -> bool:
        plain = self in (AttributeAccess.READ_ONLY, AttributeAccess.READ_AND_WRITE)
        auth = self in (
            AttributeAccess.AUTHENTICATED_READ_ONLY,
            AttributeAccess.AUTHENTICATED_READ_AND_WRITE,
        )
        return plain or (auth and authenticated)

    def can_write(self, authenticated: bool) -> bool:
        plain = self in (AttributeAccess.WRITE_ONLY, AttributeAccess.READ_AND_WRITE)
        auth = self in (
            AttributeAccess.AUTHENTICATED_WRITE_ONLY,
            AttributeAccess.AUTHENTICATED_READ_AND_WRITE,
        )
        return plain or (auth and authenticated)


class MethodAccess(enum.IntEnum):
    """method_access_mode (class 15 versions 1..2)."""

    NO_ACCESS = 0
    ACCESS = 1
    AUTHENTICATED_ACCESS = 2

    def can_invoke(self, authenticated: bool) -> bool:
        return self is MethodAccess.ACCESS or (
            self is MethodAccess.AUTHENTICATED_ACCESS and authenticated
        )


@dataclass(frozen=True, slots=True)
class ObjectAccess:
    """Access to one object: per-attribute and per-method modes, with defaults for
    the indices not listed. Attribute 1 (logical_name) is always readable."""

    attribute_default: AttributeAccess = AttributeAccess.READ_ONLY
    method_default: MethodAccess = MethodAccess.NO_ACCESS
    attributes: Mapping[int, AttributeAccess] = field(default_factory=dict)
    methods: Mapping[int, MethodAccess] = field(default_factory=dict)

    def attribute(self, index: int) -> AttributeAccess:
        if index == 1:
            return AttributeAccess.READ_ONLY
        return self.attributes.get(index, self.attribute_default)

    def method(self, index: int) -> MethodAccess:
        return self.methods.get(index, self.method_default)


def attribute_rights(obj: CosemObject, access: ObjectAccess, index: int) -> AttributeAccess:
    """The mode of attribute ``index`` of ``obj`` for an association with ``access``:
    its rights narrowed by what the object allows at all (a secret is never read,
    what only the server changes is never written). The object list advertises
    exactly this and GET and SET enforce exactly this (Blue Book 4.4.3)."""
    mode = access.attribute(index)
    read = mode.can_read(True) and obj.readable(index)
    write = mode.can_write(True) and obj.writable(index)
    if not read and not write:
        return AttributeAccess.NO_ACCESS
    plain = (
        AttributeAccess.READ_AND_WRITE
        if read and write
        else (AttributeAccess.READ_ONLY if read else AttributeAccess.WRITE_ONLY)
    )
    authenticated = mode >= AttributeAccess.AUTHENTICATED_READ_ONLY
    return AttributeAccess(plain + 3) if authenticated else plain


READ_ONLY = ObjectAccess()
READ_WRITE = ObjectAccess(AttributeAccess.READ_AND_WRITE, MethodAccess.ACCESS)

#: A rule maps an object to its access for one association, or None: not visible.
AccessRule = Callable[["CosemObject"], "ObjectAccess | None"]


@dataclass(frozen=True)
class AccessPolicy:
    """The rights of one association: explicit entries by logical name win, then
    ``rule`` (e.g. by class), then ``default`` (None hides the object)."""

    default: ObjectAccess | None = READ_ONLY
    entries: Mapping[Obis, ObjectAccess | None] = field(default_factory=dict)
    rule: AccessRule | None = None

    def access(self, obj: CosemObject) -> ObjectAccess | None:
        if obj.logical_name in self.entries:
            return self.entries[obj.logical_name]
        if self.rule is not None:
            ruled = self.rule(obj)
            if ruled is not None:
                return ruled
        return self.default
