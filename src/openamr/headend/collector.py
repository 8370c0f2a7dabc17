"""One collection session with one meter, over :func:`openamr.client.connect`:

0. one Get-Request-With-List (Green Book 9.3.4, IEC 62056-5-3) of what the session
   needs first: the clock, the billing registers, the ICCID, the profile's capture
   period and the capture objects of the profile and the log-book
   (:attr:`Collector.first_read`); a meter that refuses with-list is read one
   attribute a request (:meth:`openamr.client.meter.Meter.get_many`);
1. the clock 0.0.1.0.0.255 (Blue Book 4.5.1): set when the drift passes
   ``threshold``, by at most ``max_shift`` per session (``forced``: all of it); every
   correction stored;
2. the billing registers (Register, 4.3.2): A+ and A- totals and per rate, the S0
   inputs (docs/mt372.md), attributes 2 and 3, stamped with the meter's time after
   the correction;
3. the load profile 1.0.99.1.0.255 (Profile generic, 4.3.6) by range from the last
   stored entry; then the missing intervals of the last ``gap_days`` (by the capture
   period, attribute 4) re-read by range;
4. the log-book 1.0.99.98.0.255 by range from the last stored event;
5. the tariff calendar when :func:`openamr.headend.calendars.is_due` says so (from the
   session's state);

and the session itself (start, end, APDU bytes each way, outcome, reason), stored with
all it read and its calendar in one transaction. The invocation counters seen are
stored and never lowered: the server's, read by the client from 0.0.43.1.0.255 before
an HLS association, and our own next one.

A failure is transient (no answer, lost connection: retry later) or permanent
(refused association, wrong keys, a refused read: retrying will not help):
:func:`classify`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.get import GetDataResult
from openamr.apdu.results import DataAccessResult
from openamr.apdu.selective_access import CaptureObjectDefinition
from openamr.client.device import CLOCK
from openamr.client.errors import CredentialsError, TransportError
from openamr.client.meter import Meter, connect
from openamr.client.profile import capture_objects_of
from openamr.client.values import Profile, as_datetime, as_timestamp, event_name, events_of
from openamr.codec.obis import Obis
from openamr.codec.units import ScalerUnit
from openamr.errors import DecodeError, DlmsError
from openamr.headend import calendars
from openamr.headend.counters import DEFAULT_COUNTER_ALERT, counter_alerts
from openamr.headend.model import (
    STATUS_SUSPECT,
    ClockCorrection,
    EventRecord,
    MeterRecord,
    Quality,
    Reading,
    SessionRecord,
    SessionRows,
)
from openamr.headend.paths import GsmPolicy, session
from openamr.headend.store import MeterState, Store, StoreError
from openamr.headend.vault import Kek, VaultError
from openamr.headend.vee import Rules
from openamr.headend.writer import SessionWriter
from openamr.security.keys import KeySet

BILLING = tuple(
    [f"1.0.1.8.{t}.255" for t in range(5)] + [f"1.0.2.8.{t}.255" for t in range(5)]
    + ["8.0.1.0.0.255", "7.0.3.0.0.255"]
)  # fmt: skip
LOAD_PROFILE = "1.0.99.1.0.255"
LOGBOOK = "1.0.99.98.0.255"
DATA, REGISTER, PROFILE_GENERIC, CLOCK_CLASS = 1, 3, 7, 8
#: The SIM card's ICCID (Data, an MT372 object, docs/gsm-meter.md): read with the billing
#: registers, compared with the inventory's to notice a swapped card.
ICCID = Obis.parse("0.0.128.20.30.255")
log = logging.getLogger(__name__)
STATUS_OBIS = Obis(1, 0, 96, 240, 0, 255)
_NUMBER = (int, float)


@dataclass(frozen=True, slots=True)
class CollectPolicy:
    threshold: float = 10.0  # s of drift before the clock is set
    max_shift: float = 300.0  # s the clock may move in one session (unless forced)
    registers: tuple[str, ...] = BILLING
    profile: str = LOAD_PROFILE
    logbook: str = LOGBOOK
    first_days: float = 2.0  # how far back the first profile read goes
    gap_days: float = 7.0  # how far back missing intervals are looked for
    timeout: float = 10.0
    counter_alert: int = DEFAULT_COUNTER_ALERT  # an invocation counter past it: an alarm
    vee: Rules | None = None  # VEE of the new profile after each session (None: not)
    gsm: GsmPolicy = field(default_factory=GsmPolicy)  # the modem and lookup (csd, wakeup)


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    reason: str = ""
    transient: bool = False
    readings: int = 0
    events: int = 0
    gaps_reread: int = 0
    session_id: int | None = None


def classify(error: BaseException) -> tuple[str, bool]:
    """(reason, transient) of a failed session."""
    chain: BaseException | None = error
    while chain is not None:
        if isinstance(chain, TransportError | OSError | TimeoutError):
            return str(error) or type(error).__name__, True
        chain = chain.__cause__
    return str(error) or type(error).__name__, False


def channel(obis: Obis | str, attribute: int = 2, profile: str | None = None) -> str:
    name = f"{obis}:{attribute}"
    return name if profile is None else f"{profile}/{name}"


class Collector:
    """Collects one meter per call; ``now`` is the reference clock (aware, UTC)."""

    def __init__(
        self, store: Store, kek: Kek | None, now: Callable[[], dt.datetime],
        policy: CollectPolicy | None = None,
    ) -> None:  # fmt: skip
        self.store, self.kek, self.now = store, kek, now
        self.policy = policy or CollectPolicy()
        self.cards: dict[int, str] = {}  # the ICCID each meter was last seen with
        self.writer = SessionWriter(store)  # sessions that end together, stored together
        p = self.policy
        self.clock_at = CosemAttributeDescriptor(CLOCK_CLASS, CLOCK, 2)
        self.registers_at = [
            (o, CosemAttributeDescriptor(REGISTER, o, 2), CosemAttributeDescriptor(REGISTER, o, 3))
            for o in (Obis.parse(x) for x in p.registers)
        ]  # fmt: skip
        self.iccid_at = CosemAttributeDescriptor(DATA, ICCID, 2)
        profile, logbook = Obis.parse(p.profile), Obis.parse(p.logbook)
        self.period_at = CosemAttributeDescriptor(PROFILE_GENERIC, profile, 4)
        self.profile_columns_at = CosemAttributeDescriptor(PROFILE_GENERIC, profile, 3)
        self.logbook_columns_at = CosemAttributeDescriptor(PROFILE_GENERIC, logbook, 3)
        #: a session's first request, one Get-Request-With-List (Green Book 9.3.4):
        #: the clock, the billing registers (value, scaler_unit), the ICCID, and the
        #: profile's capture period and the capture objects of the profile and the
        #: log-book (29 attributes: the MT372 takes 32 in one list)
        self.first_read = list(dict.fromkeys([
            self.clock_at, *(d for _, v, su in self.registers_at for d in (v, su)),
            self.iccid_at, self.period_at, self.profile_columns_at, self.logbook_columns_at,
        ]))  # fmt: skip

    async def collect(
        self, meter: MeterRecord, *, force_clock: bool = False, job_id: int | None = None
    ) -> Outcome:
        """One session; what it read is stored in one transaction with the session's
        record (and those of the sessions that end meanwhile: :mod:`.writer`), also
        when it failed part-way (what was read is kept); returns once it is stored."""
        assert meter.id is not None
        counts = {"tx": 0, "rx": 0}

        def trace(direction: str, apdu: bytes) -> None:
            counts[direction] = counts.get(direction, 0) + len(apdu)

        started = self.now()
        run = _Run(self, meter, force_clock)
        ok, reason, transient = True, "", False
        try:
            await run.session(trace)
        except (DlmsError, VaultError, StoreError, OSError, TimeoutError) as e:
            ok = False
            reason, transient = classify(e)
        record = SessionRecord(
            meter.id, int(started.timestamp()), int(self.now().timestamp()), counts["tx"],
            counts["rx"], "ok" if ok else "failed", reason, 0, job_id, run.offset,
        )  # fmt: skip
        calendar = None if run.calendar is None else calendars.encoded(run.calendar)
        saved = await self.writer.save(
            SessionRows(record, run.rows, run.event_rows, run.counters, run.corrections, calendar)
        )
        session_id, new, new_events = saved.session_id, saved.readings, saved.events
        if any(v >= self.policy.counter_alert for v in run.counters.values()):
            await counter_alerts(self.store, meter.serial, meter.id, run.counters, record.ended,
                                 self.policy.counter_alert)  # fmt: skip
        known = self.cards.get(meter.id, meter.iccid)
        if run.iccid is not None and known and run.iccid != known:
            await sim_changed(self.store, meter, known, run.iccid, record.ended)
        if run.iccid is not None:
            self.cards[meter.id] = run.iccid
        if self.policy.vee is not None and new != 0:
            await self._vee(meter.id, run.rows, self.policy.vee)
        return Outcome(
            ok, reason, transient, len(run.rows) if new is None else new,
            len(run.event_rows) if new_events is None else new_events, run.gaps, session_id,
        )  # fmt: skip

    async def _vee(self, meter_id: int, rows: Sequence[Reading], rules: Rules) -> None:
        """VEE over the profile this session read (docs/vee.md); a failure of it is
        logged, never the session's."""
        from openamr.headend import quality

        times = [r.ts for r in rows if r.channel.startswith(self.policy.profile + "/")]
        if not times:
            return
        try:
            await quality.run_meter(self.store, meter_id, min(times), max(times), rules,
                                    int(self.now().timestamp()), self.policy.profile)  # fmt: skip
        except Exception:
            log.exception("VEE of meter %d after its collection failed", meter_id)


