"""The MT372's profile rows as the Profile generic objects hold them (Blue Book
4.3.6: capture objects {class_id, logical_name, attribute_index, data_index} and
the wire type of each column), from the layouts the device profile declares
(:mod:`openamr.devices.mt372.objects`, docs/mt372.md), and the
time stamps the meter writes in them.

Entries are time-stamped at the end of their period.
"""

from __future__ import annotations

import datetime as dt

from openamr.apdu.selective_access import CaptureObjectDefinition
from openamr.codec.table import Field
from openamr.cosem.classes.clock import Clock
from openamr.devices.profile import Layout
from openamr.meter.stamps import lp_stamp

#: A profile's column: what it captures and its wire type.
Column = tuple[CaptureObjectDefinition, Field]


def columns_of(layout: Layout) -> tuple[Column, ...]:
    """The capture objects and fields of a declared layout."""
    return tuple(
        (
            CaptureObjectDefinition(c.class_id, c.obis, c.attribute, c.data_index),
            Field(c.tag, c.size),
        )
        for c in layout.columns
    )


def stamp(clock: Clock, instant: dt.datetime) -> bytes:
    """The 12-byte local time stamp the meter writes for ``instant``: the date-time
    (Blue Book 4.1.6.1) of ``instant`` in the clock's zone with the clock's status,
    ``CosemDateTime.from_datetime(local, clock.clock_status(instant))``, packed at
    once (:func:`openamr.meter.stamps.lp_stamp`)."""
    return lp_stamp(clock, instant, clock.dst_active(instant), clock.flags)
