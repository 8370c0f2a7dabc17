"""Load limitation: the Limiter 0.0.17.0.0.255 (class 71, Blue Book 4.5.9) driving
the contactor, and the Mx372 "code red" objects as views of it.

Decisions ([I]):

* Evaluation every minute of meter time (the model's power is constant within a
  minute, so a minute is exact): at each minute boundary the limiter sees the
  active import power 1.0.1.7.0.255 of the minute that starts there. An excursion
  that starts at minute k acts at k + min_over_threshold_duration (rounded up to a
  minute). After an action the limiter looks again at once: the contactor it
  opened starts the under-threshold excursion at that instant.
* A threshold of 0 means no limitation (the Mx372's contract power 0): no minute
  is evaluated, so an idle limiter costs nothing over a year of history.
* actions: over -> script 0.0.10.0.106.255 (disconnect control) selector 1, under
  -> selector 2. The twin runs them as the *local* transitions of the disconnector:
  1 local_disconnect (g: connected -> ready for reconnection), 2 local_reconnect
  (h: back to connected, control modes 5 and 6 only; in the other modes the
  customer's button or the head-end reconnects). Other scripts named in actions
  run through the device's Script table of that name.
* Code red: emergency profile id 1 in group 1 (set at installation), so writing
  the Mx372 objects is enough to arm it:

  ==================  ==================================  ==========================
  0.0.128.61.1.255    contract power limit (W)            threshold_normal
  0.0.128.62.1.255    code red start (date-time, 12 oct.) emergency_activation_time
  0.0.128.62.2.255    code red duration (s)               emergency_duration
  0.0.128.62.3.255    code red power limit (W)            threshold_emergency
  ==================  ==================================  ==========================

  The begin and the end of the emergency are logged (0x8045, 0x8046).
"""

from __future__ import annotations

import datetime as dt

from openamr.apdu.results import DataAccessResult
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.types import (
    Array,
    Data,
    DoubleLong,
    DoubleLongUnsigned,
    LongUnsigned,
    OctetString,
    Structure,
)
from openamr.cosem.classes.limiter import Limiter
from openamr.cosem.classes.script_table import ScriptTable
from openamr.devices.mt372 import objects as mt372
from openamr.errors import DecodeError
from openamr.meter.metrology.energy import Metrology
from openamr.meter.metrology.load import PATTERNS
from openamr.meter.metrology.model import DAY, SLOT, seconds
from openamr.meter.peripherals.agenda import Agenda, ValueView, number, place, run_at
from openamr.meter.peripherals.codes import PeripheralEvent
from openamr.meter.peripherals.relays import Contactor
from openamr.meter.twin import Action, Twin

LIMITER = mt372.LIMITER.obis
DISCONNECT_SCRIPTS = Obis(0, 0, 10, 0, 106, 255)
CONTRACT_LIMIT = mt372.CONTRACT_LIMIT.obis
CODE_RED_START = mt372.CODE_RED_START.obis
CODE_RED_DURATION = mt372.CODE_RED_DURATION.obis
CODE_RED_LIMIT = mt372.CODE_RED_LIMIT.obis
EMERGENCY_ID = 1
MINUTE = dt.timedelta(minutes=1)
LOCAL_DISCONNECT, LOCAL_RECONNECT = 1, 2


def _action_item(selector: int) -> Structure:
    return Structure((OctetString(DISCONNECT_SCRIPTS.to_bytes()), LongUnsigned(selector)))