class _Run:
    """The state of one session: what it learnt and read, stored at its end."""

    def __init__(self, collector: Collector, meter: MeterRecord, force_clock: bool) -> None:
        self.c, self.meter, self.force_clock = collector, meter, force_clock
        assert meter.id is not None
        self.meter_id = meter.id
        self.gaps = 0
        self.rows: list[Reading] = []
        self.event_rows: list[EventRecord] = []
        self.counters: dict[str, int] = {}
        self.corrections: list[ClockCorrection] = []
        self.scalers: dict[Obis, ScalerUnit] = {}
        self.quality = 0
        self.offset: float | None = None  # the clock's, as read (before a correction)
        self.iccid: str | None = None  # the card the meter holds, as read
        self.calendar: calendars.Encoded | None = None  # the tariff calendar, when read

    async def session(self, trace: Callable[[str, bytes], None]) -> None:
        p = self.c.policy
        state = await self.c.store.session_state(
            self.meter_id, self.c.kek, f"{p.profile}/", p.logbook, int(p.gap_days * 86400)
        )
        secrets = state.secrets
        if self.meter.auth == "high" and (secrets.ek is None or secrets.ak is None):
            raise CredentialsError(f"meter {self.meter.serial}: no keys in the inventory for HLS")
        keys = None if secrets.ek is None or secrets.ak is None else KeySet(secrets.ek, secrets.ak)
        last_ic = state.client_counter
        async with session(self.meter, p.gsm) as url, connect(  # by its path (docs/gsm.md)
            url, self.meter.client, self.meter.auth, password=secrets.password,
            keys=keys, environ={}, timeout=p.timeout, trace=trace,
            invocation_counter=None if last_ic is None else last_ic + 1,
        ) as client:  # fmt: skip
            try:
                if client.server_invocation_counter is not None:
                    self.counters["server"] = client.server_invocation_counter
                first = dict(zip(self.c.first_read, await client.get_many(self.c.first_read),
                                 strict=True))  # fmt: skip
                stamp = await self.clock(client, first[self.c.clock_at])
                self.registers(first, stamp)
                await self.profile(client, state, first)
                await self.logbook(client, state.last_event, first)
                if calendars.is_due(state.calendar, stamp):
                    self.calendar = await calendars.read(client)
            finally:
                self.counters["client"] = client.invocation_counter - 1

    # -- 1. clock --------------------------------------------------------------------

    async def clock(self, client: Meter, listed: GetDataResult) -> int:
        """Read (and correct) the clock; the meter's time after that, UTC seconds.
        ``listed``: the clock as the first request read it (refused or not a time:
        read again alone, which fails as a read of the clock does)."""
        p = self.c.policy
        meter_time = as_datetime(listed) if not isinstance(listed, DataAccessResult) else None
        if meter_time is None:
            meter_time = await client.clock()
        reference = self.c.now()
        if meter_time.tzinfo is None:
            meter_time = meter_time.replace(tzinfo=dt.UTC)
        offset = (meter_time - reference).total_seconds()
        self.offset = offset
        if abs(offset) <= p.threshold and not self.force_clock:
            return int(meter_time.timestamp())
        shift = -offset if self.force_clock else max(-p.max_shift, min(p.max_shift, -offset))
        target = self.c.now() + dt.timedelta(seconds=offset + shift)
        await client.set_clock(target)
        self.corrections.append(
            ClockCorrection(
                self.meter_id, int(reference.timestamp()), offset, shift, self.force_clock
            )
        )
        if abs(offset + shift) > p.threshold:
            self.quality |= Quality.CLOCK_SUSPECT
        return int(target.timestamp())

    # -- 2. billing registers ---------------------------------------------------------------

    def registers(self, first: Mapping[CosemAttributeDescriptor, GetDataResult], stamp: int
                  ) -> None:  # fmt: skip
        """The billing registers and the ICCID, as the first request read them."""
        card = first[self.c.iccid_at]
        if isinstance(card, bytes | str) and card:
            self.iccid = card.decode("ascii", "replace") if isinstance(card, bytes) else card
        rows = []
        for o, value_at, scaler_at in self.c.registers_at:
            raw, su = first[value_at], first[scaler_at]
            if isinstance(raw, DataAccessResult) or isinstance(su, DataAccessResult):
                continue  # not on this meter (e.g. no S0 input wired)
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                continue
            scaler = ScalerUnit.from_data(su)
            self.scalers[o] = scaler
            rows.append(Reading(self.meter_id, channel(o), stamp, float(scaler.apply(raw)),
                                scaler.unit.symbol, None, self.quality))  # fmt: skip
        self.rows += rows

    # -- 3. load profile, gaps ---------------------------------------------------------------

    async def profile(
        self, client: Meter, state: MeterState,
        first: Mapping[CosemAttributeDescriptor, GetDataResult],
    ) -> None:  # fmt: skip
        """Since the last stored entry (the first time: ``first_days`` back); then
        each run of missing intervals of the last ``gap_days`` re-read by range."""
        p = self.c.policy
        last, now = state.last_profile, self.c.now()
        start = (now - dt.timedelta(days=p.first_days) if last is None
                 else dt.datetime.fromtimestamp(last + 1, dt.UTC))  # fmt: skip
        listed = first[self.c.period_at]
        period = (await self._capture_period(client) if isinstance(listed, DataAccessResult)
                  else _period(listed))  # fmt: skip
        captured = _captured(first[self.c.profile_columns_at])
        times = await self._read_profile(client, start, now, period, captured)
        if last is None or period <= 0 or state.first_profile is None:
            return
        present = sorted(set(state.profile_times) | set(times))
        present = [t for t in present if t >= state.first_profile]
        for lo, hi in find_gaps(present, period):
            self.gaps += 1
            await self._read_profile(client, dt.datetime.fromtimestamp(lo, dt.UTC),
                                     dt.datetime.fromtimestamp(hi, dt.UTC), period,
                                     captured)  # fmt: skip

    async def _capture_period(self, client: Meter) -> int:
        return _period(await client.get(self.c.policy.profile, 4, class_id=7))

    async def _read_profile(
        self, client: Meter, start: dt.datetime, end: dt.datetime, period: int,
        captured: tuple[CaptureObjectDefinition, ...] | None,
    ) -> list[int]:  # fmt: skip
        profile = await client.profile(self.c.policy.profile, start=start, end=end,
                                       captured=captured)  # fmt: skip
        rows, times = await self._profile_rows(client, profile, period)
        self.rows += rows
        return times

    async def _profile_rows(
        self, client: Meter, profile: Profile, period: int
    ) -> tuple[list[Reading], list[int]]:
        cols = profile.columns
        clock_at = next((i for i, c in enumerate(cols) if c.class_id == 8), None)
        status_at = next((i for i, c in enumerate(cols) if c.logical_name == STATUS_OBIS), None)
        values = [i for i in range(len(cols)) if i not in (clock_at, status_at)]
        names = {i: channel(cols[i].logical_name, cols[i].attribute_index, self.c.policy.profile)
                 for i in values}  # fmt: skip
        scaled = []  # per value column: its name, scaling and unit, looked up once
        for i in values:
            scaler = await self._scaler(client, cols[i].logical_name, cols[i].class_id)
            factor = int(10 ** abs(scaler.scaler))  # ScalerUnit.apply, inlined
            scaled.append((i, names[i], scaler.scaler >= 0, factor, scaler.unit.symbol))
        rows: list[Reading] = []
        times: list[int] = []
        previous: int | None = None
        meter_id, new = self.meter_id, tuple.__new__  # a Reading without its __new__'s call
        plain = int(self.quality)
        flagged = plain | Quality.METER_FLAGGED.value
        for entry in profile.rows:
            when = None if clock_at is None else as_timestamp(entry[clock_at])
            if when is None and previous is not None and period > 0:
                ts = previous + period  # a null stamp: previous + capture period
            elif when is None:
                continue
            else:
                ts = when  # a stamp without deviation is UTC
            previous = ts
            times.append(ts)
            status = entry[status_at] if status_at is not None else None
            if type(status) is bool or not isinstance(status, int):
                status = None
            quality = flagged if status and status & STATUS_SUSPECT else plain
            for i, name, up, factor, symbol in scaled:
                raw = entry[i]
                if type(raw) is bool or not isinstance(raw, _NUMBER):
                    continue
                value = float(raw * factor) if up else raw / factor
                rows.append(new(Reading, (meter_id, name, ts, value, symbol, status, quality)))
        return rows, times

    async def _scaler(self, client: Meter, obis: Obis, class_id: int) -> ScalerUnit:
        if obis not in self.scalers:
            value = await client.get(obis, 3, class_id=class_id)
            self.scalers[obis] = ScalerUnit.from_data(value)
        return self.scalers[obis]

    # -- 4. log-book --------------------------------------------------------------------

    async def logbook(
        self, client: Meter, last: int | None,
        first: Mapping[CosemAttributeDescriptor, GetDataResult],
    ) -> None:  # fmt: skip
        log = self.c.policy.logbook
        start = None if last is None else dt.datetime.fromtimestamp(last, dt.UTC)
        captured = _captured(first[self.c.logbook_columns_at])
        profile = await client.profile(log, start=start, end=self.c.now() if start else None,
                                       captured=captured)  # fmt: skip
        rows = []
        for event in events_of(profile.rows):
            if event.time is None:
                continue
            when = event.time if event.time.tzinfo else event.time.replace(tzinfo=dt.UTC)
            rows.append(
                EventRecord(
                    self.meter_id, log, int(when.timestamp()), event.code, event_name(event.code)
                )
            )
        self.event_rows += rows


