"""What every peripheral shares: timed actions in meter time, and views.

A peripheral is told of things (a cover opened, pulses on an input, a DLMS write)
at an instant of *meter time*. :func:`run_at` applies it at once when that instant
is the twin's present, and otherwise keeps it in the component's :class:`Agenda`
until the twin's advance reaches it (the past is never rewritten)::

    at None           -> the twin's now (after an advance)
    at < position     -> ValueError (the twin is complete up to its position)
    at == position    -> applied now, the objects republished
    at >  position    -> kept; applied by the advance that passes it
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Callable

from openamr.apdu.results import DataAccessResult
from openamr.codec.obis import Obis
from openamr.codec.types import Data as DlmsData
from openamr.cosem import LogicalDevice
from openamr.cosem.base import CosemObject
from openamr.cosem.classes.data import Data
from openamr.meter.twin import Action, Twin


class Agenda:
    """Timed actions of one component, in meter time, in order."""

    def __init__(self) -> None:
        self._items: list[tuple[dt.datetime, int, Action]] = []
        self._seq = itertools.count()

    def add(self, at: dt.datetime, action: Action) -> None:
        bisect.insort(self._items, (at, next(self._seq), action), key=lambda i: (i[0], i[1]))

    def due(self, m0: dt.datetime, m1: dt.datetime) -> list[tuple[dt.datetime, Action]]:
        """The actions in (m0, m1], taken off the agenda (the advance runs them)."""
        keep = [i for i in self._items if not m0 < i[0] <= m1]
        found = [(at, act) for at, _, act in self._items if m0 < at <= m1]
        self._items = keep
        return found

    def __len__(self) -> int:
        return len(self._items)


def present(twin: Twin, at: dt.datetime | None) -> dt.datetime:
    """``at``, or the twin's now (brought up to date) when None."""
    if at is None:
        twin.advance(force=True)
        return twin.position
    if at.tzinfo is None:
        raise ValueError("peripherals need aware instants (meter time)")
    return at


def run_at(twin: Twin, agenda: Agenda, at: dt.datetime | None, action: Action) -> dt.datetime:
    """Apply ``action`` at ``at`` (see the module docstring); the instant used."""
    when = present(twin, at)
    if when < twin.position:
        raise ValueError(f"{when.isoformat()} is before the twin's present")
    if when == twin.position:
        action(when)
        twin.publish()
    else:
        agenda.add(when, action)
        twin.advance(force=True)
    return when


Reader = Callable[[], DlmsData]
Writer = Callable[[DlmsData], DataAccessResult | None]


class ValueView(Data):
    """Data (class 1) whose value is another object's state: the Mx372 manufacturer
    objects are views of the standard ones, so both always agree."""

    def __init__(self, logical_name: Obis | str, read: Reader, write: Writer | None = None):
        super().__init__(logical_name)
        self.read, self.write = read, write

    def get_value(self) -> DlmsData:
        return self.read()

    def set_value(self, value: DlmsData) -> DataAccessResult | None:
        return DataAccessResult.READ_WRITE_DENIED if self.write is None else self.write(value)

    def writable(self, index: int) -> bool:
        """A view without a writer is read-only (and advertised so)."""
        return index != 2 or self.write is not None


def place(device: LogicalDevice, obj: CosemObject) -> None:
    """Put ``obj`` in the device, in the place of an object of the same name if there
    is one (the object list keeps its order)."""
    old = device.find(obj.logical_name)
    if old is not None and old.CLASS_ID != obj.CLASS_ID:
        raise ValueError(f"{obj.logical_name} is class {old.CLASS_ID}, not {obj.CLASS_ID}")
    device.objects[obj.logical_name] = obj


def number(value: DlmsData) -> int | None:
    """A written integer (not a boolean), else None."""
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None
