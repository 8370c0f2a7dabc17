"""A device profile: a meter's COSEM objects declared once, as data (ARCHITECTURE.md,
"declared once"; the object model of IEC 62056-6-2 / Blue Book 4.1).

A profile is plain tuples: for every object its logical name (OBIS, IEC 62056-61),
interface class and version, a human name, the access of each client association,
its initial value, scaler and unit, its place on the LCD and in the IEC 62056-21
readout, and for a Profile generic the layout of its rows::

    ObjectDecl(obis=1.0.1.8.0.255, class_id=3, version=0, name="A+ total",
               access=((16, "r"), (32, "r"), (1, "auth r")),
               value=DoubleLongUnsigned(0), unit=ScalerUnit(0, Wh),
               display=((5, "1.8.0"),))

The meter side builds its objects, access policies, engine handles, display list
and readout from it; the client side takes names and units from it; the reference
table ``docs/objects.md`` is generated from it (:mod:`openamr.devices.docs`).

Access rights are object-level (Blue Book 4.4.3 access modes): ``-`` not visible,
``r`` read, ``rw`` read, write and invoke, ``auth r`` / ``auth rw`` the same with
authenticated (ciphered) APDUs only.

Importing this module is cheap: no COSEM class, no APDU, only the codec's OBIS,
types and units.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from openamr.codec.obis import Obis
from openamr.codec.types import Data, Tag
from openamr.codec.units import ScalerUnit

#: Object-level access modes, as the docs print them.
RIGHTS = ("-", "r", "rw", "auth r", "auth rw")

#: Authentication mechanisms of an association (Green Book 9.2.7.2): none, low level
#: security (password), high level security with GMAC (mechanism 5, ciphered).
MECHANISMS = ("none", "lls", "hls-gmac")

#: Access of one object per client SAP: ((client, right), ...).
Access = tuple[tuple[int, str], ...]


class Capture(NamedTuple):
    """One column of a profile's rows: capture object definition {class_id,
    logical_name, attribute_index, data_index} and the column's wire type."""

    class_id: int
    obis: Obis
    attribute: int
    tag: Tag
    size: int = 0  # octet-string length (0: the type's own)
    data_index: int = 0


class Layout(NamedTuple):
    """A Profile generic's rows: its columns and its capacity (entries)."""

    columns: tuple[Capture, ...]
    entries: int


class ObjectDecl(NamedTuple):
    """One object of a device, declared once."""

    obis: Obis
    class_id: int
    version: int
    name: str
    access: Access
    value: Data = None  # initial value of attribute 2 (None: built by the meter)
    unit: ScalerUnit | None = None  # scaler and unit of a register
    display: tuple[tuple[int, str], ...] = ()  # (LCD position, IEC 62056-61 code)
    layout: Layout | None = None  # the rows of a Profile generic
    period: int = 0  # capture period of a profile, integration period of demand (s)

    def right(self, client: int) -> str:
        """This object's access for ``client`` ("-": not visible)."""
        for sap, right in self.access:
            if sap == client:
                return right
        return "-"


def access(clients: tuple[int, ...], *rights: str) -> Access:
    """An access row: one right per client, in the order of ``clients``."""
    if len(rights) != len(clients) or not set(rights) <= set(RIGHTS):
        raise ValueError(f"one right of {RIGHTS} per client {clients}, not {rights}")
    return tuple(zip(clients, rights, strict=True))


class Client(NamedTuple):
    """A client association the device offers (Green Book 9.2.7): its client SAP,
    its authentication mechanism (one of :data:`MECHANISMS`; "hls-gmac" is ciphered)
    and its Association LN object."""

    sap: int
    mechanism: str
    association: Obis


class DeviceProfile:
    """A device's declarations and what derives from them directly."""

    __slots__ = ("by_obis", "clients", "model", "objects", "offered")

    def __init__(self, model: str, offered: Iterable[Client], objects: Iterable[ObjectDecl]):
        self.model = model
        self.offered: tuple[Client, ...] = tuple(offered)
        #: the client SAPs, in the order of the access rows
        self.clients = tuple(c.sap for c in self.offered)
        self.objects: tuple[ObjectDecl, ...] = tuple(objects)
        self.by_obis: dict[Obis, ObjectDecl] = {}
        for decl in self.objects:
            if decl.obis in self.by_obis:
                raise ValueError(f"{model}: {decl.obis} is declared twice")
            if {sap for sap, _ in decl.access} - set(self.clients):
                raise ValueError(f"{model}: {decl.obis} gives access to an unknown client")
            self.by_obis[decl.obis] = decl
        for client in self.offered:
            declared = self.by_obis.get(client.association)
            if client.mechanism not in MECHANISMS or declared is None or declared.class_id != 15:
                raise ValueError(f"{model}: client {client.sap} needs a mechanism of "
                                 f"{MECHANISMS} and an Association LN object")  # fmt: skip

    def with_objects(self, *extra: ObjectDecl) -> DeviceProfile:
        """This profile with more objects (a variant of the device)."""
        return DeviceProfile(self.model, self.offered, (*self.objects, *extra))

    def client_of(self, association: Obis) -> Client:
        """The client whose Association LN object is ``association``."""
        for client in self.offered:
            if client.association == association:
                return client
        raise LookupError(f"{self.model}: no client association {association}")

    def find(self, obis: Obis) -> ObjectDecl | None:
        return self.by_obis.get(obis)

    def name_of(self, obis: Obis) -> str | None:
        """The human name of an object, None when the device does not declare it."""
        decl = self.by_obis.get(obis)
        return decl.name if decl is not None else None

    def display_list(self) -> tuple[str, ...]:
        """The LCD's auto-scroll list, which is also the IEC 62056-21 readout list:
        the display codes of all objects, in LCD order."""
        shown = sorted((pos, code) for decl in self.objects for pos, code in decl.display)
        positions = [pos for pos, _ in shown]
        if len(set(positions)) != len(positions):
            raise ValueError(f"{self.model}: two display codes at one LCD position")
        return tuple(code for _, code in shown)
