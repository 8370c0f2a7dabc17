"""The COSEM interface-class machinery (Blue Book 4.1): an object is declared
once, as a class with its attributes and methods; GET, SET, ACTION, the object
list, access rights and documentation all derive from that declaration.

    class Register(CosemObject, class_id=3, version=0):
        ATTRIBUTES = (Attribute(2, "value"), Attribute(3, "scaler_unit", Tag.STRUCTURE))
        METHODS = (Method(1, "reset"),)

Attribute values are held as typed Data under the attribute's name (or provided by
a ``get_<name>`` method for computed values); ``set_<name>`` hooks validate writes.
A method ``<name>(parameters) -> MethodResult`` implements each declared method.
Refusals are values (DataAccessResult / ActionResult), never exceptions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeAlias

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.axdr import tag_of
from openamr.codec.obis import Obis
from openamr.codec.record import record
from openamr.codec.types import Data, OctetString, Tag
from openamr.errors import EncodeError

if TYPE_CHECKING:
    from openamr.association.handler import Negotiated

#: The outcome of a method: the result and the optional return parameters.
MethodResult: TypeAlias = tuple[ActionResult, Data]
SUCCESS: MethodResult = (ActionResult.SUCCESS, None)

#: A custom check of a value written to an attribute: None if fine, else the refusal.
Check = Callable[[Data], "DataAccessResult | None"]


@record
class Attribute:
    """One attribute of an interface class.

    ``type`` is the Data tag a SET must carry (None: any); ``check`` a further
    validation; ``selectors`` the selective-access selectors it supports;
    ``scaled``: the value is ``raw * 10**scaler`` with the class's ``scaler_unit``."""

    index: int
    name: str
    type: Tag | None = None
    static: bool = False
    selectors: tuple[int, ...] = ()
    check: Check | None = None
    scaled: bool = False


@record
class Method:
    """One method of an interface class; ``type`` is its parameter's tag (None: any)."""

    index: int
    name: str
    type: Tag | None = None


LOGICAL_NAME = Attribute(1, "logical_name", Tag.OCTET_STRING, static=True)


def denied(value: Data) -> DataAccessResult:
    """``set_<name>`` of an attribute only the server changes (``staticmethod(denied)``):
    the object list then advertises it without write access (:meth:`CosemObject.writable`)."""
    return DataAccessResult.READ_WRITE_DENIED


def hidden() -> DataAccessResult:
    """``get_<name>`` of a secret (a password, a PIN): never readable, whatever the
    rights; the object list advertises it without read access."""
    return DataAccessResult.READ_WRITE_DENIED


class CosemObject:
    """Base of the interface classes. Subclass with ``class_id=`` and ``version=``."""

    CLASS_ID: ClassVar[int]
    VERSION: ClassVar[int]
    ATTRIBUTES: ClassVar[tuple[Attribute, ...]] = ()
    METHODS: ClassVar[tuple[Method, ...]] = ()
    _attributes: ClassVar[dict[int, Attribute]]
    _methods: ClassVar[dict[int, Method]]

    def __init_subclass__(cls, class_id: int = -1, version: int = 0, **kw: object) -> None:
        super().__init_subclass__(**kw)
        if class_id >= 0:
            cls.CLASS_ID, cls.VERSION = class_id, version
        cls._attributes = {a.index: a for a in (LOGICAL_NAME, *cls.ATTRIBUTES)}
        cls._methods = {m.index: m for m in cls.METHODS}
        if len(cls._attributes) != len(cls.ATTRIBUTES) + 1:
            raise TypeError(f"{cls.__name__} declares an attribute index twice")

    def __init__(self, logical_name: Obis | str) -> None:
        self.logical_name = (
            logical_name if isinstance(logical_name, Obis) else Obis.parse(logical_name)
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.logical_name)!r})"

    # -- declaration ------------------------------------------------------------

    @classmethod
    def attributes(cls) -> tuple[Attribute, ...]:
        """All attributes, logical_name first, in index order."""
        return tuple(cls._attributes[i] for i in sorted(cls._attributes))

    @classmethod
    def methods(cls) -> tuple[Method, ...]:
        return tuple(cls._methods[i] for i in sorted(cls._methods))

    @classmethod
    def attribute(cls, index: int) -> Attribute | None:
        return cls._attributes.get(index)

    @classmethod
    def method(cls, index: int) -> Method | None:
        return cls._methods.get(index)

    def readable(self, index: int) -> bool:
        """Whether attribute ``index`` can be read by anyone (a secret cannot): the
        association's rights are narrowed by it, in the object list and in GET alike."""
        spec = self._attributes.get(index)
        return spec is not None and getattr(self, f"get_{spec.name}", None) is not hidden

    def writable(self, index: int) -> bool:
        """Whether attribute ``index`` can be written by anyone (logical_name and what
        only the server changes cannot); narrows the rights like :meth:`readable`."""
        spec = self._attributes.get(index)
        if spec is None or index == 1:
            return False
        return getattr(self, f"set_{spec.name}", None) is not denied

    def in_association(self, index: int, negotiated: Negotiated) -> Data | None:
        """Attribute ``index`` as the association reading it sees it (Association LN:
        its status and xDLMS context); None: the stored value."""
        return None

    # -- services -------------------------------------------------------------------

    def get(
        self, index: int, selector: int | None = None, parameters: Data = None
    ) -> Data | DataAccessResult:
        """The value of attribute ``index`` (with selective access when given)."""
        spec = self._attributes.get(index)
        if spec is None:
            return DataAccessResult.OBJECT_UNDEFINED
        if index == 1:
            return OctetString(self.logical_name.to_bytes())
        if selector is not None:
            if selector not in spec.selectors:
                return DataAccessResult.SCOPE_OF_ACCESS_VIOLATED
            return self.select(index, selector, parameters)
        getter = getattr(self, f"get_{spec.name}", None)
        if getter is not None:
            result: Data | DataAccessResult = getter()
            return result
        value: Data = getattr(self, spec.name)
        return value

    def select(self, index: int, selector: int, parameters: Data) -> Data | DataAccessResult:
        """Selective access; classes with ``selectors`` on an attribute override it."""
        return DataAccessResult.SCOPE_OF_ACCESS_VIOLATED

    def set(self, index: int, value: Data) -> DataAccessResult:
        """Write attribute ``index``; the value's type and the class's checks decide."""
        spec = self._attributes.get(index)
        if spec is None:
            return DataAccessResult.OBJECT_UNDEFINED
        if index == 1:
            return DataAccessResult.READ_WRITE_DENIED
        try:
            if spec.type is not None and tag_of(value) != spec.type:
                return DataAccessResult.TYPE_UNMATCHED
        except EncodeError:
            return DataAccessResult.TYPE_UNMATCHED
        refusal = spec.check(value) if spec.check is not None else None
        if refusal is not None:
            return refusal
        setter = getattr(self, f"set_{spec.name}", None)
        if setter is not None:
            outcome: DataAccessResult | None = setter(value)
            return DataAccessResult.SUCCESS if outcome is None else outcome
        setattr(self, spec.name, value)
        return DataAccessResult.SUCCESS

    def action(self, index: int, parameters: Data = None) -> MethodResult:
        """Invoke method ``index``."""
        spec = self._methods.get(index)
        if spec is None:
            return ActionResult.OBJECT_UNDEFINED, None
        try:
            if spec.type is not None and tag_of(parameters) != spec.type:
                return ActionResult.TYPE_UNMATCHED, None
        except EncodeError:
            return ActionResult.TYPE_UNMATCHED, None
        handler: Callable[[Data], MethodResult] = getattr(self, spec.name)
        return handler(parameters)
