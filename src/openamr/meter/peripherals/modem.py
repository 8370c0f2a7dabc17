"""The GSM/GPRS modem: registration and signal level, deterministic from the meter's
seed, published in GSM diagnostic 0.0.25.6.0.255 (class 47, Blue Book 4.8.6).

The model (decision, [I]), in true time:

* At power-up (commissioning, or the end of a power failure) the modem searches
  for 20 to 90 s (from the seed), then registers on its home network; during a
  power failure it is not registered.
* The operator is one of Slovenia's three networks (MCC 293), from the seed.
* Signal quality (+CSQ 0..31): a base of 8..28 from the seed, moving by -3..+3
  each hour (a hash of the seed and the hour), so it changes on the hour only.
  The LCD's 0..3 segments follow :func:`signal_bars`.
* Packet service GPRS while registered and the GSM mode 0.0.128.20.10.255 is 2
  (GPRS); otherwise inactive.

The diagnostic's capture_time is the meter time of the last change (registration,
or the hour the signal changed). The LCD's communication cursor is lit for
:data:`CURSOR_S` seconds after the last request the meter answered (the server's
refresh before each answer calls :meth:`Modem.activity`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from openamr.codec.datetime import CosemDateTime
from openamr.cosem.classes.gsm_diagnostic import (
    AdjacentCell,
    CellInfo,
    GsmDiagnostic,
    GsmStatus,
    PsStatus,
    signal_bars,
)
from openamr.devices.mt372 import objects as mt372
from openamr.meter.metrology.model import DisturbanceKind, instant, mix, seconds
from openamr.meter.profiles import stamp
from openamr.meter.twin import Action, Twin

GSM_DIAGNOSTIC = mt372.GSM_DIAGNOSTIC.obis
GSM_MODE = mt372.GSM_MODE.obis
GPRS_MODE = 2
OPERATORS = (("Telekom Slovenije", 293, 41), ("A1 SI", 293, 40), ("Telemach", 293, 70))
CURSOR_S = 10
HOUR = 3600


@dataclass(frozen=True, slots=True)
class ModemState:
    status: GsmStatus
    signal_quality: int  # +CSQ, 99 not known
    since: int  # true time (s) of the last change

    @property
    def bars(self) -> int:
        return signal_bars(self.signal_quality)

    @property
    def registered(self) -> bool:
        return self.status in (GsmStatus.REGISTERED_HOME, GsmStatus.REGISTERED_ROAMING)


@dataclass(frozen=True)
class ModemSite:
    """Where the modem is, when someone else decides it (a fleet's cells and fault
    model): the serving cell's id and the +CSQ the signal swings around. None: drawn
    from the meter's seed."""

    cell_id: int | None = None
    signal_base: int | None = None


#: Everything drawn from the seed (a meter on its own).
SEEDED = ModemSite()


class Modem:
    """The modem of one twin."""

    def __init__(self, twin: Twin, site: ModemSite = SEEDED) -> None:
        self.twin = twin
        seed = twin.metrology.model.seed
        self.seed = seed
        self.operator = OPERATORS[mix(seed, 1) % len(OPERATORS)]
        self.base = 8 + mix(seed, 2) % 21 if site.signal_base is None else site.signal_base
        self.cell_id = 1 + mix(seed, 5) % 65_535 if site.cell_id is None else site.cell_id
        self.search_s = 20 + mix(seed, 3) % 71
        found = twin.device.find(GSM_DIAGNOSTIC)
        self.diagnostic = found if isinstance(found, GsmDiagnostic) else None
        self.last_activity: dt.datetime | None = None
        self._published: ModemState | None = None

    # -- the model -----------------------------------------------------------------------

    def power_up(self, t: int) -> int | None:
        """The last power-up at or before true second ``t`` (None: powered down)."""
        up = self.twin.metrology.commissioned
        for d in self.twin.metrology.disturbances:
            if d.kind is not DisturbanceKind.POWER_FAILURE or d.start > t:
                continue
            if d.active(t):
                return None
            up = max(up, d.end)
        return up

    def quality(self, t: int) -> int:
        """+CSQ in the hour of true second ``t``."""
        swing = mix(self.seed, 4, t // HOUR) % 7 - 3
        return max(0, min(31, self.base + swing))

    def state_at(self, true_time: dt.datetime) -> ModemState:
        t = seconds(true_time)
        up = self.power_up(t)
        if up is None:
            return ModemState(GsmStatus.NOT_REGISTERED, 99, t)
        registered = up + self.search_s
        if t < registered:
            return ModemState(GsmStatus.SEARCHING, 99, up)
        since = max(registered, t - t % HOUR)
        return ModemState(GsmStatus.REGISTERED_HOME, self.quality(t), since)

    def activity(self) -> None:
        """A request is being answered now (lights the LCD's communication cursor)."""
        self.last_activity = self.twin.position

    def cursor(self, at: dt.datetime) -> bool:
        last = self.last_activity
        return last is not None and dt.timedelta(0) <= at - last < dt.timedelta(seconds=CURSOR_S)

    # -- component -----------------------------------------------------------------------

    def boundaries(
        self, twin: Twin, m0: dt.datetime, m1: dt.datetime
    ) -> list[tuple[dt.datetime, Action]]:
        return []

    def publish(self, twin: Twin) -> None:
        state = self.state_at(twin.true_t)
        if state == self._published or self.diagnostic is None:
            return
        self._published = state
        self.diagnostic.capture(
            CosemDateTime.from_bytes(stamp(twin.objects.clock, twin.source.to_meter(
                instant(state.since)))),
            self.operator[0] if state.registered else "",
            state.status,
            self._ps_status(state),
            self._cell(state),
            self._neighbours(state),
        )  # fmt: skip

    def _ps_status(self, state: ModemState) -> PsStatus:
        mode = self.twin.device.find(GSM_MODE)
        gprs = mode is not None and mode.get(2) == GPRS_MODE
        return PsStatus.GPRS if state.registered and gprs else PsStatus.INACTIVE

    def _cell(self, state: ModemState) -> CellInfo:
        if not state.registered:
            return CellInfo()
        _, mcc, mnc = self.operator
        return CellInfo(
            cell_id=self.cell_id,
            location_id=1 + mix(self.seed, 6) % 65_535,
            signal_quality=state.signal_quality,
            ber=0 if state.signal_quality >= 15 else mix(self.seed, 7, state.since) % 4,
            mcc=mcc,
            mnc=mnc,
            channel_number=1 + mix(self.seed, 8) % 124,
        )

    def _neighbours(self, state: ModemState) -> list[AdjacentCell]:
        if not state.registered:
            return []
        return [
            AdjacentCell(1 + mix(self.seed, 9, i) % 65_535, max(0, state.signal_quality - 3 - i))
            for i in range(2)
        ]
