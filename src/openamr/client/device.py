"""Typed calls on the standard objects of a meter: registers, the clock, the
disconnector and the log-book (Blue Book 4.3.2 Register, 4.5.1 Clock, 4.5.8
Disconnect control; docs/mt372.md for the log-book's codes).

Register and Extended register: attribute 2 ``value`` and 3 ``scaler_unit``
{integer scaler, enum unit}; Demand register: 2 ``current_average_value`` and 4
``scaler_unit`` (:mod:`openamr.cosem.scaling`, from the class declarations); the
value is ``raw * 10**scaler``. Clock: attribute 2 ``time`` octet-string(12).
Disconnect control 0.0.96.3.10.255: attributes 2 ``output_state`` boolean,
3 ``control_state`` enum, 4 ``control_mode`` enum; methods 1 ``remote_disconnect``,
2 ``remote_reconnect`` (``integer 0``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.get import GetDataResult
from openamr.apdu.results import DataAccessResult
from openamr.client.calls import MeterCalls
from openamr.client.errors import MeterError, RefusedError
from openamr.client.values import Event, RegisterValue, as_datetime, events_of
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.record import record
from openamr.codec.types import OctetString
from openamr.codec.units import ScalerUnit
from openamr.cosem.scaling import scaler_attribute
from openamr.errors import DecodeError

if TYPE_CHECKING:
    from openamr.cosem.classes.disconnect_control import ControlState

CLOCK = Obis(0, 0, 1, 0, 0, 255)
DISCONNECT_CONTROL = Obis(0, 0, 96, 3, 10, 255)
#: sync_clock sets the meter's clock only when it is off by more than this.
SYNC_THRESHOLD = dt.timedelta(seconds=10)
REMOTE_DISCONNECT, REMOTE_RECONNECT = 1, 2


async def read_register(meter: MeterCalls, obis: Obis, class_id: int | None) -> RegisterValue:
    """Attributes 2 and 3 in one GET-with-list when the meter allows it.

    Without ``class_id`` the class is learned by asking: Register (3), Extended
    register (4) or Demand register (5), the likeliest first by the OBIS code's D
    field; a wrong class costs one refused request of a few bytes, where the object
    list is kilobytes. The object list is read only when no guess is accepted (to
    tell a missing object from a foreign one)."""
    known = class_id if class_id is not None else meter.known_class(obis)
    for cid in (known,) if known is not None else _register_classes(obis):
        scaler_at = CosemAttributeDescriptor(cid, obis, scaler_attribute(cid) or 3)
        raw, scaler_unit = await meter.get_many([CosemAttributeDescriptor(cid, obis, 2), scaler_at])
        if known is not None or not (isinstance(raw, DataAccessResult) and raw in _WRONG_CLASS):
            meter.learn_class(obis, cid)
            return _register_value(meter, obis, raw, scaler_unit)
    cid = await meter.class_of(obis)
    raise MeterError(meter.name, f"read register {obis}", f"class {cid} is not a register")


#: What a meter answers a GET whose class does not match the object.
_WRONG_CLASS = (DataAccessResult.OBJECT_CLASS_INCONSISTENT, DataAccessResult.OBJECT_UNDEFINED)
#: OBIS D field -> the register class it usually names (IEC 62056-61 7.5): 4 current
#: average (Demand register), 6 maximum (Extended register, with its capture time).
_CLASS_BY_D = {4: 5, 6: 4}


def _register_classes(obis: Obis) -> list[int]:
    first = _CLASS_BY_D.get(obis.d, 3)
    return [first, *(c for c in (3, 4, 5) if c != first)]


def _register_value(
    meter: MeterCalls, obis: Obis, raw: GetDataResult, scaler_unit: GetDataResult
) -> RegisterValue:
    for what, result in (("value", raw), ("scaler_unit", scaler_unit)):
        if isinstance(result, DataAccessResult):
            raise RefusedError(meter.name, f"read register {obis} {what}", result)
    try:
        return RegisterValue(obis, raw, ScalerUnit.from_data(scaler_unit))
    except (DecodeError, ValueError) as e:
        raise MeterError(meter.name, f"read register {obis}", str(e)) from e


async def read_events(
    meter: MeterCalls,
    obis: Obis,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[Event]:
    """The log-book's events, all or those from ``start`` to ``end`` (inclusive)."""
    buffer = await meter.profile(obis, start, end)
    try:
        return events_of(buffer.rows)
    except DecodeError as e:
        raise MeterError(meter.name, f"read the log-book {obis}", str(e)) from e


