"""Each meter's tariff calendar, read during collection and kept per meter
(``tariff_calendars``), for :mod:`openamr.headend.tariff` to split the load profile
by rate.

A collection reads it (:func:`read`: the attributes of
:data:`~openamr.headend.tariff.ATTRIBUTES` in one with-list GET) when :func:`due`:

* no calendar of the meter is stored yet (its first collection);
* a ``tariff_calendar`` command to the meter was confirmed after the last read (the
  passive calendar and its activation time changed);
* the passive calendar's activation time has passed since the last read (the meter
  copied it to the active one, Blue Book 4.5.5 method 1).

A read is stored only when it differs from the last one, so a meter keeps the
history of its calendars: an interval is split by the calendar read last at or
before it (before the first read: the first one).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, exists, select

from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.results import DataAccessResult
from openamr.client.errors import MeterError
from openamr.client.meter import Meter
from openamr.codec import decode, encode
from openamr.codec.obis import Obis
from openamr.codec.types import Data
from openamr.errors import DecodeError, DlmsError
from openamr.headend import schema
from openamr.headend.model import CalendarRead, LastCalendar
from openamr.headend.tariff import ATTRIBUTES, CalendarError, TariffPlan, activation_of

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from openamr.headend.store import Store

log = logging.getLogger(__name__)

#: the values as read: attribute name -> A-XDR encoding (a refused one is absent)
Encoded = dict[str, bytes]


def _due_query() -> Any:
    """One statement: the last read's times, and whether a ``tariff_calendar``
    command was confirmed since (built once: building costs more than running)."""
    t, c = schema.tariff_calendars, schema.commands
    changed = exists().where(
        and_(c.c.meter_id == t.c.meter_id, c.c.kind == "tariff_calendar",
             c.c.state == "confirmed", c.c.updated >= t.c.checked)
    )  # fmt: skip
    return (
        select(t.c.checked, t.c.activation, changed.label("changed"))
        .where(t.c.meter_id == bindparam("meter_id"))
        .order_by(t.c.read_at.desc()).limit(1)
    )  # fmt: skip


#: the meter's :class:`LastCalendar`; :meth:`Store.session_state` runs it with the
#: session's other reads
DUE = _due_query()
#: the last stored read's (read_at, attributes), for :meth:`CalendarRead.updates_last`
LAST_READ = (
    select(schema.tariff_calendars.c.read_at, schema.tariff_calendars.c.attributes)
    .where(schema.tariff_calendars.c.meter_id == bindparam("meter_id"))
    .order_by(schema.tariff_calendars.c.read_at.desc()).limit(1)
)  # fmt: skip


def last_calendar(row: Any) -> LastCalendar | None:
    """The :data:`DUE` statement's row (or None) as a :class:`LastCalendar`."""
    return None if row is None else LastCalendar(int(row[0]), row[1], bool(row[2]))


def is_due(last: LastCalendar | None, now: int) -> bool:
    """Whether a collection of the meter reads its calendar (the module docstring)."""
    if last is None:
        return True
    if last.activation is not None and last.checked < last.activation <= now:
        return True
    return last.changed


async def due(store: Store, meter_id: int, now: int) -> bool:
    """:func:`is_due` from the store (a collection has it from its session state)."""
    async with store.engine.connect() as conn:
        row = (await conn.execute(DUE, {"meter_id": meter_id})).first()
    return is_due(last_calendar(row), now)


async def read(client: Meter) -> Encoded:
    """The calendar, special days and local time rules, as the meter answers them."""
    names = list(ATTRIBUTES)
    wanted = [
        CosemAttributeDescriptor(cls, Obis.parse(obis), attribute)
        for cls, obis, attribute in ATTRIBUTES.values()
    ]
    try:
        results = await client.get_many(wanted)
    except MeterError as e:  # an answer we cannot read costs the split, not the session
        if not isinstance(e.__cause__, DecodeError):
            raise
        log.warning("%s: profile kept as totals only", e)
        return {}
    return {
        name: encode(value)
        for name, value in zip(names, results, strict=True)
        if not isinstance(value, DataAccessResult)
    }


