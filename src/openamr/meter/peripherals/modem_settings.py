"""The modem's COSEM objects read into its :class:`~openamr.gsm.modem.MeterModem`
(Blue Book 4.8; docs/gsm-meter.md): the modem calls :class:`CosemSettings` before each
decision, so a written setting governs the next call, SMS or session::

    0.0.2.2.0.255   Auto answer [28]     mode, listening_window, number_of_rings,
                                         list_of_allowed_callers
    0.0.2.1.0.255   Auto connect [29]    mode, repetitions, repetition_delay,
                                         calling_window, destination_list
    0.0.128.20.20.255  Data [1]          Mx372 call restriction: bit i lets
                                         destination i call in by CSD
    0.0.22.0.0.255  IEC HDLC setup [23]  inactivity_time_out: a CSD call's timeout
    0.0.25.0.0.255  TCP-UDP setup [41]   inactivity_time_out: a GPRS session's
    0.0.2.0.0.255   Modem config. [27]   comm_speed: the meter's side of a CSD call

Windows (decision, [I]): each element {start, end} is a COSEM date-time whose
unspecified fields take the value of the instant tested, in the meter's local time
(its clock and time zone); ``start <= t < end``, or across midnight when start is
after end. An empty listening window means always (the modem answers at any time);
an empty calling window means never.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence

from openamr.codec.datetime import NOT_SPECIFIED, YEAR_NOT_SPECIFIED, CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.types import Data
from openamr.cosem import CosemObject, LogicalDevice
from openamr.cosem.classes.auto_answer import CallType
from openamr.cosem.classes.modem_configuration import SPEEDS
from openamr.cosem.classes.shape import as_bytes, as_int, items
from openamr.devices.mt372 import objects as mt372
from openamr.gsm.modem import (
    AutoAnswerSettings,
    AutoConnectSettings,
    MeterModem,
    WindowTest,
    always,
    never,
)

#: true second -> the meter's local time (naive)
LocalTime = Callable[[float], dt.datetime]

#: (object, attribute indexes) the modem depends on
WATCHED: tuple[tuple[Obis, tuple[int, ...]], ...] = (
    (mt372.AUTO_ANSWER.obis, (2, 3, 6, 7)),
    (mt372.AUTO_CONNECT.obis, (2, 3, 4, 5, 6)),
    (mt372.CSD_FLAGS.obis, (2,)),
    (mt372.IEC_HDLC.obis, (8,)),
    (mt372.TCP_UDP.obis, (6,)),
    (mt372.MODEM_CONFIGURATION.obis, (2,)),
)


def _stamp(value: Data) -> CosemDateTime:
    return value if isinstance(value, CosemDateTime) else CosemDateTime.from_bytes(as_bytes(value))


def _fill(stamp: CosemDateTime, at: dt.datetime) -> dt.datetime | None:
    d, t = stamp.date, stamp.time
    try:
        return dt.datetime(
            at.year if d.year == YEAR_NOT_SPECIFIED else d.year,
            at.month if d.month > 12 else d.month,
            at.day if d.day > 31 else d.day,
            at.hour if t.hour == NOT_SPECIFIED else t.hour,
            at.minute if t.minute == NOT_SPECIFIED else t.minute,
            0 if t.second == NOT_SPECIFIED else t.second,
        )
    except ValueError:  # 31 February: this window is not there today
        return None


def window_test(windows: Data, local: LocalTime, empty: WindowTest) -> WindowTest:
    """The window_element array ``windows`` as a test of true seconds."""
    spans = [(_stamp(a), _stamp(b)) for a, b in (items(w) for w in items(windows))]
    if not spans:
        return empty

    def inside(now: float) -> bool:
        at = local(now)
        for start, end in spans:
            lo, hi = _fill(start, at), _fill(end, at)
            if lo is None or hi is None:
                continue
            if lo <= at < hi if lo <= hi else (at >= lo or at < hi):
                return True
        return False

    return inside


class CosemSettings:
    """``configure`` of a meter's MeterModem: the objects of ``device`` (read again
    only when one of their watched attributes holds another value)."""

    def __init__(self, device: LogicalDevice, local: LocalTime) -> None:
        self.device, self.local = device, local
        self._seen: Sequence[Data] = ()
        self._watched: list[tuple[CosemObject | None, str]] | None = None

    def _values(self) -> list[Data]:
        """The watched attributes' values, read as stored (called before each of the
        modem's decisions: a few attribute reads, no GET machinery). The objects are
        looked up at the first call: build the modem after the objects are placed."""
        if self._watched is None:
            self._watched = []
            for obis, indexes in WATCHED:
                obj = self.device.find(obis)
                names = {a.index: a.name for a in obj.attributes()} if obj is not None else {}
                self._watched += [(obj, names.get(i, "")) for i in indexes]
        return [getattr(obj, name, None) for obj, name in self._watched]

    def __call__(self, modem: MeterModem) -> None:
        values = self._values()
        seen = self._seen
        if len(values) == len(seen) and all(map(operator.is_, values, seen)):
            return
        self._seen = values
        aa_mode, listening, rings, callers, ac_mode, reps, delay, calling, dests = values[:9]
        flags, hdlc_timeout, tcp_timeout, speed = values[9:]
        allowed = tuple(
            (as_bytes(c).decode("ascii", "replace"), CallType(as_int(t)))
            for c, t in (items(e) for e in self._items(callers))
        )
        ring = items(rings) if rings is not None else [2, 0]
        modem.auto_answer = AutoAnswerSettings(
            mode=self._int(aa_mode, 0),
            rings_in_window=as_int(ring[0]),
            rings_out_of_window=as_int(ring[1]),
            allowed_callers=allowed,
            in_window=self._window(listening, always),
        )
        modem.auto_connect = AutoConnectSettings(
            mode=self._int(ac_mode, 104),
            repetitions=self._int(reps, 0),
            repetition_delay_s=float(self._int(delay, 0)),
            in_window=self._window(calling, never),
            destinations=tuple(as_bytes(d).decode("ascii", "replace") for d in self._items(dests)),
            csd_flags=self._int(flags, 0),
        )
        modem.inactivity_timeout_s = float(self._int(hdlc_timeout, 120))
        modem.session_timeout_s = float(self._int(tcp_timeout, 0))
        modem.dte_bit_rate = SPEEDS[self._int(speed, SPEEDS.index(9600))]

    def _window(self, windows: Data, empty: WindowTest) -> WindowTest:
        return empty if windows is None else window_test(windows, self.local, empty)

    @staticmethod
    def _items(value: Data) -> list[Data]:
        return [] if value is None else items(value)

    @staticmethod
    def _int(value: Data, default: int) -> int:
        return default if value is None else as_int(value)
