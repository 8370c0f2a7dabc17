"""The GSM/GPRS modem of the twin: a :class:`~openamr.gsm.modem.MeterModem` (the
sans-IO modem a simulated network calls) driven by the twin's time and objects, and
published in its COSEM objects (docs/gsm-meter.md).

The model (decision, [I]), in true time (POSIX seconds are the MeterModem's ``now``):

* At power-up (commissioning, or the end of a power failure) the modem searches
  for 20 to 90 s (from the seed), then registers on its home network; during a
  power failure it is not registered. A card inserted (a hot swap) or the network
  coming back starts the same search.
* The card: a fleet gives each meter its own (``ModemSite.sim``); a meter on its own
  carries one derived from its seed on the operator's network. The operator is one
  of Slovenia's three networks (MCC 293), from the seed.
* Signal quality (+CSQ 0..31): a base of 8..28 from the seed, moving by -3..+3
  each hour (a hash of the seed and the hour), so it changes on the hour only.
  The LCD's 0..3 segments follow :func:`signal_bars`.
* Calls, SMS, wake-up and GPRS sessions follow :mod:`openamr.gsm.modem`, with the
  settings of the COSEM objects (:mod:`.modem_settings`).

Objects::

    0.0.25.6.0.255     47  GSM diagnostic: operator, status, CS and PS status, cell
                           (signal), two adjacent cells; capture_time = the change
    0.0.128.20.10.255  1   Mx372 GSM mode: 0 GSM, 1 GSM/PPP, 2 GPRS; writing 0
                           also wakes the modem (a GPRS session)
    0.0.2.1.0.255      29  Auto connect; connect() wakes the modem too
    0.0.96.12.6.255    1   MSISDN of the card (octet-string, ASCII; empty: no card)
    0.0.128.20.30/31.255 1 ICCID, IMSI of the card

Log-book: a card removed 0x8050, a card inserted 0x8051 (:mod:`openamr.devices.mt372.events`).
The LCD's communication cursor is lit during a CSD call and for :data:`CURSOR_S`
seconds after the last data (each request the meter answers counts:
:meth:`Modem.activity`).
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

from openamr.apdu.results import DataAccessResult
from openamr.codec.datetime import CosemDateTime
from openamr.codec.types import Array, Data, Enum, OctetString, Structure
from openamr.cosem.classes.auto_answer import CallType
from openamr.cosem.classes.auto_connect import AutoConnect
from openamr.cosem.classes.gsm_diagnostic import (
    NOT_KNOWN,
    AdjacentCell,
    CellInfo,
    GsmDiagnostic,
    GsmStatus,
    PsStatus,
    signal_bars,
)
from openamr.devices.mt372 import objects as mt372
from openamr.devices.mt372.events import EventCode
from openamr.gsm.modem import (
    CURSOR_S,
    GsmMode,
    MeterModem,
    ModemEvent,
    ModemEventKind,
    PowerUp,
)
from openamr.gsm.sim import Sim
from openamr.meter.metrology.model import DisturbanceKind, mix, seconds
from openamr.meter.peripherals.agenda import ValueView, number, place
from openamr.meter.peripherals.modem_settings import CosemSettings
from openamr.meter.profiles import stamp
from openamr.meter.twin import Action, Twin

GSM_DIAGNOSTIC = mt372.GSM_DIAGNOSTIC.obis
OPERATORS = (("Telekom Slovenije", 293, 41), ("A1 SI", 293, 40), ("Telemach", 293, 70))
HOUR = 3600
#: the modem's events the log-book keeps
LOGGED = {
    ModemEventKind.SIM_REMOVED: EventCode.SIM_REMOVED,
    ModemEventKind.SIM_INSERTED: EventCode.SIM_INSERTED,
}
__all__ = ["CURSOR_S", "SEEDED", "Modem", "ModemSite", "ModemState", "Reach"]


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


class Reach(enum.Enum):
    """How a head-end reaches the meter, in the words of the head-end's paths (the
    factory's settings for each, written into the objects when the twin is built)::

        tcp      GSM mode 2: attached to GPRS whenever registered (the default)
        csd      GSM mode 0, auto connect mode 0: only CSD data calls from the
                 head-end's number
        wakeup   GSM mode 0, auto connect mode 104, the head-end's CSD number a
                 wake-up caller: only by TCP, after an SMS or a wake-up call; with
                 a call-back address (``ModemSite.call_back``) as its destination,
                 it connects to the head-end there once attached (gsm.gprs)
    """

    TCP = "tcp"
    CSD = "csd"
    WAKE_UP = "wakeup"


@dataclass(frozen=True)
class ModemSite:
    """Where the modem is, when someone else decides it (a fleet's cells and fault
    model): the serving cell's id, the +CSQ the signal swings around, the card in
    it, where the meter is served while attached to GPRS, how it is reached, and
    the fault model's ``network_up`` / ``busy`` (:class:`~openamr.gsm.modem.MeterModem`).
    None: drawn from the meter's seed (the endpoint: 127.0.0.1:4059)."""

    cell_id: int | None = None
    signal_base: int | None = None
    sim: Sim | None = None
    endpoint: tuple[str, int] = ("127.0.0.1", 4059)
    reach: Reach = Reach.TCP
    call_back: str = ""  # wake-up meters: HOST:PORT they connect to once woken
    network_up: PowerUp | None = None
    busy: Callable[[float], bool] | None = None