def encoded(values: Encoded) -> CalendarRead:
    """A read as it is stored: the JSON text of its attributes and its activation time
    (the text's, remembered: a fleet shares a few calendars)."""
    text = json.dumps({k: v.hex() for k, v in sorted(values.items())})
    if text in _ACTIVATIONS:
        return CalendarRead(text, _ACTIVATIONS[text])
    try:
        decoded = {k: decode(v) for k, v in values.items()}
    except DlmsError:
        decoded = {}
    try:
        activation = TariffPlan(decoded).activation
    except CalendarError:  # the local time rules not known: read as UTC
        activation = activation_of(decoded.get("activate_passive_calendar_time"))
    if len(_ACTIVATIONS) > 64:
        _ACTIVATIONS.clear()
    _ACTIVATIONS[text] = activation
    return CalendarRead(text, activation)


_ACTIVATIONS: dict[str, int | None] = {}


async def save(store: Store, meter_id: int, read_at: int, values: Encoded) -> bool:
    """Store a read unless it equals the last one (then only its ``checked`` time
    moves); whether it was stored. (A collection stores its read with its session:
    :attr:`SessionRows.calendar <openamr.headend.model.SessionRows.calendar>`.)"""
    read = encoded(values)
    async with store.engine.begin() as conn:
        last = (await conn.execute(LAST_READ, {"meter_id": meter_id})).first()
        return await save_in(conn, meter_id, read_at, read, last)


async def save_in(
    conn: AsyncConnection, meter_id: int, read_at: int, read: CalendarRead, last: Any
) -> bool:
    """In a transaction: ``read`` updates ``last`` (:data:`LAST_READ`'s row) or is
    stored as a new one; whether it was new or changed."""
    t = schema.tariff_calendars
    if read.updates_last(None if last is None else (last[0], last[1]), read_at):
        await conn.execute(t.update().where(t.c.meter_id == meter_id, t.c.read_at == last[0])
                           .values(checked=read_at, activation=read.activation,
                                   attributes=read.text))  # fmt: skip
        return bool(last[1] != read.text)
    await conn.execute(t.insert().values(meter_id=meter_id, read_at=read_at, checked=read_at,
                                         activation=read.activation,
                                         attributes=read.text))  # fmt: skip
    return True


class Plans:
    """A meter's stored calendars as :class:`TariffPlan` s (or why there is none)."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self.reads = [int(r.read_at) for r in rows]  # ascending
        self.plans: list[TariffPlan | str] = [_plan(r.attributes) for r in rows]

    def at(self, ts: int) -> TariffPlan | str:
        """The plan of the last read at or before ``ts`` (before the first: the first)."""
        if not self.plans:
            return "no tariff calendar read from this meter yet"
        i = max(0, sum(1 for r in self.reads if r <= ts) - 1)
        return self.plans[i]


_PLANS: dict[str, TariffPlan | str] = {}


def _plan(text: str) -> TariffPlan | str:
    """The plan of a stored read, remembered by its text (a fleet shares a few)."""
    found = _PLANS.get(text)
    if found is None:
        try:
            values: dict[str, Data] = {
                k: decode(bytes.fromhex(v)) for k, v in json.loads(text).items()
            }
            found = TariffPlan(values)
        except (CalendarError, DlmsError, ValueError) as e:
            found = f"the meter's calendar cannot be followed: {e}"
        if len(_PLANS) > 64:
            _PLANS.clear()
        _PLANS[text] = found
    return found


async def plans(store: Store, meter_id: int) -> Plans:
    t = schema.tariff_calendars
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(t.c.read_at, t.c.attributes)
                                   .where(t.c.meter_id == meter_id)
                                   .order_by(t.c.read_at))).all()  # fmt: skip
    return Plans(rows)
