"""The head-end's records: plain dataclasses passed between the inventory, the store,
the scheduler and the collectors (the tables are in :mod:`openamr.headend.schema`)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from openamr.headend.vault import MeterSecrets

AUTHS = ("none", "low", "high")
#: how a meter is reached (docs/gsm.md): TCP to its URL; a CSD call through the
#: head-end's modem; or a wake-up (SMS) through the modem, then TCP to the address
#: the lookup service gives once the meter is attached to GPRS
PATHS = ("tcp", "csd", "wakeup")
STATES = ("active", "decommissioned")


class Quality(enum.IntFlag):
    """Quality flags of a reading (``readings.quality``)."""

    NONE = 0
    #: the meter flagged the interval (status byte: power down/up, clock, not valid)
    METER_FLAGGED = 1
    #: the value was estimated by the head-end, not read (VEE, issue 14)
    ESTIMATED = 2
    #: the value was edited; the original is kept elsewhere (VEE, issue 14)
    EDITED = 4
    #: read in a session whose meter clock was off by more than the threshold
    CLOCK_SUSPECT = 8


#: profile status bits (docs/mt372.md) that make a reading METER_FLAGGED
STATUS_SUSPECT = 0x80 | 0x40 | 0x20 | 0x04 | 0x02 | 0x01


@dataclass(frozen=True, slots=True)
class MeterRecord:
    """One meter of the inventory (its secrets never shown in a repr)."""

    serial: str
    url: str
    client: int = 1
    auth: str = "high"
    logical_device_name: str = ""
    system_title: str = ""
    cell: int | None = None
    group: str = ""
    tariff_group: str = ""
    msisdn: str = ""
    iccid: str = ""
    imsi: str = ""
    firmware: str = ""
    state: str = "active"
    path: str = "tcp"
    secrets: MeterSecrets = field(default_factory=MeterSecrets, repr=False)
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.serial:
            raise ValueError("a meter needs a serial number")
        if self.auth not in AUTHS:
            raise ValueError(f"auth {self.auth!r}: use one of {', '.join(AUTHS)}")
        if self.state not in STATES:
            raise ValueError(f"state {self.state!r}: use one of {', '.join(STATES)}")
        if self.path not in PATHS:
            raise ValueError(f"path {self.path!r}: use one of {', '.join(PATHS)}")
        if self.path != "tcp" and not self.msisdn and not self.url.startswith("csd://"):
            raise ValueError(f"path {self.path}: give the meter's msisdn (its SIM's number)")
        if "://" not in self.url:
            raise ValueError(f"url {self.url!r}: a client URL such as tcp://HOST:PORT")


class Reading(NamedTuple):
    """One value of one channel at one time (``ts``: the interval end, UTC seconds).
    A tuple in the table's column order, so that a batch goes to the driver as is."""

    meter_id: int
    channel: str
    ts: int
    value: float
    unit: str
    status: int | None = None
    quality: int = 0


@dataclass(frozen=True, slots=True)
class EventRecord:
    meter_id: int
    log: str
    ts: int
    code: int
    name: str


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One conversation with a meter: what it cost and how it ended."""

    meter_id: int
    started: int
    ended: int
    bytes_sent: int
    bytes_received: int
    outcome: str  # "ok" or "failed"
    reason: str = ""
    readings: int = 0
    job_id: int | None = None
    clock_offset_s: float | None = None  # the meter's clock - the reference, as read


@dataclass(frozen=True, slots=True)
class ClockCorrection:
    meter_id: int
    ts: int
    offset_s: float  # meter - reference, before the correction
    shift_s: float  # what was applied (negative: set back)
    forced: bool
    session_id: int | None = None


@dataclass(frozen=True, slots=True)
class JobRow:
    """A job as stored (``jobs``): the API answers an on-demand request with its
    correlation id at once, and the result is looked up here later."""

    correlation_id: str
    meter_id: int
    kind: str
    priority: int
    state: str  # queued, running, done, failed
    due: int
    deadline: int
    attempts: int
    reason: str
    updated: int


class LastCalendar(NamedTuple):
    """A meter's last stored tariff calendar read, as :func:`openamr.headend.calendars.
    is_due` needs it: when a read last found it so, the passive calendar's activation
    time, and whether a ``tariff_calendar`` command was confirmed since."""

    checked: int
    activation: int | None
    changed: bool


@dataclass(frozen=True, slots=True)
class CalendarRead:
    """A tariff calendar as a session read it (:func:`openamr.headend.calendars.
    encoded`): the attributes' A-XDR encodings as JSON text (``tariff_calendars.
    attributes``) and the passive calendar's activation time."""

    text: str
    activation: int | None

    def updates_last(self, last: tuple[int, str] | None, read_at: int) -> bool:
        """Whether this read updates the last stored one (``last``: its read_at and
        text; its ``checked`` time moves) instead of being stored as a new one: a read
        is stored only when it differs from the last one (and is newer)."""
        return last is not None and (last[1] == self.text or last[0] >= read_at)


@dataclass(frozen=True, slots=True)
class SessionRows:
    """Everything one session read, stored in one transaction with its record
    (:meth:`Store.save_sessions <openamr.headend.store.Store.save_sessions>`); its
    tariff calendar when it read one (stored at the record's end)."""

    record: SessionRecord
    readings: Sequence[Reading]
    events: Sequence[EventRecord]
    counters: Mapping[str, int]
    corrections: Sequence[ClockCorrection]
    calendar: CalendarRead | None = None


@dataclass(frozen=True, slots=True)
class SavedSession:
    """A stored session: its id, and how many of its readings and events were new
    (None: the driver did not say)."""

    session_id: int
    readings: int | None
    events: int | None