async def read_clock(meter: MeterCalls) -> dt.datetime:
    """The meter's time: aware when it gives its deviation, naive otherwise."""
    value = await meter.get(CLOCK, 2, class_id=8)
    when = as_datetime(value)
    if when is None:
        raise MeterError(meter.name, "read the clock", f"not a date-time: {value!r}")
    return when


async def write_clock(meter: MeterCalls, when: dt.datetime) -> None:
    """Set the meter's time to ``when``: aware, its offset goes as the deviation;
    naive, it is the meter's local time and goes with the deviation "not specified"
    (Blue Book 4.1.6.1: the meter places it in its own zone)."""
    stamp = CosemDateTime.from_datetime(when).to_bytes()
    await meter.set(CLOCK, OctetString(stamp), 2, class_id=8)


@record
class ClockSync:
    """What sync_clock found: ``offset`` = meter time - reference (positive: the
    meter is ahead), and whether it set the clock."""

    meter_time: dt.datetime
    reference: dt.datetime
    offset: dt.timedelta
    adjusted: bool


async def sync_clock(
    meter: MeterCalls, now: dt.datetime | None, threshold: dt.timedelta
) -> ClockSync:
    """Read the clock; set it to ``now`` (default: the system's UTC time) only when
    the difference exceeds ``threshold``."""
    meter_time = await read_clock(meter)
    reference = now if now is not None else dt.datetime.now(dt.UTC)
    if meter_time.tzinfo is None:
        # the meter gave no deviation: compare as wall-clock times of the reference zone
        meter_time = meter_time.replace(tzinfo=reference.tzinfo or dt.UTC)
    if reference.tzinfo is None:
        raise ValueError("sync_clock needs an aware reference time")
    offset = meter_time - reference
    adjust = abs(offset) > threshold
    if adjust:
        await write_clock(meter, now if now is not None else dt.datetime.now(dt.UTC))
    return ClockSync(meter_time, reference, offset, adjust)


@record
class RelayState:
    """The disconnector: supply on (``output_state``), its state and control mode."""

    output_state: bool
    control_state: ControlState
    control_mode: int


async def relay_state(meter: MeterCalls) -> RelayState:
    descs = [CosemAttributeDescriptor(70, DISCONNECT_CONTROL, i) for i in (2, 3, 4)]
    results = await meter.get_many(descs)
    for d, r in zip(descs, results, strict=True):
        if isinstance(r, DataAccessResult):
            raise RefusedError(meter.name, f"read disconnect control attribute {d.attribute_id}", r)
    output, state, mode = results
    if not isinstance(output, bool) or not isinstance(state, int) or not isinstance(mode, int):
        raise MeterError(meter.name, "read the disconnect control", f"unexpected {results!r}")
    from openamr.cosem.classes.disconnect_control import ControlState  # on first use

    try:
        return RelayState(output, ControlState(int(state)), int(mode))
    except ValueError as e:
        raise MeterError(meter.name, "read the disconnect control", str(e)) from e


async def switch_relay(meter: MeterCalls, connect: bool) -> RelayState:
    """remote_reconnect (2) or remote_disconnect (1), then the state it led to.
    Both are idempotent (a satisfied request succeeds), so they are retried."""
    method = REMOTE_RECONNECT if connect else REMOTE_DISCONNECT
    await meter.action(DISCONNECT_CONTROL, method, class_id=70, retry=True)
    return await relay_state(meter)


__all__ = ["ClockSync", "RelayState"]