def import_power(m: Metrology, s: int) -> float:
    """The active import power (W) in the minute of true second ``s``: the value of
    1.0.1.7.0.255 (:func:`~openamr.meter.metrology.instant.instantaneous`'s import_w,
    without the voltages and currents the limiter does not need)."""
    table = m.day_table(s // DAY)
    x = s % DAY
    i = table.segment(x)
    return round(table.pos_w[i] * PATTERNS[table.pattern[i]][x % SLOT // 60] / 1000, 1)


def _watts(value: Data) -> int:
    return int(value) if isinstance(value, int) else 0


class LoadLimiter:
    """The limiter in time; it opens and closes the contactor."""

    def __init__(self, twin: Twin, contactor: Contactor) -> None:
        self.twin, self.contactor = twin, contactor
        self.agenda = Agenda()
        self._cached: tuple[object, tuple[dt.datetime, dt.datetime] | None] = (None, None)
        found = twin.device.find(LIMITER)
        if not isinstance(found, Limiter):
            raise LookupError(f"the twin needs Limiter {LIMITER}")
        self.limiter = found
        found.actions = Structure((_action_item(LOCAL_DISCONNECT), _action_item(LOCAL_RECONNECT)))
        found.emergency_profile_group_id_list = Array([LongUnsigned(EMERGENCY_ID)])
        self._set_profile(start=None, duration=None)
        device = twin.device
        place(device, ValueView(CONTRACT_LIMIT, self._read_normal, self._write_normal))
        place(device, ValueView(CODE_RED_START, self._read_start, self._write_start))
        place(device, ValueView(CODE_RED_DURATION, self._read_duration, self._write_duration))
        place(device, ValueView(CODE_RED_LIMIT, self._read_emergency, self._write_emergency))

    # -- the public face -----------------------------------------------------------------

    def set_load_limit(self, watts: int, at: dt.datetime | None = None) -> None:
        """The normal threshold (contract power) from ``at``; 0 switches it off."""
        self._check(watts)
        run_at(self.twin, self.agenda, at, lambda _: self._normal(watts))

    def set_durations(self, over_s: int, under_s: int) -> None:
        self.limiter.min_over_threshold_duration = DoubleLongUnsigned(over_s)
        self.limiter.min_under_threshold_duration = DoubleLongUnsigned(under_s)

    def code_red(self, start: dt.datetime, duration_s: int, watts: int) -> None:
        """An emergency threshold of ``watts`` on [start, start + duration)."""
        self._check(watts)
        self.limiter.threshold_emergency = DoubleLongUnsigned(watts)
        stamp = CosemDateTime.from_datetime(start).to_bytes()
        self._set_profile(stamp, duration_s)

    @property
    def threshold(self) -> int:
        """The threshold in force (after the last evaluation)."""
        return _watts(self.limiter.threshold_active)

    # -- component -----------------------------------------------------------------------

    def boundaries(
        self, twin: Twin, m0: dt.datetime, m1: dt.datetime
    ) -> list[tuple[dt.datetime, Action]]:
        found = self.agenda.due(m0, m1)
        found += self._emergency_edges(m0, m1)
        if self._armed():
            epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
            at = m0 - (m0 - epoch) % MINUTE + MINUTE
            while at <= m1:
                found.append((at, self._evaluate))
                at += MINUTE
        return found

    def publish(self, twin: Twin) -> None:
        """Nothing to copy: the Limiter object holds its own state."""

    # -- inside ----------------------------------------------------------------------------

    def _armed(self) -> bool:
        normal = _watts(self.limiter.threshold_normal)
        emergency = _watts(self.limiter.threshold_emergency)
        return normal > 0 or (emergency > 0 and self._window() is not None)

    def _window(self) -> tuple[dt.datetime, dt.datetime] | None:
        profile = self.limiter.emergency_profile
        if self._cached[0] is not profile:
            self._cached = (profile, self._decode_window())
        return self._cached[1]

    def _decode_window(self) -> tuple[dt.datetime, dt.datetime] | None:
        profile = self.limiter.emergency_profile
        assert isinstance(profile, tuple)
        _, start, duration = profile
        if not isinstance(start, bytes) or not isinstance(duration, int):
            return None
        try:
            begin = CosemDateTime.from_bytes(start).to_datetime()
        except (DecodeError, ValueError):
            return None
        if begin.tzinfo is None:
            begin = begin.replace(tzinfo=dt.UTC)
        return begin, begin + dt.timedelta(seconds=int(duration))

    def _emergency_edges(
        self, m0: dt.datetime, m1: dt.datetime
    ) -> list[tuple[dt.datetime, Action]]:
        window = self._window()
        if window is None or not self._armed():
            return []
        codes = (PeripheralEvent.EMERGENCY_BEGINS, PeripheralEvent.EMERGENCY_ENDS)
        return [
            (at, self._logger(code)) for at, code in zip(window, codes, strict=True)
            if m0 < at <= m1
        ]  # fmt: skip

    def _logger(self, code: int) -> Action:
        return lambda at: self.twin.log(at, code)

    def _evaluate(self, at: dt.datetime) -> None:
        window = self._window()
        emergency = window is not None and window[0] <= at < window[1]
        active = self.limiter.threshold_emergency if emergency else self.limiter.threshold_normal
        if _watts(active) <= 0:
            return
        for _ in range(2):  # again after an action: an opened contactor starts a new excursion
            power = import_power(self.twin.metrology, seconds(self.twin.source.to_true(at)))
            actions = self.limiter.evaluate(power, at)
            for item in actions:
                self._run(item, at)
            if not actions:
                break

    def _run(self, item: Data, at: dt.datetime) -> None:
        assert isinstance(item, tuple)
        script, selector = item
        over = selector == LOCAL_DISCONNECT
        self.twin.log(at, PeripheralEvent.LIMITER_OVER_THRESHOLD if over
                      else PeripheralEvent.LIMITER_UNDER_THRESHOLD)  # fmt: skip
        if script == DISCONNECT_SCRIPTS.to_bytes():
            if over:
                self.contactor.local_disconnect(at)
            else:
                self.contactor.local_reconnect(at)
            return
        table = self.twin.device.find(Obis.from_bytes(bytes(script)))  # type: ignore[arg-type]
        if isinstance(table, ScriptTable):
            table.execute(selector)

    @staticmethod
    def _check(watts: int) -> None:
        if watts < 0:
            raise ValueError(f"a power limit is not negative, got {watts}")

    def _normal(self, watts: int) -> None:
        self.limiter.threshold_normal = DoubleLongUnsigned(watts)

    def _set_profile(self, start: bytes | None, duration: int | None) -> None:
        profile = self.limiter.emergency_profile
        assert isinstance(profile, tuple)
        _, old_start, old_duration = profile
        self.limiter.emergency_profile = Structure((
            LongUnsigned(EMERGENCY_ID),
            OctetString(start) if start is not None else old_start,
            DoubleLongUnsigned(duration) if duration is not None else old_duration,
        ))  # fmt: skip

    # -- the Mx372 views -----------------------------------------------------------------

    def _read_normal(self) -> Data:
        return DoubleLong(_watts(self.limiter.threshold_normal))

    def _write_normal(self, value: Data) -> DataAccessResult | None:
        watts = number(value)
        if watts is None or watts < 0:
            return DataAccessResult.OTHER_REASON
        self._normal(watts)
        return None

    def _read_start(self) -> Data:
        profile = self.limiter.emergency_profile
        assert isinstance(profile, tuple)
        return profile[1]

    def _write_start(self, value: Data) -> DataAccessResult | None:
        if not isinstance(value, bytes) or len(value) != CosemDateTime.SIZE:
            return DataAccessResult.TYPE_UNMATCHED
        self._set_profile(bytes(value), None)
        return None

    def _read_duration(self) -> Data:
        profile = self.limiter.emergency_profile
        assert isinstance(profile, tuple)
        return profile[2]

    def _write_duration(self, value: Data) -> DataAccessResult | None:
        seconds = number(value)
        if seconds is None or seconds < 0:
            return DataAccessResult.OTHER_REASON
        self._set_profile(None, seconds)
        return None

    def _read_emergency(self) -> Data:
        return DoubleLongUnsigned(_watts(self.limiter.threshold_emergency))

    def _write_emergency(self, value: Data) -> DataAccessResult | None:
        watts = number(value)
        if watts is None or watts < 0:
            return DataAccessResult.OTHER_REASON
        self.limiter.threshold_emergency = DoubleLongUnsigned(watts)
        return None