def _period(value: GetDataResult) -> int:
    """The capture period (attribute 4, seconds) as read; 0 when it is not a number."""
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def _captured(value: GetDataResult) -> tuple[CaptureObjectDefinition, ...] | None:
    """Capture objects as the first request read them; None when refused or not
    readable (the profile read then reads them itself, and fails as it does)."""
    try:
        return None if isinstance(value, DataAccessResult) else capture_objects_of(value)
    except DecodeError:
        return None


def find_gaps(times: Sequence[int], period: int) -> list[tuple[int, int]]:
    """Runs of missing interval ends between consecutive stored ones, as inclusive
    (first missing, last missing) pairs; ``times`` sorted."""
    gaps = []
    for a, b in itertools.pairwise(times):
        if b - a > period:
            gaps.append((a + period, b - period))
    return gaps


#: the head-end's alarm code for a swapped SIM card (above the meters' 16-bit codes)
SIM_CHANGED = 0x10010


async def sim_changed(store: Store, meter: MeterRecord, old: str, iccid: str, now: int) -> None:
    """The meter holds another SIM card than the inventory says (a hot swap, issue 16):
    an alarm with both ICCIDs, and the inventory takes the new card, so the alarm is
    raised once per swap."""
    import json

    payload = json.dumps({"old_iccid": old, "new_iccid": iccid}).encode()
    await store.add_alarm(meter.serial, now, SIM_CHANGED, f"SIM card changed to {iccid}", now,
                          meter.id, payload)  # fmt: skip
    await store.update_meter(meter.serial, now, iccid=iccid)