#: Everything drawn from the seed (a meter on its own).
SEEDED = ModemSite()


def _true_s(t: dt.datetime) -> float:
    return t.timestamp()


class Modem:
    """The modem of one twin; ``gsm`` is what a simulated network talks to."""

    def __init__(self, twin: Twin, site: ModemSite = SEEDED) -> None:
        self.twin = twin
        seed = twin.metrology.model.seed
        self.seed = seed
        self.operator = OPERATORS[mix(seed, 1) % len(OPERATORS)]
        self.base = 8 + mix(seed, 2) % 21 if site.signal_base is None else site.signal_base
        self.cell_id = 1 + mix(seed, 5) % 65_535 if site.cell_id is None else site.cell_id
        self.search_s = 20 + mix(seed, 3) % 71
        self._hour = (-1, 0)  # the last hour's +CSQ
        found = twin.device.find(GSM_DIAGNOSTIC)
        self.diagnostic = found if isinstance(found, GsmDiagnostic) else None
        _, mcc, mnc = self.operator
        sim = site.sim or Sim.derive(seed % 10**6, mcc, mnc)
        self._published: tuple[object, ...] | None = None
        self._reach(twin, site.reach, site.call_back)
        mode = self._views(twin)  # the objects first: the modem's settings read them
        self.gsm = MeterModem(
            sim, _true_s(twin.true_t), cell=str(self.cell_id), registered=True,
            registration_s=self.search_s, endpoint=site.endpoint, power_up=self._power_up,
            signal=self._quality, configure=CosemSettings(twin.device, self._local),
            network_up=site.network_up or (lambda now: -math.inf), busy=site.busy,
            gsm_mode=mode,
        )  # fmt: skip

    @staticmethod
    def _reach(twin: Twin, reach: Reach, call_back: str = "") -> None:
        """The factory settings of ``reach`` (see :class:`Reach`), in the objects."""
        if reach is Reach.TCP:
            return
        device = twin.device
        for obis, index, value in (
            (mt372.GSM_MODE.obis, 2, Enum(GsmMode.GSM)),
            (mt372.AUTO_CONNECT.obis, 2, Enum(0 if reach is Reach.CSD else 104)),
        ):
            obj = device.find(obis)
            assert obj is not None and obj.set(index, value) is DataAccessResult.SUCCESS
        answer = device.find(mt372.AUTO_ANSWER.obis)
        if reach is Reach.WAKE_UP and answer is not None:
            callers = Array(
                Structure((OctetString(n.encode()), Enum(CallType.WAKE_UP)))
                for n in (mt372.HEAD_END_CSD_NUMBER, mt372.HEAD_END_WAKE_UP_NUMBER)
            )
            assert answer.set(7, callers) is DataAccessResult.SUCCESS
        connect = device.find(mt372.AUTO_CONNECT.obis)
        if reach is Reach.WAKE_UP and call_back and connect is not None:
            destinations = Array([OctetString(call_back.encode())])
            assert connect.set(6, destinations) is DataAccessResult.SUCCESS

    def _views(self, twin: Twin) -> GsmMode:
        """The modem's views among the objects; the GSM mode the objects hold."""
        device = twin.device
        found = device.find(mt372.GSM_MODE.obis)
        value = found.get(2) if found is not None else None
        mode = GsmMode(int(value)) if isinstance(value, int) and value in (0, 1, 2) else None
        place(device, ValueView(mt372.GSM_MODE.obis, lambda: Enum(self.gsm.gsm_mode),
                                self._write_gsm_mode))  # fmt: skip
        place(device, ValueView(mt372.MSISDN.obis, lambda: self._card("msisdn")))
        place(device, ValueView(mt372.ICCID.obis, lambda: self._card("iccid")))
        place(device, ValueView(mt372.IMSI.obis, lambda: self._card("imsi")))
        old = device.find(mt372.AUTO_CONNECT.obis)
        if isinstance(old, AutoConnect):
            new = AutoConnect(old.logical_name, connector=self._connect)
            for index in range(2, 7):  # the values the object was built with
                setattr(new, new.attributes()[index - 1].name, old.get(index))
            place(device, new)
        return GsmMode.GPRS if mode is None else mode

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

    def _power_up(self, now: float) -> float | None:
        up = self.power_up(int(now))
        return None if up is None else float(up)

    def quality(self, t: int) -> int:
        """+CSQ in the hour of true second ``t``."""
        hour = t // HOUR
        if self._hour[0] != hour:
            swing = mix(self.seed, 4, hour) % 7 - 3
            self._hour = (hour, max(0, min(31, self.base + swing)))
        return self._hour[1]

    def _quality(self, now: float) -> int:
        return self.quality(int(now))

    def _local(self, now: float) -> dt.datetime:
        meter = self.twin.source.to_meter(dt.datetime.fromtimestamp(now, dt.UTC))
        return meter.astimezone(self.twin.rules.zone(meter)).replace(tzinfo=None)

    def now(self) -> float:
        """The true time the twin has reached, as the MeterModem's ``now`` (POSIX
        seconds): what the twin's own parts use."""
        return _true_s(self.twin.true_t)

    def true_now(self) -> float:
        """The twin's clock now (its time base, whether or not the twin has advanced
        to it): the ``now`` an adapter gives the modem and its network."""
        return _true_s(self.twin.source.true_now())

    def gprs_refusal(self) -> str | None:
        """Why the meter's GPRS address does not answer now (None: it does): no SIM
        card, or settings that keep the modem off GPRS (GSM mode 0.0.128.20.10.255
        written 0, Auto connect class 29 not connected) and no wake-up's session.
        The time a modem takes to register is not counted here: a twin just started
        answers at once, as a meter long in the field would."""
        now = self.true_now()
        self.gsm.tick(now)
        if self.gsm.sim is None:
            return "no SIM card"
        if self.gsm.wants_gprs(now):
            return None
        return "not attached to GPRS (wake it up first: SMS or call)"

    def state_at(self, true_time: dt.datetime) -> ModemState:
        t = seconds(true_time)
        self.gsm.tick(float(t))
        return self._state(t)

    def _state(self, t: int) -> ModemState:
        """The state as of the modem's last tick, at true second ``t``."""
        g = self.gsm
        if not g.registered:
            up = self.power_up(t)
            return ModemState(g.status, NOT_KNOWN, t if up is None else up)
        since = int(g.registered_since or t)
        return ModemState(g.status, g.signal_csq, max(since, t - t % HOUR))

    def activity(self) -> None:
        """A request is being answered now (lights the LCD's communication cursor and
        keeps a GPRS session open)."""
        self.gsm.data_activity(self.now())

    def cursor(self, at: dt.datetime) -> bool:
        """The communication cursor at ``at`` (meter time)."""
        return self.gsm.communicating(_true_s(self.twin.source.to_true(at)))

    # -- the card ------------------------------------------------------------------------

    def remove_sim(self) -> Sim | None:
        """The card is pulled out now (the twin's present); the card it was."""
        old = self.gsm.remove_sim(self.now())
        self.publish(self.twin)
        return old

    def insert_sim(self, sim: Sim) -> Sim | None:
        """A card goes in now (a hot swap if one was in); the card it replaced."""
        old = self.gsm.insert_sim(sim, self.now())
        self.publish(self.twin)
        return old

    def _card(self, what: str) -> Data:
        sim = self.gsm.sim
        return OctetString(b"" if sim is None else str(getattr(sim, what)).encode())

    # -- DLMS writes ---------------------------------------------------------------------

    def _write_gsm_mode(self, value: Data) -> DataAccessResult | None:
        mode = number(value)
        if mode not in (0, 1, 2):
            return DataAccessResult.OTHER_REASON
        self.gsm.gsm_mode = GsmMode(mode)
        if mode == GsmMode.GSM:
            self.gsm.wake(self.now(), "gsm mode")
        return None

    def _connect(self, destinations: list[bytes]) -> bool:
        return self.gsm.wake(self.now(), "connect") is not None

    # -- persistence (the card stays in the meter over a restart) ------------------------

    def save_state(self) -> object:
        sim = self.gsm.sim
        return None if sim is None else [sim.iccid, sim.imsi, sim.msisdn]

    def load_state(self, saved: object) -> None:
        if isinstance(saved, list) and len(saved) == 3 and all(isinstance(s, str) for s in saved):
            card = Sim(*saved)
            if card != self.gsm.sim:
                self.gsm.sim = card
                if self.gsm.network is not None:
                    self.gsm.network.sim_changed(self.gsm, None)

    # -- component -----------------------------------------------------------------------

    def boundaries(
        self, twin: Twin, m0: dt.datetime, m1: dt.datetime
    ) -> list[tuple[dt.datetime, Action]]:
        return []

    def publish(self, twin: Twin) -> None:
        g, now = self.gsm, self.now()
        g.tick(now)
        for event in g.drain_events():
            self._log(twin, event)
        state = self._state(int(now))
        ps = PsStatus.GPRS if g.address is not None else PsStatus.INACTIVE
        key = (state, g.sim, g.cs_attachment(), ps)
        if key == self._published or self.diagnostic is None:
            return
        self._published = key
        at = stamp(twin.objects.clock, twin.source.to_meter(
            dt.datetime.fromtimestamp(state.since, dt.UTC)))  # fmt: skip
        self.diagnostic.capture(
            CosemDateTime.from_bytes(at), self._operator() if state.registered else "",
            state.status, ps, self._cell(state), self._neighbours(state), g.cs_attachment(),
        )  # fmt: skip

    def _log(self, twin: Twin, event: ModemEvent) -> None:
        code = LOGGED.get(event.kind)
        if code is not None:
            twin.log(twin.source.to_meter(dt.datetime.fromtimestamp(event.at, dt.UTC)), code)

    def _operator(self) -> str:
        sim = self.gsm.sim
        for name, mcc, mnc in OPERATORS:
            if sim is not None and (sim.mcc, sim.mnc) == (mcc, mnc):
                return name
        return self.operator[0] if sim is None else f"{sim.mcc} {sim.mnc:02d}"

    def _cell(self, state: ModemState) -> CellInfo:
        if not state.registered:
            return CellInfo()
        sim = self.gsm.sim
        _, mcc, mnc = self.operator
        if sim is not None:
            mcc, mnc = sim.mcc, sim.mnc
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
