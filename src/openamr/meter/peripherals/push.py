"""Alarm call-backs as pushes: Push setup 0.0.25.9.0.255 (class 40, Blue Book 4.4.8)
sending a DATA-NOTIFICATION (Green Book 9.5) to the head-end.

When: every log-book entry whose code is in :attr:`AlarmPush.alarms` (default:
power failure 0x0080 and return 0x0040, meter cover 0x8010, terminal cover 0x8011,
alarm input 0x8034), and every ``push`` method invoked by a client. Only with a
destination: a fresh meter has none, so the call-back is off until a head-end
writes send_destination_and_method (the datasheet's "optional alarm call").

What: the push_object_list's values, in order, as one structure. The factory list
(set at installation)::

    (40, 0.0.25.9.0.255, 1)   the push setup's logical name (identifies the push)
    (1,  0.0.42.0.0.255, 2)   the logical device name       (identifies the meter)
    (8,  0.0.1.0.0.255,  2)   the clock                     (the event's time stamp)
    (1,  0.0.96.11.0.255, 2)  the event code                (the alarm's code)

For an alarm the clock and the event code are those of the log-book entry, not of
the moment the message is built. The APDU::

    0F  long-invoke-id-and-priority (4)   counts 1, 2, ... per meter (24 bits)
        0C <date-time 12>                 the entry's time stamp
        02 04 ...                         notification-body: structure of the values

What the aio side does with a :class:`PushMessage`: parse ``destination`` (for TCP
"host:port"), open a connection, send ``apdu`` in a wrapper frame (version 1,
source wPort 1 = the server's logical address, destination wPort ``client_sap``),
retry ``retries`` times on failure with Push setup's repetition_delay, then close.
The push is not ciphered (push_protection_parameters is empty).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from openamr.apdu.notification import DataNotification, LongInvokeIdAndPriority
from openamr.apdu.results import DataAccessResult
from openamr.codec.types import Array, Data, LongUnsigned, OctetString, Structure
from openamr.cosem.classes.push_setup import LOGICAL_DEVICE_NAME, PushObject, PushRequest, PushSetup
from openamr.devices.mt372 import objects as mt372
from openamr.meter.events import EventCode
from openamr.meter.profiles import stamp
from openamr.meter.twin import Action, Twin

PUSH_SETUP = mt372.PUSH_SETUP.obis
CLOCK = mt372.CLOCK.obis
LAST_EVENT = mt372.LAST_EVENT.obis
EVENT_LOG = mt372.EVENT_LOG.obis
OUTBOX = 256
DEFAULT_ALARMS = frozenset({
    EventCode.POWER_FAILURE, EventCode.POWER_RETURNED, EventCode.METER_COVER_OPENED,
    EventCode.TERMINAL_COVER_OPENED, EventCode.ALARM_INPUT,
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class PushMessage:
    """One DATA-NOTIFICATION on its way to the head-end."""

    apdu: bytes
    destination: bytes
    transport: int  # TransportService: 0 TCP, 1 UDP, ...
    client_sap: int  # destination wPort
    retries: int
    at: dt.datetime  # meter time of the alarm (or of the push method)
    event: int | None  # the alarm's log-book code; None for the push method


Sender = Callable[[PushMessage], None]


def factory_objects() -> tuple[PushObject, ...]:
    return (
        PushObject(40, PUSH_SETUP, 1),
        PushObject(1, LOGICAL_DEVICE_NAME, 2),
        PushObject(8, CLOCK, 2),
        PushObject(1, LAST_EVENT, 2),
    )


class PushPort:
    """The alarm push, for the Push setup object built before it: the object is built
    with :meth:`push` as its sender (a forward reference, bound once by
    :class:`AlarmPush`'s constructor)."""

    def __init__(self) -> None:
        self._push: AlarmPush | None = None

    def bind(self, push: AlarmPush) -> None:
        if self._push is not None:
            raise RuntimeError("a PushPort serves one alarm push, and it is bound already")
        self._push = push

    def push(self, request: PushRequest) -> bool:
        """The push method of the Push setup (before the peripherals: nothing sent)."""
        return self._push is not None and self._push.requested(request)


class AlarmPush:
    """Pushes alarms and answers the push method; messages go to ``send`` (if given)
    and to :attr:`outbox`, which the aio side drains. ``port``: the forward reference
    the Push setup object was built with (bound here)."""

    def __init__(self, twin: Twin, port: PushPort, send: Sender | None = None) -> None:
        self.twin, self.send = twin, send
        setup = twin.device.find(PUSH_SETUP)
        if not isinstance(setup, PushSetup):
            raise LookupError(f"the twin needs Push setup {PUSH_SETUP}")
        self.setup = setup
        setup.push_object_list = Array(o.to_data() for o in factory_objects())
        port.bind(self)
        self.alarms: set[int] = set(DEFAULT_ALARMS)
        self.outbox: deque[PushMessage] = deque(maxlen=OUTBOX)
        self.invoke = 0
        rows = self._rows()
        self._last: object = rows[-1] if rows else None

    def drain(self) -> list[PushMessage]:
        """The messages not yet taken, oldest first."""
        taken = list(self.outbox)
        self.outbox.clear()
        return taken

    # -- component -----------------------------------------------------------------------

    def boundaries(
        self, twin: Twin, m0: dt.datetime, m1: dt.datetime
    ) -> list[tuple[dt.datetime, Action]]:
        return []

    def publish(self, twin: Twin) -> None:
        """Push the alarms logged since the last publish."""
        for row in self._new_rows():
            when, code = row[0], row[1]
            if isinstance(code, int) and int(code) in self.alarms and isinstance(when, bytes):
                self._alarm(bytes(when), int(code))

    # -- inside ----------------------------------------------------------------------------

    def _rows(self) -> list[tuple[object, ...]]:
        log = self.twin.objects.event_log
        return list(log.rows)

    def _new_rows(self) -> list[tuple[object, ...]]:
        rows = self._rows()
        if not rows:
            return []
        last, self._last = self._last, rows[-1]
        for i in range(len(rows) - 1, -1, -1):
            if rows[i] is last or rows[i] == last:
                return rows[i + 1 :]
        return [] if last is not None else rows  # the log was reloaded or cleared: no flood

    def _alarm(self, when: bytes, code: int) -> None:
        request = self.setup.request()
        if not request.destination:
            return
        at = self.twin.position
        self._emit(request, when, at, code)

    def requested(self, request: PushRequest) -> bool:
        at = self.twin.position
        self._emit(request, stamp(self.twin.objects.clock, at), at, None)
        return True

    def _emit(self, request: PushRequest, when: bytes, at: dt.datetime, code: int | None) -> None:
        self.invoke = self.invoke % 0xFFFFFF + 1
        body = Structure(self._value(o, when, code) for o in request.objects)
        apdu = DataNotification(body, when, LongInvokeIdAndPriority(self.invoke)).to_bytes()
        message = PushMessage(
            apdu, request.destination, request.transport, request.client_sap, request.retries,
            at, code,
        )  # fmt: skip
        self.outbox.append(message)
        if self.send is not None:
            self.send(message)

    def _value(self, o: PushObject, when: bytes, code: int | None) -> Data:
        if (o.class_id, o.logical_name, o.attribute_index) == (8, CLOCK, 2):
            return OctetString(when)
        if code is not None and (o.logical_name, o.attribute_index) == (LAST_EVENT, 2):
            return LongUnsigned(code)
        obj = self.twin.device.find(o.logical_name)
        if obj is None or o.class_id != obj.CLASS_ID:
            return None
        value = obj.get(o.attribute_index)
        if isinstance(value, DataAccessResult):
            return None
        if not o.data_index:
            return value
        if isinstance(value, (tuple, list)) and o.data_index <= len(value):
            element: Data = value[o.data_index - 1]
            return element
        return None
